"""Command line: serve, init, user, token, partner, keys, backup, restore, migrate-data.
Every option can also be set in feedserver.toml or a FEEDSERVER_* variable (see `feedserver
config`)."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from feedserver import backup, data_lock, logs, migrate_data, serve
from feedserver.config import Config, ConfigError, load_config, to_toml
from feedserver.domain import insight_tracking, members, moderation
from feedserver.domain.services import Services
from feedserver.errors import FeedserverError
from feedserver.federation import moderation as federation_moderation
from feedserver.federation import partners
from feedserver.federation import subscribers as federation_subscribers
from feedserver.federation.context import Federation
from feedserver.federation.server_keys import ServerKeys
from feedserver.models import Partner
from feedserver.store import members as member_store
from feedserver.store.engine import open_engine
from feedserver.store.migrate import UnknownMigrations


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="feedserver", description=__doc__)
    parser.add_argument("--config", type=Path, help="TOML file (default ./feedserver.toml)")
    parser.add_argument("--data", type=Path, dest="data_dir", help="data directory")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--base-url", dest="base_url")
    serve.add_argument(
        "--workers", type=int,
        help="server processes sharing the port (default: the setting `workers`; 0 = 1 on SQLite)",
    )  # fmt: skip

    commands.add_parser("init", help="create the database and the first admin, then exit")
    commands.add_parser(
        "config", help="print every setting's value and meaning, as TOML for feedserver.toml"
    )

    user = commands.add_parser("user", help="manage members").add_subparsers(
        dest="user_command", required=True
    )
    add = user.add_parser("add", help="add a member; the password is read from stdin")
    add.add_argument("username")
    add.add_argument("--admin", action="store_true")
    add.add_argument("--display-name", dest="display_name")
    passwd = user.add_parser(
        "password",
        help="set a member's password from stdin; revokes their sessions, tokens and feed URLs",
    )
    passwd.add_argument("username")
    listing = user.add_parser("list", help="every member with their standing")
    listing.add_argument("--state", choices=moderation.STATES)
    for name, text in (
        ("suspend", "lock a member out (sessions, tokens, feed URLs revoked); content stays"),
        ("unsuspend", "let a suspended member log in again"),
        ("promote", "make a member an admin"),
        ("demote", "take admin rights away (never from the last admin)"),
    ):
        user.add_parser(name, help=text).add_argument("username")
    delete = user.add_parser("delete", help="delete a member for good")
    delete.add_argument("username")
    delete.add_argument(
        "--content", choices=moderation.CONTENT_CHOICES, required=True,
        help="remove their posts and replies, or keep them under an anonymous name",
    )  # fmt: skip
    commands.add_parser("audit", help="the audit log of admin actions, newest first")

    token = commands.add_parser("token", help="personal API tokens").add_subparsers(
        dest="token_command", required=True
    )
    create = token.add_parser("create", help="print a new bearer token for USERNAME")
    create.add_argument("username")

    partner = commands.add_parser("partner", help="partner servers").add_subparsers(
        dest="partner_command", required=True
    )
    invite = partner.add_parser("invite", help="print a one-time partner code (24 h)")
    invite.add_argument("--profiles", action="store_true", help="exchange expertise profiles")
    invite.add_argument("--groups", action="store_true", help="share groups with each other")
    accept = partner.add_parser("accept", help="partner with the server that printed CODE")
    accept.add_argument("code")
    partner.add_parser("list", help="partners with their scopes and delivery health")
    remove = partner.add_parser(
        "remove", help="tell a partner it is over, then forget it (keys, queue, profiles)"
    )
    # Not dest "host": that name is the listen address's override (see main), which would
    # sign the notice with a key id under the partner's host instead of ours.
    remove.add_argument("partner_host", metavar="host")
    keys_cmd = commands.add_parser("keys", help="the server's signing keys").add_subparsers(
        dest="keys_command", required=True
    )
    keys_cmd.add_parser("rotate", help="add a new key; the old one stays valid for a while")

    commands.add_parser(
        "backup", help="write the data directory (database, keys, secrets) to FILE, online"
    ).add_argument("file", type=Path)
    commands.add_parser(
        "restore", help="rebuild a new or empty data directory from a backup FILE"
    ).add_argument("file", type=Path)
    commands.add_parser(
        "migrate-data", help="copy this SQLite deployment into an empty PostgreSQL database"
    ).add_argument("--to", required=True, metavar="postgresql://...", dest="target_url")
    return parser


async def _with_services(config: Config, work: Callable[[Services], Awaitable[int]]) -> int:
    db = open_engine(
        config.database_url, config.db_path, readers=1, synchronous=config.sqlite_synchronous
    )
    await db.open()
    try:
        services = Services(db=db, config=config)
        insight_tracking.subscribe(services)  # what the CLI writes counts in insights too
        return await work(services)
    finally:
        await db.close()


async def _with_federation(config: Config, work: Callable[[Federation], Awaitable[int]]) -> int:
    """Services plus the server key (created if missing) and an outgoing client."""

    async def run(services: Services) -> int:
        fed = Federation.build(replace(services, keys=ServerKeys(config)))
        federation_subscribers.subscribe(fed)
        await fed.open()
        try:
            return await work(fed)
        finally:
            await fed.close()

    return await _with_services(config, run)


async def ensure_first_admin(services: Services) -> None:
    """On a new database, create `admin` with a random password and say how to log in."""
    async with services.db.read() as conn:
        if await member_store.count(conn) > 0:
            return
    password = secrets.token_urlsafe(12)
    await members.create(
        services, username="admin", display_name="Administrator", password=password,
        is_admin=True,
    )  # fmt: skip
    url = services.config.public_url
    print(
        "feedserver: new database — created the first admin.\n"
        f"  username: admin\n  password: {password}\n"
        f"  log in:   curl -s -X POST {url}/api/v1/sessions -H 'Content-Type: application/json'"
        f' -d \'{{"username": "admin", "password": "{password}"}}\'\n'
        "  (change it with: feedserver user password admin)",
        flush=True,
    )


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise SystemExit("feedserver: give the password on standard input")
    return password


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {
        k: v
        for k, v in vars(args).items()
        if k in {"data_dir", "host", "port", "base_url", "workers"}
    }
    try:
        config = load_config(args.config, overrides)
    except ConfigError as error:
        print(f"feedserver: {error}", file=sys.stderr)
        return 2
    logs.configure(config.log_level, config.log_format)
    try:
        return _run(args, config)
    except FeedserverError as error:
        print(f"feedserver: {error.detail}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, config: Config) -> int:
    if args.command == "config":
        print(to_toml(config))
        return 0
    if args.command == "serve":
        try:
            # Held until the process (and every worker forked from it) has exited.
            data_lock.acquire(config.data_dir)
        except data_lock.DataDirInUse as error:
            print(f"feedserver: {error}", file=sys.stderr)
            return 1
        except OSError as error:  # the data directory is not usable by us
            print(f"feedserver: cannot open the data directory {config.data_dir}:"
                  f" {error.strerror}", file=sys.stderr)  # fmt: skip
            return 1
    if args.command in ("serve", "init"):
        try:
            asyncio.run(_with_services(config, _first_admin))
        except UnknownMigrations as error:  # a newer version's database
            print(f"feedserver: {error}", file=sys.stderr)
            return 1
        except (OSError, sqlite3.Error) as error:  # the data directory is not usable by us
            reason = getattr(error, "strerror", None) or str(error)
            print(f"feedserver: cannot open the data directory {config.data_dir}: {reason}",
                  file=sys.stderr)  # fmt: skip
            return 1
        if args.command == "serve":
            return serve.serve(config)
        return 0
    if args.command == "user" and args.user_command == "add":
        password = _read_password()

        async def add(services: Services) -> int:
            member = await members.create(
                services, username=args.username, display_name=args.display_name,
                password=password, is_admin=args.admin,
            )  # fmt: skip
            print(member.username)
            return 0

        return asyncio.run(_with_services(config, add))
    if args.command == "user" and args.user_command == "password":
        password = _read_password()

        async def change(services: Services) -> int:
            revoked = await moderation.reset_password(services, None, args.username, password)
            print(f"feedserver: password set; {revoked} token(s) and every feed URL revoked",
                  file=sys.stderr)  # fmt: skip
            return 0

        return asyncio.run(_with_services(config, change))
    if args.command == "user" and args.user_command == "delete":
        # With federation's subscribers: the copies of groups shared with partners follow
        # (each removed post's Delete, or the posts signed again under the new name).
        return asyncio.run(_with_federation(config, lambda fed: _moderate(args, fed.services)))
    if args.command == "user" or args.command == "audit":
        return asyncio.run(_with_services(config, lambda services: _moderate(args, services)))
    if args.command == "token":

        async def token(services: Services) -> int:
            async with services.db.read() as conn:
                member = await member_store.by_username(conn, args.username)
            if member is None:
                print(f"feedserver: no member {args.username!r}", file=sys.stderr)
                return 1
            print(await members.issue_token(services, member, kind="personal"))
            return 0

        return asyncio.run(_with_services(config, token))
    if args.command in ("partner", "keys"):
        return asyncio.run(_with_federation(config, lambda fed: _federation_command(args, fed)))
    if args.command in ("backup", "restore"):
        return _backup_command(args, config)
    if args.command == "migrate-data":
        return migrate_data.run(config, args.target_url)
    raise AssertionError(f"unhandled command {args.command}")


def _backup_command(args: argparse.Namespace, config: Config) -> int:
    try:
        if args.command == "backup":
            done = backup.backup(config, args.file)
            print(f"feedserver: wrote {args.file} (database, {done.keys} key(s),"
                  f" {done.files} file(s) in all)", file=sys.stderr)  # fmt: skip
            return 0
        done = backup.restore(config, args.file)
    except backup.BackupError as error:
        print(f"feedserver: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a directory that does not exist, or is not ours to write
        print(f"feedserver: {error.filename or args.file}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"feedserver: restored {config.data_dir} from {args.file} (database, {done.keys}"
          f" key(s), {done.files} file(s) in all)", file=sys.stderr)  # fmt: skip
    if done.keys == 0:
        print("feedserver: the backup holds no signing keys; a server with partners will"
              " refuse to start until its keys/ are put back", file=sys.stderr)  # fmt: skip
    return 0


async def _moderate(args: argparse.Namespace, services: Services) -> int:
    """user list|suspend|unsuspend|promote|demote|delete and audit, as the operator."""
    if args.command == "audit":
        before = None
        while True:
            page = await moderation.audit_log(services, None, before=before, limit=100)
            for e in page.items:
                print(f"{e.at:%Y-%m-%d %H:%M:%S}\t{e.actor}\t{e.action}\t{e.subject}\t{e.detail}")
            if page.next_cursor is None:
                return 0
            before = int(page.next_cursor)
    command, name = args.user_command, str(getattr(args, "username", ""))
    if command == "list":
        after = None
        while True:
            found = await moderation.list_members(
                services, None, state=args.state, after=after, limit=100
            )
            for s in found.items:
                role = "admin" if s.member.is_admin else "member"
                print(f"{s.member.username}\t{s.state}\t{role}\t{s.member.display_name}")
            if found.next_cursor is None:
                return 0
            after = found.next_cursor
    if command == "suspend":
        standing = await moderation.suspend(services, None, name)
    elif command == "unsuspend":
        standing = await moderation.unsuspend(services, None, name)
    elif command in ("promote", "demote"):
        standing = await moderation.set_admin(services, None, name, is_admin=command == "promote")
    else:
        standing = await federation_moderation.delete_member(
            services, None, name, content=args.content
        )
    role = "admin" if standing.member.is_admin else "member"
    print(f"{standing.member.username}\t{standing.state}\t{role}")
    return 0


async def _first_admin(services: Services) -> int:
    await ensure_first_admin(services)
    # The server's signing key exists from the first start (data_dir/keys, mode 0600).
    keys = ServerKeys(services.config)
    await keys.load(services.db, services.clock())
    return 0


async def _federation_command(args: argparse.Namespace, fed: Federation) -> int:
    services = fed.services
    if args.command == "keys":
        name = await partners.rotate_keys(fed)
        print(f"feedserver: new signing key {fed.keys.key_id(name)}; partners are told.")
        return 0
    if args.partner_command == "invite":
        code, expires = await partners.invite(services, profiles=args.profiles, groups=args.groups)
        print(code)
        print(f"feedserver: one-time code, valid until {expires:%Y-%m-%d %H:%M} UTC",
              file=sys.stderr)  # fmt: skip
        return 0
    if args.partner_command == "accept":
        partner = await partners.accept(fed, args.code)
        print(f"{partner.host}\t{partner.name}\t{_scopes(partner)}")
        return 0
    if args.partner_command == "list":
        for p in await partners.list_partners(services):
            paused = f" paused until {p.paused_until:%Y-%m-%d %H:%M}" if p.paused_until else ""
            print(f"{p.host}\t{p.name}\t{_scopes(p)}"
                  f"\tpending={p.pending}\tfailed={p.failed}{paused}")  # fmt: skip
        return 0
    ended = await partners.end_partnership(fed, args.partner_host)
    if ended is None:
        print(f"feedserver: no partner {args.partner_host!r}", file=sys.stderr)
        return 1
    if ended.told:
        print(f"feedserver: removed {ended.host}; it was told the partnership is over.")
    else:
        print(f"feedserver: removed {ended.host} here, but it could not be told"
              f" ({ended.error}); it keeps what it cached of ours until its admin removes"
              " this server.")  # fmt: skip
    return 0


def _scopes(p: Partner) -> str:
    return f"profiles={'yes' if p.profiles else 'no'}\tgroups={'yes' if p.groups else 'no'}"
