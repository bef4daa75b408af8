"""The wheel is a working server: built from the files the Dockerfile copies, installed into a
fresh venv outside the checkout, it serves a login, a group and a post (JSON bodies are
validated against schemas that must be inside the package)."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from pathlib import Path

from tests.ops.installed import Server, call, first_admin_password, login, run

REPO = Path(__file__).resolve().parents[2]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
# Wheels of the dependencies, kept in the test venv so later runs install offline.
WHEELHOUSE = Path(sys.prefix) / "test-wheelhouse"


def _source_tree(dest: Path) -> Path:
    """What `COPY` brings into the Docker build: no build/ or egg-info left from a checkout."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "feedserver", dest / "feedserver", symlinks=True, ignore=skip)
    shutil.copytree(REPO / "schemas", dest / "schemas", ignore=skip)
    return dest


def _install(wheel: Path, venv: Path) -> None:
    """Into a fresh venv, from local wheels only; fetch the dependencies' wheels (pip's cache
    serves most of them) only when the wheelhouse lacks one."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    install = [
        *PIP,
        "--python",
        str(venv / "bin" / "python"),
        "install",
        "--no-index",
        "--find-links",
        str(wheel.parent),
        "--find-links",
        str(WHEELHOUSE),
        str(wheel),
    ]
    WHEELHOUSE.mkdir(exist_ok=True)
    # CI runs the suite on both engines at once: one run fills the wheelhouse at a time, and
    # none installs from a wheel the other is still writing.
    with open(WHEELHOUSE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if subprocess.run(install, capture_output=True, timeout=300).returncode != 0:
            subprocess.run(
                [*PIP, "wheel", "-w", str(WHEELHOUSE), str(wheel)], check=True, timeout=600
            )
            for stale in WHEELHOUSE.glob("feedserver-*.whl"):  # ours comes from dist/ each run
                stale.unlink()
            subprocess.run(install, check=True, timeout=300)


def test_the_installed_wheel_serves_json_writes(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    source = _source_tree(tmp_path / "src")
    dist = tmp_path / "dist"
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("feedserver-*.whl")
    venv = tmp_path / "venv"
    _install(wheel, venv)
    elsewhere = tmp_path / "run"
    elsewhere.mkdir()
    python, script = venv / "bin" / "python", venv / "bin" / "feedserver"

    where = subprocess.run(
        [str(python), "-c", "import feedserver; print(feedserver.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(venv)), where  # the installed copy, not the checkout

    data = elsewhere / "data"
    password = first_admin_password(run(script, data, "init", cwd=elsewhere).stdout)
    with Server(script, data, cwd=elsewhere) as server:
        token = login(server.base, "admin", password)
        status, group = call(
            server.base,
            "POST",
            "/api/v1/groups",
            {"name": "ops", "title": "Ops", "visibility": "private"},
            token,
        )
        assert status == 201, group
        status, post = call(
            server.base,
            "POST",
            "/api/v1/groups/ops/posts",
            {
                "kind": "question",
                "title": "Where are backups kept?",
                "body": "Asking for a friend.",
            },
            token,
        )
        assert status == 201, post
        status, invalid = call(server.base, "POST", "/api/v1/groups", {"nme": "x"}, token)
        assert status == 422 and invalid["errors"], invalid  # validated by the shipped schema
        status, ready = call(server.base, "GET", "/readyz")
        assert status == 200, ready
