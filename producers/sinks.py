"""Where simulated events go: a JSONL file, Kafka, or memory (tests).

A sink receives each event's canonical bytes with its source party, in the
order the node chains produced them. `flush()` returns only when everything
written so far is durable (on disk, or acknowledged by all in-sync replicas),
so the simulator saves its state only after a flush: a restart never skips
an event, and at worst re-sends identical ones (SPEC §7: duplicates with
the same id and hash are ignored).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

HEADERS = [("content-type", b"application/cloudevents+json")]


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
        os.fsync(self._fh.fileno())

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
