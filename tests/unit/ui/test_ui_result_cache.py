"""The result cache: a hit only at the same data version, everything dropped when it moves."""
from __future__ import annotations

from oversight_ui.cache import ResultCache


def counter() -> tuple[list[int], object]:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)
    return calls, compute


def test_same_version_and_key_is_computed_once() -> None:
    cache = ResultCache(8)
    calls, compute = counter()
    assert cache.get("v1", "k", compute) == 1
    assert cache.get("v1", "k", compute) == 1
    assert cache.get("v1", "other", compute) == 2
    assert (cache.hits, cache.misses, len(calls)) == (1, 2, 2)


def test_a_new_version_drops_every_entry() -> None:
    cache = ResultCache(8)
    _, compute = counter()
    cache.get("v1", "a", compute)
    cache.get("v1", "b", compute)
    assert cache.get("v2", "a", compute) == 3
    assert cache.get("v2", "b", compute) == 4  # b of v1 is gone too
    assert cache.get("v1", "a", compute) == 5  # back to an old version: recomputed, never reused


def test_size_zero_caches_nothing_and_the_size_is_bounded() -> None:
    off = ResultCache(0)
    calls, compute = counter()
    off.get("v", "k", compute)
    off.get("v", "k", compute)
    assert len(calls) == 2
    small = ResultCache(2)
    calls, compute = counter()
    for key in ("a", "b", "c", "a"):
        small.get("v", key, compute)
    assert len(calls) == 4  # a was evicted by c


def test_a_slow_result_of_an_older_version_does_not_replace_newer_entries() -> None:
    cache = ResultCache(8)
    newer_calls, newer = counter()

    def slow_old() -> str:
        cache.get("v2", "k", newer)  # a request at v2 completes meanwhile
        return "old"

    assert cache.get("v1", "k", slow_old) == "old"
    assert cache.get("v2", "k", newer) == 1 and len(newer_calls) == 1
