"""Simulated nodes stream into Kafka: every event once, each node in seq order, keyed by party."""
from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]


def consume_all(bootstrap: str, topic: str, expected: int) -> list:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=10_000)
    records = []
    try:
        for record in consumer:
            records.append(record)
            if len(records) >= expected:
                # keep reading briefly: a duplicate would show up right behind
                consumer.config["consumer_timeout_ms"] = 2_000
    finally:
        consumer.close()
    return records


@pytest.mark.integration
@pytest.mark.parametrize(("client", "workers"),
                         [("aiokafka", "3"), ("aiokafka", "0"), ("kafka-python", "2")])
def test_simulated_run_arrives_once_in_order_with_party_keys(kafka_bootstrap, unique_topic, tmp_path,
                                                             client, workers):
    state = tmp_path / "state"
    args = [sys.executable, "-m", "custodes.cli", "simulate", "--seed", "21", "--duration", "12h",
            "--scale", "0.02", "--nodes", "US,DE,FR,MT", "--speed", "max", "--out", "kafka",
            "--topic", unique_topic, "--bootstrap-servers", kafka_bootstrap,
            "--state-dir", str(state), "--config", "producers/config/test.toml",
            "--workers", workers, "--kafka-client", client]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    # The same run into a file is the reference of what must have arrived.
    ref = tmp_path / "ref.jsonl"
    file_args = [a for a in args[:-4] if a not in ("kafka",)] + ["--workers", "0"]  # in-process
    i = file_args.index("--out")
    file_args[i + 1:i + 1] = [str(ref)]
    file_args[file_args.index("--state-dir") + 1] = str(tmp_path / "state2")
    subprocess.run(file_args, cwd=ROOT, capture_output=True, check=True, timeout=300)
    expected = ref.read_bytes().splitlines()

    records = consume_all(kafka_bootstrap, unique_topic, len(expected))
    values = [r.value for r in records]
    assert sorted(values) == sorted(expected)            # every event, exactly once
    per_node: dict[bytes, list[int]] = defaultdict(list)
    for r in records:
        event = orjson.loads(r.value)
        assert r.key == event["source"].rsplit(":", 1)[1].encode()
        assert dict(r.headers)["content-type"] == b"application/cloudevents+json"
        per_node[r.key].append((r.partition, event["seq"]))
    for key, seqs in per_node.items():
        assert len({p for p, _ in seqs}) == 1, key        # one partition per node
        assert [s for _, s in seqs] == list(range(1, len(seqs) + 1)), key
    assert set(per_node) == {b"US", b"DE", b"FR", b"MT"}
    assert (state / "chains" / "US.json").is_file() and (state / "trust.toml").is_file()
