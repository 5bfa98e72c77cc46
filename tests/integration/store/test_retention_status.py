"""Retention clocks as the dashboard reads them: moved deadlines kept, overdue = open RET-1."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from custodes.codec import encode
from custodes.policy import load_policy
from custodes.timefmt import MS_PER_DAY, to_datetime
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


def _clock_rows(conn: Any) -> dict[str, tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute("SELECT transfer_id, deadline, status FROM retention_clocks")
        clocks = {t: (dl, s) for t, dl, s in cur.fetchall()}
        cur.execute("SELECT count(*) FROM retention_early_moves")
        clocks["waiting"] = cur.fetchone()
    conn.commit()
    return clocks


def test_assessments_read_batches_before_their_transfer_wait_in_the_database(
        fresh_database: str) -> None:
    """The projector keeps no clock: the writer parks early moves and applies them with the
    transfer (by the recipient, while the deadline has not passed, in time order)."""
    migrate(fresh_database)
    w = World()
    sent = {t: w.exchange("US", "DE", at(hour=h), transfer_id=t).time_ms
            for h, t in enumerate(("T-1", "T-2", "T-3"))}
    by_sender = w.assess("DE", "T-2", at(day=1), review_by=at(day=40))  # not the recipient
    first = w.assess("US", "T-1", at(day=10), review_by=at(day=40))
    late = w.assess("US", "T-1", at(day=12), review_by=at(day=50))
    sent["T-4"] = w.exchange("US", "DE", at(day=15), transfer_id="T-4").time_ms
    too_late = w.assess("US", "T-3", at(day=20), review_by=at(day=60))  # its day 14 passed
    after = w.assess("US", "T-4", at(day=21), review_by=at(day=28))  # transfer stored: moved
    policy = load_policy(None)
    pipeline = Pipeline(consumer="t", engine=Engine(policy), projector=Projector(policy),
                        positions={}, ingest_no=1)

    def records(events: list[Any]) -> list[Record]:
        return [Record("e", 0 if e.party == "US" else 1, e.seq - 1, None, encode(e))
                for e in events]

    us = sorted((e for e in w.events if e.party == "US" and e is not after), key=lambda e: e.seq)
    de = sorted((e for e in w.events if e.party == "DE"), key=lambda e: e.seq)
    with connect_raw(fresh_database) as conn:
        write_batch(conn, pipeline.process(records(us)))  # US partition first: no transfer yet
        parked = _clock_rows(conn)
        write_batch(conn, pipeline.process(records(de)))  # the transfers, and DE's assessment
        arrived = _clock_rows(conn)
        write_batch(conn, pipeline.process(records([after])))
        final = _clock_rows(conn)

    def day(n: int) -> datetime:
        return to_datetime(at(day=n))

    def base(t: str) -> datetime:  # the default 14 days after the transfer
        return to_datetime(sent[t] + 14 * MS_PER_DAY)

    assert parked["waiting"] == (3,) and "T-1" not in parked  # late, first, too_late
    assert arrived["waiting"] == (0,)
    assert arrived["T-1"] == (day(50), "open")  # 40 (assessed day 10), then 50 (day 12)
    assert arrived["T-2"][0] == base("T-2")     # the sender cannot move the recipient's clock
    assert arrived["T-3"][0] == base("T-3")     # assessed after its deadline had passed
    assert final["T-4"][0] == day(28)           # stored transfer: moved at once
    assert final["waiting"] == (0,)
    assert late.time_ms > first.time_ms and by_sender.party == "DE" and too_late.party == "US"
