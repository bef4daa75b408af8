"""Security tests reuse the web fixtures (a browser per person with its own cookie jar)."""

from tests.web.conftest import browser_for  # noqa: F401
