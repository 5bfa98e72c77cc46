"""PUR-1, SYS-1, SRC-1, SPC-1: rules decided by one event, with their policy tables."""
from __future__ import annotations

from tests.spec.builders import World, at, raised

H = at(day=1)


def test_a_law_enforcement_query_breaches_purpose_limitation() -> None:
    w = World()
    q = w.query("US", "BE", at(), purpose="law_enforcement", case_id="US-C-6")
    f = raised(w.events, H)[("PUR-1", q.data.query_id)]
    assert (f.party, f.severity, f.case_id, f.evidence) == ("US", "violation", "US-C-6", [q.id])
    assert f.observed_at == q.time and f.due is None


def test_an_allowed_purpose_raises_nothing() -> None:
    w = World()
    w.query("US", "BE", at(), purpose="identity_verification")
    assert raised(w.events, H) == {}


def test_purpose_uses_the_requesting_partys_table() -> None:
    policy = '[parties.DE.purposes]\nallowed = ["border_screening", "law_enforcement"]\n'
    w = World()
    de = w.query("DE", "US", at(), purpose="law_enforcement")
    us = w.query("US", "DE", at(), purpose="law_enforcement")
    found = raised(w.events, H, policy=policy)
    assert ("PUR-1", de.data.query_id) not in found
    assert found[("PUR-1", us.data.query_id)].party == "US"


def test_bulk_and_unjustified_queries_are_systematic() -> None:
    w = World()
    bulk = w.query("US", "ES", at(), records=2)
    blank = w.query("US", "ES", at(minute=1), justification="   ")
    fine = w.query("US", "ES", at(minute=2), records=1)
    found = raised(w.events, H)
    assert found[("SYS-1", bulk.data.query_id)].severity == "violation"
    assert "records" in found[("SYS-1", bulk.data.query_id)].summary
    assert ("SYS-1", blank.data.query_id) in found
    assert ("SYS-1", fine.data.query_id) not in found


def test_a_transfer_from_eurodac_is_critical_for_the_sender() -> None:
    w = World()
    t = w.exchange("US", "ES", at(), sources=["ES-AFIS", "EURODAC"])
    f = raised(w.events, H)[("SRC-1", t.data.transfer_id)]
    assert (f.party, f.severity, f.case_id) == ("ES", "critical", "C-1")
    assert "EURODAC" in f.summary


def test_prohibited_sources_follow_the_senders_table() -> None:
    policy = '[parties.ES.sources]\nprohibited = ["EURODAC", "ECRIS-TCN", "EES", "ES-AFIS"]\n'
    w = World()
    es = w.exchange("US", "ES", at())
    de = w.exchange("US", "DE", at(), sources=["DE-AFIS", "SIS"])
    found = raised(w.events, H, policy=policy)
    assert ("SRC-1", es.data.transfer_id) in found
    assert ("SRC-1", de.data.transfer_id) not in found


def test_special_categories_need_a_justification() -> None:
    w = World()
    bare = w.exchange("US", "FR", at(), special=["health"], justification=" ")
    none = w.exchange("US", "FR", at(minute=5), special=["genetic"], justification=None)
    fine = w.exchange("US", "FR", at(minute=9), special=["health"], justification="medical alert")
    plain = w.exchange("US", "FR", at(minute=12), justification=None)
    found = raised(w.events, H)
    assert found[("SPC-1", bare.data.transfer_id)].party == "FR"
    assert ("SPC-1", none.data.transfer_id) in found
    assert ("SPC-1", fine.data.transfer_id) not in found
    assert ("SPC-1", plain.data.transfer_id) not in found
