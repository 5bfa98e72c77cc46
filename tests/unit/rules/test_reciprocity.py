"""REC-1: per EU party and month, the exchange with the US must be broadly reciprocal."""
from __future__ import annotations

from custodes.timefmt import parse_ms
from tests.spec.builders import World, raised

JAN = parse_ms("2026-01-10T00:00:00.000Z")
FEB_1 = parse_ms("2026-02-01T00:00:00.000Z")


def month(w: World, to_us: int, from_us: int, party: str = "DE") -> None:
    start = JAN + w.chains["US"].seq * 1000  # the US chain's time never goes back
    for i in range(to_us):
        w.transfer(party, "US", f"Q-{party}-{i}", start + i * 1000, transfer_id=f"T-{party}-{i}")
    for i in range(from_us):
        w.transfer("US", party, f"Q-US-{i}", start + i * 1000,
                   transfer_id=f"T-US-{party}-{i}")


def rec(found: dict) -> dict:
    return {k: f for k, f in found.items() if k[0] == "REC-1"}


def test_a_lopsided_month_raises_against_the_side_that_sent_fewer() -> None:
    w = World()
    month(w, to_us=4, from_us=16)
    f = rec(raised(w.events, FEB_1))[("REC-1", "DE/2026-01")]
    assert (f.party, f.severity, f.case_id) == ("DE", "warning", None)
    assert len(f.evidence) == 20
    assert f.observed_at == "2026-02-01T00:00:00.000Z"
    w2 = World()
    month(w2, to_us=16, from_us=4)
    assert rec(raised(w2.events, FEB_1))[("REC-1", "DE/2026-01")].party == "US"


def test_the_month_is_decided_only_from_the_first_instant_of_the_next() -> None:
    w = World()
    month(w, to_us=2, from_us=18)
    assert rec(raised(w.events, FEB_1 - 1)) == {}


def test_a_ratio_of_exactly_500_permille_is_fine() -> None:
    w = World()
    month(w, to_us=10, from_us=20)
    assert rec(raised(w.events, FEB_1)) == {}
    w2 = World()
    month(w2, to_us=9, from_us=20)
    assert rec(raised(w2.events, FEB_1))


def test_below_min_volume_nothing_is_judged_and_exactly_min_volume_is() -> None:
    w = World()
    month(w, to_us=1, from_us=18)  # 19 < 20
    assert rec(raised(w.events, FEB_1)) == {}
    w2 = World()
    month(w2, to_us=0, from_us=20)  # exactly 20
    assert rec(raised(w2.events, FEB_1))[("REC-1", "DE/2026-01")].party == "DE"


def test_the_eu_partys_table_applies() -> None:
    policy = "[parties.DE.reciprocity]\nmin_ratio_permille = 100\nmin_volume = 5\n"
    w = World()
    month(w, to_us=2, from_us=18, party="DE")
    month(w, to_us=2, from_us=18, party="FR")
    assert set(rec(raised(w.events, FEB_1, policy=policy))) == {("REC-1", "FR/2026-01")}
