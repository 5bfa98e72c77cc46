"""Retention clocks as the dashboard reads them: moved deadlines kept, overdue = open RET-1."""
from __future__ import annotations

from datetime import datetime

import pytest

from custodes.codec import encode
from custodes.policy import load_policy
from processors.core.engine import Engine
from processors.live.pipeline import Pipeline, Record
from store.batch import write_batch
from store.db import connect_raw, migrate
from store.projections import Projector
from tests.spec.builders import World, at

pytestmark = pytest.mark.integration


def test_an_early_assessment_moves_the_clock_and_overdue_follows_the_ret1_findings(
        fresh_database: str) -> None:
    migrate(fresh_database)
    w = World()
    w.exchange("US", "DE", at(), transfer_id="T-1")  # assessed: deadline moved to day 40
    w.exchange("US", "DE", at(hour=1), transfer_id="T-2")  # neither assessed nor deleted
    w.assess("US", "T-1", at(day=10), review_by=at(day=40))
    w.close(at(day=20))
    # One partition per node, the recipient's (US) read before the sender's (DE).
    order = sorted(w.events, key=lambda e: (e.party != "US", e.seq))
    records = [Record("e", 0 if e.party == "US" else 1, e.seq, None, encode(e)) for e in order]
    policy = load_policy(None)
    pipeline = Pipeline(consumer="t", engine=Engine(policy), projector=Projector(policy),
                        positions={}, ingest_no=1)
    with connect_raw(fresh_database) as conn:
        write_batch(conn, pipeline.process(records))
        with conn.cursor() as cur:
            cur.execute("SELECT transfer_id, deadline, clock_status FROM retention_clocks_status")
            clocks = {t: (dl, s) for t, dl, s in cur.fetchall()}
            cur.execute("SELECT key FROM findings WHERE rule = 'RET-1' AND resolved_at IS NULL")
            open_ret1 = {k for (k,) in cur.fetchall()}

    assert clocks["T-1"][0] == datetime.fromisoformat("2026-02-14T08:00:00+00:00")  # day 40
    assert clocks["T-1"][1] == "open"
    assert open_ret1 == {"T-2"}
    assert {t for t, (_dl, s) in clocks.items() if s == "overdue"} == open_ret1
