"""The Faust runner: positions come from PostgreSQL, kill -9 loses and doubles nothing.

Before the first start, the worker's consumer group is given committed Kafka
offsets at the end of every partition: a runner trusting Kafka would skip the
whole month. Then the worker is killed with SIGKILL part-way and restarted;
afterwards every event is archived once, every projection equals its recount
from the archive, and the findings equal the replay's.
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from processors.live.faust_runner import app_id_for
from tests.integration.live.faults import (
    assert_nothing_lost_or_doubled,
    processor_running,
    wait_archived,
)
from tests.integration.live.helpers import create_topic, process_cmd, produce_jsonl, query

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _commit_end_offsets(bootstrap: str, group: str, topic: str) -> None:
    """Pretend the group already read everything: what a Kafka-trusting consumer would skip."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                             enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(tps)
        ends = consumer.end_offsets(tps)
        consumer.commit({tp: OffsetAndMetadata(end, "", -1) for tp, end in ends.items()})
    finally:
        consumer.close()


def test_faust_worker_seeks_to_postgresql_and_survives_kill_9(
    kafka_bootstrap: str, fresh_database: str, unique_topic: str, month_simulation: Any,
    tmp_path: Path,
) -> None:
    sim = month_simulation
    n = len(sim.lines)
    create_topic(kafka_bootstrap, unique_topic, partitions=4)
    produce_jsonl(kafka_bootstrap, unique_topic, sim.lines)
    _commit_end_offsets(kafka_bootstrap, app_id_for("live", unique_topic), unique_topic)
    cmd = process_cmd(kafka_bootstrap, fresh_database, unique_topic, "--runner", "faust",
                      "--trust", str(sim.trust), "--batch-size", "300")
    logfile = tmp_path / "process.log"
    with processor_running(cmd, logfile) as processor:
        wait_archived(fresh_database, n // 3, processor, 90)
        processor.kill_9()
        at_kill = query(fresh_database, "SELECT sum(next_offset) FROM consumer_positions")[0][0]
        processor.restart()
        wait_archived(fresh_database, n, processor, 90)
        time.sleep(2)  # let the last batch's findings and positions settle
    text = logfile.read_text()

    # Both starts sought to PostgreSQL's positions: 0 (not Kafka's end offsets), then where
    # the killed worker's last commit left them.
    seeks = [sum(int(o) for o in re.findall(r"\]@(\d+)", line))
             for line in text.splitlines() if "positions from PostgreSQL" in line]
    assert seeks[0] == 0 and seeks[1] >= at_kill > 0, seeks
    assert query(fresh_database, "SELECT sum(next_offset) FROM consumer_positions")[0][0] == n
    assert_nothing_lost_or_doubled(fresh_database, sim, tmp_path)
