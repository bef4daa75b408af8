"""The delivery queue keeps each receiving host's order (an unshared profile stays unshared),
survives hostile Retry-After values, keeps queued deliveries signed with the key partners
know across a key rotation, and prunes what it no longer needs.

Real servers on loopback; where a partner must answer something particular, a small aiohttp
inbox on loopback answers from a script. The background worker is kept asleep (no wake-up,
an hour's poll), so each test drives `run_once` with its own clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from feedserver.config import Config
from feedserver.federation import delivery, partners
from feedserver.federation.delivery import retry_after
from feedserver.models import Partner
from feedserver.store import federation as fed_store
from feedserver.store import federation_queue as queue_store

from .servers import make_node, start
from .test_delivery import share, unshare


def _quiet(node):
    """Tests drive the worker: nothing wakes the app's own worker loop."""
    node.fed.wake_worker.clear()
    return node


@pytest.fixture
async def solo(aiohttp_server, tmp_path):
    return _quiet(await start(make_node("a", 1, tmp_path), aiohttp_server))


@pytest.fixture
async def pair(aiohttp_server, tmp_path):
    """A and B are partners, profiles in scope."""
    a, b = (make_node(n, s, tmp_path) for n, s in (("a", 1), ("b", 2)))
    for node in (a, b):
        _quiet(await start(node, aiohttp_server))
    code, _ = await partners.invite(a.services, profiles=True)
    await partners.accept(b.fed, code)
    return a, b


class FakePartner:
    """A partner inbox on loopback answering from `script`, a list of (status, headers,
    coroutine function to run before answering, or None); the last entry repeats."""

    def __init__(self, script):
        self.script = script
        self.requests: list[dict] = []
        self.accepted: list[dict] = []
        self.host = ""

    async def inbox(self, request):
        activity = await request.json()
        status, headers, before = self.script[min(len(self.requests), len(self.script) - 1)]
        self.requests.append(activity)
        if before is not None:
            await before()
        if 200 <= status < 300:
            self.accepted.append(activity)
        return web.Response(status=status, headers=headers)

    @classmethod
    async def on(cls, node, aiohttp_server, script):
        """Start it and make it `node`'s partner (profiles in scope)."""
        fake = cls(script)
        app = web.Application()
        app.router.add_post("/inbox", fake.inbox)
        server = await aiohttp_server(app)
        url = f"http://127.0.0.1:{server.port}"
        fake.host = url.split("://")[1]
        async with node.services.db.write() as conn:
            await fed_store.upsert_partner(
                conn,
                Partner(fake.host, url, f"{url}/actor", f"{url}/inbox", "Fake", True,
                        node.services.clock()),
            )  # fmt: skip
        return fake


def label(activity) -> str:
    """'Update alice', 'Delete alice': profile activities are named under the profile."""
    return f"{activity['type']} {activity['id'].split('/users/')[1].split('/')[0]}"


async def queued(node, host=None):
    async with (
        node.services.db.read() as conn,
        conn.execute(
            "SELECT activity_id, state, attempts, locked_until, last_status, last_error,"
            " created_at, next_attempt_at FROM deliveries WHERE ? IS NULL OR host = ?"
            " ORDER BY created_at, id",
            (host, host),
        ) as cur,
    ):
        return [dict(r) for r in await cur.fetchall()]


async def members(node, *names):
    return [await node.add_member(name) for name in names]


# 1. First in, first out per host.


@pytest.mark.parametrize("in_flight", [503, 202])
async def test_unsharing_while_the_update_is_on_the_wire_stays_unshared(
    solo, aiohttp_server, in_flight
):
    a = solo
    (alice,) = await members(a, "alice")

    async def alice_unshares():  # while her Update is being sent (leased)
        await unshare(a, alice)

    fake = await FakePartner.on(
        a, aiohttp_server, [(in_flight, {}, alice_unshares), (202, {}, None)]
    )
    await share(a, alice)
    now = a.services.clock()
    for minutes in (0, 1, 60, 180, 600):  # well past any backoff
        await a.fed.worker.run_once(now + timedelta(minutes=minutes))
    # The Update that was on the wire is not retried after her Delete (the superseded row is
    # gone; its send finishing, well or not, changed nothing).
    expected = ["Update alice", "Delete alice"] if in_flight == 202 else ["Delete alice"]
    assert [label(x) for x in fake.accepted] == expected
    assert [label(x) for x in fake.requests] == ["Update alice", "Delete alice"]
    assert await queued(a) == []


