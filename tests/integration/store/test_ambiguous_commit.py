"""A batch whose COMMIT outcome was lost is stored once, also when it carries no positions."""
from __future__ import annotations

from typing import Any

import psycopg
import pytest

from custodes.policy import load_policy
from custodes.timefmt import parse_ms
from processors.core.engine import Engine
from processors.core.findings import raised
from processors.live import runner as runner_module
from processors.live.pipeline import Pipeline
from processors.live.runner import KafkaRunner, RunnerConfig
from store.batch import Batch, write_batch
from store.db import connect_raw, migrate
from store.projections import Projector

pytestmark = pytest.mark.integration


def _rebuild_decided_batch() -> Batch:
    """What a tick stores after a start-up rebuild decided findings: outputs, no positions."""
    policy = load_policy(None)
    pipeline = Pipeline(consumer="t", engine=Engine(policy), projector=Projector(policy),
                        positions={}, ingest_no=1)
    outputs = [raised(rule="INT-1", key=f"urn:ebsp:node:DE/{n}", severity="critical",
                      party="DE", case_id=None, evidence=[f"e{n}"],
                      observed_ms=parse_ms("2026-01-05T08:00:00.000Z"), summary="gap")
               for n in (3, 4)]
    batch = Batch(consumer="t")
    pipeline.emit(outputs, batch)
    assert batch.platform_outputs and not batch.positions
    return batch


def test_a_lost_commit_of_a_batch_without_positions_is_not_applied_again(
        fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    migrate(fresh_database)
    calls = []

    def commit_then_lose_the_answer(conn: psycopg.Connection[Any], batch: Batch) -> None:
        write_batch(conn, batch)
        calls.append(1)
        if len(calls) == 1:
            raise psycopg.OperationalError("server closed the connection during COMMIT")

    monkeypatch.setattr(runner_module, "write_batch", commit_then_lose_the_answer)
    monkeypatch.setattr(runner_module.time, "sleep", lambda _s: None)
    cfg = RunnerConfig(bootstrap="-", database_url=fresh_database, events_topic="e",
                       findings_topic="f", quarantine_topic="q", policy=None, trust=None)
    runner = KafkaRunner(cfg, log=lambda _: None)

    runner._store(_rebuild_decided_batch())
    runner.conn.close()  # type: ignore[union-attr]

    with connect_raw(fresh_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT finding_id, count(*) FROM platform_events GROUP BY finding_id")
        per_finding = dict(cur.fetchall())
        cur.execute("SELECT count(*) FROM findings")
        findings = cur.fetchone()[0]  # type: ignore[index]
    assert len(calls) == 1  # settled by reading back, not written again
    assert len(per_finding) == findings == 2
    assert set(per_finding.values()) == {1}
