"""Arrival processes: who queries whom, how often, and when in the day and week.

Each directed flow (the US querying one EU node, or one EU node querying the
US) is a non-homogeneous Poisson process whose intensity follows the daily
and weekly rhythm of its side's border traffic. Arrivals are drawn by
thinning: candidates at the peak rate, each kept with probability
intensity/peak, so the rhythm shapes traffic without any per-hour batching.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from math import log

from custodes.parties import EU_PARTIES, US
from custodes.timefmt import MS_PER_DAY, MS_PER_HOUR
from producers.config import Rhythm, SimConfig

HOURS_PER_WEEK = 168


class RhythmTable:
    """Acceptance ratio per hour of the week (Monday 00 UTC first) and the peak factor."""

    def __init__(self, rhythm: Rhythm) -> None:
        mean_h = sum(rhythm.hourly) / 24
        mean_w = sum(rhythm.weekly) / 7
        peak = max(rhythm.hourly) * max(rhythm.weekly)
        # Intensity is normalised to mean 1 over the week; peak_factor = max intensity.
        self.peak_factor = peak / (mean_h * mean_w)
        self.accept = [
            rhythm.weekly[d] * rhythm.hourly[h] / peak for d in range(7) for h in range(24)
        ]

    def accept_at(self, time_ms: int) -> float:
        days = time_ms // MS_PER_DAY
        hour = (time_ms - days * MS_PER_DAY) // MS_PER_HOUR
        return self.accept[((days + 3) % 7) * 24 + hour]  # 1970-01-01 was a Thursday


@dataclass(frozen=True, slots=True)
class Flow:
    """A directed stream of arrivals; `kind` is "query" (requester → requested) or "remedy"."""

    kind: str
    party: str           # requesting node, or the node a remedy is lodged with
    other: str           # requested node ("" for remedies)
    per_day: float       # mean arrivals per day (already scaled)
    side: str            # "us" or "eu": which rhythm applies


def flows(cfg: SimConfig, nodes: tuple[str, ...], scale: float) -> list[Flow]:
    """All flows among the simulated nodes, in a fixed order (determinism)."""
    t = cfg.traffic
    total_w = sum(t.weights[p] for p in EU_PARTIES)
    out: list[Flow] = []
    if US in nodes:
        for p in EU_PARTIES:
            if p in nodes:
                share = t.weights[p] / total_w
                out.append(Flow("query", US, p, t.us_queries_per_day * share * scale, "us"))
                out.append(Flow("query", p, US, t.eu_queries_per_day * share * scale, "eu"))
    # Remedies: 30 % lodged in the US, the rest with EU nodes by weight.
    per_day = cfg.remedies.per_day * scale
    for p in nodes:
        share = 0.3 if p == US else 0.7 * t.weights[p] / total_w
        out.append(Flow("remedy", p, "", per_day * share, "us" if p == US else "eu"))
    return [f for f in out if f.per_day > 0]


def next_arrival(after_ms: int, per_day: float, table: RhythmTable, rng: random.Random) -> int:
    """The next arrival strictly after `after_ms` (thinning of a peak-rate Poisson process)."""
    peak_per_ms = per_day * table.peak_factor / MS_PER_DAY
    t = float(after_ms)
    rnd, accept = rng.random, table.accept
    while True:
        t += -log(1.0 - rnd()) / peak_per_ms  # rng.expovariate(peak_per_ms), inlined
        tm = int(t)
        if tm > after_ms:
            days = tm // MS_PER_DAY  # table.accept_at(tm), inlined
            if rnd() < accept[((days + 3) % 7) * 24 + (tm - days * MS_PER_DAY) // MS_PER_HOUR]:
                return tm
