"""INT-1: each node's log is one unbroken hash chain with verifiable checkpoints."""
from __future__ import annotations

from custodes.signing import NodeKey
from tests.spec.builders import World, at, audit, forge, raised

H = at(day=1)
DE = "urn:ebsp:node:DE"


def clean(w: World) -> None:
    w.exchange("US", "DE", at())
    w.close(at(hour=1))


def int1(found: dict) -> dict:
    return {k: f for k, f in found.items() if k[0] == "INT-1"}


def test_an_intact_signed_record_has_no_integrity_finding() -> None:
    w = World()
    clean(w)
    assert raised(w.events, H, trust=w.trust()) == {}


def test_a_missing_event_is_a_gap_at_the_next_event() -> None:
    w = World()
    w.exchange("US", "DE", at())
    w.events = [e for e in w.events if not (e.source == DE and e.seq == 1)]
    w.close(at(hour=1))
    found = int1(raised(w.events, H, trust=w.trust()))
    assert list(found) == [("INT-1", f"{DE}/2")]
    f = found[("INT-1", f"{DE}/2")]
    assert (f.party, f.severity, f.case_id) == ("DE", "critical", None)
    assert "seq jumps" in f.summary and "prevhash" in f.summary


def test_an_altered_event_breaks_the_link_to_the_next_and_verification_resumes() -> None:
    w = World()
    transfer = w.exchange("US", "DE", at())           # DE seq 2
    w.answer("DE", "Q-x", at(minute=10))               # DE seq 3, links to the transfer
    w.close(at(hour=1))                                # DE seq 4
    altered = forge(w, "DE", "query.answered", {
        "query_id": "Q-y", "case_id": "C-1", "responding_party": "DE", "result": "no_hit",
        "matched_databases": [], "candidate_count": 0, "automated": True},
        at(minute=1), seq=2, prevhash=transfer.prevhash, id=transfer.id, chain=False)
    record = [altered if e is transfer else e for e in w.events if e is not altered]
    found = int1(raised(record, H, trust=w.trust()))
    assert list(found) == [("INT-1", f"{DE}/3")]     # seq 4 links to seq 3 again


def test_two_events_with_one_seq_the_later_arrival_is_a_repeat() -> None:
    w = World()
    w.answer("DE", "Q-1", at())                        # DE seq 1
    first = w.answer("DE", "Q-2", at(minute=1))        # DE seq 2
    w.answer("DE", "Q-3", at(minute=2))                # DE seq 3, links to `first`
    second = forge(w, "DE", "query.answered", {
        "query_id": "Q-9", "case_id": "C-1", "responding_party": "DE", "result": "hit",
        "matched_databases": [], "candidate_count": 1, "automated": True},
        at(minute=1), seq=2, prevhash=first.prevhash, chain=False,
        id="00000000-0000-4000-8000-000000000002")
    found = int1(raised(w.events, H))
    assert "repeats" in found[("INT-1", f"{DE}/2")].summary
    assert found[("INT-1", f"{DE}/2")].evidence == [second.id]
    # verification continues from the repeat, so seq 3 no longer links
    assert set(found) == {("INT-1", f"{DE}/2"), ("INT-1", f"{DE}/3")}


def test_time_going_back_is_reported_on_the_offending_event() -> None:
    w = World()
    w.answer("DE", "Q-1", at(minute=10))
    e = forge(w, "DE", "query.answered", {
        "query_id": "Q-2", "case_id": "C-1", "responding_party": "DE", "result": "hit",
        "matched_databases": [], "candidate_count": 1, "automated": True}, at(minute=5))
    w.checkpoint("DE", at(hour=1))
    found = int1(raised(w.events, H, trust=w.trust()))
    assert list(found) == [("INT-1", f"{DE}/{e.seq}")]
    assert "time goes back" in found[("INT-1", f"{DE}/2")].summary


def test_a_checkpoint_signed_with_another_key_fails_only_when_trust_is_given() -> None:
    w = World()
    w.answer("DE", "Q-1", at())
    head = w.chains["DE"].head_hash
    rogue = NodeKey.from_seed("DE", "DE-test-1", b"not the node")
    cp = forge(w, "DE", "node.checkpoint", {
        "head_seq": 1, "head_hash": head, "key_id": "DE-test-1",
        "signature": rogue.sign_head(head)}, at(hour=1))
    found = int1(raised(w.events, H, trust=w.trust()))
    assert list(found) == [("INT-1", f"{DE}/{cp.seq}")]
    assert "signature" in found[("INT-1", f"{DE}/2")].summary
    assert int1(raised(w.events, H)) == {}


def test_a_checkpoint_whose_head_differs_from_the_chain_is_reported() -> None:
    w = World()
    w.answer("DE", "Q-1", at())
    w.answer("DE", "Q-2", at(minute=1))
    first = w.events[0].hash
    key = w.keys["DE"]
    forge(w, "DE", "node.checkpoint", {
        "head_seq": 1, "head_hash": first, "key_id": "DE-test-1",
        "signature": key.sign_head(first)}, at(hour=1))
    found = int1(raised(w.events, H, trust=w.trust()))
    assert "checkpoint head" in found[("INT-1", f"{DE}/3")].summary


def test_an_exact_duplicate_is_ignored_but_a_conflicting_one_is_int1() -> None:
    w = World()
    w.exchange("US", "DE", at())
    w.close(at(hour=1))
    original = w.events[1]  # DE seq 1, the answer
    twin = forge(w, "DE", "query.answered", {
        "query_id": "Q-other", "case_id": "C-1", "responding_party": "DE", "result": "hit",
        "matched_databases": [], "candidate_count": 1, "automated": True},
        at(hour=2), id=original.id, chain=False)
    result = audit([*w.events, original, original], H, trust=w.trust())
    assert result.duplicates == 2 and result.conflicts == 1
    assert [(f.rule, f.key) for f in result.findings] == [("INT-1", f"{DE}/{twin.seq}")]
    assert "different content" in result.findings[0].summary
