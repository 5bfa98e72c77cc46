"""Bad input on the topic ends in quarantine or as INT-1; the processor keeps going (§7)."""
from __future__ import annotations

import base64

import orjson
import pytest

from custodes.canonical import event_hash
from tests.integration.live.helpers import (
    EXAMPLES,
    create_topic,
    example_lines,
    produce,
    produce_jsonl,
    query,
    run_to_idle,
    stored_findings,
)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("runner", ["plain", "faust"])
def test_garbage_wrong_schema_and_forged_chain_are_quarantined_or_int1_and_the_rest_flows(
    kafka_bootstrap: str, fresh_database: str, unique_topic: str, runner: str
) -> None:
    good = example_lines("clean-exchange")
    first = orjson.loads(good[0])
    wrong_schema = dict(first, data=dict(first["data"], purpose="fishing"))
    conflicting = dict(first, data=dict(first["data"], officer_ref="someone-else"))
    # A forged DE event: right shape, seq continuing the chain, but a made-up prevhash.
    de = [orjson.loads(x) for x in good if b'"urn:ebsp:node:DE"' in x]
    forged = dict(de[-1], id="0b5f3a7e-1111-4222-8333-944455556666", seq=de[-1]["seq"] + 1,
                  prevhash="ab" * 32)
    create_topic(kafka_bootstrap, unique_topic, partitions=2)
    produce(kafka_bootstrap, unique_topic,
            [b"\xff\xfe not json", b'{"specversion":"1.0"}', orjson.dumps(wrong_schema)],
            [None, b"DE", b"US"])
    produce_jsonl(kafka_bootstrap, unique_topic, good)
    produce_jsonl(kafka_bootstrap, unique_topic,
                  [good[0], orjson.dumps(conflicting), orjson.dumps(forged)])

    run_to_idle(runner, kafka_bootstrap, fresh_database, unique_topic, EXAMPLES / "trust.toml")

    rows = query(fresh_database, "SELECT kind, reason, field, raw_b64 FROM quarantine "
                                 "ORDER BY kind, field NULLS FIRST")
    kinds = [r[0] for r in rows]
    assert kinds.count("invalid") == 3 and kinds.count("conflicting_duplicate") == 1
    raws = {base64.b64decode(r[3]) for r in rows}
    assert b"\xff\xfe not json" in raws  # the original bytes, untouched
    assert any(r[2] == "data.purpose" for r in rows)
    # exact duplicate ignored; conflict archived as such; forged event archived and INT-1
    archived = query(fresh_database, "SELECT disposition, count(*) FROM archive_events "
                                     "GROUP BY disposition ORDER BY 1")
    assert archived == [("accepted", len(good) + 1), ("conflict", 1)]
    findings = stored_findings(fresh_database).values()
    int1_keys = {f[2] for f in findings if f[1] == "INT-1"}
    assert f"urn:ebsp:node:DE/{forged['seq']}" in int1_keys
    assert any(k.startswith(first["source"]) for k in int1_keys)  # the conflicting duplicate
    assert event_hash(forged) not in {r[0] for r in query(
        fresh_database, "SELECT hash FROM archive_events WHERE disposition = 'conflict'")}
    positions = query(fresh_database, "SELECT sum(next_offset) FROM consumer_positions")
    assert positions[0][0] == 3 + len(good) + 3  # every message consumed, none left behind
