"""/metrics on two partner servers: the sender's delivery queue depth per partner, and the
receiver's inbox activities accepted."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from .test_shared_profiles import PROFILE, login


async def _metrics(node) -> dict:
    status, text = await node.call("GET", "/metrics", token=None)
    assert status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_queue_depth_per_partner_and_inbox_accepted(trio):
    a, b, _ = trio
    alice = await login(a, "alice")
    await a.call("PUT", "/api/v1/members/alice/profile", dict(PROFILE, sharing="partners"),
                 token=alice)  # fmt: skip
    depth = ("feedserver_delivery_queue_depth", (("partner", b.host),))
    assert (await _metrics(a))[depth] == 1
    assert await a.fed.worker.run_once() == 1
    assert (await _metrics(a))[depth] == 0
    assert (await _metrics(a))[("feedserver_delivery_failed", (("partner", b.host),))] == 0
    accepted = (
        "feedserver_inbox_activities_total",
        (("outcome", "accepted"), ("reason", "applied")),
    )
    assert (await _metrics(b))[accepted] == 1
