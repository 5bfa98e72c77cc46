"""HRV-1: adverse, significant decisions need a human review of the same case before them."""
from __future__ import annotations

from tests.spec.builders import World, at, raised

H = at(day=1)


def test_a_decision_after_a_review_of_the_case_is_fine() -> None:
    w = World()
    w.review("US", at(), review_id="RV-1", case_id="US-C-4")
    w.decide("US", at(), review_id="RV-1", case_id="US-C-4")  # same time: before
    assert raised(w.events, H) == {}


def test_an_automated_decision_without_review_is_critical() -> None:
    w = World()
    d = w.decide("US", at(), review_id=None, automated=True, decision_id="DEC-2",
                 case_id="US-C-5")
    f = raised(w.events, H)[("HRV-1", "DEC-2")]
    assert (f.party, f.severity, f.case_id, f.evidence) == ("US", "critical", "US-C-5", [d.id])


def test_a_manual_decision_citing_a_later_or_foreign_review_is_a_violation() -> None:
    w = World()
    w.review("US", at(), review_id="RV-1", case_id="US-C-other")
    w.decide("US", at(hour=1), review_id="RV-1", decision_id="DEC-1", case_id="US-C-4")
    w.decide("US", at(hour=2), review_id="RV-2", decision_id="DEC-2", case_id="US-C-4")
    w.review("US", at(hour=3), review_id="RV-2", case_id="US-C-4")
    found = raised(w.events, H)
    assert found[("HRV-1", "DEC-1")].severity == "violation"
    assert "after" in found[("HRV-1", "DEC-2")].summary


def test_decisions_that_are_not_both_adverse_and_significant_need_no_review() -> None:
    w = World()
    w.decide("US", at(), review_id=None, adverse=True, significant=False)
    w.decide("US", at(), review_id=None, adverse=False, significant=True)
    assert raised(w.events, H) == {}
