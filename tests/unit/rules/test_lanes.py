"""The compact waiting forms: per-node lanes, packed MAT-1 waits and fresh RET-1 clocks."""
from __future__ import annotations

import msgspec

from custodes.policy import load_policy
from custodes.timefmt import MS_PER_DAY
from processors.core.agenda import Lanes
from processors.core.engine import Engine
from tests.spec.builders import World, at


def test_lanes_pop_in_time_order_across_lanes_and_refuse_going_back() -> None:
    lanes = Lanes()
    assert lanes.push("a", 5, "a5") and lanes.push("b", 3, "b3") and lanes.push("a", 5, "a5'")
    assert not lanes.push("a", 4, "a4")          # back in its lane: the caller's agenda takes it
    assert lanes.push("b", 9, "b9") and len(lanes) == 4
    assert lanes.due(5) == [(3, "b3")]
    assert lanes.due(6) == [(5, "a5"), (5, "a5'")]
    lanes.keep(lambda p: p != "b9")
    assert len(lanes) == 0 and lanes.due(100) == []


def test_ties_go_by_lane_key_whatever_order_the_lanes_were_created_in() -> None:
    """Given lanes created in descending key order, some between two pops, when entries
    tie on time, then they pop in lane-key order (then arrival), as with ascending keys."""
    lanes = Lanes()
    for key in ("d", "c"):
        lanes.push(key, 7, key)
    assert lanes.due(8) == [(7, "c"), (7, "d")]
    for key in ("e", "b", "a", "d"):
        lanes.push(key, 9, key)
    lanes.push("b", 9, "b'")
    assert [p for _, p in lanes.due(10)] == ["a", "b", "b'", "d", "e"]
    assert [p for _, _, p in (lanes.push("z", 11, "z"), lanes.push("c", 11, "c"))
            and lanes.due_with_lanes(12)] == ["c", "z"]


def test_lanes_drop_popped_entries_from_long_lanes() -> None:
    lanes = Lanes()
    for t in range(2000):
        lanes.push("x", t, t)
    assert [p for _, p in lanes.due(1500)] == list(range(1500))
    assert [p for _, p in lanes.due(10**9)] == list(range(1500, 2000))


def _with_time(event, time_ms: int):
    return msgspec.structs.replace(event, time_ms=time_ms)


def test_a_transfer_out_of_time_order_in_its_node_still_waits_and_is_decided() -> None:
    w = World()
    late = w.transfer("DE", "US", "Q-404", at(minute=5), transfer_id="T-1")
    early = _with_time(w.transfer("DE", "US", "Q-405", at(minute=6), transfer_id="T-2"),
                       at(minute=1))
    engine = Engine(load_policy(None))
    engine.ingest(late)
    engine.ingest(early)  # time goes back: INT-1, and the MAT-1 question goes to the agenda
    found = {(o.rule, o.key) for o in engine.advance(at(minute=2))}
    assert ("MAT-1", "T-2") in found and ("MAT-1", "T-1") not in found
    assert ("MAT-1", "T-1") in {(o.rule, o.key) for o in engine.advance(at(minute=6))}


def test_a_settled_transfer_does_not_wait_and_fresh_clocks_expand_when_needed() -> None:
    w = World()
    t = w.exchange("US", "DE", at(), transfer_id="T-1", case_id="US-C-\u00e9")
    engine = Engine(load_policy(None))
    for e in w.events:
        engine.ingest(e)
    assert engine.matching.waiting() == 0           # the hit was known: nothing waits
    deadline = t.time_ms + 14 * MS_PER_DAY
    (f,) = engine.advance(deadline + 1)
    assert (f.rule, f.key, f.case_id, f.party, f.evidence) == (
        "RET-1", "T-1", "US-C-\u00e9", "US", [t.id])
