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
from array import array
from collections.abc import Callable, Iterator
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


_SHIFT = 48  # bits of the insertion counter below the time in an entry's key
_STEP = 1 << _SHIFT


class Agenda:
    """Pending questions in two heaps; `due` pops those a cut has decided.

    An entry is ``(key, payload)`` with ``key = time * 2**48 + n``, n a running
    counter: one int orders entries by time, then by insertion, so payloads are
    never compared. One int and a 2-tuple take 36 + 56 bytes where
    ``(time, n, payload)`` took 32 + 32 + 64 (retention keeps one entry per open
    clock). Times up to 2**42 ms (year 2109) keep the key within three 30-bit
    digits. The counter is renumbered in the unlikely case it reaches 2**48.
    Stale entries are allowed: rules re-check state on pop (`keep` drops those a
    rule knows to be moot).
    """

    __slots__ = ("_after_event", "_deadline", "_n")

    def __init__(self) -> None:
        self._after_event: list[tuple[int, Any]] = []
        self._deadline: list[tuple[int, Any]] = []
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        if self._n == _STEP:
            self._renumber()
        return self._n

    def after_event(self, time_ms: int, payload: Any) -> None:
        """Ask again once every event with time <= time_ms has arrived."""
        heapq.heappush(self._after_event, (time_ms * _STEP + self._next(), payload))

    def at_deadline(self, deadline_ms: int, payload: Any) -> None:
        """Ask again once the deadline has passed (clock > deadline_ms)."""
        heapq.heappush(self._deadline, (deadline_ms * _STEP + self._next(), payload))

    def due(self, cut: Cut) -> list[tuple[int, Any]]:
        """Pop every (time, payload) the cut decides, in time order per heap."""
        out: list[tuple[int, Any]] = []
        pop = heapq.heappop
        ev, dl = self._after_event, self._deadline
        limit = cut.events_before * _STEP  # key < limit * 2**48 iff time < limit
        while ev and ev[0][0] < limit:
            k, p = pop(ev)
            out.append((k >> _SHIFT, p))
        limit = cut.deadlines_before * _STEP
        while dl and dl[0][0] < limit:
            k, p = pop(dl)
            out.append((k >> _SHIFT, p))
        return out

    def keep(self, wanted: Callable[[Any], bool]) -> None:
        """Drop every entry whose payload is not `wanted` (moot questions), in O(n)."""
        for heap in (self._after_event, self._deadline):
            heap[:] = [e for e in heap if wanted(e[1])]
            heapq.heapify(heap)

    def _renumber(self) -> None:
        """Give the counters 1..n again in the same order (after 2**48 insertions)."""
        entries = sorted((k >> _SHIFT, k & (_STEP - 1), i, p)
                         for i, heap in enumerate((self._after_event, self._deadline))
                         for k, p in heap)
        heaps: tuple[list[tuple[int, Any]], list[tuple[int, Any]]] = ([], [])
        for n, (t, _, i, p) in enumerate(entries, 1):
            heaps[i].append((t * _STEP + n, p))
        self._after_event, self._deadline = heaps  # sorted lists are heaps
        self._n = len(entries) + 1

    def next_time(self) -> int | None:
        """Earliest time anything waits for (for runners that want to skip idle ticks)."""
        heads = [h[0][0] >> _SHIFT for h in (self._after_event, self._deadline) if h]
        return min(heads) if heads else None

    def __len__(self) -> int:
        return len(self._after_event) + len(self._deadline)


