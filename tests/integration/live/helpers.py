"""Helpers for the live processor's integration tests: topics, producing, running, reading."""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import orjson
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from custodes.policy import load_policy
from custodes.trust import load_trust
from processors.live.runner import KafkaRunner, RunnerConfig
from store.db import connect_raw

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = Path("/work/shared/spec/examples")


def example_lines(case: str) -> list[bytes]:
    """The events of one of the spec's worked cases, blank lines left out."""
    return [ln for ln in (EXAMPLES / case / "events.jsonl").read_bytes().splitlines()
            if ln.strip()]


def create_topic(bootstrap: str, topic: str, partitions: int = 4) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    finally:
        admin.close()


def produce(bootstrap: str, topic: str, values: list[bytes], keys: list[bytes | None]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    for key, value in zip(keys, values):
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def produce_jsonl(bootstrap: str, topic: str, lines: list[bytes]) -> None:
    """Each line keyed by its source's party (SPEC §2), unparseable lines without a key."""
    keys: list[bytes | None] = []
    for line in lines:
        try:
            keys.append(orjson.loads(line)["source"].rsplit(":", 1)[-1].encode())
        except Exception:  # noqa: BLE001 - garbage on purpose
            keys.append(None)
    produce(bootstrap, topic, lines, keys)


def run_until_idle(bootstrap: str, database_url: str, topic: str, *, trust: Any = None,
                   policy: Any = None, idle_s: float = 3.0, batch_size: int = 2000,
                   stop: threading.Event | None = None) -> KafkaRunner:
    cfg = RunnerConfig(bootstrap=bootstrap, database_url=database_url, events_topic=topic,
                       findings_topic=f"{topic}.findings", quarantine_topic=f"{topic}.quarantine",
                       policy=policy or load_policy(None), trust=trust, batch_size=batch_size,
                       exit_when_idle_s=idle_s)
    runner = KafkaRunner(cfg, lambda m: print(m, file=sys.stderr), stop)
    runner.run()
    return runner


def process_cmd(bootstrap: str, database_url: str, topic: str, *extra: str) -> list[str]:
    return [str(ROOT / ".venv/bin/custodes"), "process", "--bootstrap-servers", bootstrap,
            "--database-url", database_url, "--topic", topic,
            "--findings-topic", f"{topic}.findings", "--quarantine-topic", f"{topic}.quarantine",
            *extra]


def query(database_url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with connect_raw(database_url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def stored_findings(database_url: str) -> dict[str, tuple[Any, ...]]:
    rows = query(database_url, "SELECT finding_id, rule, key, party, severity, case_id "
                               "FROM findings")
    return {r[0]: tuple(r) for r in rows}


def replay_findings(events_path: Path, out: Path, *, trust: Path | None = None,
                    horizon: str | None = None, from_archive: str | None = None
                    ) -> dict[str, tuple[Any, ...]]:
    """`custodes audit replay` as an auditor runs it (a subprocess), findings by id."""
    cmd = [str(ROOT / ".venv/bin/custodes"), "audit", "replay", "--findings-out", str(out),
           "--quiet"]
    cmd += ["--from-archive", "--database-url", from_archive] if from_archive else \
        ["--events", str(events_path)]
    if trust is not None:
        cmd += ["--trust", str(trust)]
    if horizon is not None:
        cmd += ["--horizon", horizon]
    subprocess.run(cmd, check=True, timeout=300)
    return read_findings(out)


def read_findings(path: Path) -> dict[str, tuple[Any, ...]]:
    """A findings JSONL file by finding id, each as the columns `stored_findings` reads."""
    found = {}
    for line in path.read_bytes().splitlines():
        f = orjson.loads(line)
        found[f["finding_id"]] = (f["finding_id"], f["rule"], f["key"], f["party"],
                                  f["severity"], f["case_id"])
    return found


def run_cli_until_idle(bootstrap: str, database_url: str, topic: str, *extra: str,
                       runner: str = "faust", idle_s: float = 3.0, timeout: float = 240
                       ) -> subprocess.CompletedProcess[bytes]:
    """`custodes process --runner R --exit-when-idle S` as a subprocess; its exit code checked."""
    done = subprocess.run(process_cmd(bootstrap, database_url, topic, "--runner", runner,
                                      "--exit-when-idle", str(idle_s), *extra),
                          capture_output=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    return done


def run_to_idle(runner: str, bootstrap: str, database_url: str, topic: str, trust: Path) -> None:
    """Either runner until the topic is drained: "plain" in process, otherwise as a subprocess."""
    if runner == "plain":
        run_until_idle(bootstrap, database_url, topic, trust=load_trust(trust))
    else:
        run_cli_until_idle(bootstrap, database_url, topic, "--trust", str(trust), runner=runner)
