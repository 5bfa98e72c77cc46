"""The thin SQL writer of projection deltas: a few pipelined statements per batch.

Runs inside the caller's transaction (the one that also stores the archive
rows and consumer positions), so a batch's projections exist exactly when its
positions do. Counters are added (`x = x + excluded.x`), register fields are
coalesced (a batch never blanks what an earlier batch set).
"""
from __future__ import annotations

from typing import Any

import psycopg

from custodes.timefmt import from_datetime
from custodes.timefmt import to_datetime as ts
from store.projections.deltas import Deltas, Fields

_VOLUMES = """
INSERT INTO exchange_volumes AS t (day, from_party, to_party, queries, hits, transfers)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (day, from_party, to_party) DO UPDATE SET
  queries = t.queries + excluded.queries, hits = t.hits + excluded.hits,
  transfers = t.transfers + excluded.transfers"""
_RECIPROCITY = """
INSERT INTO reciprocity AS t (party, month, a, b) VALUES (%s, %s, %s, %s)
ON CONFLICT (party, month) DO UPDATE SET a = t.a + excluded.a, b = t.b + excluded.b"""
_REVIEW = """
INSERT INTO review_compliance AS t
  (party, decisions, adverse_significant, with_review, without_review, automated, hrv1_findings)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (party) DO UPDATE SET decisions = t.decisions + excluded.decisions,
  adverse_significant = t.adverse_significant + excluded.adverse_significant,
  with_review = t.with_review + excluded.with_review,
  without_review = t.without_review + excluded.without_review,
  automated = t.automated + excluded.automated,
  hrv1_findings = t.hrv1_findings + excluded.hrv1_findings"""
_CLOCKS = """
INSERT INTO retention_clocks AS t (transfer_id, case_id, sender, recipient, sent_at, deadline, status)
VALUES (%s, %s, %s, %s, %s, %s, 'open')
ON CONFLICT (transfer_id) DO UPDATE SET case_id = excluded.case_id, sender = excluded.sender,
  recipient = excluded.recipient, sent_at = excluded.sent_at, deadline = excluded.deadline,
  status = CASE WHEN t.deleted_by = excluded.recipient THEN 'deleted' ELSE t.status END
WHERE t.sent_at IS NULL"""
_CLOCK_MOVE = """
UPDATE retention_clocks SET deadline = %s
WHERE transfer_id = %s AND recipient = %s AND status = 'open' AND deadline >= %s"""
_EARLY_TAKE = """
DELETE FROM retention_early_moves WHERE transfer_id = ANY(%s)
RETURNING transfer_id, party, assessed_at, deadline"""
_EARLY_KEEP = """
INSERT INTO retention_early_moves (transfer_id, party, assessed_at, deadline)
SELECT %s, %s, %s, %s
WHERE NOT EXISTS (SELECT 1 FROM retention_clocks WHERE transfer_id = %s AND sent_at IS NOT NULL)"""
_CLOCK_DELETE = """
INSERT INTO retention_clocks AS t (transfer_id, status, deleted_by, deleted_at)
VALUES (%s, 'open', %s, %s)
ON CONFLICT (transfer_id) DO UPDATE SET deleted_by = excluded.deleted_by,
  deleted_at = excluded.deleted_at, status = 'deleted'
WHERE t.status = 'open' AND t.recipient = excluded.deleted_by"""
_NODES = """
INSERT INTO node_health AS t (party, source, events, last_seq, last_event_time,
  last_checkpoint_seq, last_checkpoint_time)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (party) DO UPDATE SET events = t.events + excluded.events,
  last_seq = GREATEST(t.last_seq, excluded.last_seq),
  last_event_time = GREATEST(t.last_event_time, excluded.last_event_time),
  last_checkpoint_seq = COALESCE(excluded.last_checkpoint_seq, t.last_checkpoint_seq),
  last_checkpoint_time = COALESCE(excluded.last_checkpoint_time, t.last_checkpoint_time)"""
_NODE_INT1 = """
INSERT INTO node_health AS t (party, source, chain_status, last_int1_finding_id, last_int1_key,
  int1_count)
VALUES (%s, %s, 'broken', %s, %s, %s)
ON CONFLICT (party) DO UPDATE SET chain_status = 'broken',
  last_int1_finding_id = excluded.last_int1_finding_id, last_int1_key = excluded.last_int1_key,
  int1_count = t.int1_count + excluded.int1_count"""
_FINDINGS = """
INSERT INTO findings (finding_id, rule, severity, party, case_id, key, evidence, due,
  observed_at, summary, status, platform_seq)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'open', %s)
ON CONFLICT (finding_id) DO NOTHING"""
_RESOLVED = """
UPDATE findings SET status = CASE WHEN status = 'closed' THEN status ELSE 'resolved' END,
  resolved_at = %s, resolution_evidence = %s
WHERE finding_id = %s AND resolved_at IS NULL"""
_REMEDY_EXTEND = """
UPDATE remedies SET deadline = deadline + make_interval(secs => %s::bigint / 1000.0),
  extended_at = %s
WHERE remedy_id = %s AND lodged_with = %s AND extended_at IS NULL AND deadline >= %s"""

