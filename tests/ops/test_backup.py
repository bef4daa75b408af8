"""Backup and restore keep a server's identity: the archive holds the database and the keys,
a restored server signs with the key its partners pinned and serves the same feed URLs, and
a server whose partners pinned keys it no longer has refuses to start."""

from __future__ import annotations

import io
import json
import sqlite3
import stat
import sys
import tarfile
import urllib.request
from pathlib import Path

from tests.ops.installed import Server, call, first_admin_password, login, run

FEEDSERVER = [sys.executable, "-m", "feedserver"]


def _actor_keys(base: str) -> list[str]:
    status, actor = call(base, "GET", "/actor")
    assert status == 200, actor
    return [key["publicKeyMultibase"] for key in actor["assertionMethod"]]


def _fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - loopback
        return resp.status, resp.read().decode()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_restore_start_keeps_the_identity_feeds_and_partners(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    password = first_admin_password(run(FEEDSERVER, a, "init", cwd=tmp_path).stdout)
    run(FEEDSERVER, b, "init", cwd=tmp_path)
    with Server(FEEDSERVER, b, cwd=tmp_path) as server_b:
        server_a = Server(FEEDSERVER, a, cwd=tmp_path)
        try:
            # A real partnership: B pins A's key.
            code = run(FEEDSERVER, a, "partner", "invite", cwd=tmp_path,
                       env={"FEEDSERVER_PORT": str(server_a.port)}).stdout.strip()  # fmt: skip
            run(FEEDSERVER, b, "partner", "accept", code, cwd=tmp_path,
                env={"FEEDSERVER_PORT": str(server_b.port)})  # fmt: skip
            token = login(server_a.base, "admin", password)
            group = {"name": "ops", "title": "Ops", "visibility": "private"}
            assert call(server_a.base, "POST", "/api/v1/groups", group, token)[0] == 201
            status, post = call(server_a.base, "POST", "/api/v1/groups/ops/posts",
                                {"kind": "question", "title": "Restore drill next week?",
                                 "body": "Dry run."}, token)  # fmt: skip
            assert status == 201, post
            status, feeds = call(server_a.base, "GET", "/api/v1/me/feeds", token=token)
            assert status == 200, feeds
            (group_feed,) = [g["url"] for g in feeds["groups"] if g["name"] == "ops"]
            keys_before = _actor_keys(server_a.base)

            archive = tmp_path / "a.tar.gz"
            run(FEEDSERVER, a, "backup", str(archive), cwd=tmp_path)  # online: A keeps serving
            port = server_a.port
        finally:
            server_a.stop()

        assert _mode(archive) == 0o600
        with tarfile.open(archive) as tar:
            names = set(tar.getnames())
        assert "feedserver.sqlite3" in names and any(n.startswith("keys/") for n in names)

        restored = tmp_path / "restored"
        restored.mkdir()  # an existing empty directory (systemd's StateDirectory) is fine
        done = run(FEEDSERVER, restored, "restore", str(archive), cwd=tmp_path)
        assert "1 key(s)" in done.stderr
        assert _mode(restored / "feedserver.sqlite3") == 0o600
        assert all(_mode(p) == 0o600 for p in (restored / "keys").glob("*.pem"))

        with Server(FEEDSERVER, restored, cwd=tmp_path, port=port) as again:
            assert _actor_keys(again.base) == keys_before
            status, atom = _fetch(group_feed)  # the feed URL issued before the backup
            assert status == 200 and "Restore drill next week?" in atom
            # B still takes the restored A's signature: A's signed notice that the partnership
            # is over is accepted (a new key would get 403), and B forgets A.
            assert f"127.0.0.1:{port}" in run(FEEDSERVER, b, "partner", "list", cwd=tmp_path).stdout
            ended = run(FEEDSERVER, restored, "partner", "remove", f"127.0.0.1:{server_b.port}",
                        cwd=tmp_path, env={"FEEDSERVER_PORT": str(port)})  # fmt: skip
            assert "it was told" in ended.stdout, ended.stdout
            assert run(FEEDSERVER, b, "partner", "list", cwd=tmp_path).stdout == ""

        # The same backup without its keys: the server refuses instead of a new identity.
        keyless = tmp_path / "keyless"
        run(FEEDSERVER, keyless, "restore", str(archive), cwd=tmp_path)
        for pem in (keyless / "keys").glob("*.pem"):
            pem.unlink()
        refused = run(FEEDSERVER, keyless, "serve", "--port", str(port), cwd=tmp_path,
                      check=False)  # fmt: skip
        assert refused.returncode == 1
        lines = [line for line in refused.stderr.splitlines() if line.startswith("feedserver:")]
        assert len(lines) == 1 and "1 partner server(s)" in lines[0], refused.stderr
        assert "signing keys" in lines[0] and "Traceback" not in refused.stderr
        assert list((keyless / "keys").glob("*.pem")) == []  # no new identity was made


def test_backup_of_a_missing_data_directory_creates_nothing(tmp_path: Path) -> None:
    done = run(FEEDSERVER, tmp_path / "typo-dir", "backup", str(tmp_path / "b.tar.gz"),
               cwd=tmp_path, check=False)  # fmt: skip
    assert done.returncode == 1 and "no database at" in done.stderr
    assert "wrote" not in done.stderr
    assert not (tmp_path / "typo-dir").exists() and not (tmp_path / "b.tar.gz").exists()


def test_a_backup_kept_in_the_data_directory_holds_no_earlier_backup(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(FEEDSERVER, data, "init", cwd=tmp_path)
    (data / "secret.txt").write_text("kept")  # any other file of the data directory goes too
    run(FEEDSERVER, data, "backup", str(data / "monday.tar.gz"), cwd=tmp_path)
    run(FEEDSERVER, data, "backup", str(data / "tuesday.tar.gz"), cwd=tmp_path)
    with tarfile.open(data / "tuesday.tar.gz") as tar:
        names = sorted(tar.getnames())
    (key,) = (data / "keys").glob("*.pem")
    assert names == sorted(["feedserver-backup.json", "feedserver.sqlite3", "secret.txt",
                            f"keys/{key.name}"])  # fmt: skip
    left = sorted(p.name for p in data.iterdir() if not p.name.endswith(("-wal", "-shm")))
    assert left == ["feedserver.sqlite3", "keys", "monday.tar.gz", "secret.txt", "tuesday.tar.gz"]


def test_new_database_and_keys_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(FEEDSERVER, data, "init", cwd=tmp_path)
    assert _mode(data) == 0o700
    assert _mode(data / "feedserver.sqlite3") == 0o600
    (key,) = (data / "keys").glob("*.pem")
    assert _mode(key) == 0o600
    # A database left readable by others (copied by hand, say) is made private at start.
    (data / "feedserver.sqlite3").chmod(0o644)
    run(FEEDSERVER, data, "init", cwd=tmp_path)
    assert _mode(data / "feedserver.sqlite3") == 0o600


def test_restore_refuses_what_it_must_not_unpack(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(FEEDSERVER, data, "init", cwd=tmp_path)
    archive = tmp_path / "b.tar.gz"
    run(FEEDSERVER, data, "backup", str(archive), cwd=tmp_path)

    busy = run(FEEDSERVER, data, "restore", str(archive), cwd=tmp_path, check=False)
    assert busy.returncode == 1 and "is not empty" in busy.stderr

    garbage = tmp_path / "garbage"
    garbage.write_text("not an archive")
    bad = run(FEEDSERVER, tmp_path / "g", "restore", str(garbage), cwd=tmp_path, check=False)
    assert bad.returncode == 1 and "not a feedserver backup" in bad.stderr
    assert not (tmp_path / "g").exists()

    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        for name, data_ in (
            ("feedserver-backup.json",
             json.dumps({"format": 1, "files": ["feedserver.sqlite3", "../escaped"]}).encode()),
            ("feedserver.sqlite3", (tmp_path / "data" / "feedserver.sqlite3").read_bytes()),
            ("../escaped", b"x"),
        ):  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = len(data_)
            tar.addfile(info, io.BytesIO(data_))
    refused = run(FEEDSERVER, tmp_path / "e", "restore", str(evil), cwd=tmp_path, check=False)
    assert refused.returncode == 1 and "unsafe file name" in refused.stderr
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "e").exists()


def test_an_old_database_only_backup_still_restores(tmp_path: Path) -> None:
    """What `feedserver backup` wrote before it held keys: a bare SQLite file."""
    data = tmp_path / "data"
    run(FEEDSERVER, data, "user", "add", "root", "--admin", cwd=tmp_path,
        stdin="a long password\n")  # fmt: skip
    old = tmp_path / "old.sqlite3"
    with (sqlite3.connect(data / "feedserver.sqlite3") as src,
          sqlite3.connect(old) as dst):  # fmt: skip
        src.backup(dst)
    src.close()
    dst.close()
    done = run(FEEDSERVER, tmp_path / "back", "restore", str(old), cwd=tmp_path)
    assert "holds no signing keys" in done.stderr
    with sqlite3.connect(tmp_path / "back" / "feedserver.sqlite3") as conn:
        assert conn.execute("SELECT username FROM members").fetchall() == [("root",)]
    conn.close()


def test_a_backup_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(FEEDSERVER, data, "init", cwd=tmp_path)
    done = run(FEEDSERVER, data, "backup", str(tmp_path / "no-such-dir" / "b.tar.gz"),
               cwd=tmp_path, check=False)  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "no-such-dir is not a directory" in done.stderr
    assert done.stderr.count("feedserver:") == 1
    done = run(FEEDSERVER, data, "backup", str(tmp_path / "data"), cwd=tmp_path, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr  # a directory, not a file
    assert done.stderr.count("feedserver:") == 1
