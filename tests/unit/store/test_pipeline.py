"""The live pipeline without Kafka or PostgreSQL: redelivery is a no-op, bad bytes quarantined."""
from __future__ import annotations

from pathlib import Path

from custodes.policy import load_policy
from processors.core.engine import Engine
from processors.live.pipeline import Pipeline, Record
from store.projections import Projector

LINES = [ln for ln in Path("/work/shared/spec/examples/purpose-bulk-source/events.jsonl")
         .read_bytes().splitlines() if ln.strip()]


def _pipeline() -> Pipeline:
    policy = load_policy(None)
    return Pipeline(consumer="t", engine=Engine(policy), projector=Projector(policy),
                    positions={}, ingest_no=1)


def test_a_redelivered_batch_produces_nothing_and_positions_follow_the_records() -> None:
    p = _pipeline()
    records = [Record("t", 0, i, None, v) for i, v in enumerate(LINES)]
    first = p.process(records)
    again = p.process(records)
    assert len(first.archive_rows) == len(LINES) and first.positions == {("t", 0): len(LINES)}
    assert again.redelivered == len(LINES)
    assert not again.archive_rows and not again.positions and not again.platform_outputs


def test_garbage_is_quarantined_with_its_bytes_and_the_position_still_moves() -> None:
    p = _pipeline()
    batch = p.process([Record("t", 1, 5, b"DE", b"\x00garbage")])
    assert batch.positions == {("t", 1): 6}
    assert len(batch.quarantine_rows) == 1 and not batch.archive_rows
    assert batch.quarantine_rows[0][4] == "AGdhcmJhZ2U="  # base64 of the original bytes


def test_each_finding_is_handed_over_once_even_when_decided_again() -> None:
    p = _pipeline()
    batch = p.process([Record("t", 0, i, None, v) for i, v in enumerate(LINES)])
    ids = [o.finding_id for o in batch.platform_outputs]
    assert ids and len(ids) == len(set(ids))
    assert {f["finding_id"] for f in batch.deltas.findings_raised} == set(ids)
    p.emit(list(batch.platform_outputs), again := type(batch)(consumer="t"))
    assert not again.platform_outputs  # known ids are never emitted twice


def test_a_record_above_the_stored_position_refuses_the_batch_before_anything_moves() -> None:
    """A gap (offsets skipped, e.g. a stale fetch handed over) is not a redelivery."""
    import pytest

    from processors.live.pipeline import OffsetGap
    policy = load_policy(None)
    p = Pipeline(consumer="t", engine=Engine(policy), projector=Projector(policy),
                 positions={("t", 0): 3}, ingest_no=1)
    records = [Record("t", 0, i, None, v) for i, v in enumerate(LINES)]
    with pytest.raises(OffsetGap, match=r"t\[0\]: offset 5 follows position 3"):
        p.process(records[5:])
    with pytest.raises(OffsetGap, match="offset 6 follows position 5"):  # a gap inside
        p.process(records[3:5] + records[6:])
    assert p.positions == {("t", 0): 3} and p.ingest_no == 1  # nothing moved
    batch = p.process(records[1:])  # a redelivery, then the continuation: accepted
    assert batch.redelivered == 2 and batch.started_from == {("t", 0): 3}
    assert batch.positions == {("t", 0): len(LINES)}


def test_a_partition_without_a_stored_position_starts_at_its_first_record() -> None:
    """Retention may have moved the log start: the first record may be anywhere."""
    import pytest

    from processors.live.pipeline import OffsetGap
    p = _pipeline()
    batch = p.process([Record("t", 0, 40 + i, None, v) for i, v in enumerate(LINES[:3])])
    assert batch.positions == {("t", 0): 43} and batch.records == 3
    with pytest.raises(OffsetGap):
        p.process([Record("t", 0, 44, None, LINES[3])])
