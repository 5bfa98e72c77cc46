"""The engine as the live runner drives it: watermark, late arrivals, identity checks."""
from __future__ import annotations

from custodes.policy import load_policy
from custodes.timefmt import MS_PER_DAY
from processors.core.engine import Engine
from processors.core.integrity import Seen
from tests.spec.builders import World, at


def test_the_watermark_is_the_oldest_latest_checkpoint_of_the_nodes_seen() -> None:
    w = World()
    engine = Engine(load_policy(None))
    assert engine.watermark_ms is None
    engine.ingest(w.answer("DE", "Q-1", at()))
    assert engine.watermark_ms is None  # DE has no checkpoint yet
    engine.ingest(w.checkpoint("DE", at(minute=5)))
    assert engine.watermark_ms == at(minute=5)
    engine.ingest(w.query("US", "DE", at(minute=1)))
    assert engine.watermark_ms is None  # a newly seen node without a checkpoint
    engine.ingest(w.checkpoint("US", at(minute=9)))
    assert engine.watermark_ms == at(minute=5)


def test_a_before_question_waits_for_the_watermark_to_pass_the_event() -> None:
    w = World()
    engine = Engine(load_policy(None))
    w.query("US", "DE", at(), query_id="Q-1")
    transfer = w.transfer("NL", "US", "Q-1", at(minute=2), transfer_id="T-1")
    hit = w.answer("NL", "Q-1", at(minute=2))  # same node, after the transfer in seq
    assert engine.ingest(transfer) == []
    assert engine.advance(at(minute=2)) == []          # not yet: the watermark must pass
    engine.ingest(hit)
    assert engine.advance(at(minute=2, ms=1)) == []    # hit at the same ms counts as before


def test_a_deadline_fires_once_the_watermark_is_past_it_and_a_late_deletion_resolves() -> None:
    w = World()
    engine = Engine(load_policy(None))
    t = w.exchange("US", "DE", at(), transfer_id="T-1")
    for e in w.events:
        engine.ingest(e)
    deadline = t.time_ms + 14 * MS_PER_DAY
    assert engine.advance(deadline) == []
    (f,) = engine.advance(deadline + 1)
    assert (f.rule, f.key) == ("RET-1", "T-1")
    assert engine.advance(deadline + 2) == []           # raised once
    (r,) = engine.ingest(w.delete("US", "T-1", deadline + 10))
    assert r.finding_id == f.finding_id


def test_seen_tells_the_runner_what_to_quarantine() -> None:
    w = World()
    engine = Engine(load_policy(None))
    e = w.answer("DE", "Q-1", at())
    assert engine.seen(e) is Seen.NEW
    engine.ingest(e)
    assert engine.seen(e) is Seen.DUPLICATE
    assert engine.ingest(e) == []
