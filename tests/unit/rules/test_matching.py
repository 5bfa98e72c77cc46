"""MAT-1: a transfer needs a hit answer from its sender, before it."""
from __future__ import annotations

from tests.spec.builders import World, at, raised

H = at(day=1)


def test_a_transfer_after_the_senders_hit_is_fine() -> None:
    w = World()
    w.exchange("US", "DE", at())
    assert raised(w.events, H) == {}


def test_a_hit_at_the_same_millisecond_counts_as_before() -> None:
    w = World()
    w.query("US", "DE", at(), query_id="Q-1")
    w.answer("DE", "Q-1", at(minute=1))
    w.transfer("DE", "US", "Q-1", at(minute=1), transfer_id="T-1")
    assert raised(w.events, H) == {}


def test_a_transfer_without_any_answer_is_unmatched() -> None:
    w = World()
    t = w.transfer("DE", "US", "Q-404", at(), transfer_id="T-1", case_id="US-C-9")
    f = raised(w.events, H)[("MAT-1", "T-1")]
    assert (f.party, f.severity, f.case_id, f.evidence) == ("DE", "violation", "US-C-9", [t.id])
    assert f.observed_at == t.time


def test_no_hit_or_a_hit_from_another_party_does_not_match() -> None:
    w = World()
    w.query("US", "DE", at(), query_id="Q-1")
    w.answer("DE", "Q-1", at(minute=1), result="no_hit")
    w.answer("FR", "Q-1", at(minute=1))
    w.transfer("DE", "US", "Q-1", at(minute=2), transfer_id="T-1")
    assert ("MAT-1", "T-1") in raised(w.events, H)


def test_a_hit_that_comes_after_the_transfer_is_too_late() -> None:
    w = World()
    w.query("US", "DE", at(), query_id="Q-1")
    w.transfer("DE", "US", "Q-1", at(minute=1), transfer_id="T-1")
    w.answer("DE", "Q-1", at(minute=1, ms=1))
    assert "after" in raised(w.events, H)[("MAT-1", "T-1")].summary

