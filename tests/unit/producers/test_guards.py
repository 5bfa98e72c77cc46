"""The compliance guards keep their invariants whatever the order of requests."""
from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from producers.guards import OfficerRoster, ReciprocityLedger, balanced


@given(st.lists(st.sampled_from("ab"), max_size=400))
def test_ledger_never_leaves_a_balanced_state(sides):
    ledger = ReciprocityLedger()
    entry = ledger.months.setdefault(("DE", "2026-01"), [0, 0, ""])
    for side in sides:
        ledger.allow(entry, side, 20, 500)
        assert balanced(entry[0], entry[1], 20, 500)


def test_ledger_suppresses_one_direction_in_an_injected_month():
    ledger = ReciprocityLedger()
    entry = [0, 0, "b"]
    assert all(ledger.allow(entry, "a", 20, 500) for _ in range(30))
    assert not ledger.allow(entry, "b", 20, 500)
    assert entry[:2] == [30, 0] and not balanced(30, 0, 20, 500)


def test_ledger_draws_a_months_injection_once_when_the_month_is_first_touched():
    ledger, draws = ReciprocityLedger(), []

    def draw() -> bool:
        draws.append(1)
        return True

    entry = ledger.entry("DE", "2026-01", draw, random.Random(1))
    assert entry[2] in ("a", "b") and entry[:2] == [0, 0]
    assert ledger.entry("DE", "2026-01", draw, random.Random(2)) is entry and len(draws) == 1
    assert ledger.entry("DE", "2026-02", lambda: False, random.Random(1))[2] == ""


@given(st.integers(1, 30), st.integers(1, 10), st.integers(0, 400), st.integers(0, 2**32))
def test_roster_never_gives_an_officer_more_than_the_limit_in_an_hour(limit, pool, n, seed):
    roster, rng = OfficerRoster("US", pool), random.Random(seed)
    counts: dict[str, int] = {}
    for i in range(n):
        officer = roster.assign(1_000 + i, limit, rng)  # all in the same hour
        counts[officer] = counts.get(officer, 0) + 1
    assert all(c <= limit for c in counts.values())
