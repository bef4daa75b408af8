"""The command line works for scripts: users, tokens, backups, settings from TOML and env."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from feedserver.config import load_config

REPO = Path(__file__).resolve().parents[1]


def _run(
    data: Path, *args: str, stdin: str = "", check: bool = True
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(data), *args],
        input=stdin, capture_output=True, text=True, cwd=REPO, timeout=60, check=check,
        env={**os.environ, "FEEDSERVER_SCRYPT_N": "1024"},
    )  # fmt: skip


def test_user_token_and_backup(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert (
        _run(data, "user", "add", "root", "--admin", stdin="a long password\n").stdout == "root\n"
    )
    again = _run(data, "user", "add", "root", stdin="a long password\n", check=False)
    assert again.returncode == 1 and "taken" in again.stderr
    short = _run(data, "user", "add", "shorty", stdin="short\n", check=False)
    assert short.returncode == 1 and "password" in short.stderr
    token = _run(data, "token", "create", "root").stdout
    assert len(token.strip()) >= 40 and token.count("\n") == 1  # the token and nothing else
    assert _run(data, "token", "create", "nobody", check=False).returncode == 1

    backup = tmp_path / "copy.sqlite3"
    _run(data, "backup", str(backup))
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT username, is_admin FROM members").fetchall() == [("root", 1)]


def test_init_creates_the_first_admin_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = _run(data, "init").stdout
    assert "username: admin" in first and "password:" in first
    assert _run(data, "init").stdout == ""


def test_settings_come_from_toml_env_and_flags(tmp_path: Path) -> None:
    toml = tmp_path / "feedserver.toml"
    toml.write_text('port = 9000\nhost = "0.0.0.0"\n[unused]\n')
    with pytest.raises(ValueError, match="unknown settings"):
        load_config(toml, environ={})
    toml.write_text('[feedserver]\nport = 9000\nhost = "0.0.0.0"\n')
    config = load_config(toml, {"host": None}, environ={"FEEDSERVER_PORT": "9100"})
    assert (config.host, config.port) == ("0.0.0.0", 9100)
    config = load_config(toml, {"port": 9200}, environ={"FEEDSERVER_PORT": "9100"})
    assert config.port == 9200 and config.public_url == "http://0.0.0.0:9200"
    assert "data_dir" in _run(tmp_path, "config").stdout