async def test_a_host_gets_its_deliveries_in_queue_order_and_waits_for_its_oldest(
    solo, aiohttp_server
):
    a = solo
    fake = await FakePartner.on(a, aiohttp_server, [(503, {}, None), (202, {}, None)])
    for member in await members(a, "alice", "bob", "carol"):
        await share(a, member)
    now = a.services.clock()
    # The oldest fails: the host's run stops there; the others are released, not tried.
    assert await a.fed.worker.run_once(now) == 0
    assert [label(x) for x in fake.requests] == ["Update alice"]
    head, *behind = await queued(a)
    assert head["attempts"] == 1 and head["last_status"] == 503 and head["locked_until"] is None
    assert [(r["attempts"], r["locked_until"]) for r in behind] == [(0, None), (0, None)]
    # Bob's and carol's are due, but alice's is not: nothing goes to that host.
    assert await a.fed.worker.run_once(now + timedelta(seconds=1)) == 0
    assert len(fake.requests) == 1
    assert await a.fed.worker.run_once(now + timedelta(hours=1)) == 3
    assert [label(x) for x in fake.accepted] == ["Update alice", "Update bob", "Update carol"]


async def test_retry_after_pauses_the_host_and_a_final_failure_lets_the_rest_go(
    solo, aiohttp_server
):
    a = solo
    fake = await FakePartner.on(
        a, aiohttp_server,
        [(429, {"Retry-After": "600"}, None), (400, {}, None), (202, {}, None)],
    )  # fmt: skip
    for member in await members(a, "alice", "bob", "carol"):
        await share(a, member)
    now = a.services.clock()
    assert await a.fed.worker.run_once(now) == 0
    assert await a.fed.worker.run_once(now + timedelta(minutes=5)) == 0
    assert [label(x) for x in fake.requests] == ["Update alice"]  # 10 minutes, for all
    # Alice's is refused for good (400): it fails, and bob's and carol's follow in the pass.
    assert await a.fed.worker.run_once(now + timedelta(minutes=11)) == 2
    assert [label(x) for x in fake.requests] == [
        "Update alice", "Update alice", "Update bob", "Update carol"
    ]  # fmt: skip
    (failed,) = await queued(a)
    assert failed["state"] == "failed" and failed["last_status"] == 400


async def test_a_new_partners_refusal_is_retried_until_the_partnership_settles(
    solo, aiohttp_server
):
    # A partner we just invited pins our keys only once our handshake answer reaches it; the
    # backfill queued in the handshake may get there first and meet a 403.
    a = solo
    alice, bob = await members(a, "alice", "bob")
    fake = await FakePartner.on(a, aiohttp_server, [(403, {}, None), (202, {}, None)])
    await share(a, alice)
    now = a.services.clock()
    await a.fed.worker.run_once(now)
    (row,) = await queued(a)
    assert (row["state"], row["last_status"]) == ("pending", 403)  # not yet, not never
    await a.fed.worker.run_once(now + timedelta(minutes=2))
    assert [label(x) for x in fake.accepted] == ["Update alice"] and await queued(a) == []
    # Once the partnership has settled, a 403 is final again.
    fake.script = [(403, {}, None)]
    await share(a, bob)
    await a.fed.worker.run_once(now + delivery.PARTNERING_SETTLE + timedelta(seconds=1))
    (row,) = await queued(a)
    assert (row["state"], row["last_status"]) == ("failed", 403)


async def test_hosts_do_not_wait_for_each_other(solo, aiohttp_server):
    a = solo
    down = await FakePartner.on(a, aiohttp_server, [(503, {}, None)])
    up = await FakePartner.on(a, aiohttp_server, [(202, {}, None)])
    for member in await members(a, "alice", "bob"):
        await share(a, member)
    assert await a.fed.worker.run_once() == 2
    assert [label(x) for x in up.accepted] == ["Update alice", "Update bob"]
    assert [label(x) for x in down.requests] == ["Update alice"]


async def test_a_host_with_a_delivery_in_flight_gets_nothing_more(solo, aiohttp_server):
    """Claimed twice (another pass while the first is sending): the second claim must not
    hand out the host's next delivery, which would overtake the one on the wire."""
    a = solo
    fake = await FakePartner.on(a, aiohttp_server, [(202, {}, None)])
    (alice, bob) = await members(a, "alice", "bob")
    await share(a, alice)
    now = a.services.clock()
    async with a.services.db.write() as conn:
        first = await queue_store.claim_due(conn, now, now + delivery.LEASE, 50, 8, "run1")
    await share(a, bob)  # queued while alice's is being sent
    later = a.services.clock()
    async with a.services.db.write() as conn:
        second = await queue_store.claim_due(conn, later, later + delivery.LEASE, 50, 8, "run2")
    assert [d.host for d in first] == [fake.host] and second == []
    # Once the lease is over (the first pass died), the host is served again, in order.
    after = later + delivery.LEASE + timedelta(seconds=1)
    async with a.services.db.write() as conn:
        third = await queue_store.claim_due(conn, after, after + delivery.LEASE, 50, 8, "run3")
    assert [d.id for d in third][:1] == [first[0].id] and len(third) == 2


