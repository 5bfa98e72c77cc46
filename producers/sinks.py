"""Where simulated events go: a JSONL file, Kafka, or memory (tests).

A sink receives each event's canonical bytes with its source party, in the
order the node chains produced them. Two Kafka sinks: `BatchKafkaSink`
(aiokafka's C batch builder, the default: ~4 µs of CPU per record) and
`KafkaSink` (kafka-python, ~20 µs per record plus a pure-Python I/O thread
that competes with generation for the GIL). `flush()` returns only when everything
written so far is durable (on disk, or acknowledged by all in-sync replicas),
so the simulator saves its state only after a flush: a restart never skips
an event, and at worst re-sends identical ones (SPEC §7: duplicates with
the same id and hash are ignored).
"""
from __future__ import annotations

import asyncio
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

from custodes.wire import HEADERS


class Sink(Protocol):
    def write(self, party: str, value: bytes) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class MemorySink:
    """Keeps (party, bytes) in a list: for tests."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes]] = []

    def write(self, party: str, value: bytes) -> None:
        self.records.append((party, value))

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def fsync(fh: IO[bytes]) -> None:
    """fsync a file written to; a pipe, terminal or device (`--out /dev/stdout`) has nothing
    to sync and refuses with EINVAL, so only a regular file is synced."""
    fd = fh.fileno()
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.fsync(fd)


class FileSink:
    """One canonical event per line (the JSONL interchange format of SPEC §2)."""

    def __init__(self, path: str | Path, append: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[bytes] = open(  # noqa: SIM115 - closed by close(), lives as long as the sink
            self.path, "ab" if append else "wb", buffering=1 << 20)
        self._write = self._fh.write

    def write(self, party: str, value: bytes) -> None:
        self._write(value + b"\n")

    def flush(self) -> None:
        self._fh.flush()
        fsync(self._fh)

    def close(self) -> None:
        if not self._fh.closed:
            self.flush()
            self._fh.close()


class DeliveryError(RuntimeError):
    """Kafka gave up on a record (after all retries): order can no longer be guaranteed."""


class KafkaSink:
    """kafka-python producer: idempotent, acks=all, key = party code, order kept per node.

    Back-pressure instead of unbounded memory: kafka-python 3 has no
    `buffer_memory` bound, so the sink counts records not yet acknowledged
    (a callback per record) and, above `max_pending_bytes`, waits for the
    broker before accepting more: a slow or absent broker slows the
    simulation down instead of filling memory. KafkaTimeoutError from `send`
    (no metadata within `max_block_ms`) is retried forever, never dropped.
    Idempotence with at most 5 requests in flight keeps each partition in
    order across retries; `delivery_timeout_ms` bounds how long a record may
    wait through an outage before the run fails loudly (DeliveryError).
    """

    def __init__(
        self, bootstrap_servers: str, topic: str, *, linger_ms: int = 20,
        batch_size: int = 512 * 1024, compression_type: str | None = None,
        max_pending_bytes: int = 64 * 1024 * 1024, max_block_ms: int = 5_000,
        delivery_timeout_ms: int = 600_000, log: Callable[[str], None] = print,
        producer: Any = None, **extra: Any,
    ) -> None:
        self.topic = topic
        self.log = log
        self._errors: list[BaseException] = []
        if producer is None:
            producer = self._producer(
                bootstrap_servers, linger_ms, batch_size, compression_type, max_block_ms,
                delivery_timeout_ms, extra)
        self.producer = producer
        self._send = self.producer.send
        self._keys: dict[str, bytes] = {}
        self.max_pending_bytes = max_pending_bytes
        self._sent_bytes = 0    # written by the caller's thread only
        self._acked_bytes = 0   # written by the producer's I/O thread only

    @staticmethod
    def _producer(bootstrap_servers: str, linger_ms: int, batch_size: int,
                  compression_type: str | None, max_block_ms: int, delivery_timeout_ms: int,
                  extra: dict[str, Any]) -> Any:
        from kafka import KafkaProducer

        return KafkaProducer(
            bootstrap_servers=bootstrap_servers.split(","), acks="all", enable_idempotence=True,
            max_in_flight_requests_per_connection=5, linger_ms=linger_ms, batch_size=batch_size,
            compression_type=compression_type,
            max_block_ms=max_block_ms, delivery_timeout_ms=delivery_timeout_ms,
            request_timeout_ms=30_000, retry_backoff_ms=200, reconnect_backoff_max_ms=5_000,
            client_id="custodes-simulate", **extra,
        )

    def _done(self, size: int, outcome: object) -> None:
        self._acked_bytes += size
        if isinstance(outcome, BaseException):
            self._errors.append(outcome)

    def _wait_for_room(self) -> None:
        waited = 0
        while self._sent_bytes - self._acked_bytes > self.max_pending_bytes and not self._errors:
            if waited == 200:  # 10 s
                self.log("kafka: broker slow or unavailable; holding the simulation (back-pressure)")
                waited = 0
            time.sleep(0.05)
            waited += 1

    def write(self, party: str, value: bytes) -> None:
        from kafka.errors import KafkaTimeoutError

        key = self._keys.get(party)
        if key is None:
            key = self._keys[party] = party.encode("utf-8")
        waited = 0.0
        while True:
            try:
                future = self._send(self.topic, value=value, key=key, headers=HEADERS)
                break
            except KafkaTimeoutError:
                # Buffer full or no metadata: the broker is slow or down. Wait, never drop.
                waited += 1
                if waited == 1 or waited % 12 == 0:
                    self.log(f"kafka: broker not accepting records, waiting (topic {self.topic})")
                time.sleep(0.05)
        size = len(value) + 64
        self._sent_bytes += size
        future.add_both(self._done, size)
        if self._sent_bytes - self._acked_bytes > self.max_pending_bytes:
            self._wait_for_room()
        if self._errors:
            raise DeliveryError(f"kafka delivery failed: {self._errors[0]!r}")

    def flush(self) -> None:
        self.producer.flush()
        if self._errors:
            raise DeliveryError(f"kafka delivery failed: {self._errors[0]!r}")

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.producer.close()


class BatchKafkaSink:
    """Kafka through aiokafka's batch API: records go straight into per-partition batches.

    Why: kafka-python spends ~20 µs of CPU per record in Python (a future,
    locks, record encoding) on the generating thread and more on its I/O
    thread, capping the simulator at a few thousand events/s. Here `write`
    only appends to a `BatchBuilder` (C, ~2 µs) of the record's partition;
    a full batch (or any batch older than `linger_ms`, checked on write and
    on flush) is handed to an asyncio loop on a background thread that sends
    it with an idempotent producer (acks=all). Per-batch, not per-record,
    Python work on that thread keeps the GIL free for generation.

    Same delivery guarantees as `KafkaSink`: key = party code, partition =
    murmur2(key) like every Kafka client's default partitioner, so a node's
    events stay in one partition; one sender task per partition submits its
    batches strictly in order and aiokafka keeps one batch per partition in
    flight, with idempotence against duplicates on retry. Back-pressure by
    unacknowledged bytes (`max_pending_bytes`). Nothing is dropped: a batch
    the accumulator cannot take in time is offered again; a batch the broker
    finally refuses (or that expires after `request_timeout_ms`) makes the
    next `write`/`flush` raise DeliveryError, and the run stops unsaved.
    """

    def __init__(
        self, bootstrap_servers: str, topic: str, *, linger_ms: int = 20,
        batch_size: int = 512 * 1024, compression_type: str | None = None,
        max_pending_bytes: int = 64 * 1024 * 1024, request_timeout_ms: int = 120_000,
        log: Callable[[str], None] = print, producer: Any = None,
        partitions: list[int] | None = None, **extra: Any,
    ) -> None:
        """`producer`/`partitions`: an already started producer and the topic's partitions (tests)."""
        from aiokafka.partitioner import DefaultPartitioner

        self.topic = topic
        self.log = log
        self.linger_s = linger_ms / 1000
        self.max_pending_bytes = max_pending_bytes
        self._errors: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="custodes-kafka",
                                        daemon=True)
        self._thread.start()
        if producer is not None:
            self.producer, partitions = producer, partitions or [0]
        else:
            try:
                self.producer, partitions = self._run(self._start(
                    bootstrap_servers, batch_size, compression_type, request_timeout_ms, extra))
            except BaseException:
                self._stop_loop()
                raise
        self._partitions = partitions
        self._partitioner = DefaultPartitioner()
        self._partition_of: dict[str, int] = {}
        self._keys: dict[str, bytes] = {}
        self._open: dict[int, Any] = {}          # partition -> BatchBuilder being filled
        self._opened_at = 0.0                    # monotonic time the oldest open batch began
        self._queues: dict[int, asyncio.Queue[Any]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._sent_bytes = 0    # written by the caller's thread only
        self._acked_bytes = 0   # written by the loop thread only

    # --- the loop thread ------------------------------------------------------
    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    async def _start(self, bootstrap_servers: str, batch_size: int, compression_type: str | None,
                     request_timeout_ms: int, extra: dict[str, Any]) -> tuple[Any, list[int]]:
        from aiokafka import AIOKafkaProducer

        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True,
            max_batch_size=batch_size, compression_type=compression_type,
            request_timeout_ms=request_timeout_ms, retry_backoff_ms=200,
            client_id="custodes-simulate", **extra)
        await producer.start()
        try:
            while True:
                try:
                    partitions = await producer.client._wait_on_metadata(self.topic)
                    break
                except Exception as exc:  # noqa: BLE001 - topic being created: wait, then retry
                    self.log(f"kafka: waiting for topic {self.topic} ({exc!r})")
                    await asyncio.sleep(0.5)
        except BaseException:
            await producer.stop()
            raise
        return producer, sorted(partitions)

    async def _sender(self, partition: int, queue: asyncio.Queue[Any]) -> None:
        """Sends one partition's batches in the order they were written."""
        while True:
            builder, size = await queue.get()
            waited = 0
            while True:
                try:
                    delivery = await self.producer.send_batch(builder, self.topic, partition=partition)
                    break
                except Exception as exc:  # noqa: BLE001 - decided below: retry or fail
                    from aiokafka.errors import KafkaTimeoutError
                    if not isinstance(exc, KafkaTimeoutError):
                        self._errors.append(exc)
                        self._acked_bytes += size
                        return
                    waited += 1  # the previous batch is not out yet: broker slow or down
                    if waited == 1 or waited % 10 == 0:
                        self.log(f"kafka: broker not accepting batches, waiting (topic {self.topic})")
            delivery.add_done_callback(lambda f, n=size: self._delivered(f, n))

    def _delivered(self, future: asyncio.Future[Any], size: int) -> None:
        if future.cancelled():
            self._errors.append(RuntimeError("delivery cancelled"))
        elif future.exception() is not None:
            self._errors.append(future.exception())  # type: ignore[arg-type]
        self._acked_bytes += size

    def _enqueue(self, partition: int, builder: Any, size: int) -> None:
        queue = self._queues.get(partition)
        if queue is None:
            queue = self._queues[partition] = asyncio.Queue()
            self._tasks.append(self._loop.create_task(self._sender(partition, queue)))
        queue.put_nowait((builder, size))

    # --- the caller's thread --------------------------------------------------
    def _submit(self, partition: int) -> None:
        builder = self._open.pop(partition)
        size = builder.size()
        self._sent_bytes += size
        self._loop.call_soon_threadsafe(self._enqueue, partition, builder, size)

    def _submit_all(self) -> None:
        for partition in list(self._open):
            self._submit(partition)

    def write(self, party: str, value: bytes) -> None:
        partition = self._partition_of.get(party)
        if partition is None:
            key = self._keys[party] = party.encode("utf-8")
            partition = self._partition_of[party] = self._partitioner(
                key, self._partitions, self._partitions)
        key = self._keys[party]
        builder = self._open.get(partition)
        if builder is None:
            if not self._open:
                self._opened_at = time.monotonic()
            builder = self._open[partition] = self.producer.create_batch()
        if builder.append(key=key, value=value, timestamp=None, headers=HEADERS) is None:
            self._submit(partition)  # full: send it, start the next one
            builder = self._open[partition] = self.producer.create_batch()
            if builder.append(key=key, value=value, timestamp=None, headers=HEADERS) is None:
                raise DeliveryError(f"record of {len(value)} bytes does not fit an empty batch")
        if time.monotonic() - self._opened_at >= self.linger_s:
            self._submit_all()
        if self._sent_bytes - self._acked_bytes > self.max_pending_bytes:
            self._wait(self.max_pending_bytes)
        if self._errors:
            raise DeliveryError(f"kafka delivery failed: {self._errors[0]!r}")

    def _wait(self, allowed: int) -> None:
        """Block until at most `allowed` bytes are unacknowledged (or a delivery failed)."""
        waited = 0
        while self._sent_bytes - self._acked_bytes > allowed and not self._errors:
            if waited == 2000:  # 10 s
                self.log("kafka: broker slow or unavailable; holding the simulation (back-pressure)")
                waited = 0
            time.sleep(0.005)
            waited += 1

    def submit(self) -> None:
        """Hand the open batches to the sender now, without waiting (the stream paused)."""
        self._submit_all()

    def flush(self) -> None:
        self._submit_all()
        self._wait(0)
        if self._errors:
            raise DeliveryError(f"kafka delivery failed: {self._errors[0]!r}")

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            try:
                self._run(self._shutdown())
            finally:
                self._stop_loop()

    async def _shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.producer.stop()
