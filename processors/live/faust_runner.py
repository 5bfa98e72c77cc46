"""The Faust runner: the same pipeline, store and outbox as the plain runner, fed by Faust.

Composition root of the Faust worker. Start-up is the plain runner's:
migrate, rebuild the engine from the archive (`open_pipeline`), wait for the
events topic. Then one `faust.App` (faust_app.py) whose consumer hands the
events topic over in batches (faust_batches.py) to one task (faust_agents.py),
and one timer (faust_timers.py). The pipeline runs in ONE
worker thread, so batches and ticks never interleave and the event loop
(heartbeats, fetching) is never blocked; the database work — `write_batch`
(via `KafkaRunner._store`, with its retries and fencing) and the outbox — runs
in the store thread (writer.py), in batch order, overlapping the next batch.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import Any

import faust
from kafka import KafkaConsumer
from kafka import TopicPartition as KafkaTP

from custodes.settings import EVENTS_TOPIC
from processors.live import faust_agents, faust_timers, faust_topics
from processors.live.faust_app import create_app
from processors.live.faust_batches import Batches
from processors.live.outbox import Outbox
from processors.live.pipeline import Record
from processors.live.progress import Progress
from processors.live.rebuild import open_pipeline
from processors.live.runner import KafkaRunner
from processors.live.writer import StoreThread
from store.db import migrate


def app_id_for(consumer: str, topic: str) -> str:
    """One consumer group per (positions name, topic): test topics never share a group."""
    return "custodes-processor" + ("" if consumer == "live" else f".{consumer}") + \
        ("" if topic == EVENTS_TOPIC else f".{topic}")


class FaustRunner(KafkaRunner):
    crashed: BaseException | None = None  # the first error of the sink: exit 1, store nothing more

    def run(self) -> int:
        cfg = self.cfg
        migrate(cfg.database_url)
        self.conn = self._connect()
        self.pipeline = open_pipeline(self.conn, consumer=cfg.consumer, policy=cfg.policy,
                                      trust=cfg.trust, nodes=cfg.nodes, progress=self.log)
        self.stored = dict(self.pipeline.positions)  # what PostgreSQL holds
        lag = KafkaConsumer(bootstrap_servers=cfg.bootstrap, group_id=None,
                            enable_auto_commit=False,
                            client_id=f"custodes-process-{cfg.consumer}-lag")
        producer = self._producer()
        self.outbox = Outbox(self.conn, producer, cfg.findings_topic, cfg.quarantine_topic)
        self.progress = Progress(self.log, lag, cfg.events_topic)
        self.executor = concurrent.futures.ThreadPoolExecutor(1, "custodes-sink")
        self.writer = StoreThread()
        self.idle_since = time.monotonic()
        code = 0
        try:
            partitions = self._wait_for_topic(lag)
            if partitions:
                code = self._run_worker(partitions)
        finally:
            self.executor.shutdown(wait=True)  # the batch in hand is computed,
            failed = self._finish_writes()      # and committed
            if failed is not None and code == 0:
                self.log(f"store failed: {failed!r:.300}")
                code = 1
            self.progress.tick(self.pipeline, force=True)
            try:
                self._publish(self.outbox)
                producer.close(timeout=5)
            finally:
                lag.close()
                if self.conn is not None:
                    self.conn.close()
        return code

    def _wait_for_topic(self, lag: KafkaConsumer) -> int:
        while not self.stop.is_set():
            parts = lag.partitions_for_topic(self.cfg.events_topic)
            if parts:
                lag.assign([KafkaTP(self.cfg.events_topic, p) for p in sorted(parts)])
                return len(parts)
            self.stop.wait(1.0)
        return 0

    def _run_worker(self, partitions: int) -> int:
        cfg = self.cfg
        asyncio.set_event_loop(asyncio.new_event_loop())  # the worker closes its loop at exit
        app = create_app(app_id=app_id_for(cfg.consumer, cfg.events_topic),
                         bootstrap=cfg.bootstrap, partitions=partitions,
                         positions=lambda: self.stored, log=self.log,
                         max_poll_records=cfg.batch_size)
        topic = faust_topics.events_topic(app, cfg.events_topic, partitions)
        app.custodes_batches = batches = Batches(cfg.events_topic, cfg.batch_size,
                                                 cfg.max_wait_ms / 1000)
        faust_agents.register(app, topic, batches, self.handle, on_error=self._crash)
        faust_timers.register(app, self.tick)
        self.app = app
        self.worker = faust.Worker(app, loglevel="WARNING", quiet=True, redirect_stdouts=False,
                                   override_logging=False)
        self.worker.spinner = None  # no terminal spinner: stderr carries the progress line
        self._stopping: asyncio.Task[Any] | None = None
        self.log(f"faust worker {app.conf.id}: {partitions} partitions of {cfg.events_topic}")
        self.crashed: BaseException | None = None
        code = 0
        try:
            self.worker.execute_from_commandline()
        except SystemExit as exc:
            code = int(exc.code or 0)
        return 1 if self.crashed is not None else code

    # --- called by the events task and the timer, on the event loop -------------------
    async def handle(self, records: list[Record]) -> None:
        await asyncio.get_running_loop().run_in_executor(self.executor, self._batch, records)

    async def tick(self) -> None:
        if self.crashed is not None:  # the engine may hold a half-processed batch: store nothing
            return
        try:
            idle = await asyncio.get_running_loop().run_in_executor(self.executor, self._tick)
        except Exception as exc:  # noqa: BLE001 - not input: stop, lose nothing
            await self._crash(exc)
            return
        if idle or self.stop.is_set():
            self._request_stop()

    async def _crash(self, exc: BaseException) -> None:
        self.log(f"faust worker stopping on error: {exc!r:.300}")
        if self.crashed is None or self.crashed is exc:
            self.crashed = exc
        self._request_stop()

    def _request_stop(self) -> None:
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self.worker.stop())

    # --- the sink: one thread, the plain runner's store and outbox -----------------------
    def _batch(self, records: list[Record]) -> bool:
        """Process one batch, hand it to the store thread; True when there was something to store."""
        if self.crashed is not None:  # an earlier batch failed in this thread: stop here
            raise RuntimeError(f"the sink stopped after an error: {self.crashed!r:.200}")
        try:
            self.writer.check()
            batch = self.pipeline.process(records)
            stored = bool(batch.records or batch.platform_outputs)
            if stored:
                self._commit(batch, records)
                self.idle_since = time.monotonic()
        except BaseException as exc:
            # Set here, in the sink's thread, not only by `_crash` on the event loop: a
            # tick already queued behind this batch runs before `_crash` does.
            self.crashed = exc
            raise
        self.progress.tick(self.pipeline)
        return stored

    def _publish_stored(self) -> None:
        self.outbox.conn = self.conn
        self._publish(self.outbox)

    def _tick(self) -> bool:
        """One tick; True when asked to exit once idle and caught up."""
        if self.crashed is not None:  # queued before the failed batch's `_crash` ran
            return False
        # Outputs a rebuild decided, the watermark: stored even without records. When
        # nothing was stored, publish anyway: the outbox's retry after a broker outage.
        if not self._batch([]) and not self.writer.busy:
            self.writer.submit(self._publish_stored)
        wait = self.cfg.exit_when_idle_s
        if wait is None or time.monotonic() - self.idle_since <= wait:
            return False
        self.writer.drain()  # what was handed over is committed: `stored` is final
        if self.progress.lag(self.stored) != 0:
            return False
        self.log("idle: caught up, exiting as asked")
        return True
