"""Images from other hosts never load from a private post: in body_html (API) and in Atom
<content> they are links; our own images stay images."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient

from feedserver import appkeys
from tests.conftest import Api
from tests.feeds.conftest import feed_urls, fetch

Client = TestClient[web.Request, web.Application]

BODY = (
    "Tracking pixel: ![pixel](https://evil.example/p.png?who=me)\n\n"
    "Ours: ![chart](/static/chart.png) and ![logo]({origin}/static/logo.png)\n\n"
    'Raw: <img src="//evil.example/raw.png" alt="raw"> '
    "and linked [![badge](https://evil.example/b.svg)](https://ci.example/)"
)


def _assert_no_foreign_image(html: str, origin: str) -> None:
    assert "evil.example" in html  # the addresses are still there to follow...
    assert '<img src="https://evil.example' not in html and '<img src="//evil' not in html
    assert html.count("<img") == 2  # ...and only our two images load by themselves
    assert '<img src="/static/chart.png" alt="chart">' in html
    assert f'<img src="{origin}/static/logo.png" alt="logo">' in html
    assert '<a href="https://evil.example/p.png?who=me" rel="nofollow noopener">pixel</a>' in html
    assert '<a href="https://ci.example/" rel="nofollow noopener">badge</a>' in html


async def test_foreign_images_become_links_in_the_api_and_the_feed(
    client: Client, admin: Api
) -> None:
    origin = client.app[appkeys.CONFIG].public_url
    assert (await admin.post("/api/v1/groups", {"name": "ops", "title": "Ops"}))[0] == 201
    status, post = await admin.post(
        "/api/v1/groups/ops/posts",
        {"kind": "tip", "title": "Images", "body": BODY.format(origin=origin)},
    )
    assert status == 201, post
    _assert_no_foreign_image(post["body_html"], origin)
    status, again = await admin.get(f"/api/v1/posts/{post['id']}")
    _assert_no_foreign_image(again["post"]["body_html"], origin)
    urls = await feed_urls(admin)
    status, _, atom = await fetch(client, urls["groups"][0]["url"])
    assert status == 200
    content = atom.decode()
    assert "evil.example/p.png" in content
    assert (
        "&lt;img src=&quot;https://evil" not in content and '<img src="https://evil' not in content
    )
    assert "&lt;img" in content or "<img" in content  # our own images are still in it
