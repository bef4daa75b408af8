"""Three real feedserver instances on loopback for federation tests: A and B partner, C not.

Each has its own data directory and a fixed Ed25519 key (written before first start, as an
operator restoring a key would); base_url is known before create_app because the port is
picked first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members
from feedserver.federation.keys import save_private_key
from feedserver.models import Member
from tests import pgtest
from tests.loopback import free_port

PASSWORD = "correct horse battery"


def fixed_key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


@dataclass
class Node:
    name: str
    config: Config
    key: Ed25519PrivateKey
    server: Any = None
    admin_token: str | None = None

    @property
    def app(self):
        return self.server.app

    @property
    def services(self):
        return self.app[appkeys.SERVICES]

    @property
    def fed(self):
        return self.app[appkeys.FEDERATION]

    @property
    def url(self) -> str:
        return self.config.public_url

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1]

    @property
    def key_id(self) -> str:
        return f"{self.url}/actor#key-{self.name}"

    async def call(
        self, method: str, path: str, json: Any = None, token: str | None = None, **kw: Any
    ) -> tuple[int, Any]:
        headers = dict(kw.pop("headers", {}))
        if token := token or self.admin_token:
            headers["Authorization"] = f"Bearer {token}"
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.url + path, json=json, headers=headers, **kw) as resp,
        ):
            text = await resp.text()
            if "json" in resp.content_type and text:
                return resp.status, await resp.json(content_type=None)
            return resp.status, text

    async def add_member(self, username: str, admin: bool = False) -> Member:
        return await members.create(
            self.services, username=username, display_name=username.title(),
            password=PASSWORD, is_admin=admin,
        )  # fmt: skip

    async def count(self, table: str) -> int:
        async with (
            self.services.db.read() as conn,
            conn.execute(f"SELECT count(*) FROM {table}") as cur,
        ):
            return (await cur.fetchone())[0]


def make_node(name: str, seed: int, tmp: Path) -> Node:
    port = free_port()
    data = tmp / name
    config = replace(
        Config(), data_dir=data, port=port, base_url=f"http://127.0.0.1:{port}",
        database_url=pgtest.database_url(),
        scrypt_n=2**10, sqlite_synchronous="NORMAL", organization_name=f"Org {name.upper()}",
        delivery_poll_seconds=3600,  # tests drive the worker with run_once()
    )  # fmt: skip
    key = fixed_key(seed)
    (data / "keys").mkdir(parents=True, mode=0o700)
    save_private_key(data / "keys" / f"key-{name}.pem", key)
    return Node(name, config, key)


async def start(node: Node, aiohttp_server) -> Node:
    node.server = await aiohttp_server(create_app(node.config), port=node.config.port)
    if node.admin_token is None:
        await node.add_member("admin", admin=True)
    status, body = await node.call(
        "POST", "/api/v1/sessions", {"username": "admin", "password": PASSWORD}
    )
    assert status == 201, body
    node.admin_token = body["token"]
    return node