_ONWARD_COLS = ("transfer_id", "case_id", "requesting_party", "originating_party",
                "third_country", "recipient_authority", "purpose", "requested_at", "decision",
                "decided_at", "executed_at", "executed_by", "executed_third_country")
_REMEDY_COLS = ("case_id", "kind", "lodged_with", "concerns_party", "requested_at", "deadline",
                "resolved_at", "outcome")
_TIME_COLS = frozenset({"requested_at", "decided_at", "executed_at", "deadline", "resolved_at"})


def _register_sql(table: str, key: str, cols: tuple[str, ...]) -> str:
    sets = ", ".join(f"{c} = COALESCE(excluded.{c}, t.{c})" for c in cols)
    return (f"INSERT INTO {table} AS t ({key}, {', '.join(cols)}) "
            f"VALUES ({', '.join(['%s'] * (len(cols) + 1))}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {sets}")


_ONWARD = _register_sql("onward_register", "request_id", _ONWARD_COLS)
_REMEDIES = _register_sql("remedies", "remedy_id", _REMEDY_COLS)


def _row(key: str, fields: Fields, cols: tuple[str, ...]) -> tuple[Any, ...]:
    return (key, *(ts(fields.get(c)) if c in _TIME_COLS else fields.get(c) for c in cols))


def _with_early_moves(cur: psycopg.Cursor[Any], clocks: dict[str, Fields]) -> dict[str, int]:
    """The new clocks' deadlines after the moves that waited for their transfer.

    Applied as `_CLOCK_MOVE` would have applied them had the transfer come first:
    by the recipient, while the deadline had not passed, in assessment-time order.
    The waiting moves are taken (deleted) in the same transaction.
    """
    deadlines = {k: f["deadline"] for k, f in clocks.items()}
    cur.execute(_EARLY_TAKE, (list(clocks),))
    waiting = sorted((from_datetime(at), t, p, from_datetime(dl))
                     for t, p, at, dl in cur.fetchall())
    for at, t, party, moved in waiting:
        if party == clocks[t]["recipient"] and deadlines[t] >= at:
            deadlines[t] = moved
    return deadlines


def write_deltas(cur: psycopg.Cursor[Any], d: Deltas) -> None:
    """Apply one batch's deltas with the cursor's connection (caller owns the transaction)."""
    if d.volumes:
        cur.executemany(_VOLUMES, [(ts(k[0]).date(), k[1], k[2], *v)  # type: ignore[union-attr]
                                   for k, v in sorted(d.volumes.items())])
    if d.reciprocity:
        cur.executemany(_RECIPROCITY, [(*k, *v) for k, v in sorted(d.reciprocity.items())])
    if d.review:
        cur.executemany(_REVIEW, [(k, *v) for k, v in sorted(d.review.items())])
    if d.clocks:
        deadlines = _with_early_moves(cur, d.clocks)
        cur.executemany(_CLOCKS, [
            (k, f["case_id"], f["sender"], f["recipient"], ts(f["sent_at"]), ts(deadlines[k]))
            for k, f in d.clocks.items()])
    if d.clock_moves:  # executemany runs them in order: later assessments move again
        cur.executemany(_CLOCK_MOVE, [(ts(dl), t, p, ts(at)) for t, p, at, dl in d.clock_moves])
        # A move whose transfer is not stored yet waits for it (no clock row to move).
        cur.executemany(_EARLY_KEEP, [(t, p, ts(at), ts(dl), t) for t, p, at, dl in d.clock_moves])
    if d.clock_deletions:
        cur.executemany(_CLOCK_DELETE, [(t, p, ts(at)) for t, p, at in d.clock_deletions])
    if d.onward:
        cur.executemany(_ONWARD, [_row(k, f, _ONWARD_COLS) for k, f in d.onward.items()])
    if d.remedies:
        cur.executemany(_REMEDIES, [_row(k, f, _REMEDY_COLS) for k, f in d.remedies.items()])
    if d.remedy_extensions:
        cur.executemany(_REMEDY_EXTEND, [(ext, ts(at), rid, p, ts(at))
                                         for rid, p, at, ext in d.remedy_extensions])
    if d.nodes:
        cur.executemany(_NODES, [(p, n[0], n[1], n[2], ts(n[3]), n[4], ts(n[5]))
                                 for p, n in sorted(d.nodes.items())])
    if d.findings_raised:
        cur.executemany(_FINDINGS, [
            (f["finding_id"], f["rule"], f["severity"], f["party"], f["case_id"], f["key"],
             f["evidence"], ts(f["due"]), ts(f["observed_at"]), f["summary"], f["platform_seq"])
            for f in d.findings_raised])
    if d.node_int1:
        cur.executemany(_NODE_INT1, [(p, f"urn:ebsp:node:{p}", v[0], v[1], v[2])
                                     for p, v in sorted(d.node_int1.items())])
    if d.findings_resolved:
        cur.executemany(_RESOLVED, [(ts(at), ev, fid) for fid, at, ev in d.findings_resolved])
