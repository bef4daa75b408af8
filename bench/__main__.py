"""`python -m bench` (or `make bench`): run every benchmark in turn; each writes its own
section of bench/results.md."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

BENCHMARKS = (
    "api",
    "feeds",
    "experts",
    "federation",
    "shared_groups",
    "matching",
    "notifications",
    "insights",
    "search_copies",
)

failed = []
for name in BENCHMARKS:
    if importlib.util.find_spec(f"bench.{name}") is None:
        continue
    print(f"== bench.{name}", flush=True)
    if subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode != 0:
        failed.append(name)
sys.exit(f"failed: {', '.join(failed)}" if failed else 0)
