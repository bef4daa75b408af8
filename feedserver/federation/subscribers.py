"""What federation does when the domain acts, subscribed to its events once at wiring time
(`app.create_app`, the CLI's federation commands). Each runs in the domain's write
transaction: a proof or a queued delivery commits with the write that caused it, and the
delivery worker sends after the commit."""

from __future__ import annotations

from feedserver.domain.events import EvidenceChanged, PageRevised, PostWritten, ProfileSaved
from feedserver.federation import erasure, group_joins, group_sharing, objects
from feedserver.federation import profiles as shared_profiles
from feedserver.federation.context import Federation
from feedserver.store import group_sharing as sharing_store
from feedserver.store.db import Connection


def subscribe(fed: Federation) -> None:
    services = fed.services

    async def sign_post(conn: Connection, event: PostWritten) -> None:
        # A post's object (FEP-8b32 proof inside) is what the copies of its group receive:
        # each version is signed once, when written in a group a partner holds a copy of,
        # and on first need in any other (`objects.signed_post_object`).
        post = event.post
        copies = await sharing_store.copies(
            conn, group_sharing.group_url(services, post.group_name)
        )
        await objects.store_post_proof(
            conn, services, post, created=event.created, shared=bool(copies)
        )

    async def sign_page(conn: Connection, event: PageRevised) -> None:
        await objects.store_page_proof(conn, services, event.page)

    async def push_profile(conn: Connection, event: ProfileSaved) -> None:
        # A profile shared with partners is pushed on every change, withdrawn when unshared.
        await shared_profiles.on_profile_put(conn, services, event.profile, event.was_sharing)

    async def push_scores(conn: Connection, event: EvidenceChanged) -> None:
        # Partners show evidence counts: they follow every change, up or down (an `Update`,
        # coalesced in the queue to one pending per member and partner).
        for member_id in sorted(event.member_ids):
            await shared_profiles.push_current(conn, services, member_id)

    events = services.events
    events.subscribe(PostWritten, sign_post)
    events.subscribe(PageRevised, sign_page)
    events.subscribe(ProfileSaved, push_profile)
    events.subscribe(EvidenceChanged, push_scores)
    # Groups shared with partners follow their posts (after sign_post stored each proof).
    group_sharing.subscribe(fed)
    # Answers to partners' members' requests to join, after the group state above.
    group_joins.subscribe(fed)
    # And a deleted member's posts, across servers, both ways.
    erasure.subscribe(fed)
