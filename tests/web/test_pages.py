"""Web pages over plain HTTP (no browser): headers, CSRF, escaping, access, errors."""

from __future__ import annotations

from tests.conftest import Api
from tests.web.conftest import csrf_of

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none';"
    " form-action 'self'; base-uri 'none'"
)


async def test_html_pages_carry_csp_and_api_responses_do_not(browser_for, admin: Api) -> None:
    anon = await browser_for()
    async with anon.client.get("/login") as resp:
        assert resp.status == 200
        assert resp.content_type == "text/html"
        assert resp.headers["Content-Security-Policy"] == CSP
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        html = await resp.text()
    assert "<script>" not in html and " on" + "click=" not in html  # no inline script
    assert 'style="' not in html  # no inline style either (style-src 'self')
    async with anon.client.get("/api/v1/me") as resp:  # API error: problem+json, no page CSP
        assert resp.status == 401
        assert resp.content_type == "application/problem+json"
        assert "Content-Security-Policy" not in resp.headers
    async with anon.client.get("/healthz") as resp:
        assert "Content-Security-Policy" not in resp.headers


async def test_session_cookie_flags(browser_for) -> None:
    anon = await browser_for()
    await browser_for("alice")  # creates alice
    status, html = await anon.get("/login")
    async with anon.client.post(
        "/login",
        data={"csrf": csrf_of(html), "username": "alice", "password": "correct horse battery"},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/"
        cookies = resp.headers.getall("Set-Cookie")
    session = next(c for c in cookies if c.startswith("fs_session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Path=/" in session
    assert "Secure" not in session  # plain http on loopback; see the https test below


async def test_secure_cookie_when_base_url_is_https(aiohttp_client, config) -> None:
    from dataclasses import replace

    from feedserver.app import create_app

    client = await aiohttp_client(create_app(replace(config, base_url="https://learn.example")))
    async with client.get("/login") as resp:
        cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("fs_csrf=") and "Secure" in cookie and "HttpOnly" in cookie


async def test_pages_redirect_to_login_when_signed_out(browser_for) -> None:
    anon = await browser_for()
    for path in ("/", "/groups", "/search?q=x", "/admin", "/groups/anything"):
        async with anon.client.get(path, allow_redirects=False) as resp:
            assert resp.status == 303, path
            assert resp.headers["Location"].startswith("/login"), path


async def test_login_without_csrf_token_is_refused(browser_for) -> None:
    await browser_for("alice")
    anon = await browser_for()
    status, html = await anon.submit(
        "/login", "/login", {"username": "alice", "password": "correct horse battery"},
        csrf=False,
    )  # fmt: skip
    assert status == 403
    assert "did not come from this site" in html
    assert "Log out" not in html


async def test_signed_in_form_without_or_with_wrong_csrf_changes_nothing(
    browser_for, admin: Api
) -> None:
    alice = await browser_for("alice")
    form = {"name": "payroll", "title": "Payroll", "visibility": "private"}
    for token in (None, "", "0" * 64):
        data = dict(form) if token is None else {**form, "csrf": token}
        async with alice.client.post("/groups", data=data) as resp:
            assert resp.status == 403
            assert resp.content_type == "text/html"
            assert resp.headers["Content-Security-Policy"] == CSP
    status, _ = await admin.get("/api/v1/groups/payroll")
    assert status == 404  # nothing was created
    # A token rendered for another session does not count either.
    bob = await browser_for("bob")
    _, bobs_page = await bob.get("/groups")
    async with alice.client.post("/groups", data={**form, "csrf": csrf_of(bobs_page)}) as resp:
        assert resp.status == 403
    # The real token works.
    status, html = await alice.submit("/groups", "/groups", form)
    assert status == 200 and "<h1>Payroll" in html


async def test_script_in_a_title_is_escaped_everywhere(browser_for) -> None:
    alice = await browser_for("alice")
    hostile = '<script>alert("x")</script>'
    status, _ = await alice.submit(
        "/groups", "/groups",
        {"name": "xss", "title": f"Group {hostile}", "description": hostile,
         "visibility": "private"},
    )  # fmt: skip
    assert status == 200
    status, thread = await alice.submit(
        "/groups/xss", "/groups/xss/posts",
        {"kind": "question", "title": f"Why {hostile}?", "body": f"Body {hostile}",
         "tags": "safety"},
    )  # fmt: skip
    assert status == 200
    for path in ("/", "/groups", "/groups/xss", "/search?q=alert"):
        status, html = await alice.get(path)
        assert status == 200, path
        assert "<script>alert" not in html, path
    assert "<script>alert" not in thread
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in thread


async def test_private_group_page_is_404_for_outsiders(browser_for) -> None:
    alice = await browser_for("alice")
    await alice.submit(
        "/groups", "/groups", {"name": "secret-club", "title": "Secret club",
                               "visibility": "private"},
    )  # fmt: skip
    status, thread = await alice.submit(
        "/groups/secret-club", "/groups/secret-club/posts",
        {"kind": "story", "title": "The hidden story", "body": "Nobody else reads this."},
    )  # fmt: skip
    assert status == 200
    carol = await browser_for("carol")
    async with carol.client.get("/groups/secret-club") as resp:
        html = await resp.text()
        assert resp.status == 404
        assert resp.content_type == "text/html"
        assert resp.headers["Content-Security-Policy"] == CSP
    assert "We could not find that page" in html
    assert "Secret club" not in html
    # Same answer as a group that does not exist, and the same for its posts.
    status, missing = await carol.get("/groups/no-such-group")
    assert status == 404
    (
        status,
        _,
    ) = await carol.get("/search?q=hidden")
    assert "The hidden story" not in _
    status, home = await carol.get("/")
    assert "The hidden story" not in home and "secret-club" not in home


async def test_unknown_page_is_html_for_browsers_and_json_for_api(browser_for) -> None:
    anon = await browser_for()
    async with anon.client.get("/no/such/page", headers={"Accept": "text/html"}) as resp:
        assert resp.status == 404 and resp.content_type == "text/html"
        assert "We could not find that page" in await resp.text()
    async with anon.client.get("/api/v1/nothing", headers={"Accept": "text/html"}) as resp:
        assert resp.status == 404 and resp.content_type == "application/problem+json"


async def test_an_internal_error_on_a_page_is_friendly(browser_for, monkeypatch, caplog) -> None:
    from feedserver.domain import overview

    alice = await browser_for("alice")

    async def broken(*args, **kwargs):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(overview, "home", broken)
    status, html = await alice.get("/")
    assert status == 500
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html and "Traceback" not in html


async def test_open_redirects_are_refused(browser_for) -> None:
    await browser_for("alice")
    anon = await browser_for()
    status, html = await anon.get("/login?next=//evil.example/x")
    async with anon.client.post(
        "/login",
        data={"csrf": csrf_of(html), "next": "//evil.example/x", "username": "alice",
              "password": "correct horse battery"},
        allow_redirects=False,
    ) as resp:  # fmt: skip
        assert resp.status == 303 and resp.headers["Location"] == "/"
