"""The live low watermark (§5), over the nodes the platform expects, not only those seen.

§5 takes the minimum over nodes "that have emitted at least one event". Live,
a node's first event can sit unread in a partition the consumer has not
reached yet: counting only the nodes seen so far then lets the watermark run
ahead of a node that simply has not been read, and "before" questions are
decided too early (observed: an ONW-1 raised although the grant existed).
The processor therefore waits for a checkpoint from every node it expects —
the nodes of the trust file, or `--nodes` — and never goes beyond the engine's
own watermark. Without either, it falls back to the engine's (§5 as written).
"""
from __future__ import annotations

from collections.abc import Iterable

from custodes.events import CHECKPOINT_TYPE, Event


class Watermark:
    def __init__(self, expected: Iterable[str] | None) -> None:
        self.expected = frozenset(expected) if expected else frozenset()
        self.latest: dict[str, int] = {}

    def observe(self, event: Event) -> None:
        if event.type == CHECKPOINT_TYPE and event.party in self.expected:
            if event.time_ms > self.latest.get(event.party, -(2**62)):
                self.latest[event.party] = event.time_ms

    def value(self, engine_wm: int | None) -> int | None:
        if engine_wm is None or not self.expected:
            return engine_wm
        if len(self.latest) < len(self.expected):
            return None
        return min(engine_wm, min(self.latest.values()))

    def waiting_for(self) -> list[str]:
        return sorted(self.expected - self.latest.keys())
