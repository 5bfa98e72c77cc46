"""The hand-over between Faust's consumer and the sink: fetched records in, batches out.

Faust's stream delivers one message at a time: per message a conductor
callback, a channel queue, a stream iteration, an `Event`, an ack, and a few
event-loop round trips (`wait_first` makes two tasks per message). That
machinery cost ≈140 µs of CPU per event here, more than the rule core. The
consumer (faust_app.py) instead puts everything one fetch returned for the
events topic here, as `Record`s, in one call; the task of faust_agents.py takes
them in batches of `max_size`, or what arrived within `within_s`.

Flow control is Faust's: the buffer is managed by `app.flow_control`, which
clears it when a rebalance suspends the flow and again when it resumes, after
the consumer has sought to the positions stored in PostgreSQL. Back-pressure:
after putting a fetch, the consumer stops fetching while `high_water` records
or more wait; a fetch is at most `max_size` records (`broker_max_poll_records`,
faust_app.py), so fewer than `high_water + max_size` records ever wait. Everything
runs on the event loop; nothing here is thread-safe, nothing needs to be.
"""
from __future__ import annotations

import asyncio
from collections import deque

from processors.live.pipeline import Record


class Batches:
    def __init__(self, topic: str, max_size: int, within_s: float,
                 high_water: int | None = None) -> None:
        if max_size < 1:
            raise ValueError("max_size must be positive")
        self.topic = topic
        self.max_size = max_size
        self.within_s = within_s
        self.high_water = high_water or 2 * max_size
        self._chunks: deque[list[Record]] = deque()
        self._size = 0
        self._full = asyncio.Event()   # max_size records are waiting
        self._space = asyncio.Event()  # fewer than high_water are waiting
        self._space.set()

    def __len__(self) -> int:
        return self._size

    def put(self, records: list[Record]) -> None:
        """Add what one fetch returned for a partition (in offset order)."""
        if not records:
            return
        self._chunks.append(records)
        self._size += len(records)
        if self._size >= self.max_size:
            self._full.set()
        if self._size >= self.high_water:
            self._space.clear()

    def clear(self) -> None:
        """Drop what waits (flow control, at a rebalance: the seek that follows re-reads it)."""
        self._chunks.clear()
        self._size = 0
        self._full.clear()
        self._space.set()

    @property
    def has_space(self) -> bool:
        return self._space.is_set()

    async def wait_space(self) -> None:
        await self._space.wait()

    async def take(self) -> list[Record]:
        """At most `max_size` records: at once if that many wait, else after `within_s`."""
        if self._size < self.max_size:
            try:
                await asyncio.wait_for(self._full.wait(), self.within_s)
            except TimeoutError:
                pass
        return self._pop()

    def _pop(self) -> list[Record]:
        out: list[Record] = []
        chunks = self._chunks
        while chunks and len(out) < self.max_size:
            chunk = chunks.popleft()
            room = self.max_size - len(out)
            if len(chunk) > room:
                chunks.appendleft(chunk[room:])
                chunk = chunk[:room]
            out.extend(chunk)
        self._size -= len(out)
        if self._size < self.max_size:
            self._full.clear()
        if self._size < self.high_water:
            self._space.set()
        return out