async def test_a_run_stops_before_it_would_outlive_its_lease(solo, aiohttp_server, monkeypatch):
    a = solo
    fake = await FakePartner.on(a, aiohttp_server, [(202, {}, None)])
    for member in await members(a, "alice", "bob"):
        await share(a, member)
    monkeypatch.setattr(delivery, "LEASE", timedelta(seconds=1))  # shorter than one request
    now = a.services.clock()
    assert await a.fed.worker.run_once(now) == 1
    (left,) = await queued(a)
    assert left["attempts"] == 0 and left["locked_until"] is None  # released, not tried
    assert await a.fed.worker.run_once(now) == 1
    assert [label(x) for x in fake.accepted] == ["Update alice", "Update bob"]


@pytest.mark.sqlite_only("counts SQLite VM steps (set_progress_handler)")
async def test_claiming_costs_what_the_batch_holds_not_what_the_queue_holds(solo):
    """SQLite VM steps of one claim, with a short and a 20 times longer queue."""
    a = solo
    now = a.services.clock()
    hosts = [f"partner{i}.example:443" for i in range(5)]
    async with a.services.db.write() as conn:
        for host in hosts:
            await fed_store.upsert_partner(
                conn, Partner(host, f"https://{host}", f"https://{host}/actor",
                              f"https://{host}/inbox", host, True, now),
            )  # fmt: skip

    async def add(count, start):
        async with a.services.db.write() as conn:
            for i in range(start, start + count):
                await queue_store.enqueue(
                    conn, id=f"d{i:025d}", host=hosts[i % len(hosts)],
                    activity_id=f"https://a.example/activities/{i}", body="{}",
                    now=now - timedelta(hours=1) + timedelta(microseconds=i),
                )  # fmt: skip

    async def steps(at):
        counted = [0]

        def tick():
            counted[0] += 1
            return 0

        async with a.services.db.write() as conn:
            conn.raw.set_progress_handler(tick, 100)
            claimed = await queue_store.claim_due(
                conn, at, at + delivery.LEASE, delivery.BATCH, delivery.CONCURRENCY, "run"
            )
            conn.raw.set_progress_handler(None, 100)
        assert len(claimed) == delivery.BATCH
        assert claimed == sorted(claimed, key=lambda d: (d.created_at, d.id))
        return counted[0]

    await add(200, 0)
    short = await steps(now)
    await add(4000, 200)
    long = await steps(now + 2 * delivery.LEASE)  # the first claim's leases are over
    assert long < short * 1.5, (short, long)


# 2. Hostile Retry-After.


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120),
        (" 120\t", 120),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 60),  # IMF-fixdate
        ("Sunday, 06-Nov-94 08:49:37 GMT", 60),  # obsolete RFC 850 form
        ("Sun Nov  6 08:49:37 1994", 60),  # obsolete asctime form
        ("Sat, 05 Nov 1994 08:49:37 GMT", 0),  # in the past: now
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("\u00b2", None),  # isdigit(), but not a digit
        ("\uff11\uff12", None),  # fullwidth digits
        ("\u0661\u0662", None),  # Arabic-Indic digits
        ("Sun, 31 Feb 1994 08:49:37 GMT", None),  # no such day
        ("Sun, 06 Nov 1994 08:49:37 +0000", None),  # not an HTTP-date
        ("Fri, 31 Dec 9999 23:59:59 GMT", 253402300799 - 784111717),
    ],
)
def test_retry_after_parsing(value, seconds):
    now = datetime(1994, 11, 6, 8, 48, 37, tzinfo=UTC)
    wait = retry_after(value, now)
    assert (wait if wait is None else wait.total_seconds()) == seconds


@pytest.mark.parametrize("value", ["9" * 20, "9" * 5000])
def test_retry_after_of_any_size_is_a_long_wait_not_an_error(value):
    assert retry_after(value, datetime.now(UTC)) >= timedelta(days=365)


HOSTILE = ["9" * 20, "9" * 5000, "\u00b2", "99999999", "Fri, 31 Dec 9999 23:59:59 GMT"]


@pytest.mark.parametrize("value", HOSTILE, ids=["20-nines", "5000-nines", "superscript-2",
                                                 "3-years", "year-9999"])  # fmt: skip
