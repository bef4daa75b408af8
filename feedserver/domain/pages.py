"""FAQ pages: Markdown pages a group keeps current, every revision kept, edits never lost.

Members edit; owners and mentors lock. An edit names the revision it was based on: when that
is no longer the latest, the edit is refused with 409 and the current revision, so nothing is
silently overwritten.
"""

from __future__ import annotations

import re
import unicodedata

from feedserver.domain import access, expertise, page_reads
from feedserver.domain.events import PageRevised
from feedserver.domain.ids import is_id, new_id
from feedserver.domain.posts import normalize_tags
from feedserver.domain.services import Services
from feedserver.domain.text import clean_text, render_markdown
from feedserver.errors import Conflict, Forbidden, NotFound, ValidationFailed
from feedserver.models import FaqPage, Page, PageRevision, Viewer
from feedserver.store import pages as page_store
from feedserver.store import posts as post_store
from feedserver.store.db import Connection

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def slugify(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80].strip("-")
    return slug or "page"


def _check_slug(slug: str) -> str:
    if not SLUG_RE.match(slug):
        raise ValidationFailed([{"field": "slug", "message": "lowercase letters, digits, '-'"}])
    return slug


def _text(value: str, field: str) -> str:
    cleaned = clean_text(value)
    if not cleaned.strip():
        raise ValidationFailed([{"field": field, "message": "must not be empty"}])
    return cleaned


async def _page(
    conn: Connection, viewer: Viewer, group_name: str, slug: str
) -> tuple[access.GroupAccess, FaqPage | None]:
    found = await access.readable_group(conn, viewer, group_name)
    current = await page_store.get(conn, found.group.id, slug) if SLUG_RE.match(slug) else None
    return found, current


async def _record_revision(
    conn: Connection, services: Services, page: FaqPage, editor_id: str
) -> None:
    await expertise.on_page_revision(
        conn, services, page_id=page.id, group_id=page.group_id, editor_id=editor_id,
        tags=page.tags, at=page.updated_at,
    )  # fmt: skip
    await services.events.publish(conn, PageRevised(page, editor_id))


async def put(
    services: Services, viewer: Viewer, group_name: str, slug: str, *, title: str, body: str,
    base_revision: int | None, tags: list[str] | None,
) -> tuple[FaqPage, bool]:  # fmt: skip
    """Create or update; (the page, whether it was created)."""
    _check_slug(slug)
    title = " ".join(_text(title, "title").split())
    body = _text(body, "body")
    clean_tags = normalize_tags(tags) if tags is not None else None
    now = services.clock()
    async with services.db.write() as conn:
        found, current = await _page(conn, viewer, group_name, slug)
        assert viewer.member is not None
        if current is None:
            if not found.can_post:
                raise Forbidden("Join the group to write its pages")
            if base_revision not in (None, 0):
                raise Conflict("The page does not exist (yet)", current_revision=0)
            page_id = new_id()
            await page_store.insert(
                conn, id=page_id, group_id=found.group.id, slug=slug, title=title, body=body,
                body_html=_html(services, body), tags=clean_tags or (),
                editor_id=viewer.member.id, source_post_id=None, now=now,
            )  # fmt: skip
            created = True
        else:
            if not access.may_edit_page(found, current.locked):
                raise Forbidden("This page is locked; owners and mentors edit it")
            if base_revision != current.revision:
                raise Conflict(
                    f"The page changed since revision {base_revision}; it is at revision"
                    f" {current.revision}. Merge your edit into it and send that as base.",
                    current_revision=current.revision,
                )
            new_tags = current.tags if clean_tags is None else clean_tags
            if (title, body, new_tags) == (current.title, current.body, current.tags):
                return current, False
            if not await page_store.update(
                conn, current, title=title, body=body,
                body_html=_html(services, body) if body != current.body else current.body_html,
                tags=new_tags, editor_id=viewer.member.id, now=now,
            ):  # fmt: skip
                raise Conflict("The page changed meanwhile", current_revision=current.revision + 1)
            if new_tags != current.tags:
                await expertise.on_retag(conn, services, current.id, new_tags)
            created = False
        page = await page_store.get(conn, found.group.id, slug)
        assert page is not None
        await _record_revision(conn, services, page, viewer.member.id)
    return page, created


