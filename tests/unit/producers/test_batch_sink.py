"""The default Kafka sink (aiokafka batches) waits instead of dropping, reordering or growing."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest
from aiokafka.errors import KafkaTimeoutError, NotLeaderForPartitionError

from producers.sinks import BatchKafkaSink, DeliveryError


class FakeBatch:
    """aiokafka's BatchBuilder as the sink uses it: append until `limit` bytes, then None."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.records: list[tuple[bytes, bytes]] = []
        self._size = 0

    def append(self, *, key, value, timestamp, headers):
        n = len(key) + len(value) + 20
        if self.records and self._size + n > self.limit:
            return None
        assert headers == [("content-type", b"application/cloudevents+json")]
        self.records.append((key, value))
        self._size += n
        return object()

    def size(self) -> int:
        return self._size


class FakeProducer:
    """send_batch fails with a timeout `timeouts` times first, or with `error`; acks on demand."""

    def __init__(self, timeouts: int = 0, error: Exception | None = None,
                 auto_ack: bool = True, batch_limit: int = 400) -> None:
        self.timeouts, self.error, self.auto_ack, self.batch_limit = timeouts, error, auto_ack, batch_limit
        self.sent: list[tuple[int, list[tuple[bytes, bytes]]]] = []
        self.pending: list[asyncio.Future] = []
        self.attempts = 0

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.batch_limit)

    async def send_batch(self, batch, topic, *, partition):
        self.attempts += 1
        if self.timeouts:
            self.timeouts -= 1
            raise KafkaTimeoutError("accumulator full")
        if self.error is not None:
            raise self.error
        self.sent.append((partition, batch.records))
        future = asyncio.get_running_loop().create_future()
        if self.auto_ack:
            future.set_result(None)
        else:
            self.pending.append(future)
        return future

    def ack_all(self, exc: Exception | None = None) -> None:
        pending, self.pending = self.pending, []
        for f in pending:
            if exc is None:
                f.set_result(None)
            else:
                f.set_exception(exc)

    async def stop(self) -> None:
        pass


def sink_with(fake: FakeProducer, **kw) -> BatchKafkaSink:
    return BatchKafkaSink("unused", "t", producer=fake, partitions=[0, 1, 2], linger_ms=0,
                          log=lambda m: None, **kw)


def records_by_key(fake: FakeProducer) -> dict[bytes, list[bytes]]:
    out: dict[bytes, list[bytes]] = {}
    for _, records in fake.sent:
        for key, value in records:
            out.setdefault(key, []).append(value)
    return out


def test_batches_refused_with_timeouts_are_retried_in_order_and_none_is_dropped():
    fake = FakeProducer(timeouts=5)
    sink = sink_with(fake)
    expected: dict[bytes, list[bytes]] = {b"US": [], b"DE": []}
    for i in range(200):
        party = "US" if i % 3 else "DE"
        value = b'{"seq":%d}' % i
        sink.write(party, value)
        expected[party.encode()].append(value)
    sink.close()
    assert fake.attempts == len(fake.sent) + 5
    assert records_by_key(fake) == expected          # all of them, once, each key in order
    partitions = {}
    for partition, records in fake.sent:
        for key, _ in records:
            assert partitions.setdefault(key, partition) == partition  # one partition per node


def test_writer_blocks_while_too_much_is_unacknowledged_and_resumes_on_acks():
    fake = FakeProducer(auto_ack=False, batch_limit=200)
    sink = sink_with(fake, max_pending_bytes=1000)
    done = threading.Event()

    def writer() -> None:
        for i in range(60):       # 60 × ~110 bytes > 1000: must wait for acknowledgements
            sink.write("US", b"x" * 90 + b"%03d" % i)
        done.set()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    time.sleep(0.3)
    assert not done.is_set()
    held = sum(len(r) for _, r in fake.sent)
    assert 0 < held < 60
    while not done.is_set():
        sink._loop.call_soon_threadsafe(fake.ack_all)
        time.sleep(0.05)
    thread.join(2)
    flusher = threading.Thread(target=sink.flush, daemon=True)
    flusher.start()
    while flusher.is_alive():      # flush returns only once everything is acknowledged
        sink._loop.call_soon_threadsafe(fake.ack_all)
        flusher.join(0.05)
    assert [v[-3:] for v in records_by_key(fake)[b"US"]] == [b"%03d" % i for i in range(60)]
    sink.close()


def test_a_batch_the_broker_refuses_stops_the_run_with_a_delivery_error():
    fake = FakeProducer(error=NotLeaderForPartitionError("gone for good"))
    sink = sink_with(fake)
    with pytest.raises(DeliveryError, match="gone for good"):
        for _ in range(100):
            sink.write("DE", b"{}")
            time.sleep(0.01)
        sink.flush()
    sink._run(sink._shutdown())
    sink._stop_loop()


def test_a_failed_acknowledgement_makes_flush_raise_instead_of_saving():
    fake = FakeProducer(auto_ack=False)
    sink = sink_with(fake)
    sink.write("FR", b"{}")
    sink._submit_all()
    deadline = time.monotonic() + 5
    while not fake.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    sink._loop.call_soon_threadsafe(fake.ack_all, RuntimeError("record expired"))
    with pytest.raises(DeliveryError, match="record expired"):
        sink.flush()
    sink._run(sink._shutdown())
    sink._stop_loop()
