"""Compliance guards: what keeps the simulated *compliant* traffic free of findings.

Two rules depend on aggregates rather than on one case, so random traffic
would break them by chance: SYS-2 (queries per officer and UTC hour) and
REC-1 (monthly transfer balance per EU party). Rather than hoping the
volumes average out, the simulator consults these guards before it assigns
an officer or schedules a transfer. Both are plain data so the whole
simulation state can be saved and a restarted run continues exactly.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from custodes.timefmt import MS_PER_HOUR


class OfficerRoster:
    """Assigns officers of one node so no officer exceeds `limit` queries per UTC hour."""

    def __init__(self, party: str, pool: int) -> None:
        self.party = party
        self.pool = pool
        self.hour = -1
        self.counts: dict[int, int] = {}

    def assign(self, time_ms: int, limit: int, rng: random.Random) -> str:
        """An officer_ref with fewer than `limit` queries in the hour of `time_ms`.

        Queries of one node are assigned in time order, so only the current
        hour needs counting. A random officer is tried first (realistic
        spread); if that one is at the limit, the next ones in turn; when the
        whole pool is busy a relief officer beyond the pool is called in.
        """
        hour = time_ms // MS_PER_HOUR
        if hour != self.hour:
            self.hour, self.counts = hour, {}
        pool = self.pool  # rng.randrange(pool), the same draw without its argument checks
        bits, k = rng.getrandbits, pool.bit_length()
        start = bits(k)
        while start >= pool:
            start = bits(k)
        counts = self.counts
        for step in range(self.pool):
            i = (start + step) % self.pool
            if counts.get(i, 0) < limit:
                break
        else:
            i = self.pool
            while counts.get(i, 0) >= limit:
                i += 1
        self.counts[i] = self.counts.get(i, 0) + 1
        return f"{self.party}-OFF-{i:04d}"

    def state(self) -> dict[str, Any]:
        return {"party": self.party, "pool": self.pool, "hour": self.hour,
                "counts": [[k, v] for k, v in self.counts.items()]}

    @classmethod
    def from_state(cls, st: dict[str, Any]) -> OfficerRoster:
        roster = cls(st["party"], st["pool"])
        roster.hour = st["hour"]
        roster.counts = {int(k): int(v) for k, v in st["counts"]}
        return roster


def balanced(a: int, b: int, min_volume: int, min_ratio_permille: int) -> bool:
    """REC-1's test of SPEC §6, negated: True when (a, b) raises no finding."""
    return a + b < min_volume or 1000 * min(a, b) >= min_ratio_permille * max(a, b)


class ReciprocityLedger:
    """Transfers EU party → US (`a`) and US → EU party (`b`) per UTC month.

    Invariant for months without an injected imbalance: every state the
    counts pass through is `balanced`, so whenever the month ends it raises
    no REC-1. A transfer that would leave that set is withheld (the hit is
    answered, but no data is sent). A month chosen for a REC-1 injection
    instead withholds every transfer in one direction.
    """

    def __init__(self) -> None:
        # (party, "YYYY-MM") -> [a, b, suppressed direction: "" | "a" | "b"]
        self.months: dict[tuple[str, str], list[Any]] = {}

    def entry(self, party: str, month: str, draw: Callable[[], bool],
              rng: random.Random) -> list[Any]:
        """The month's counts; on first touch `draw()` decides a REC-1 injection, `rng` its side.

        Drawing when the month is first touched keeps the run deterministic for a seed.
        """
        key = (party, month)
        e = self.months.get(key)
        if e is None:
            suppress = ""
            if draw():
                suppress = "a" if rng.random() < 0.5 else "b"
            e = self.months[key] = [0, 0, suppress]
        return e

    def allow(self, e: list[Any], side: str, min_volume: int, ratio: int) -> bool:
        """Count a transfer on `side` ("a" or "b") if the invariant allows it; True if counted."""
        a, b, suppress = e
        if suppress:
            ok = side != suppress
        elif side == "a":
            ok = balanced(a + 1, b, min_volume, ratio)
        else:
            ok = balanced(a, b + 1, min_volume, ratio)
        if ok:
            e[0 if side == "a" else 1] += 1
        return ok

    def state(self) -> list[list[Any]]:
        return [[p, m, *e] for (p, m), e in self.months.items()]

    @classmethod
    def from_state(cls, rows: list[list[Any]]) -> ReciprocityLedger:
        ledger = cls()
        ledger.months = {(p, m): [a, b, s] for p, m, a, b, s in rows}
        return ledger