async def test_a_hostile_retry_after_neither_jams_nor_parks_a_delivery(solo, aiohttp_server, value):
    a = solo
    hostile = await FakePartner.on(a, aiohttp_server, [(503, {"Retry-After": value}, None)])
    good = await FakePartner.on(a, aiohttp_server, [(202, {}, None)])
    (alice,) = await members(a, "alice")
    await share(a, alice)
    now = a.services.clock()
    assert await a.fed.worker.run_once(now) == 1  # the pass goes on: the good host has it
    assert len(good.accepted) == 1
    (row,) = await queued(a, hostile.host)
    longest = timedelta(seconds=a.config.delivery_max_backoff_seconds, minutes=1)
    assert row["state"] == "pending" and row["attempts"] == 1
    assert datetime.fromisoformat(row["next_attempt_at"]) <= now + longest  # capped
    # Shortly before the give-up time: if the next attempt would come after it, give up now.
    created = datetime.fromisoformat(row["created_at"])
    give_up = timedelta(hours=a.config.delivery_give_up_hours)
    await a.fed.worker.run_once(created + give_up - timedelta(minutes=30))
    await a.fed.worker.run_once(created + give_up + timedelta(minutes=1))
    (row,) = await queued(a, hostile.host)
    assert row["state"] == "failed" and "gave up" in row["last_error"], row
    assert len(hostile.requests) <= 3


async def test_a_retry_after_past_the_give_up_time_gives_up_at_once(solo, aiohttp_server):
    a = solo
    fake = await FakePartner.on(a, aiohttp_server, [(429, {"Retry-After": "3600"}, None)])
    (alice,) = await members(a, "alice")
    await share(a, alice)
    (row,) = await queued(a)
    created = datetime.fromisoformat(row["created_at"])
    give_up = timedelta(hours=a.config.delivery_give_up_hours)
    await a.fed.worker.run_once(created + give_up - timedelta(minutes=30))
    (row,) = await queued(a)
    assert row["state"] == "failed" and row["last_error"] == "gave up after 72 h: HTTP 429"
    assert len(fake.requests) == 1


async def test_a_failing_host_gives_up_its_overdue_deliveries_together(solo, aiohttp_server):
    """Behind a head that is given up, deliveries past their own give-up time fail with it
    instead of each waiting for a turn to fail (a failing host is paused between turns)."""
    a = solo
    fake = await FakePartner.on(a, aiohttp_server, [(503, {}, None)])
    now = a.services.clock()
    async with a.services.db.write() as conn:
        for n, age in enumerate((timedelta(hours=73), timedelta(hours=72, minutes=30),
                                 timedelta(hours=1))):  # fmt: skip
            await queue_store.enqueue(
                conn, id=f"d{n}", host=fake.host, activity_id=f"https://a.example/x/{n}",
                body="{}", now=now - age,
            )  # fmt: skip
    assert await a.fed.worker.run_once(now) == 0
    assert len(fake.requests) == 1
    rows = await queued(a)
    assert [(r["state"], r["attempts"]) for r in rows] == [
        ("failed", 1), ("failed", 0), ("pending", 0)
    ]  # fmt: skip
    assert "not sent" in rows[1]["last_error"] and rows[2]["locked_until"] is None


# 3. Key rotation.


async def b_profiles(b):
    async with (
        b.services.db.read() as conn,
        conn.execute("SELECT name FROM partner_profiles ORDER BY name") as cur,
    ):
        return [r[0] for r in await cur.fetchall()]


async def test_deliveries_queued_before_a_key_rotation_reach_the_partner(pair):
    a, b = pair
    alice, bob = await members(a, "alice", "bob")
    await share(a, alice)  # queued under the key B knows
    await partners.rotate_keys(a.fed)  # before the worker's next pass
    await share(a, bob)  # queued after the rotation: signed with the new key
    assert await a.fed.worker.run_once() == 3  # alice's, the rotation Update, bob's
    assert await queued(a) == []
    assert await b_profiles(b) == ["Alice", "Bob"]


async def test_key_rotation_while_the_partner_is_down(pair, aiohttp_server):
    a, b = pair
    alice, bob = await members(a, "alice", "bob")
    await b.server.close()
    await share(a, alice)
    now = a.services.clock()
    assert await a.fed.worker.run_once(now) == 0
    await partners.rotate_keys(a.fed)
    assert await a.fed.worker.run_once(now) == 0  # the rotation waits behind alice's
    await start(b, aiohttp_server)
    _quiet(b)
    assert await a.fed.worker.run_once(now + timedelta(hours=2)) == 2
    await share(a, bob)
    assert await a.fed.worker.run_once() == 1
    assert await queued(a) == []
    assert await b_profiles(b) == ["Alice", "Bob"]


