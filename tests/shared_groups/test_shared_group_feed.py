"""B's feed of a group shared with it: same token rules as its own feeds, read by newsboat."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.feeds.test_newsboat import NEWSBOAT, _unread

from .test_shared_group_flow import SECRET, drain, setup_group


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, await resp.text()


async def test_members_feed_on_b_and_nobody_elses(trio, tmp_path: Path):
    a, b, c = trio
    alice, bob, carol = await setup_group(a, b, c)
    await a.call("PUT", f"/api/v1/groups/payroll-pros/members/bob@{b.host}", {"role": "member"},
                 token=alice)  # fmt: skip
    await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                 {"kind": "question", "title": SECRET, "body": "How *now*?",
                  "tags": ["payroll"]}, token=alice)  # fmt: skip
    await drain(a, b)
    address = f"payroll-pros@{a.host}"
    status, body = await b.call("GET", f"/api/v1/groups/{address}", token=bob)
    url = body["feed_url"]
    assert url.startswith(f"{b.url}/feeds/groups/{address}.atom?token=")
    status, text = await _get(url)
    assert status == 200 and SECRET in text, text
    assert "&lt;em&gt;now&lt;/em&gt;" in text, text
    # carol's own token, on the same path, finds nothing; nor does a missing or a bad token.
    status, body = await b.call("GET", "/api/v1/groups/payroll-pros", token=carol)
    token = url.split("token=", 1)[1]
    for bad in (f"{b.url}/feeds/groups/{address}.atom",
                f"{b.url}/feeds/groups/{address}.atom?token={token[:-2]}xx",
                url.replace(a.host, c.host)):  # fmt: skip
        status, text = await _get(bad)
        assert status == 404 and SECRET not in text
    # A real reader follows it: one entry, then two.
    if NEWSBOAT is not None:
        reader = tmp_path / "newsboat"
        reader.mkdir()
        assert await _unread(reader, url) == 1
        await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                     {"kind": "tip", "title": "Second", "body": "x"}, token=alice)  # fmt: skip
        await drain(a, b)
        assert await _unread(reader, url) == 2
    # Removed from the group: the same URL is a 404.
    await a.call("DELETE", f"/api/v1/groups/payroll-pros/members/bob@{b.host}", token=alice)
    await drain(a, b)
    status, text = await _get(url)
    assert status == 404 and SECRET not in text
