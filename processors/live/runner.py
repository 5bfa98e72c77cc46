"""The kafka-python runner: assign every partition, seek to the stored positions, loop.

No consumer group and no Kafka offset commits: the positions in PostgreSQL
are the only truth (written with the rows). Partitions are assigned manually,
so there are no rebalances and no duplicate deliveries from them; a second
instance is fenced by the position check in `store.batch.write_batch`.
A batch is computed once and then stored, retrying across database outages;
an ambiguous commit (connection lost during COMMIT) is settled by reading
the positions back, or, for a batch without positions, its last finding.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from processors.live.outbox import Outbox
from processors.live.pipeline import OffsetGap, Pipeline, Record
from processors.live.progress import Progress
from processors.live.rebuild import open_pipeline
from processors.live.writer import StoreThread
from store.batch import Batch, PositionConflict, load_positions, outputs_stored, write_batch
from store.db import connect_raw, migrate

PUBLISH_RETRY_S = 2.0  # an outbox that failed is retried this often, records or not


@dataclass
class RunnerConfig:
    bootstrap: str
    database_url: str
    events_topic: str
    findings_topic: str
    quarantine_topic: str
    policy: Any
    trust: Any | None
    consumer: str = "live"
    nodes: list[str] | None = None  # expected nodes (default: the trust file's)
    batch_size: int = 5000
    max_wait_ms: int = 200
    exit_when_idle_s: float | None = None  # tests and benches: stop once caught up and idle


class KafkaRunner:
    pipeline: Pipeline
    outbox: Outbox
    progress: Progress

    def __init__(self, cfg: RunnerConfig, log: Callable[[str], None],
                 stop: threading.Event | None = None) -> None:
        self.cfg, self.log = cfg, log
        self.stop = stop or threading.Event()
        self.conn: psycopg.Connection[Any] | None = None
        self.on_commit: Callable[[Batch, float, list[Record]], None] | None = None  # bench hook
        self.stored: dict[tuple[str, int], int] = {}  # positions PostgreSQL holds
        self.publish_failed_at: float | None = None  # the outbox is retried while set

    # --- database ---------------------------------------------------------------
    def _connect(self) -> psycopg.Connection[Any]:
        delay = 0.5
        while not self.stop.is_set():
            try:
                return connect_raw(self.cfg.database_url)
            except psycopg.OperationalError as exc:
                self.log(f"database unavailable ({str(exc).strip()[:120]}); retrying in {delay:.1f}s")
                self.stop.wait(delay)
                delay = min(delay * 2, 5.0)
        raise SystemExit(1)

    def _store(self, batch: Batch) -> None:
        """Store the batch, whatever it takes; the engine has already moved past it."""
        ambiguous = False
        while True:
            try:
                if self.conn is None or self.conn.closed:
                    self.conn = self._connect()
                if ambiguous and not batch.positions and outputs_stored(self.conn, batch):
                    return  # the lost COMMIT did happen; no position check would have told
                write_batch(self.conn, batch)
                return
            except PositionConflict:
                if ambiguous and self.conn is not None:
                    stored = load_positions(self.conn, batch.consumer)
                    self.conn.commit()
                    if all(stored.get(tp) == o for tp, o in batch.positions.items()):
                        return  # the lost COMMIT did happen
                raise
            except psycopg.OperationalError as exc:
                ambiguous = True
                self.log(f"database write failed ({str(exc).strip()[:120]}); retrying")
                if self.conn is not None:
                    try:
                        self.conn.close()
                    except Exception:  # noqa: BLE001 - already broken
                        pass
                self.conn = None
                time.sleep(0.5)

    def _commit(self, batch: Batch, records: list[Record]) -> None:
        """Hand a computed batch to the store thread (blocks while one is already waiting)."""
        self.writer.submit(lambda: self._write(batch, records))

    def _write(self, batch: Batch, records: list[Record]) -> None:
        """Store a batch, publish what it produced, count it: the store thread, both runners."""
        t0 = time.monotonic()
        self._store(batch)
        stored = dict(self.stored)
        stored.update(batch.positions)
        self.stored = stored  # what PostgreSQL now holds
        if self.on_commit is not None:
            self.on_commit(batch, time.time(), records)
        self.outbox.conn = self.conn
        self._publish(self.outbox)
        self.progress.batch(batch, time.monotonic() - t0, self.pipeline)

    def _retry_publish(self) -> None:
        """Publish again after a failure, in the store thread, unless it is busy anyway."""
        if self.publish_failed_at is not None and not self.writer.busy and \
                time.monotonic() - self.publish_failed_at > PUBLISH_RETRY_S:
            self.writer.submit(lambda: self._publish(self.outbox))

    def _finish_writes(self) -> BaseException | None:
        """Let the store thread commit what it was given, stop it; its failure, if any."""
        try:
            self.writer.drain()
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            return exc
        finally:
            self.writer.close()
        return None

    # --- kafka --------------------------------------------------------------------
    def _producer(self) -> KafkaProducer:
        return KafkaProducer(bootstrap_servers=self.cfg.bootstrap, acks="all", linger_ms=5,
                             retries=10, client_id=f"custodes-process-{self.cfg.consumer}")

    def _assign(self, consumer: KafkaConsumer, positions: dict[tuple[str, int], int],
                known: set[int]) -> set[int]:
        parts = consumer.partitions_for_topic(self.cfg.events_topic) or set()
        new = set(parts) - known
        if new:
            tps = [TopicPartition(self.cfg.events_topic, p) for p in sorted(set(parts))]
            consumer.assign(tps)
            for tp in tps:
                pos = positions.get((tp.topic, tp.partition))
                if pos is None:
                    consumer.seek_to_beginning(tp)
                else:
                    consumer.seek(tp, pos)
            self.log(f"assigned {self.cfg.events_topic} partitions {sorted(parts)}")
        return set(parts)

    def _poll(self, consumer: KafkaConsumer) -> list[Record]:
        out: list[Record] = []
        deadline = time.monotonic() + self.cfg.max_wait_ms / 1000
        while len(out) < self.cfg.batch_size:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            polled = consumer.poll(timeout_ms=max(1, int(left * 1000)),
                                   max_records=self.cfg.batch_size - len(out))
            for recs in polled.values():
                out.extend(Record(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp)
                           for r in recs)
        return out

    def run(self) -> int:
        cfg = self.cfg
        migrate(cfg.database_url)
        self.conn = self._connect()
        self.pipeline = pipeline = open_pipeline(self.conn, consumer=cfg.consumer,
                                                 policy=cfg.policy, trust=cfg.trust,
                                                 nodes=cfg.nodes, progress=self.log)
        consumer = KafkaConsumer(
            bootstrap_servers=cfg.bootstrap, group_id=None, enable_auto_commit=False,
            auto_offset_reset="earliest", max_poll_records=cfg.batch_size,
            fetch_max_bytes=32 * 1024 * 1024, max_partition_fetch_bytes=4 * 1024 * 1024,
            client_id=f"custodes-process-{cfg.consumer}")
        producer = self._producer()
        self.outbox = outbox = Outbox(self.conn, producer, cfg.findings_topic,
                                      cfg.quarantine_topic)
        self.progress = progress = Progress(self.log, consumer, cfg.events_topic)
        self.stored = dict(pipeline.positions)
        self.writer = StoreThread()
        failed: BaseException | None = None
        known: set[int] = set()
        last_assign = 0.0
        idle_since = time.monotonic()
        code = 0
        try:
            while not self.stop.is_set():
                if time.monotonic() - last_assign > 10 or not known:
                    known = self._assign(consumer, pipeline.positions, known)
                    last_assign = time.monotonic()
                    if not known:
                        self.stop.wait(1.0)
                        continue
                records = self._poll(consumer)
                try:
                    batch = pipeline.process(records)
                except OffsetGap as exc:  # not input: nothing of it stored, a restart re-seeks
                    self.log(f"stopping: {exc}")
                    code = 1
                    break
                if batch.records or batch.platform_outputs:
                    self._commit(batch, records)
                    idle_since = time.monotonic()
                elif cfg.exit_when_idle_s is not None and \
                        time.monotonic() - idle_since > cfg.exit_when_idle_s:
                    self.log("idle: caught up, exiting as asked")
                    break
                self._retry_publish()  # also when no record arrives: the outbox drains
                progress.tick(pipeline)
        finally:
            failed = self._finish_writes()  # the batch in hand is committed first
            progress.tick(pipeline, force=True)
            try:
                self._publish(outbox)
                producer.close(timeout=5)
            finally:
                consumer.close()
                if self.conn is not None:
                    self.conn.close()
        if failed is not None:
            raise failed
        return code

    def _publish(self, outbox: Outbox) -> None:
        """Publish what is stored; a failure is logged and retried later, nothing is marked."""
        try:
            outbox.publish()
            self.publish_failed_at = None
        except Exception as exc:  # noqa: BLE001 - a broker outage delays, never loses
            self.publish_failed_at = time.monotonic()
            self.log(f"publishing findings/quarantine delayed: {exc!r:.160}")
            if self.conn is not None and not self.conn.closed:
                self.conn.rollback()
