"""Security tests reuse the web fixtures (a browser per person with its own cookie jar) and
the federation trio (three real servers on loopback)."""

from tests.federation.conftest import trio  # noqa: F401
from tests.web.conftest import browser_for  # noqa: F401