async def get(services: Services, viewer: Viewer, group_name: str, slug: str) -> FaqPage:
    async with services.db.read() as conn:
        _, current = await _page(conn, viewer, group_name, slug)
    if current is None:
        raise NotFound("No such page")
    return current


async def read(services: Services, viewer: Viewer, group_name: str, slug: str) -> FaqPage:
    """A page shown to a reader (API or web): counted for insights, in memory."""
    page = await get(services, viewer, group_name, slug)
    await page_reads.note(services, viewer, page)
    return page


async def revisions(
    services: Services, viewer: Viewer, group_name: str, slug: str
) -> list[PageRevision]:
    async with services.db.read() as conn:
        _, current = await _page(conn, viewer, group_name, slug)
        if current is None:
            raise NotFound("No such page")
        return await page_store.revisions(conn, current.id)


async def revision(
    services: Services, viewer: Viewer, group_name: str, slug: str, number: str
) -> PageRevision:
    async with services.db.read() as conn:
        _, current = await _page(conn, viewer, group_name, slug)
        found = (
            await page_store.revision(conn, current.id, int(number))
            if current is not None and number.isascii() and number.isdigit() and len(number) < 10
            else None
        )
    if found is None:
        raise NotFound("No such revision")
    return found


async def group_pages(
    services: Services, viewer: Viewer, group_name: str, *, cursor: str | None, limit: int
) -> Page[FaqPage]:
    async with services.db.read() as conn:
        found = await access.readable_group(conn, viewer, group_name)
        items = await page_store.group_page(conn, found.group.id, after=cursor, limit=limit + 1)
    return Page.of(items, limit, lambda item: item.slug)


async def set_locked(
    services: Services, viewer: Viewer, group_name: str, slug: str, *, locked: bool
) -> FaqPage:
    async with services.db.write() as conn:
        found, current = await _page(conn, viewer, group_name, slug)
        if current is None:
            raise NotFound("No such page")
        if not access.may_lock_page(found):
            raise Forbidden("Only owners and mentors lock pages")
        if current.locked != locked:
            await page_store.set_locked(conn, current, locked, services.clock())
        page = await page_store.get(conn, found.group.id, slug)
    assert page is not None
    return page


def _promoted_body(question_body: str, answer_body: str, answerer: str, link: str) -> str:
    return (
        f"{question_body.strip()}\n\n## Answer\n\n{answer_body.strip()}\n\n"
        f"*Answered by @{answerer}.* [The question thread]({link})\n"
    )


async def promote(services: Services, viewer: Viewer, post_id: str, *, slug: str | None) -> FaqPage:
    """An answered question becomes a page: question + accepted answer, linking back."""
    now = services.clock()
    async with services.db.write() as conn:
        question = await post_store.get(conn, post_id) if is_id(post_id) else None
        found = await access.readable_post_group(conn, viewer, question)
        assert question is not None and viewer.member is not None
        if not found.can_post:
            raise Forbidden("Join the group to write its pages")
        if question.kind != "question" or not question.accepted_answer_id:
            raise Conflict("Only a question with an accepted answer can become a page")
        if (existing := await page_store.by_source_post(conn, question.id)) is not None:
            raise Conflict(
                f"This question is already the page {existing.slug!r}", slug=existing.slug
            )
        answer = await post_store.get(conn, question.accepted_answer_id)
        assert answer is not None
        slug = _check_slug(slug) if slug else slugify(question.title)
        # The thread's page, not its API resource: the page is read in a browser.
        link = f"{services.config.public_url}/posts/{question.id}"
        body = _promoted_body(question.body, answer.body, answer.author_username, link)
        if not await page_store.insert(
            conn, id=new_id(), group_id=question.group_id, slug=slug, title=question.title,
            body=body, body_html=_html(services, body), tags=question.tags,
            editor_id=viewer.member.id, source_post_id=question.id, now=now,
        ):  # fmt: skip
            raise Conflict(f"The group already has a page {slug!r}; choose another slug")
        page = await page_store.get(conn, question.group_id, slug)
        assert page is not None
        await _record_revision(conn, services, page, viewer.member.id)
    return page


def _html(services: Services, body: str) -> str:
    return render_markdown(body, services.config.public_url)  # only our own images stay images
