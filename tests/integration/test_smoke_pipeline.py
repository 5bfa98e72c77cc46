"""One event goes through the real Kafka into the real PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from custodes.stack.smoke import run_smoke

pytestmark = pytest.mark.integration


def test_an_event_produced_with_acks_all_is_consumed_and_stored(
    kafka_bootstrap: str, fresh_database: str, unique_topic: str
) -> None:
    result = run_smoke(kafka_bootstrap, fresh_database, unique_topic, timeout_s=30)

    engine = create_engine(fresh_database)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                'select event_id, topic, partition, "offset", event from stack_smoke.deliveries'
            )).mappings().all()
    finally:
        engine.dispose()

    assert len(rows) == 1
    row = rows[0]
    assert row["event_id"] == result.event["id"]
    assert row["topic"] == unique_topic
    assert row["partition"] == 0
    assert row["offset"] == 0  # the first record of a fresh topic
    assert row["event"] == result.event
    assert row["event"]["data"] == {"note": "stack smoke test"}


def test_two_events_on_one_topic_become_two_rows_in_offset_order(
    kafka_bootstrap: str, fresh_database: str, unique_topic: str
) -> None:
    first = run_smoke(kafka_bootstrap, fresh_database, unique_topic)
    second = run_smoke(kafka_bootstrap, fresh_database, unique_topic)

    assert second.row["offset"] == first.row["offset"] + 1
    engine = create_engine(fresh_database)
    try:
        with engine.connect() as conn:
            count = conn.execute(text("select count(*) from stack_smoke.deliveries")).scalar_one()
    finally:
        engine.dispose()
    assert count == 2
