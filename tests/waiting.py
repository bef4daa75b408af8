"""Waiting in tests: on a condition, with a deadline, never for a fixed time (CI runs on a
loaded machine, where any fixed time is sometimes too short)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

DEADLINE = 30.0  # seconds: the longest a condition may take to hold on a loaded machine


async def until(condition: Callable[[], bool], deadline: float = DEADLINE) -> None:
    """Return once `condition()` holds; fail the test if it has not within `deadline`."""
    ends = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < ends, "the condition never held"
        await asyncio.sleep(0.01)
