"""Results of the read-only views, kept while the data behind them has not changed.

Every page of a scope shows the same numbers to every viewer of that scope
until the store changes, and open pages re-fetch together when `/api/live`
says it changed. The cache keys each result by the *data version* read before
the result was computed (`queries.version.current`): a version names one state
of everything the views read, so a hit returns exactly what a new computation
would (or something newer, never older: the version is read first). When the
version moves, every entry is dropped. Entries are per scope and filters; the
access event of the request is written either way.

`ResultCache(0)` caches nothing (the integration tests that write the store
behind the app's back use it).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class ResultCache:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._version: Hashable = None
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, version: Hashable, key: Hashable, compute: Callable[[], T]) -> T:
        """The result for `key` at `version`, computed (outside the lock) if not kept."""
        if self.max_entries <= 0:
            return compute()
        with self._lock:
            if version == self._version and key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]  # type: ignore[return-value]
            self.misses += 1
            seen = self._version
        value = compute()
        with self._lock:
            if self._version != seen and self._version != version:
                return value  # a newer version arrived meanwhile: keep its entries
            if version != self._version:
                self._entries.clear()
                self._version = version
            self._entries[key] = value
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value
