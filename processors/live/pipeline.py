"""The live pipeline: Kafka records in, one `Batch` out. No I/O.

Per record: decode (a `Rejection` is quarantined with its original bytes);
ask the engine whether the (source, id) is new, an exact duplicate (ignored)
or a conflicting duplicate (quarantined, archived as `conflict`, and given to
the engine, which raises INT-1); archive and ingest new events; fold them
into the projections. After the batch, the engine is advanced to the low
watermark (§5); every new finding goes into the batch, to be chained as a
platform event when the batch is stored. Records before the
position already stored (a redelivery) are skipped: with positions committed
in the same transaction as the rows, a duplicate delivery is a no-op.
A record ABOVE the position stored for its partition (a gap: offsets were
skipped) refuses the whole batch with `OffsetGap` before anything moves: the
events topic's producers are idempotent, not transactional, so its offsets
are contiguous and a gap means a runner handed over the wrong records. A
partition with no stored position accepts its first record at any offset
(retention may have moved the log start).

The runners (kafka-python loop, Faust agent) only feed records and store
batches; they know nothing of the rules.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from custodes.codec import Rejection, decode
from custodes.events import Event, FindingRaised
from custodes.timefmt import parse_ms
from processors.core.engine import Engine
from processors.core.integrity import Seen
from processors.live.watermark import Watermark
from store.archive import Coordinates, archive_row
from store.batch import Batch, TopicPartition
from store.platform_chain import Output
from store.projections import Projector
from store.quarantine import quarantine_row


class Record(NamedTuple):
    """One Kafka message as every runner sees it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int | None = None  # the producer's CreateTime (latency measurements)


class OffsetGap(RuntimeError):
    """A record above the next offset of its partition: not input, the runner stops."""


def check_contiguous(records: list[Record], positions: dict[TopicPartition, int]) -> None:
    """Raise `OffsetGap` unless each partition's records continue at its position.

    Records below the position (a redelivery) are allowed anywhere; they are skipped.
    """
    expected: dict[TopicPartition, int] = {}
    for rec in records:
        tp = (rec.topic, rec.partition)
        nxt = expected.get(tp)
        if nxt is None:
            nxt = positions.get(tp)
            if nxt is None:  # no stored position: the first record starts it
                expected[tp] = rec.offset + 1
                continue
        if rec.offset == nxt:
            expected[tp] = nxt + 1
        elif rec.offset > nxt:
            raise OffsetGap(f"{rec.topic}[{rec.partition}]: offset {rec.offset} follows "
                            f"position {nxt}; offsets {nxt}..{rec.offset - 1} were not read "
                            "(batch refused, nothing stored; a restart seeks to the stored "
                            "positions)")
        else:
            expected[tp] = nxt


class Pipeline:
    def __init__(self, *, consumer: str, engine: Engine, projector: Projector,
                 positions: dict[TopicPartition, int], ingest_no: int,
                 known_raised: set[str] | None = None, known_resolved: set[str] | None = None,
                 watermark_ms: int | None = None, watermark: Watermark | None = None) -> None:
        self.consumer = consumer
        self.engine = engine
        self.projector = projector
        self.positions = dict(positions)
        self.ingest_no = ingest_no
        self.known_raised = known_raised if known_raised is not None else set()
        self.known_resolved = known_resolved if known_resolved is not None else set()
        self.advanced_to = watermark_ms
        self.watermark = watermark or Watermark(None)
        self.pending: list[Output] = []  # outputs to emit with the next batch (after a rebuild)

    def process(self, records: Iterable[Record]) -> Batch:
        """Fold records into a batch; state moves on as if the batch were stored.

        Raises `OffsetGap`, with no state changed, when records skip offsets.
        """
        records = records if isinstance(records, list) else list(records)
        check_contiguous(records, self.positions)
        batch = Batch(consumer=self.consumer)
        outputs: list[Output] = self.pending
        self.pending = []
        for rec in records:
            tp = (rec.topic, rec.partition)
            start = self.positions.get(tp, 0)
            if rec.offset < start:
                batch.redelivered += 1
                continue
            batch.started_from.setdefault(tp, start)
            self.positions[tp] = batch.positions[tp] = rec.offset + 1
            batch.records += 1
            self._one(rec, batch, outputs)
        wm = self.watermark.value(self.engine.watermark_ms)
        if wm is not None and (self.advanced_to is None or wm > self.advanced_to):
            outputs.extend(self.engine.advance(wm))
            self.advanced_to = wm
        batch.watermark_ms = self.advanced_to
        self.emit(outputs, batch)
        return batch

    def _one(self, rec: Record, batch: Batch, outputs: list[Output]) -> None:
        where = Coordinates(rec.topic, rec.partition, rec.offset)
        raw = rec.value if rec.value is not None else b""
        event = decode(raw)
        if type(event) is Rejection:
            batch.quarantine_rows.append(quarantine_row(
                where, rec.key, event.raw or raw, kind="invalid", reason=event.reason,
                field=event.field, source=event.source, event_id=event.id, seq=event.seq))
            return
        assert isinstance(event, Event)
        if not event.party:  # a platform event on the node topic is not evidence
            batch.quarantine_rows.append(quarantine_row(
                where, rec.key, raw, kind="invalid", field="source", source=event.source,
                event_id=event.id, seq=event.seq,
                reason="source: urn:ebsp:platform events do not belong on the node event topic"))
            return
        seen = self.engine.seen(event)
        if seen is Seen.DUPLICATE:
            batch.duplicates += 1
            return
        disposition = "accepted"
        if seen is Seen.CONFLICT:
            disposition = "conflict"
            batch.quarantine_rows.append(quarantine_row(
                where, rec.key, raw, kind="conflicting_duplicate", field="id",
                source=event.source, event_id=event.id, seq=event.seq,
                reason=f"id: {event.source} already sent event {event.id} with other content "
                       "(INT-1 raised)", details={"hash": event.hash}))
        batch.archive_rows.append(archive_row(self.ingest_no, where, event, disposition))
        self.ingest_no += 1
        outputs.extend(self.engine.ingest(event))
        if seen is Seen.NEW:
            self.watermark.observe(event)
            batch.accepted += 1
            self.projector.apply(event, batch.deltas)

    def emit(self, outputs: list[Output], batch: Batch) -> None:
        """Chain and project each output not already stored (ids are raised/resolved once)."""
        for out in outputs:
            known = self.known_raised if type(out) is FindingRaised else self.known_resolved
            if out.finding_id in known:
                continue
            known.add(out.finding_id)
            batch.platform_outputs.append(out)
            self.projector.apply_output(out, parse_ms(out.observed_at), None, batch.deltas)
