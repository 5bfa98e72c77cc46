"""The rule core's notion of time: a cut, and an agenda of questions waiting for it.

SPEC §5 gives two kinds of pending question. "Does X exist before event e?"
is decided once every event with `time <= e.time` has arrived, and "has
deadline d passed?" once the clock is strictly greater than d. A `Cut` says
how far both have got: live, `advance(watermark)` is ``Cut(w, w)``; replay's
horizon H is ``Cut(H + 1, H)`` (events with time <= H decided, deadlines < H
passed). Rules park their questions in an `Agenda` (two heaps keyed by time)
and pick them up when a cut covers them, so their answers never depend on the
arrival order of events across nodes.
"""
from __future__ import annotations

import heapq
from typing import Any, NamedTuple


class Cut(NamedTuple):
    """`events_before`: all events with time < it have arrived and may be decided.
    `deadlines_before`: deadlines d < it have passed (also: a month whose next
    month starts at or before it is closed)."""

    events_before: int
    deadlines_before: int


def live_cut(watermark_ms: int) -> Cut:
    return Cut(watermark_ms, watermark_ms)


def horizon_cut(horizon_ms: int) -> Cut:
    return Cut(horizon_ms + 1, horizon_ms)


class Agenda:
    """Pending questions in two heaps; `due` pops those a cut has decided.

    Entries carry their payload; a running counter breaks ties so payloads are
    never compared. Stale entries are allowed: rules re-check state on pop.
    """

    __slots__ = ("_after_event", "_deadline", "_n")

    def __init__(self) -> None:
        self._after_event: list[tuple[int, int, Any]] = []
        self._deadline: list[tuple[int, int, Any]] = []
        self._n = 0

    def after_event(self, time_ms: int, payload: Any) -> None:
        """Ask again once every event with time <= time_ms has arrived."""
        self._n += 1
        heapq.heappush(self._after_event, (time_ms, self._n, payload))

    def at_deadline(self, deadline_ms: int, payload: Any) -> None:
        """Ask again once the deadline has passed (clock > deadline_ms)."""
        self._n += 1
        heapq.heappush(self._deadline, (deadline_ms, self._n, payload))

    def due(self, cut: Cut) -> list[tuple[int, Any]]:
        """Pop every (time, payload) the cut decides, in time order per heap."""
        out: list[tuple[int, Any]] = []
        ev, dl = self._after_event, self._deadline
        limit = cut.events_before
        while ev and ev[0][0] < limit:
            t, _, p = heapq.heappop(ev)
            out.append((t, p))
        limit = cut.deadlines_before
        while dl and dl[0][0] < limit:
            t, _, p = heapq.heappop(dl)
            out.append((t, p))
        return out

    def next_time(self) -> int | None:
        """Earliest time anything waits for (for runners that want to skip idle ticks)."""
        heads = [h[0][0] for h in (self._after_event, self._deadline) if h]
        return min(heads) if heads else None

    def __len__(self) -> int:
        return len(self._after_event) + len(self._deadline)
