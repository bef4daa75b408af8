"""Browser journeys: a person in their own Chromium context, who can check the page they are
on (axe-core, pictures at phone and desktop width) as they go.

Playwright drives Debian's /usr/bin/chromium and never downloads a browser. axe-core is
vendored (tests/web/vendor/axe-core): no network at test time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse battery"
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
BLOCKING = ("moderate", "serious", "critical")  # axe impacts a page may not have
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip

_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
}"""


class Person:
    """One browser context (its own cookies), watching the console for CSP violations and
    script errors."""

    def __init__(self, context: Any, page: Any, base: str) -> None:
        self.context, self.page, self.base = context, page, base
        self.csp_violations: list[str] = []
        self.errors: list[str] = []
        self.checked: list[str] = []  # the pages axe ran on, for the report
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    @classmethod
    async def open(cls, browser: Any, base: str, **options: Any) -> Person:
        options.setdefault("viewport", DESKTOP)
        context = await browser.new_context(**options)
        context.set_default_timeout(15_000)
        return cls(context, await context.new_page(), base)

    async def goto(self, path: str) -> Any:
        return await self.page.goto(self.base + path)

    async def login(self, username: str, password: str = PASSWORD) -> None:
        await self.goto("/login")
        await self.page.get_by_label("Username").fill(username)
        await self.page.get_by_label("Password").fill(password)
        await self.page.get_by_role("button", name="Log in").click()
        await self.page.wait_for_url(self.base + "/")

    async def check(self, name: str) -> None:
        """axe-core on the page as it is (no violation of moderate impact or above), and a
        full-page picture at desktop and at phone width, kept under test-artifacts/. On a
        phone the page must not scroll sideways."""
        page = self.page
        await page.wait_for_load_state()
        if not await page.evaluate("typeof window.axe !== 'undefined'"):
            await page.evaluate(AXE)  # through DevTools: the page's CSP does not apply
        violations = [v for v in await page.evaluate(_RUN_AXE) if v["impact"] in BLOCKING]
        assert violations == [], f"axe on {name} ({page.url}): {violations}"
        self.checked.append(name)
        ARTIFACTS.mkdir(exist_ok=True)
        slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
        size = page.viewport_size
        await page.screenshot(path=str(ARTIFACTS / f"{slug}-desktop.png"), full_page=True)
        await page.set_viewport_size(PHONE)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        await page.screenshot(path=str(ARTIFACTS / f"{slug}-phone.png"), full_page=True)
        await page.set_viewport_size(size)
        assert overflow <= 0, f"{name}: {overflow}px of sideways scrolling on a phone"

    async def close(self) -> None:
        assert self.csp_violations == [], self.csp_violations
        assert self.errors == [], self.errors
        await self.context.close()


async def make_members(site: str, *usernames: str) -> None:
    """Accounts made by the admin through the API (what a journey tests is the pages)."""
    async with aiohttp.ClientSession(base_url=site) as http:
        async with http.post(
            "/api/v1/sessions", json={"username": "admin", "password": PASSWORD}
        ) as resp:
            token = (await resp.json())["token"]
        for username in usernames:
            async with http.post(
                "/api/v1/members",
                json={"username": username, "display_name": username.title(),
                      "password": PASSWORD, "admin": False},
                headers={"Authorization": f"Bearer {token}"},
            ) as resp:  # fmt: skip
                assert resp.status == 201, await resp.text()
