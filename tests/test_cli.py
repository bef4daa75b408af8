"""The command line works for scripts: users, tokens, backups, settings from TOML and env."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from feedserver.config import load_config
from tests.loopback import free_port

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

    backup = tmp_path / "copy.tar.gz"
    _run(data, "backup", str(backup))
    _run(tmp_path / "restored", "restore", str(backup))
    with sqlite3.connect(tmp_path / "restored" / "feedserver.sqlite3") as conn:
        assert conn.execute("SELECT username, is_admin FROM members").fetchall() == [("root", 1)]
    conn.close()


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


def test_config_prints_toml_that_loads_back(tmp_path: Path) -> None:
    toml = tmp_path / "feedserver.toml"
    toml.write_text('base_url = "https://learn.example.org/"\norganization_name = "Ça \\"va\\""\n')
    out = _run(tmp_path / "d", "--config", str(toml), "config").stdout
    pasted = tmp_path / "pasted.toml"
    pasted.write_text(out)
    assert tomllib.loads(out)["organization_name"] == 'Ça "va"'
    assert load_config(pasted, environ={}) == load_config(
        toml, {"data_dir": tmp_path / "d"}, environ={"FEEDSERVER_SCRYPT_N": "1024"}
    )


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        ((), {"FEEDSERVER_PORT": "eighty"}, "port must be a whole number"),
        ((), {"FEEDSERVER_PORT": "70000"}, "port must be between 0 and 65535"),
        ((), {"FEEDSERVER_SQLITE_SYNCHRONOUS": "sometimes"}, "sqlite_synchronous must be"),
        (("--config", "missing.toml"), {}, "cannot read missing.toml"),
    ],
)
def test_a_bad_setting_is_one_line(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], says: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(tmp_path), *args, "config"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"feedserver: {says}") and done.stderr.count("\n") == 1


def test_bad_toml_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "feedserver.toml").write_text("port = \n")
    done = _run(tmp_path, "--config", str(tmp_path / "feedserver.toml"), "config", check=False)
    assert done.returncode == 2 and "is not valid TOML" in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_busy_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", free_port()))
        busy.listen()
        port = busy.getsockname()[1]
        done = _run(tmp_path / "d", "serve", "--port", str(port), check=False)
    assert done.returncode == 1
    problem = [line for line in done.stderr.splitlines() if line.startswith("feedserver:")]
    assert problem == [f"feedserver: cannot listen on 127.0.0.1:{port}: address already in use"]
    assert "Traceback" not in done.stderr


def test_an_unusable_data_directory_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    done = _run(tmp_path / "file" / "data", "init", check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert (
        done.stderr == f"feedserver: cannot open the data directory {tmp_path}/file/data:"
        " Not a directory\n"
    )
