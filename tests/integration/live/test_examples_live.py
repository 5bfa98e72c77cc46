"""The spec's worked cases, fed through Kafka to the live processor."""
from __future__ import annotations

import orjson
import pytest

from tests.integration.live.helpers import (
    EXAMPLES,
    create_topic,
    example_lines,
    produce_jsonl,
    query,
    run_to_idle,
    stored_findings,
)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("runner", ["plain", "faust"])
def test_a_tampered_chain_raises_int1_live_and_every_event_is_archived(
    kafka_bootstrap: str, fresh_database: str, unique_topic: str, runner: str
) -> None:
    case = EXAMPLES / "integrity-tamper"
    lines = example_lines(case.name)
    create_topic(kafka_bootstrap, unique_topic)
    produce_jsonl(kafka_bootstrap, unique_topic, lines)

    run_to_idle(runner, kafka_bootstrap, fresh_database, unique_topic, EXAMPLES / "trust.toml")

    expected = {f["finding_id"]: f for f in map(orjson.loads, (case / "expected.jsonl")
                                                 .read_bytes().splitlines())}
    live = stored_findings(fresh_database)
    for fid, f in expected.items():
        assert live[fid][1:] == (f["rule"], f["key"], f["party"], f["severity"], f["case_id"])
    assert query(fresh_database, "SELECT count(*) FROM archive_events")[0][0] == len(lines)
    assert query(fresh_database, "SELECT chain_status FROM node_health WHERE party = 'DE'") == \
        [("broken",)]
