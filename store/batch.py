"""One processed batch and the single transaction that stores it.

Everything a batch produced — archive rows, quarantine rows, the platform's
findings events (chained here, under the chain's advisory lock), projection deltas, the processor's watermark — is written
together with the consumer positions that follow it. Before writing, the
stored positions are locked and compared with the ones the batch started
from: if another processor (a zombie after a restart, a second instance)
moved them, the batch is refused (`PositionConflict`) instead of counted twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg

from custodes.events import FindingRaised
from custodes.timefmt import to_datetime as ts
from store.archive import copy_rows
from store.platform_chain import Output, append_outputs
from store.projections.deltas import Deltas
from store.projections.writer import write_deltas

TopicPartition = tuple[str, int]

_QUARANTINE = """
INSERT INTO quarantine (topic, partition, "offset", key, raw_b64, kind, reason, field, source,
  event_id, seq, details)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT ON CONSTRAINT uq_quarantine_coords DO NOTHING"""
_POSITION = """
INSERT INTO consumer_positions AS t (consumer, topic, partition, next_offset, updated_at)
VALUES (%s, %s, %s, %s, now())
ON CONFLICT (consumer, topic, partition) DO UPDATE SET next_offset = excluded.next_offset,
  updated_at = now()"""
_STATE = """
INSERT INTO processor_state AS t (consumer, watermark_ms, watermark, events_ingested, quarantined,
  updated_at)
VALUES (%s, %s, %s, %s, %s, now())
ON CONFLICT (consumer) DO UPDATE SET
  watermark_ms = COALESCE(excluded.watermark_ms, t.watermark_ms),
  watermark = COALESCE(excluded.watermark, t.watermark),
  events_ingested = t.events_ingested + excluded.events_ingested,
  quarantined = t.quarantined + excluded.quarantined, updated_at = now()"""


class PositionConflict(RuntimeError):
    """The stored positions moved under this processor: another one is writing."""


@dataclass(slots=True)
class Batch:
    consumer: str
    started_from: dict[TopicPartition, int] = field(default_factory=dict)
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    archive_rows: list[tuple[Any, ...]] = field(default_factory=list)
    quarantine_rows: list[tuple[Any, ...]] = field(default_factory=list)
    platform_outputs: list[Output] = field(default_factory=list)  # findings to chain
    deltas: Deltas = field(default_factory=Deltas)
    watermark_ms: int | None = None
    records: int = 0
    accepted: int = 0
    duplicates: int = 0
    redelivered: int = 0


def load_positions(conn: psycopg.Connection[Any], consumer: str) -> dict[TopicPartition, int]:
    with conn.cursor() as cur:
        cur.execute("SELECT topic, partition, next_offset FROM consumer_positions "
                    "WHERE consumer = %s", (consumer,))
        return {(t, int(p)): int(o) for t, p, o in cur.fetchall()}


def outputs_stored(conn: psycopg.Connection[Any], batch: Batch) -> bool:
    """Whether a batch's platform outputs are already stored (its COMMIT was lost, not undone).

    For a batch without positions (outputs the start-up rebuild decided,
    stored by a tick) the position check cannot tell, so the batch's last
    output is looked up in `findings`, written in the same transaction. Not in
    `platform_events`: the dashboard appends `finding.resolved` events there
    too (closures), so a finding id and type found there need not be ours.
    """
    if not batch.platform_outputs:
        return False
    last = batch.platform_outputs[-1]
    column = "finding_id" if type(last) is FindingRaised else "resolved_at"
    with conn.cursor() as cur:
        cur.execute(f"SELECT {column} FROM findings WHERE finding_id = %s",
                    (last.finding_id,))
        row = cur.fetchone()
    conn.commit()
    return row is not None and row[0] is not None


def write_batch(conn: psycopg.Connection[Any], batch: Batch) -> None:
    """Store the batch atomically; raises PositionConflict if positions moved meanwhile."""
    with conn.transaction(), conn.cursor() as cur:
        if batch.positions:
            cur.execute("SELECT topic, partition, next_offset FROM consumer_positions "
                        "WHERE consumer = %s FOR UPDATE", (batch.consumer,))
            stored = {(t, int(p)): int(o) for t, p, o in cur.fetchall()}
            for tp in batch.positions:
                if stored.get(tp, batch.started_from.get(tp)) != batch.started_from.get(tp):
                    raise PositionConflict(
                        f"{tp[0]}[{tp[1]}]: stored position {stored.get(tp)} but this batch "
                        f"started from {batch.started_from.get(tp)}")
        copy_rows(cur, batch.archive_rows)
        if batch.quarantine_rows:
            cur.executemany(_QUARANTINE, batch.quarantine_rows)
        seqs = append_outputs(cur, batch.platform_outputs)
        for row in batch.deltas.findings_raised:
            row["platform_seq"] = seqs.get(row["finding_id"])
        with conn.pipeline():  # the upserts go out together: one round trip, not one each
            write_deltas(cur, batch.deltas)
            if batch.positions:
                cur.executemany(_POSITION, [(batch.consumer, t, p, o)
                                            for (t, p), o in sorted(batch.positions.items())])
            cur.execute(_STATE, (batch.consumer, batch.watermark_ms, ts(batch.watermark_ms),
                                 batch.accepted, len(batch.quarantine_rows)))
