"""The Kafka sink waits instead of dropping or buffering without bound."""
from __future__ import annotations

import threading
import time

from kafka.errors import KafkaTimeoutError
from kafka.future import Future

from producers.sinks import KafkaSink


class FakeProducer:
    """Accepts records, fails the first `timeouts` sends, acknowledges only on `ack_all()`."""

    def __init__(self, timeouts: int = 0) -> None:
        self.timeouts = timeouts
        self.sent: list[tuple[str, bytes, bytes, list]] = []
        self.pending: list[Future] = []

    def send(self, topic, value, key, headers):
        if self.timeouts:
            self.timeouts -= 1
            raise KafkaTimeoutError("buffer full")
        self.sent.append((topic, key, value, headers))
        f = Future()
        self.pending.append(f)
        return f

    def ack_all(self) -> None:
        pending, self.pending = self.pending, []
        for f in pending:
            f.success(None)

    def flush(self) -> None:
        self.ack_all()

    def close(self) -> None:
        pass


def test_send_timeouts_are_retried_and_nothing_is_dropped():
    fake = FakeProducer(timeouts=3)
    sink = KafkaSink("unused", "t", producer=fake, log=lambda m: None)
    sink.write("DE", b"{}")
    assert fake.sent == [("t", b"DE", b"{}", [("content-type", b"application/cloudevents+json")])]


def test_writer_blocks_while_too_much_is_unacknowledged():
    fake = FakeProducer()
    sink = KafkaSink("unused", "t", producer=fake, max_pending_bytes=1000, log=lambda m: None)
    done = threading.Event()

    def writer() -> None:
        for _ in range(30):          # 30 × (100 + 64) bytes > 1000: must wait for acks
            sink.write("US", b"x" * 100)
        done.set()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    time.sleep(0.3)
    assert not done.is_set() and len(fake.sent) < 30
    while not done.is_set():
        fake.ack_all()
        time.sleep(0.06)
    thread.join(2)
    assert len(fake.sent) == 30
