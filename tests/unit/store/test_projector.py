"""Projection updaters are pure: events in, row deltas out, no database."""
from __future__ import annotations

from pathlib import Path

from custodes.codec import decode
from custodes.events import Event
from custodes.policy import load_policy
from custodes.timefmt import MS_PER_DAY, parse_ms
from store.projections import Deltas, Projector

EXAMPLES = Path("/work/shared/spec/examples")


def _events(case: str) -> list[Event]:
    out = []
    for line in (EXAMPLES / case / "events.jsonl").read_bytes().splitlines():
        if line.strip():
            event = decode(line)
            assert isinstance(event, Event)
            out.append(event)
    return out


def _type(events: list[Event], type_: str) -> list[Event]:
    return [e for e in events if e.type == type_]


def test_queries_hits_and_transfers_count_under_the_query_day_and_pair() -> None:
    events = _events("clean-exchange")
    d = Deltas()
    projector = Projector(load_policy(None))
    for e in events:
        projector.apply(e, d)
    assert sum(v[0] for v in d.volumes.values()) == len(_type(events, "ebsp.query.submitted.v1"))
    assert sum(v[2] for v in d.volumes.values()) == len(_type(events, "ebsp.transfer.sent.v1"))
    hits = [e for e in _type(events, "ebsp.query.answered.v1") if e.data.result == "hit"]
    assert sum(v[1] for v in d.volumes.values()) == len(hits)
    assert sum(v[1] for v in d.nodes.values()) == len(events)


def test_an_answer_read_before_its_query_is_still_counted_once() -> None:
    events = _events("clean-exchange")
    answers = _type(events, "ebsp.query.answered.v1")
    queries = _type(events, "ebsp.query.submitted.v1")
    in_order, reversed_ = Deltas(), Deltas()
    p1, p2 = Projector(load_policy(None)), Projector(load_policy(None))
    for e in queries + answers:
        p1.apply(e, in_order)
    for e in answers + queries:
        p2.apply(e, reversed_)
    assert in_order.volumes == reversed_.volumes
    assert p1.pending_joins == p2.pending_joins == 0


def test_a_transfer_opens_a_clock_with_the_recipients_retention_deadline() -> None:
    policy = load_policy(None)
    events = _events("retention-overdue")
    transfer = _type(events, "ebsp.transfer.sent.v1")[0]
    d = Deltas()
    Projector(policy).apply(transfer, d)
    clock = d.clocks[transfer.data.transfer_id]
    days = policy.for_party(transfer.data.recipient)
    expected_days = (days.retention_special_category_days if transfer.data.special_categories
                     else days.retention_default_days)
    assert clock["deadline"] == transfer.time_ms + expected_days * MS_PER_DAY
    assert clock["recipient"] == transfer.data.recipient


def test_findings_feed_the_register_and_node_chain_status() -> None:
    from processors.core.findings import raised

    f = raised(rule="INT-1", key="urn:ebsp:node:DE/3", severity="critical", party="DE",
               case_id=None, evidence=["b", "a"], observed_ms=parse_ms("2026-01-05T08:00:00.000Z"),
               summary="gap")
    d = Deltas()
    Projector(load_policy(None)).apply_output(f, 42, 7, d)
    assert d.findings_raised[0]["evidence"] == ["a", "b"]
    assert d.findings_raised[0]["platform_seq"] == 7
    assert d.node_int1["DE"] == [f.finding_id, "urn:ebsp:node:DE/3", 1]


def test_an_assessment_is_a_move_whatever_the_order_and_the_projector_keeps_no_clock() -> None:
    """The join with the transfer is the writer's (database), so read order does not matter
    here and nothing per clock stays in memory (tests/integration/store: the early move)."""
    from tests.spec.builders import World, at

    w = World()
    t = w.exchange("US", "DE", at(), transfer_id="T-1", case_id="US-C-2")
    assessment = w.assess("US", "T-1", at(day=10), review_by=at(day=40))
    others = [e for e in w.events if e is not assessment]
    in_order, early = Deltas(), Deltas()
    p1, p2 = Projector(load_policy(None)), Projector(load_policy(None))
    for e in w.events:
        p1.apply(e, in_order)
    for e in [assessment, *others]:  # the recipient's partition read first
        p2.apply(e, early)
    move = ("T-1", "US", at(day=10), at(day=40))
    assert in_order.clock_moves == early.clock_moves == [move]
    assert in_order.clocks["T-1"]["deadline"] == early.clocks["T-1"]["deadline"] \
        == t.time_ms + 14 * MS_PER_DAY
    assert vars(p1).keys() == vars(p2).keys() == {"_policy", "_views", "_queries",
                                                  "_early_hits", "_handlers"}
    assert not p1._queries and not p1._early_hits  # answered: no join left either


def test_an_assessment_without_continuing_risk_moves_nothing_and_the_review_is_capped() -> None:
    from tests.spec.builders import World, at

    w = World()
    w.exchange("US", "DE", at(), transfer_id="T-1")
    w.assess("US", "T-1", at(day=1), review_by=at(day=900))  # beyond the maximum review
    w.assess("US", "T-1", at(day=2), continuing_risk=False)
    d = Deltas()
    projector = Projector(load_policy(None))
    for e in w.events:
        projector.apply(e, d)
    cap = at(day=1) + load_policy(None).for_party("US").retention_max_review_days * MS_PER_DAY
    assert d.clock_moves == [("T-1", "US", at(day=1), cap)]
