"""`feedserver user list|suspend|unsuspend|promote|demote|delete|password` and `audit`,
run as an operator runs them: a real process on a real data directory."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import _run  # the CLI as an operator runs it: a real process


def test_user_moderation_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _run(data, "user", "add", "root", "--admin", stdin="a long password\n")
    _run(data, "user", "add", "kim", stdin="a long password\n")
    assert _run(data, "user", "list").stdout.splitlines() == [
        "kim\tactive\tmember\tkim",
        "root\tactive\tadmin\troot",
    ]
    assert _run(data, "user", "suspend", "kim").stdout == "kim\tsuspended\tmember\n"
    assert _run(data, "user", "list", "--state", "suspended").stdout.startswith("kim\t")
    assert _run(data, "user", "unsuspend", "kim").stdout == "kim\tactive\tmember\n"
    _run(data, "token", "create", "kim")
    assert _run(data, "user", "promote", "kim").stdout == "kim\tactive\tadmin\n"
    assert _run(data, "user", "demote", "root").stdout == "root\tactive\tmember\n"
    last = _run(data, "user", "demote", "kim", check=False)
    assert last.returncode == 1 and "last active admin" in last.stderr
    assert "Traceback" not in last.stderr
    reset = _run(data, "user", "password", "kim", stdin="another long password\n")
    assert "1 token(s) and every feed URL revoked" in reset.stderr  # the `token create` one
    missing = _run(data, "user", "suspend", "nobody", check=False)
    assert missing.returncode == 1 and "No such member" in missing.stderr
    _run(data, "user", "delete", "root", "--content", "anonymize")
    names = [line.split("\t") for line in _run(data, "user", "list").stdout.splitlines()]
    assert [n[1] for n in names if n[0].startswith("deleted-")] == ["deleted"]
    audit = [line.split("\t") for line in _run(data, "audit").stdout.splitlines()]
    assert [(a[1], a[2], a[3]) for a in audit] == [
        ("cli", "delete", "root"), ("cli", "password-reset", "kim"), ("cli", "demote", "root"),
        ("cli", "promote", "kim"), ("cli", "unsuspend", "kim"), ("cli", "suspend", "kim"),
    ]  # fmt: skip
