"""Min-cost flow by successive shortest paths (SSP), pure Python, integer costs.

Costs are integers so node potentials stay exact: with floats, rounding could leave a reduced
cost at -1e-17 and Dijkstra would silently stop being correct.

Usage: add every edge, then call ``augment(s, t)`` once per unit of supply. The first call
computes potentials with Bellman-Ford (SPFA), because the graph may start with negative costs;
every later search is Dijkstra on reduced costs, which are non-negative by construction.

Each search may start from any node that still holds supply: SSP keeps the flow cost-optimal
for the supply already routed as long as every augmenting path is a shortest one from its own
source, so the caller can route one source at a time (as the Hungarian method adds one row at
a time). Dijkstra stops as soon as the target is settled, which keeps most searches tiny.
"""

from __future__ import annotations

import heapq
from collections import deque


class NegativeCycleError(ValueError):
    """The initial graph has a negative-cost cycle, so no shortest paths exist."""


class FlowGraph:
    """A directed graph with capacities and integer costs; edge ``e`` and ``e ^ 1`` are twins."""

    def __init__(self, n_nodes: int) -> None:
        # Only residual edges (capacity left), as insertion-ordered sets: a mentor node has a
        # reverse twin for every candidate mentee but at most ``capacity`` of them carry flow,
        # and scanning the dead ones was most of the run time.
        self._live: list[dict[int, None]] = [{} for _ in range(n_nodes)]
        self._to: list[int] = []
        self._cap: list[int] = []
        self._cost: list[int] = []
        self._potential: list[int] | None = None

    def add_edge(self, u: int, v: int, capacity: int, cost: int) -> int:
        """Add ``u -> v`` and return its id; edges cannot be added once flow has moved."""
        if self._potential is not None:
            raise RuntimeError("edges must all be added before the first augment()")
        if capacity < 0:
            raise ValueError("capacity must be >= 0")
        e = len(self._to)
        self._to += (v, u)
        self._cap += (capacity, 0)
        self._cost += (cost, -cost)
        if capacity > 0:
            self._live[u][e] = None
        return e

    def flow(self, edge: int) -> int:
        """Units currently sent along ``edge`` (the residual capacity of its twin)."""
        return self._cap[edge ^ 1]

    def augment(self, source: int, target: int, limit: int = 1) -> tuple[int, int] | None:
        """Push up to ``limit`` units along a cheapest residual path.

        Returns ``(units, cost_per_unit)``, or None when ``target`` is unreachable.
        """
        if self._potential is None:
            self._potential = self._bellman_ford()
        pi, live, to, cap, cost = self._potential, self._live, self._to, self._cap, self._cost
        dist: dict[int, int] = {source: 0}
        via: dict[int, int] = {}
        settled: list[int] = []
        heap = [(0, source)]
        while heap:
            d, u = heapq.heappop(heap)
            if d != dist[u]:
                continue  # a stale entry; u was settled earlier with a shorter distance
            settled.append(u)
            if u == target:
                break
            base = d + pi[u]
            for e in live[u]:
                v = to[e]
                nd = base + cost[e] - pi[v]
                if nd < d:
                    # Never true with correct potentials; without this guard a bug here would
                    # turn Dijkstra into an endless label-correcting loop.
                    raise RuntimeError("negative reduced cost: potentials are broken")
                if nd < dist.get(v, nd + 1):
                    dist[v] = nd
                    via[v] = e
                    heapq.heappush(heap, (nd, v))
        else:
            return None
        # Raising settled nodes by d - D (and leaving the rest alone) keeps every reduced cost
        # non-negative, because unsettled nodes are all at distance >= D; touching only the
        # settled nodes is what keeps an early-stopped search cheap.
        reach = dist[target]
        for u in settled:
            pi[u] += dist[u] - reach
        path: list[int] = []
        v = target
        while v != source:
            e = via[v]
            path.append(e)
            v = to[e ^ 1]
        units = min(limit, *(cap[e] for e in path)) if path else limit
        for e in path:
            cap[e] -= units
            if cap[e] == 0:
                del live[to[e ^ 1]][e]
            if cap[e ^ 1] == 0:
                live[to[e]][e ^ 1] = None
            cap[e ^ 1] += units
        return units, sum(cost[e] for e in path)

    def _bellman_ford(self) -> list[int]:
        """Distances from a virtual source joined to every node at cost 0 (SPFA)."""
        n = len(self._live)
        dist = [0] * n
        queued = [True] * n
        visits = [0] * n
        queue = deque(range(n))
        live, to, cost = self._live, self._to, self._cost
        while queue:
            u = queue.popleft()
            queued[u] = False
            visits[u] += 1
            if visits[u] > n:
                raise NegativeCycleError("negative-cost cycle in flow graph")
            du = dist[u]
            for e in live[u]:
                if du + cost[e] < dist[to[e]]:
                    v = to[e]
                    dist[v] = du + cost[e]
                    if not queued[v]:
                        queued[v] = True
                        queue.append(v)
        return dist