async def test_a_delivery_under_an_expired_key_is_signed_with_the_current_one(pair):
    a, b = pair
    old = a.fed.keys.current_name
    await partners.rotate_keys(a.fed)
    assert await a.fed.worker.run_once() == 1  # B has pinned the new key
    (alice,) = await members(a, "alice")
    await share(a, alice)
    async with a.services.db.write() as conn:  # as a rotation leaves it: under the old key
        assert await queue_store.pin_key_name(conn, old) == 1
    # The old key's grace period is over: it is no longer loaded.
    await a.fed.keys.refresh(a.services.db, a.services.clock() + timedelta(days=8))
    assert old not in {k.name for k in a.fed.keys.published()}
    assert await a.fed.worker.run_once() == 1
    assert await b_profiles(b) == ["Alice"]


# 4. Housekeeping.


async def test_old_failed_deliveries_and_spent_invites_are_pruned(solo):
    a = solo
    now = a.services.clock()
    day = timedelta(days=1)
    host = "gone.example:443"
    async with a.services.db.write() as conn:
        await fed_store.upsert_partner(
            conn, Partner(host, f"https://{host}", f"https://{host}/actor",
                          f"https://{host}/inbox", "Gone", True, now - 60 * day),
        )  # fmt: skip
        for name, age, failed in (("old-failed", 31, True), ("recent-failed", 29, True),
                                  ("old-pending", 40, False)):  # fmt: skip
            await queue_store.enqueue(
                conn, id=name, host=host, activity_id=f"https://a.example/{name}", body="{}",
                now=now - age * day,
            )  # fmt: skip
            if failed:
                await queue_store.give_up(conn, name, 400, "HTTP 400")
        invites = {  # name: (created, expires, used)
            "expired-2-days-ago": (-3 * day, -2 * day, None),
            "expired-12-hours-ago": (-36 * timedelta(hours=1), -day / 2, None),
            "open": (-timedelta(hours=1), day, None),
            "used-46-hours-ago": (
                -47 * timedelta(hours=1),
                -23 * timedelta(hours=1),
                -46 * timedelta(hours=1),
            ),  # fmt: skip
            "used-an-hour-ago": (-2 * timedelta(hours=1), day, -timedelta(hours=1)),
        }
        for name, (created, expires, used) in invites.items():
            await fed_store.insert_invite(conn, name, False, now + created, now + expires)
            if used is not None:
                assert await fed_store.use_invite(conn, name, now + used) is False
    await a.fed.worker.prune_inbox(now)
    assert [r["activity_id"].rsplit("/", 1)[1] for r in await queued(a)] == [
        "old-pending", "recent-failed"
    ]  # fmt: skip
    async with (
        a.services.db.read() as conn,
        conn.execute("SELECT secret_hash FROM partner_invites ORDER BY secret_hash") as cur,
    ):
        assert [r[0] for r in await cur.fetchall()] == [
            "expired-12-hours-ago", "open", "used-an-hour-ago"
        ]  # fmt: skip


async def test_pruning_goes_in_bounded_batches(solo, monkeypatch):
    a = solo
    now = a.services.clock()
    host = "gone.example:443"
    async with a.services.db.write() as conn:
        await fed_store.upsert_partner(
            conn, Partner(host, f"https://{host}", f"https://{host}/actor",
                          f"https://{host}/inbox", "Gone", True, now),
        )  # fmt: skip
        for n in range(3):
            await queue_store.enqueue(
                conn, id=f"d{n}", host=host, activity_id=f"https://a.example/{n}", body="{}",
                now=now - timedelta(days=40),
            )  # fmt: skip
            await queue_store.give_up(conn, f"d{n}", 400, "HTTP 400")
            await fed_store.insert_invite(
                conn, f"i{n}", False, now - timedelta(days=5), now - timedelta(days=4)
            )
    monkeypatch.setattr(queue_store, "PRUNE_BATCH", 2)
    await a.fed.worker.prune_inbox(now)
    assert (await a.count("deliveries"), await a.count("partner_invites")) == (1, 1)
    await a.fed.worker.prune_inbox(now)
    assert (await a.count("deliveries"), await a.count("partner_invites")) == (0, 0)


def test_failed_delivery_retention_is_a_setting():
    (setting,) = [f for f in Config.__dataclass_fields__.values()
                  if f.name == "delivery_failed_retention_days"]  # fmt: skip
    assert setting.default == 30 and "failed" in setting.metadata["help"]
    assert replace(Config(), delivery_failed_retention_days=7).delivery_failed_retention_days == 7
