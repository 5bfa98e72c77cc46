"""A fenced Faust worker stops with status 1 instead of carrying on past a batch it cannot store.

Another writer (a second instance, or a zombie) moves the stored positions under
the running worker. Its next batch no longer starts where PostgreSQL says and is
refused (`PositionConflict`): the engine has already consumed that batch, so the
worker must stop, not skip it, and must not hang.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from store.db import connect_raw
from tests.integration.live.faults import Processor, wait_archived
from tests.integration.live.helpers import create_topic, process_cmd, produce_jsonl, query

pytestmark = pytest.mark.integration


def test_a_fenced_faust_worker_exits_with_status_1(
    kafka_bootstrap: str, fresh_database: str, unique_topic: str, month_simulation: Any,
    tmp_path: Path,
) -> None:
    first, later = month_simulation.lines[:3000], month_simulation.lines[3000:6000]
    create_topic(kafka_bootstrap, unique_topic, partitions=1)
    produce_jsonl(kafka_bootstrap, unique_topic, first)
    cmd = process_cmd(kafka_bootstrap, fresh_database, unique_topic, "--runner", "faust",
                      "--batch-size", "500")
    logfile = tmp_path / "process.log"
    with open(logfile, "wb") as log:
        processor = Processor(cmd, log)
    proc = processor.proc
    try:
        wait_archived(fresh_database, len(first), processor, 90)
        time.sleep(1)  # the last batch's positions are committed with its rows
        with connect_raw(fresh_database) as conn:  # another writer moves them
            conn.execute("UPDATE consumer_positions SET next_offset = next_offset - 7")
        produce_jsonl(kafka_bootstrap, unique_topic, later)
        code = proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = logfile.read_text(errors="replace")
    assert code == 1, out[-3000:]
    assert "faust worker stopping on error" in out and "PositionConflict" in out, out[-3000:]
    # nothing of the refused batch was stored
    assert query(fresh_database, "SELECT count(*) FROM archive_events")[0][0] == len(first)
