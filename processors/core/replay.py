"""The batch runner: a complete record of events, a horizon, the findings "as of" it.

The source of events is any iterable of `Event`s (a JSONL file, the
PostgreSQL archive, a test list). Replay needs each source's events in `seq`
order (SPEC §9); it checks that as it goes and, when the input is not in that
order, the caller sorts and runs again (`sort_events`: per source by seq,
stable, merged across sources by time with a heap).

Events with time > horizon are ignored entirely: the replay is the record as
it stood at the horizon. With the horizon unset it is the greatest `time`
seen. While the input's times never go back across the whole stream, the
engine is advanced as it reads (every event with an earlier time has been
seen), so finished transfers, hours and months are dropped and memory stays
bounded; otherwise everything is decided at the end, with the same result.
"""
from __future__ import annotations

import gc
import heapq
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from custodes.events import Event, FindingRaised, FindingResolved
from processors.core.engine import Engine
from processors.core.policies import PolicyLike

ADVANCE_EVERY = 4096  # events between intermediate advances (cheap, bounds memory)
# Young-generation threshold of the cyclic GC while replaying (CPython's default is
# 700). Replay allocates a few containers per event and keeps many of them alive
# for a while (clocks, agenda entries), so the default runs a young collection
# every few dozen events, for nothing: the rule core makes no reference cycles.
# Cycles are still collected, just less often. None: leave the GC as it is.
GC_YOUNG_THRESHOLD: int | None = 100_000


class OutOfOrder(Exception):
    """A source's events are not in seq order: sort them and replay again."""

    def __init__(self, source: str, seq: int, after: int) -> None:
        super().__init__(f"{source}: seq {seq} after seq {after}")
        self.source, self.seq, self.after = source, seq, after


@dataclass
class ReplayResult:
    findings: list[FindingRaised] = field(default_factory=list)
    resolutions: list[FindingResolved] = field(default_factory=list)
    horizon_ms: int | None = None
    events: int = 0            # node events given to the engine
    after_horizon: int = 0     # ignored: time > horizon
    duplicates: int = 0
    conflicts: int = 0
    platform: int = 0          # platform events in the input (not evidence)
    stats: dict[str, int] = field(default_factory=dict)


def replay(
    events: Iterable[Event], policy: PolicyLike, trust: Any | None = None,
    horizon_ms: int | None = None, *, require_order: bool = True,
) -> ReplayResult:
    """Evaluate every rule over `events` as of the horizon.

    With `require_order`, raises OutOfOrder as soon as a source's seq does not
    increase (the caller then replays `sort_events(...)`); without it, events
    are evaluated in the order given.
    """
    with _fewer_collections():
        return _replay(events, policy, trust, horizon_ms, require_order)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Raise the GC's young threshold for the duration of a replay, then restore it."""
    if GC_YOUNG_THRESHOLD is None:
        yield
        return
    saved = gc.get_threshold()
    gc.set_threshold(max(GC_YOUNG_THRESHOLD, saved[0]), *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def _replay(events: Iterable[Event], policy: PolicyLike, trust: Any | None,
            horizon_ms: int | None, require_order: bool) -> ReplayResult:
    engine = Engine(policy, trust)
    ingest = engine.ingest
    result = ReplayResult(horizon_ms=horizon_ms)
    raised: list[FindingRaised] = []
    solved: list[FindingResolved] = []
    last_seq: dict[str, int] = {}
    limit = horizon_ms if horizon_ms is not None else 2**62
    latest = -(2**62)        # greatest time seen
    monotone = True          # times never went back across the stream so far
    countdown = ADVANCE_EVERY  # events until the next intermediate advance
    blocks = 0               # ADVANCE_EVERY events ingested, that many times
    platform = after = 0
    for event in events:
        if not event.party:
            platform += 1
            continue
        t = event.time_ms
        if t > limit:
            after += 1
            continue
        if require_order:
            source, seq = event.source, event.seq
            prev = last_seq.get(source, 0)
            if seq <= prev:
                raise OutOfOrder(source, seq, prev)
            last_seq[source] = seq
        if t >= latest:
            latest = t
        else:
            monotone = False
        outputs = ingest(event)
        if outputs:
            _collect(outputs, raised, solved)
        countdown -= 1
        if not countdown:
            countdown = ADVANCE_EVERY
            blocks += 1
            if monotone:
                _collect(engine.advance(latest), raised, solved)
    result.platform, result.after_horizon = platform, after
    ingested = blocks or countdown != ADVANCE_EVERY  # any event given to the engine
    horizon = horizon_ms if horizon_ms is not None else (latest if ingested else 0)
    _collect(engine.finish(horizon), raised, solved)
    result.horizon_ms = horizon
    result.findings = sorted(raised, key=lambda f: f.finding_id)
    result.resolutions = sorted(solved, key=lambda f: (f.finding_id, f.observed_at))
    result.events = engine.events_ingested
    result.duplicates, result.conflicts = engine.duplicates, engine.conflicts
    result.stats = engine.stats()
    return result


def _collect(outputs: list[Any], raised: list[FindingRaised],
             solved: list[FindingResolved]) -> None:
    for o in outputs:
        (raised if isinstance(o, FindingRaised) else solved).append(o)


def sort_events(events: Iterable[Event]) -> Iterator[Event]:
    """Each source's events by seq (stable: arrival order among equal seqs),
    merged across sources by time so a watermark can advance while replaying."""
    per_source: dict[str, list[tuple[int, int, Event]]] = {}
    for i, e in enumerate(events):
        per_source.setdefault(e.source, []).append((e.seq, i, e))
    lists = []
    for rows in per_source.values():
        rows.sort(key=lambda r: (r[0], r[1]))
        lists.append([r[2] for r in rows])
    heap = [(lst[0].time_ms, k, 0) for k, lst in enumerate(lists)]
    heapq.heapify(heap)
    while heap:
        _, k, i = heap[0]
        lst = lists[k]
        yield lst[i]
        if i + 1 < len(lst):
            heapq.heapreplace(heap, (lst[i + 1].time_ms, k, i + 1))
        else:
            heapq.heappop(heap)