class Lanes:
    """Pending questions that arrive in time order per lane (one node's events, say):
    each lane is an array of times and a list of payloads, 16 bytes per entry where
    a heap entry costs about 100. `push` refuses an entry that would go back in
    its lane (the caller then uses an `Agenda`); `due` pops, across lanes, every
    entry whose time is below a limit, in time order, ties in the order of the
    lane keys, then of arrival in the lane. Lanes are kept sorted by key (not by
    creation), so ties never depend on which lane happened to be created first:
    with a node's source as (the first part of) the key, ties go by (time,
    source, seq), whatever the arrival order across nodes."""

    __slots__ = ("_lanes", "_sorted")

    def __init__(self) -> None:
        # lane key -> [times, payloads, index of the first live entry]; rules on
        # the hot path append to a lane themselves (`times[-1] <= time`, then
        # both appends), so nothing else may be kept per entry
        self._lanes: dict[Any, list[Any]] = {}
        self._sorted = True  # the dict is in key order (only popping needs it)

    def push(self, lane: Any, time_ms: int, payload: Any) -> bool:
        entry = self._lanes.get(lane)
        if entry is None:
            entry = self._new_lane(lane)
        times = entry[0]
        if times and times[-1] > time_ms:
            return False
        try:
            times.append(time_ms)
        except OverflowError:  # beyond 64 bits: the agenda takes it
            return False
        entry[1].append(payload)
        return True

    def _new_lane(self, lane: Any) -> list[Any]:
        """Add a lane; the dict is put back in key order before the next pop (`_sort`)."""
        entry = self._lanes[lane] = [array("q"), [], 0]
        self._sorted = False
        return entry

    def _sort(self) -> None:
        """The dict in lane-key order, in place (rules hold the dict): once per pop after
        new lanes, not once per new lane (1,250 lanes re-sorted 1,250 times cost 0.1 s)."""
        lanes = self._lanes
        try:
            ordered = sorted(lanes.items(), key=_lane_key)
        except TypeError:  # keys that do not compare: any fixed order will do
            ordered = sorted(lanes.items(), key=_lane_repr)
        lanes.clear()
        lanes.update(ordered)
        self._sorted = True

    def _pop(self, limit: int) -> Iterator[tuple[Any, Any, Any]]:
        """(lane key, times, payloads) popped from each lane: every entry with time < limit."""
        if not self._sorted:
            self._sort()
        for lane, entry in self._lanes.items():
            times, payloads, head = entry
            n = len(times)
            if head == n or times[head] >= limit:
                continue
            start = head
            while head < n and times[head] < limit:
                head += 1
            popped = times[start:head], payloads[start:head]
            self._drop(entry, head)
            yield lane, *popped

    def due_with_lanes(self, limit: int) -> list[tuple[int, Any, Any]]:
        """`due`, as (time, lane key, payload)."""
        out: list[tuple[int, Any, Any]] = []
        for lane, times, payloads in self._pop(limit):
            out += ((t, lane, p) for t, p in zip(times, payloads))
        if len(out) > 1:
            out.sort(key=_first)
        return out

    @staticmethod
    def _drop(entry: list[Any], head: int) -> None:
        times, payloads = entry[0], entry[1]
        if head == len(times):
            del times[:], payloads[:]
            head = 0
        elif head > 256 and 2 * head > len(times):
            del times[:head], payloads[:head]
            head = 0
        entry[2] = head

    def due(self, limit: int) -> list[tuple[int, Any]]:
        """Pop every (time, payload) with time < limit, in time order (ties: lane key, arrival)."""
        out: list[tuple[int, Any]] = []
        for _lane, times, payloads in self._pop(limit):
            out += zip(times, payloads)
        if len(out) > 1:
            out.sort(key=_first)
        return out

    def keep(self, wanted: Callable[[Any], bool]) -> None:
        """Drop every entry whose payload is not `wanted` (moot questions), in O(n)."""
        for entry in self._lanes.values():
            times, payloads, head = entry
            kept = [(t, p) for t, p in zip(times[head:], payloads[head:]) if wanted(p)]
            entry[0] = array("q", [t for t, _ in kept])
            entry[1] = [p for _, p in kept]
            entry[2] = 0

    def __len__(self) -> int:
        return sum(len(entry[0]) - entry[2] for entry in self._lanes.values())


def _first(entry: tuple[Any, ...]) -> int:
    return entry[0]  # type: ignore[no-any-return]


def _lane_key(item: tuple[Any, Any]) -> Any:
    return item[0]


def _lane_repr(item: tuple[Any, Any]) -> str:
    return f"{type(item[0]).__name__}:{item[0]!r}"
