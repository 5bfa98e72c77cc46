"""Start-up: rebuild the pipeline's state from PostgreSQL, the record of what was stored.

The engine's state is not snapshotted: it is rebuilt by replaying the
archive, in ingestion order, through a fresh `Engine` (the same order the live
run saw, so intermediate watermarks are the same ones) and the projector's
join state likewise. Findings already stored are not emitted again (known
ids); anything the rebuild decides that is not stored yet is emitted with the
first batch. Simple and verifiable: after a kill -9 the state is exactly the
one the last committed batch left.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from processors.core.engine import Engine
from processors.core.integrity import Seen
from processors.live.pipeline import Pipeline
from processors.live.watermark import Watermark
from store.archive import event_of, iter_archive
from store.batch import load_positions
from store.projections import Deltas, Projector

ADVANCE_EVERY = 4096


def open_pipeline(conn: Any, *, consumer: str, policy: Any, trust: Any | None,
                  nodes: list[str] | None = None,
                  progress: Callable[[str], None] = lambda _: None) -> Pipeline:
    positions = load_positions(conn, consumer)
    with conn.cursor() as cur:
        cur.execute("SELECT finding_id, resolved_at IS NOT NULL FROM findings")
        rows = cur.fetchall()
        cur.execute("SELECT watermark_ms FROM processor_state WHERE consumer = %s", (consumer,))
        row = cur.fetchone()
    conn.commit()
    known_raised = {r[0] for r in rows}
    known_resolved = {r[0] for r in rows if r[1]}
    stored_wm: int | None = row[0] if row else None
    engine, projector = Engine(policy, trust), Projector(policy)
    expected = nodes or (sorted(trust.nodes) if trust is not None else None)
    watermark = Watermark(expected)
    scratch = Deltas()
    pending: list[Any] = []
    last_no, n, started = 0, 0, time.monotonic()
    for ingest_no, canonical in iter_archive(conn):
        event = event_of(canonical)
        new = engine.seen(event) is Seen.NEW
        pending.extend(engine.ingest(event))
        if new:
            watermark.observe(event)
            projector.apply(event, scratch)
        last_no, n = ingest_no, n + 1
        if n % ADVANCE_EVERY == 0:
            scratch = Deltas()
            wm = watermark.value(engine.watermark_ms)  # what the live run had at this point
            if wm is not None and stored_wm is not None:
                pending.extend(engine.advance(min(wm, stored_wm)))
            if n % (ADVANCE_EVERY * 25) == 0:
                progress(f"rebuild: {n:,} archived events replayed "
                         f"({n / max(time.monotonic() - started, 1e-6):,.0f}/s)")
    conn.commit()
    if stored_wm is not None:
        pending.extend(engine.advance(stored_wm))
    progress(f"rebuild: {n:,} archived events, {len(known_raised):,} findings stored, "
             f"{time.monotonic() - started:.1f}s")
    pipeline = Pipeline(consumer=consumer, engine=engine, projector=projector,
                        positions=positions, ingest_no=last_no + 1, known_raised=known_raised,
                        known_resolved=known_resolved, watermark_ms=stored_wm,
                        watermark=watermark)
    pipeline.pending = pending  # Pipeline.emit drops what is already stored
    return pipeline
