"""The spec's worked cases, fed through Kafka to the live processor."""
from __future__ import annotations

import orjson
import pytest

from custodes.trust import load_trust
from tests.integration.live.helpers import (
    EXAMPLES, create_topic, produce_jsonl, query, run_cli_until_idle, run_until_idle,
    stored_findings,
)

pytestmark = pytest.mark.integration


def _run(runner: str, bootstrap: str, url: str, topic: str) -> None:
    if runner == "plain":
        run_until_idle(bootstrap, url, topic, trust=load_trust(EXAMPLES / "trust.toml"))
    else:
        run_cli_until_idle(bootstrap, url, topic, "--trust", str(EXAMPLES / "trust.toml"),
                           runner=runner)


@pytest.mark.parametrize("runner", ["plain", "faust"])
def test_a_tampered_chain_raises_int1_live_and_every_event_is_archived(
    kafka_bootstrap: str, fresh_database: str, unique_topic: str, runner: str
) -> None:
    case = EXAMPLES / "integrity-tamper"
    lines = [ln for ln in (case / "events.jsonl").read_bytes().splitlines() if ln.strip()]
    create_topic(kafka_bootstrap, unique_topic)
    produce_jsonl(kafka_bootstrap, unique_topic, lines)

    _run(runner, kafka_bootstrap, fresh_database, unique_topic)

    expected = {f["finding_id"]: f for f in map(orjson.loads, (case / "expected.jsonl")
                                                 .read_bytes().splitlines())}
    live = stored_findings(fresh_database)
    for fid, f in expected.items():
        assert live[fid][1:] == (f["rule"], f["key"], f["party"], f["severity"], f["case_id"])
    assert query(fresh_database, "SELECT count(*) FROM archive_events")[0][0] == len(lines)
    assert query(fresh_database, "SELECT chain_status FROM node_health WHERE party = 'DE'") == \
        [("broken",)]
