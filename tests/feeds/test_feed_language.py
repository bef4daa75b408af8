"""A group's language is the xml:lang of its feeds (group, group+tag, thread, the group's
unanswered questions); feeds over several groups keep the server's `feed_language`. Changing
it changes the page's validator, so readers fetch the page again."""

from __future__ import annotations

from lxml import etree

from feedserver.feeds.atom import XML_NS
from tests.conftest import Api
from tests.feeds.conftest import feed_urls, fetch, new_post


async def _lang(client, url: str, **headers: str) -> tuple[str | None, str]:
    status, got, body = await fetch(client, url, **headers)
    assert status == 200, body
    return etree.fromstring(body).get(f"{{{XML_NS}}}lang"), got["ETag"]


async def test_a_groups_language_is_its_feeds_xml_lang(admin: Api, client) -> None:
    alice = await admin.add_member("alice")
    status, group = await alice.post(
        "/api/v1/groups", {"name": "paie", "title": "Paie", "language": "fr"}
    )
    assert status == 201 and group["language"] == "fr", group
    assert (await alice.post("/api/v1/groups", {"name": "pay", "title": "Pay"}))[0] == 201
    question = await new_post(alice, "paie", "Chèque en retard ?", kind="question",
                              tags=["paie"])  # fmt: skip
    await new_post(alice, "pay", "Late check?", kind="question")
    urls = await feed_urls(alice, post=question["id"], tag="paie")
    paie = next(g for g in urls["groups"] if g["name"] == "paie")
    pay = next(g for g in urls["groups"] if g["name"] == "pay")
    for url in (paie["url"], paie["unanswered"], paie["tags"][0]["url"], urls["posts"][0]["url"]):
        assert (await _lang(client, url))[0] == "fr", url
    for url in (pay["url"], urls["home"], urls["replies"], urls["unanswered"]):
        assert (await _lang(client, url))[0] == "en", url

    before = await _lang(client, paie["url"])
    status, edited = await alice.patch("/api/v1/groups/paie", {"language": "fr-CA"})
    assert status == 200 and edited["language"] == "fr-CA", edited
    after = await _lang(client, paie["url"])
    assert after[0] == "fr-CA" and after[1] != before[1]
    # The old validator no longer matches: the reader gets the page in its new language.
    status, _, _ = await fetch(client, paie["url"], **{"If-None-Match": before[1]})
    assert status == 200
    # Empty: back to the server's language.
    assert (await alice.patch("/api/v1/groups/paie", {"language": ""}))[0] == 200
    assert (await _lang(client, paie["url"]))[0] == "en"


async def test_a_language_that_is_not_a_tag_is_refused(admin: Api) -> None:
    alice = await admin.add_member("alice")
    for bad in ("english language", "e", "fr_CA", "x" * 40):
        status, body = await alice.post(
            "/api/v1/groups", {"name": "g1", "title": "G", "language": bad}
        )
        assert status == 422, (bad, body)
    assert (await alice.post("/api/v1/groups", {"name": "g1", "title": "G"}))[0] == 201
    status, body = await alice.patch("/api/v1/groups/g1", {"language": "fr CA"})
    assert status == 422, body
