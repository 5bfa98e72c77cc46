"""The outbox marks only what the broker acknowledged: a failed send is retried, never lost."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from kafka.errors import KafkaTimeoutError

from processors.live.outbox import Outbox
from processors.live.runner import KafkaRunner, RunnerConfig


class FakeCursor:
    """Just the outbox's four statements, over two in-memory tables."""

    def __init__(self, conn: FakeConnection) -> None:
        self.conn = conn
        self.result: list[Any] = []

    def __enter__(self) -> FakeCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute(self, sql: str, params: tuple[Any, ...]) -> None:
        if sql.startswith("SELECT published_through"):
            through = self.conn.outbox.get(params[0])
            self.result = [(through,)] if through is not None else []
        elif "FROM platform_events" in sql:
            after, limit = params
            self.result = [r for r in self.conn.platform_events if r[0] > after][:limit]
        elif "FROM quarantine" in sql:
            self.result = []
        elif sql.startswith("INSERT INTO outbox_positions"):
            name, through = params
            self.conn.outbox[name] = max(self.conn.outbox.get(name, 0), through)
        else:
            raise AssertionError(f"unexpected SQL: {sql}")

    def fetchone(self) -> Any:
        return self.result[0] if self.result else None

    def fetchall(self) -> list[Any]:
        return self.result


class FakeConnection:
    closed = False

    def __init__(self, platform_events: list[tuple[int, bytes]]) -> None:
        self.platform_events = platform_events
        self.outbox: dict[str, int] = {}

    def cursor(self, row_factory: Any = None) -> FakeCursor:
        return FakeCursor(self)

    @contextmanager
    def transaction(self) -> Any:
        yield

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass


class FakeFuture:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def get(self, timeout: float | None = None) -> None:
        if self.error is not None:
            raise self.error


class FakeProducer:
    """Like kafka-python 3.0: `flush()` returns even when the requests failed."""

    def __init__(self) -> None:
        self.down = False
        self.delivered: list[bytes] = []

    def send(self, topic: str, key: bytes | None = None, value: bytes = b"",
             headers: Any = None) -> FakeFuture:
        if self.down:
            return FakeFuture(KafkaTimeoutError("broker away longer than the retries"))
        self.delivered.append(value)
        return FakeFuture(None)

    def flush(self, timeout: float | None = None) -> None:
        pass


def _runner() -> KafkaRunner:
    cfg = RunnerConfig(bootstrap="-", database_url="-", events_topic="e", findings_topic="f",
                       quarantine_topic="q", policy=None, trust=None)
    return KafkaRunner(cfg, log=lambda _: None)


def test_sends_the_broker_did_not_acknowledge_are_not_marked_and_go_out_on_the_next_try() -> None:
    conn = FakeConnection([(1, b"one"), (2, b"two"), (3, b"three")])
    producer = FakeProducer()
    outbox = Outbox(conn, producer, "f", "q")
    runner = _runner()

    producer.down = True
    runner._publish(outbox)  # logged, not raised: the runner retries later

    assert conn.outbox.get("findings", 0) == 0
    assert producer.delivered == []
    assert runner.publish_failed_at is not None

    producer.down = False
    runner._publish(outbox)

    assert conn.outbox["findings"] == 3
    assert producer.delivered == [b"one", b"two", b"three"]
    assert runner.publish_failed_at is None


def test_a_failed_send_makes_publish_raise_before_marking() -> None:
    conn = FakeConnection([(1, b"one")])
    producer = FakeProducer()
    producer.down = True
    outbox = Outbox(conn, producer, "f", "q")
    try:
        outbox.publish()
    except KafkaTimeoutError:
        pass
    else:
        raise AssertionError("publish() returned although the send failed")
    assert "findings" not in conn.outbox
