"""One event through Kafka into PostgreSQL: proof that the stack carries data end to end.

Used by `custodes stack smoke` (scripts/run.sh) and by the integration test.
The row lands in its own schema, `stack_smoke`, so it never mixes with the
application's tables or migrations.
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, Text, create_engine, select
from sqlalchemy.dialects.postgresql import JSONB, insert

from custodes import wire
from custodes.stack.kafka_admin import ensure_topics

SCHEMA = "stack_smoke"
metadata = MetaData(schema=SCHEMA)
deliveries = Table(
    "deliveries", metadata,
    Column("event_id", Text, primary_key=True),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("event", JSONB, nullable=False),
)


@dataclass(frozen=True)
class SmokeResult:
    event: dict[str, Any]   # what was produced
    row: dict[str, Any]     # what PostgreSQL holds afterwards
    seconds: float


def smoke_event() -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "urn:ebsp:platform",
            "type": "custodes.stack.smoke", "time": now,
            "datacontenttype": "application/json", "data": {"note": "stack smoke test"}}


def run_smoke(bootstrap: str, database_url: str, topic: str, timeout_s: float = 30.0) -> SmokeResult:
    started = time.monotonic()
    event = smoke_event()
    ensure_topics(bootstrap, {topic: 1})
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    try:
        sent = producer.send(
            topic, key=b"smoke", value=json.dumps(event).encode(),
            headers=wire.HEADERS,
        ).get(timeout=timeout_s)
    finally:
        producer.close()
    received = _consume_one(bootstrap, TopicPartition(topic, sent.partition), sent.offset, timeout_s)
    row = _store(database_url, topic, sent.partition, sent.offset, json.loads(received))
    return SmokeResult(event=event, row=row, seconds=time.monotonic() - started)


def _consume_one(bootstrap: str, tp: TopicPartition, offset: int, timeout_s: float) -> bytes:
    """Read the record at `offset`, by direct assignment: no group, no rebalance to wait for."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        consumer.assign([tp])
        consumer.seek(tp, offset)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for record in consumer.poll(timeout_ms=500).get(tp, []):
                if record.offset == offset:
                    return bytes(record.value)
        raise TimeoutError(f"record {tp.topic}[{tp.partition}]@{offset} not consumed "
                           f"within {timeout_s:.0f} s")
    finally:
        consumer.close()


def _store(database_url: str, topic: str, partition: int, offset: int,
           event: dict[str, Any]) -> dict[str, Any]:
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            metadata.create_all(conn)
            conn.execute(insert(deliveries).values(
                event_id=event["id"], topic=topic, partition=partition, offset=offset, event=event,
            ).on_conflict_do_nothing())
        with engine.connect() as conn:
            found = conn.execute(
                select(deliveries).where(deliveries.c.event_id == event["id"])
            ).mappings().one()
            return dict(found)
    finally:
        engine.dispose()
