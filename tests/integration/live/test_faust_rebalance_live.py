"""A rebalance under the running Faust worker: the batch hand-over resumes where PostgreSQL says.

Partitions are added to the topic while the worker reads it (its metadata is
refreshed every second here), which makes the group rebalance: Faust stops
the flow, the buffer of fetched records is cleared, the worker seeks every
partition to the positions stored in PostgreSQL and resumes. Records fetched
before the rebalance and not yet stored are read again (the seek's log line
counts them; asserted); the pipeline skips what it had processed. Afterwards every event is archived once, every
projection equals its recount and the findings equal the replay's.
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewPartitions
from kafka.partitioner import murmur2

from tests.integration.live.faults import (
    assert_nothing_lost_or_doubled,
    processor_running,
    wait_archived,
)
from tests.integration.live.helpers import create_topic, process_cmd, query

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _produce_on_two_partitions(bootstrap: str, topic: str, lines: list[bytes]) -> None:
    """Each node's events where the first two partitions put them, whatever the topic has now,
    so that a node's events stay in order in one partition."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    for line in lines:
        key = orjson.loads(line)["source"].rsplit(":", 1)[-1].encode()
        producer.send(topic, key=key, value=line, partition=(murmur2(key) & 0x7FFFFFFF) % 2)
    producer.flush()
    producer.close()


def _seeks(logfile: Path) -> list[int]:
    return [sum(int(o) for o in re.findall(r"\]@(\d+)", line))
            for line in logfile.read_text().splitlines() if "positions from PostgreSQL" in line]


def test_faust_worker_resumes_after_a_rebalance_from_postgresql(
    kafka_bootstrap: str, fresh_database: str, unique_topic: str, month_simulation: Any,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = month_simulation
    n = len(sim.lines)
    half = n // 2
    create_topic(kafka_bootstrap, unique_topic, partitions=2)
    _produce_on_two_partitions(kafka_bootstrap, unique_topic, sim.lines[:half])
    monkeypatch.setenv("CONSUMER_METADATA_MAX_AGE_MS", "1000")  # sees new partitions at once
    cmd = process_cmd(kafka_bootstrap, fresh_database, unique_topic, "--runner", "faust",
                      "--trust", str(sim.trust), "--batch-size", "300")
    logfile = tmp_path / "process.log"
    with processor_running(cmd, logfile) as processor:
        wait_archived(fresh_database, half // 2, processor, 90)
        admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        try:
            admin.create_partitions({unique_topic: NewPartitions(total_count=4)})
        finally:
            admin.close()
        _produce_on_two_partitions(kafka_bootstrap, unique_topic, sim.lines[half:])
        deadline = time.monotonic() + 60
        while len(_seeks(logfile)) < 2:
            assert time.monotonic() < deadline, "no rebalance seen:\n" + \
                logfile.read_text()[-3000:]
            time.sleep(0.2)
        wait_archived(fresh_database, n, processor, 120)
        time.sleep(2)  # the last batch's findings and positions settle
    seeks = _seeks(logfile)
    assert seeks[0] == 0 and len(seeks) >= 2, seeks
    # The rebalance came mid-stream: records handed over before it and not yet stored
    # were read again from PostgreSQL's positions (the consumer's seek line counts them).
    again = [int(m.replace(",", "")) for m in re.findall(
        r"; ([\d,]+) records handed over, not yet stored, read again", logfile.read_text())]
    assert again and sum(again) > 0, logfile.read_text()[-3000:]
    assert query(fresh_database, "SELECT sum(next_offset) FROM consumer_positions")[0][0] == n
    assert_nothing_lost_or_doubled(fresh_database, sim, tmp_path)
