"""bench/results.md: each benchmark owns one `## ` section and replaces only that one."""

from __future__ import annotations

import datetime
import os
import platform
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.md"
HEADING = (
    "# Benchmark results\n\nEach section is written by the benchmark it names; figures are"
    " ratios to limits measured in the same run.\n"
)


def machine() -> str:
    today = datetime.date.today().isoformat()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{today}, {platform.machine()}, {python}, {os.cpu_count()} CPUs"


def write_section(title: str, body: str) -> None:
    text = RESULTS.read_text("utf-8") if RESULTS.exists() else HEADING
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text.rstrip("\n") + "\n", "utf-8")
