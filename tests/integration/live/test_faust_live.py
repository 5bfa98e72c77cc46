"""The Faust runner: positions come from PostgreSQL, kill -9 loses and doubles nothing.

Before the first start, the worker's consumer group is given committed Kafka
offsets at the end of every partition: a runner trusting Kafka would skip the
whole month. Then the worker is killed with SIGKILL part-way and restarted;
afterwards every event is archived once, every projection equals its recount
from the archive, and the findings equal the replay's.
"""
from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from processors.live.faust_runner import app_id_for
from tests.integration.live.helpers import (
    create_topic, process_cmd, produce_jsonl, query, replay_findings, stored_findings,
)
from tests.integration.live.test_faults_live import _archived, _recount, _wait_archived

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
    log = open(logfile, "ab")  # noqa: SIM115 - shared by both processes
    proc = subprocess.Popen(cmd, stdout=log, stderr=log)
    try:
        _wait_archived(fresh_database, n // 3, proc, 90)
        proc.kill()  # kill -9: no chance to finish the batch in hand
        proc.wait()
        at_kill = query(fresh_database, "SELECT sum(next_offset) FROM consumer_positions")[0][0]
        proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        _wait_archived(fresh_database, n, proc, 90)
        time.sleep(2)  # let the last batch's findings and positions settle
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        log.close()
    text = logfile.read_text()
    assert code == 0, text[-3000:]

    # Both starts sought to PostgreSQL's positions: 0 (not Kafka's end offsets), then where
    # the killed worker's last commit left them.
    seeks = [sum(int(o) for o in re.findall(r"\]@(\d+)", line))
             for line in text.splitlines() if "positions from PostgreSQL" in line]
    assert seeks[0] == 0 and seeks[1] >= at_kill > 0, seeks
    assert _archived(fresh_database) == n
    assert query(fresh_database, "SELECT count(DISTINCT (source, id)) FROM archive_events")[0][0] \
        == n
    assert query(fresh_database, "SELECT sum(next_offset) FROM consumer_positions")[0][0] == n
    for name, (projected, recounted) in _recount(fresh_database).items():
        assert projected == recounted, name
    live = stored_findings(fresh_database)
    replayed = replay_findings(sim.events, tmp_path / "replay.jsonl", trust=sim.trust,
                               horizon=sim.horizon)
    assert live == replayed
    chain = query(fresh_database, "SELECT count(*), max(seq) FROM platform_events")[0]
    raised = query(fresh_database, "SELECT count(*), count(DISTINCT finding_id) FROM "
                                   "platform_events WHERE type = 'ebsp.finding.raised.v1'")[0]
    assert chain[0] == chain[1]  # one gapless chain across the restart
    assert raised[0] == raised[1] == len(live)  # no finding emitted twice
