"""SYS-2: more than the limit of queries by one officer in one UTC clock hour."""
from __future__ import annotations

from tests.spec.builders import World, at, raised

H = at(day=1)


def queries(w: World, n: int, *, officer: str = "officer-7", party: str = "US",
            start: int | None = None, step_ms: int = 60_000) -> list:
    t0 = at() if start is None else start
    return [w.query(party, "DE", t0 + i * step_ms, officer=officer) for i in range(n)]


def test_twenty_queries_in_an_hour_are_fine() -> None:
    w = World()
    queries(w, 20, step_ms=120_000)
    assert not [k for k in raised(w.events, H) if k[0] == "SYS-2"]


def test_the_twenty_first_query_raises_one_warning_with_the_queries_so_far() -> None:
    w = World()
    qs = queries(w, 25, step_ms=60_000)  # 08:00 .. 08:24
    found = [f for f in raised(w.events, H).values() if f.rule == "SYS-2"]
    assert len(found) == 1
    f = found[0]
    assert f.key == "US/officer-7/2026-01-05T08"
    assert (f.party, f.severity, f.case_id) == ("US", "warning", None)
    assert f.evidence == sorted(q.id for q in qs[:21])
    assert f.observed_at == qs[20].time


def test_the_count_restarts_at_the_clock_hour_not_a_sliding_window() -> None:
    w = World()
    queries(w, 15, start=at(minute=40), step_ms=60_000)  # 08:40..08:54
    queries(w, 15, start=at(hour=1), step_ms=60_000)     # 09:00..09:14
    assert not [k for k in raised(w.events, H) if k[0] == "SYS-2"]


def test_officers_are_counted_separately_and_per_party() -> None:
    w = World()
    queries(w, 12, officer="a", step_ms=60_000)
    queries(w, 12, officer="b", start=at(minute=20), step_ms=60_000)
    queries(w, 12, officer="a", party="DE")
    assert not [k for k in raised(w.events, H) if k[0] == "SYS-2"]


def test_the_limit_is_the_requesting_partys() -> None:
    w = World()
    queries(w, 6, party="DE")
    queries(w, 6, party="US")
    policy = "[parties.DE.systematic]\nmax_queries_per_officer_hour = 5\n"
    keys = [k for k in raised(w.events, H, policy=policy) if k[0] == "SYS-2"]
    assert keys == [("SYS-2", "DE/officer-7/2026-01-05T08")]
