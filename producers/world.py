"""The simulation's whole mutable state, as plain data.

Everything a restarted simulator needs to continue exactly where it stopped
lives here (random generator, schedule of future events, id counters,
compliance guards, recorded truth), so `state()` / `from_state()` are a
faithful round trip and the schedule of deletions due next week survives a
restart: otherwise a restart would itself produce RET-1 findings.
"""
from __future__ import annotations

import heapq
import random
from typing import Any

from producers.guards import OfficerRoster, ReciprocityLedger

# Kinds of scheduled items.
K_EMIT = 0        # (party, type, data, marks): a node event due at this time
K_ARRIVAL = 1     # flow index: next arrival of a query or remedy flow
K_HEARTBEAT = 2   # party: checkpoint if none since one interval
K_DAY = 3         # None: daily planning (officer bursts for SYS-2)
K_BURST = 4       # (party, requested, officer, burst_id): one query of a SYS-2 burst


class World:
    """Scheduler heap, counters, guards, truth and statistics."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.heap: list[tuple[int, int, int, Any]] = []
        self.order = 0
        self.clock = 0
        self.counters: dict[str, int] = {}
        self.rosters: dict[str, OfficerRoster] = {}
        self.ledger = ReciprocityLedger()
        self.truth: list[dict[str, Any]] = []
        self.int1_pending: dict[str, dict[str, Any]] = {}
        self.bursts: dict[str, list[Any]] = {}
        self.last_case: dict[str, str] = {}
        self.emitted: dict[str, int] = {}
        # (party, month) -> [transfers party->US, transfers US->party], counted as emitted.
        self.transfers: dict[str, list[int]] = {}
        # rule -> party -> [opportunities, drawn]
        self.draws: dict[str, dict[str, list[int]]] = {}

    def push(self, time_ms: int, kind: int, payload: Any) -> None:
        self.order += 1
        heapq.heappush(self.heap, (time_ms, self.order, kind, payload))

    def next_id(self, party: str, prefix: str) -> int:
        key = f"{party}/{prefix}"
        n = self.counters.get(key, 0) + 1
        self.counters[key] = n
        return n

    def ref(self, party: str, prefix: str) -> str:
        """The party's next id of that kind, e.g. "T-DE-00000042" (counted per party and prefix)."""
        return f"{prefix}-{party}-{self.next_id(party, prefix):08d}"

    def draw(self, rule: str, party: str, rate: float) -> bool:
        """One opportunity for `rule` at `party`: True if a violation is injected."""
        row = self.draws.setdefault(rule, {}).setdefault(party, [0, 0])
        row[0] += 1
        if rate <= 0.0:
            return False
        hit = self.rng.random() < rate
        if hit:
            row[1] += 1
        return hit

    def state(self) -> dict[str, Any]:
        version, internal, gauss = self.rng.getstate()
        return {
            "seed": self.seed, "rng": [version, list(internal), gauss], "heap": self.heap,
            "order": self.order, "clock": self.clock, "counters": self.counters,
            "rosters": {p: r.state() for p, r in self.rosters.items()},
            "ledger": self.ledger.state(), "truth": self.truth,
            "int1_pending": self.int1_pending, "bursts": self.bursts,
            "last_case": self.last_case, "emitted": self.emitted, "transfers": self.transfers,
            "draws": self.draws,
        }

    @classmethod
    def from_state(cls, st: dict[str, Any]) -> World:
        w = cls(st["seed"])
        version, internal, gauss = st["rng"]
        w.rng.setstate((version, tuple(internal), gauss))
        w.heap = [tuple(item) for item in st["heap"]]  # type: ignore[misc]
        heapq.heapify(w.heap)
        w.order, w.clock, w.counters = st["order"], st["clock"], st["counters"]
        w.rosters = {p: OfficerRoster.from_state(r) for p, r in st["rosters"].items()}
        w.ledger = ReciprocityLedger.from_state(st["ledger"])
        w.truth, w.int1_pending, w.bursts = st["truth"], st["int1_pending"], st["bursts"]
        w.last_case, w.emitted, w.transfers = st["last_case"], st["emitted"], st["transfers"]
        w.draws = st["draws"]
        return w
