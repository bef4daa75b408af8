"""`feedserver backup` and `feedserver restore`: one archive holds everything a data directory
needs, so a restored server keeps its identity (its signing keys) and its partners.

The archive is a gzipped tar: a consistent online snapshot of the database (SQLite's backup
API, safe while the server runs), every other file of the data directory (keys/*.pem and any
secret kept there) and a manifest. It holds private keys: it is written 0600, and restore
writes every file 0600 in 0700 directories.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from feedserver.config import Config

MANIFEST = "feedserver-backup.json"
FORMAT = 1
SQLITE_MAGIC = b"SQLite format 3\0"
# The live database's files: the snapshot stands for them.
_LIVE_SUFFIXES = ("", "-wal", "-shm", "-journal")


class BackupError(Exception):
    """What the operator must fix; the message is one line."""


@dataclass(frozen=True)
class Summary:
    files: int
    keys: int


_PG_BACKUP = (
    "the database is PostgreSQL: back it up with pg_dump, and the data directory (keys,"
    " secrets) with your file backups (see the README, 'When you outgrow SQLite')"
)


def backup(config: Config, dest: Path) -> Summary:
    """Write the archive to `dest` (atomically: a half-written archive never has its name)."""
    if config.uses_postgresql:
        raise BackupError(_PG_BACKUP)
    db_path = config.db_path
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}: nothing to back up (is --data right?)")
    dest = dest.absolute()
    if not dest.parent.is_dir():
        raise BackupError(f"{dest.parent} is not a directory: nowhere to write {dest.name}")
    if dest.is_dir():
        raise BackupError(f"{dest} is a directory: name the archive, e.g. {dest}/backup.tar.gz")
    # The snapshot goes beside the archive (0700): on the disk chosen for backups, not /tmp.
    with tempfile.TemporaryDirectory(prefix=".feedserver-backup-", dir=dest.parent) as scratch:
        snapshot = Path(scratch) / db_path.name
        _snapshot(db_path, snapshot)
        # Files are read after the snapshot: a key made by a rotation meanwhile is included
        # (restore registers it), and no key the snapshot publishes can be missing.
        skip = {dest, Path(scratch).absolute()}
        others = sorted(_other_files(config.data_dir, db_path.name, skip))
        partial = dest.with_name(f".{dest.name}.partial")
        fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                names = [db_path.name, *(str(rel) for rel, _ in others)]
                _add_bytes(tar, MANIFEST, _manifest(names))
                tar.add(snapshot, arcname=db_path.name, recursive=False)
                for rel, path in others:
                    tar.add(path, arcname=str(rel), recursive=False)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, dest)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
    return Summary(files=len(names), keys=_count_keys(names))


def restore(config: Config, source: Path) -> Summary:
    """Rebuild `config.data_dir` from an archive. The directory must be new or empty: a restore
    never mixes with, or overwrites, a live data directory. An existing empty directory is
    kept (its owner and mode too: systemd's StateDirectory, a Docker volume)."""
    if config.uses_postgresql:
        raise BackupError(_PG_BACKUP)
    target = config.data_dir
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not empty: restore into a new data directory")
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    created = not target.exists()
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restoring-", dir=target))
    try:
        names = _unpack(source, staging, config.db_path.name)
        _check_database(staging / config.db_path.name)
        for child in staging.iterdir():
            child.rename(target / child.name)
        staging.rmdir()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(target, ignore_errors=True)
        raise
    return Summary(files=len(names), keys=_count_keys(names))


def _snapshot(db_path: Path, dest: Path) -> None:
    """SQLite's online backup in one step: a consistent copy even while the server writes.
    Read-only: a backup never creates, migrates or changes the database it copies."""
    source = sqlite3.connect(f"{db_path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        os.close(os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
            # One self-contained file: the server turns WAL back on when it opens it.
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy {db_path}: {exc}") from None
    finally:
        source.close()
    _check_database(dest)


def _check_database(path: Path) -> None:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        (verdict,) = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.Error as exc:
        raise BackupError(f"the database in the backup is not usable: {exc}") from None
    finally:
        conn.close()
    if verdict != "ok":
        raise BackupError(f"the database in the backup is damaged: {verdict}")


def _other_files(
    data_dir: Path, db_name: str, skip: set[Path]
) -> Iterator[tuple[PurePosixPath, Path]]:
    live = {f"{db_name}{suffix}" for suffix in _LIVE_SUFFIXES}
    for path in sorted(data_dir.rglob("*")):
        absolute = path.absolute()
        if not path.is_file() or path.is_symlink() or skip & {absolute, *absolute.parents}:
            continue
        rel = PurePosixPath(path.relative_to(data_dir).as_posix())
        # Earlier backups kept in the data directory would make every backup hold them all.
        if str(rel) in live or path.name.endswith((".tar.gz", ".partial")):
            continue
        yield rel, path


def _manifest(names: list[str]) -> bytes:
    return json.dumps(
        {"format": FORMAT, "created": datetime.now(UTC).isoformat(timespec="seconds"),
         "files": names},
        indent=2,
    ).encode()  # fmt: skip


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def _unpack(source: Path, staging: Path, db_name: str) -> list[str]:
    """Write the archive's files under `staging`, 0600. A bare SQLite file (what `backup`
    wrote before it held keys) restores as the database alone."""
    with open(source, "rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
            _write_private(staging / db_name, source.read_bytes())
            return [db_name]
    try:
        with tarfile.open(source, mode="r:gz") as tar:
            manifest = _read_manifest(tar)
            names = list(manifest["files"])
            for name in names:
                rel = PurePosixPath(name)
                if rel.is_absolute() or ".." in rel.parts or not rel.parts:
                    raise BackupError(f"{source}: refusing the unsafe file name {name!r}")
                member = tar.getmember(name)
                stream = tar.extractfile(member) if member.isfile() else None
                if stream is None:
                    raise BackupError(f"{source}: {name!r} is not a regular file")
                _write_private(staging.joinpath(*rel.parts), stream.read())
    except (tarfile.TarError, KeyError, EOFError, gzip.BadGzipFile, zlib.error, ValueError) as exc:
        # ValueError: the manifest is not JSON (json.JSONDecodeError is one).
        raise BackupError(f"{source} is not a feedserver backup ({exc})") from None
    if db_name not in names:
        raise BackupError(f"{source} holds no database")
    return names


def _read_manifest(tar: tarfile.TarFile) -> dict[str, list[str]]:
    stream = tar.extractfile(MANIFEST)
    if stream is None:
        raise KeyError(MANIFEST)
    manifest = json.loads(stream.read())
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise BackupError("the backup's manifest is not one feedserver writes")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not {FORMAT}")
    return dict(manifest)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _count_keys(names: list[str]) -> int:
    return sum(1 for n in names if n.startswith("keys/") and n.endswith(".pem"))
