"""Both engines: the same migration numbers, the same refusal of a newer version's database,
the SQL translation PostgreSQL gets, and the engine a deployment asked for."""

from __future__ import annotations

from dataclasses import replace

import pytest

from feedserver import appkeys
from feedserver.cli import main
from feedserver.config import Config, load_config, without_password
from feedserver.store import migrate, pg_migrate, pg_sql
from feedserver.store.db import Database
from feedserver.store.engine import open_engine
from feedserver.store.pg import PgDatabase
from tests import pgtest


def test_both_engines_have_the_same_migration_numbers() -> None:
    sqlite = [(v, n) for v, n, _ in migrate.migrations()]
    postgresql = [(v, n) for v, n, _ in migrate.migrations(pg_migrate.DIRECTORY)]
    assert sqlite == postgresql


def _engine(config: Config):
    return open_engine(
        config.database_url, config.db_path, readers=1, synchronous=config.sqlite_synchronous
    )


async def test_a_database_with_an_unknown_migration_refuses_to_start(config: Config) -> None:
    db = _engine(config)
    await db.open()
    async with db.write() as conn:
        await conn.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, 'x')")
    await db.close()
    again = _engine(config)
    with pytest.raises(migrate.UnknownMigrations, match="9999.*newer version"):
        await again.open()
    await again.close()


def test_the_cli_says_why_it_will_not_serve_a_newer_database(config: Config, capsys) -> None:
    async def mark() -> None:
        db = _engine(config)
        await db.open()
        async with db.write() as conn:
            await conn.execute("INSERT INTO schema_migrations (version, name) VALUES (9998, 'x')")
        await db.close()

    pgtest.run_on_thread(mark)
    env = {"FEEDSERVER_DATABASE_URL": config.database_url} if config.database_url else {}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        assert main(["--data", str(config.data_dir), "init"]) == 1
    err = capsys.readouterr().err
    assert "migration(s) 9998" in err and "newer version" in err
    assert "Traceback" not in err


async def test_the_app_runs_on_the_engine_its_url_names(client) -> None:
    db = client.app[appkeys.SERVICES].db
    assert isinstance(db, PgDatabase if pgtest.ON_POSTGRESQL else Database)


def test_sqlite_placeholders_become_numbered_ones() -> None:
    text, shape = pg_sql.compile_sql(
        "SELECT '?', \"a?\" FROM t WHERE a = ? AND b::text = ? -- why?\n AND c = ?"
    )
    assert text == "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b::text = $2 -- why?\n AND c = $3"
    assert shape == 3
    text, shape = pg_sql.compile_sql("UPDATE t SET x = :lease WHERE y <= :now AND z <= :now")
    assert text == "UPDATE t SET x = $1 WHERE y <= $2 AND z <= $2"
    assert pg_sql.arguments(shape, {"now": "n", "lease": "l"}) == ["l", "n"]
    text, _ = pg_sql.compile_sql("SELECT group_concat(m, ' '), instr(a, ?) FROM t")
    assert text == "SELECT string_agg(m, ' '), strpos(a, $1) FROM t"
    text, _ = pg_sql.compile_sql("DELETE FROM t WHERE a = ? AND b NOT IN ( ) OR c IN () OR d in(?)")
    assert text == "DELETE FROM t WHERE a = $1 AND b <> ALL('{}') OR c = ANY('{}') OR d in($2)"


async def test_an_empty_list_means_none_on_both_engines(client) -> None:
    # SQLite takes `IN ()`; PostgreSQL refuses it unless pg_sql translates it.
    async with client.app[appkeys.SERVICES].db.read() as conn:
        found = await conn.execute_fetchall(
            "SELECT (SELECT count(*) FROM members WHERE id IN ()),"
            " (SELECT count(*) FROM members WHERE created_at NOT IN ()), count(*) FROM members"
        )
    none, all_, total = next(iter(found))
    assert (none, all_) == (0, total)


def test_values_are_stored_as_sqlite_would_store_them() -> None:
    assert pg_sql.coerce(["text", "int8", "int8", "float8"], [5, True, "7", 2]) == ["5", 1, 7, 2.0]


def test_database_url_is_checked_and_its_password_never_printed(tmp_path) -> None:
    url = "postgresql://fs:s3cret@db.example/fs"
    config = load_config(environ={"FEEDSERVER_DATABASE_URL": url})
    assert config.uses_postgresql and without_password(url) == "postgresql://fs:***@db.example/fs"
    from feedserver.config import ConfigError, to_toml

    assert "s3cret" not in to_toml(config)
    with pytest.raises(ConfigError, match="database_url"):
        load_config(environ={"FEEDSERVER_DATABASE_URL": "mysql://x"})
    sqlite = replace(Config(), database_url=f"sqlite:///{tmp_path}/x.db")
    assert sqlite.db_path == tmp_path / "x.db" and not sqlite.uses_postgresql
