"""Live findings == replay of the same events == the simulator's ground truth (SPEC §5).

Both runners: the plain kafka-python loop (in process) and the Faust worker
(`custodes process --runner faust`, as a subprocess).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.live.helpers import (
    create_topic,
    produce_jsonl,
    query,
    replay_findings,
    run_to_idle,
    stored_findings,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.parametrize("runner", ["plain", "faust"])
def test_a_simulated_month_gives_the_same_findings_live_as_in_replay_and_in_truth(
    kafka_bootstrap: str, fresh_database: str, unique_topic: str, month_simulation: object,
    tmp_path: Path, runner: str,
) -> None:
    sim = month_simulation
    create_topic(kafka_bootstrap, unique_topic, partitions=4)
    produce_jsonl(kafka_bootstrap, unique_topic, sim.lines)

    run_to_idle(runner, kafka_bootstrap, fresh_database, unique_topic, sim.trust)

    live = stored_findings(fresh_database)
    replayed = replay_findings(sim.events, tmp_path / "replay.jsonl", trust=sim.trust,
                               horizon=sim.horizon)
    from_archive = replay_findings(sim.events, tmp_path / "archive.jsonl", trust=sim.trust,
                                   horizon=sim.horizon, from_archive=fresh_database)
    truth = sim.truth_findings()
    assert len(truth) > 50  # the injections really produced violations of many rules
    assert sorted(live.values()) == sorted(replayed.values())
    assert from_archive == replayed
    assert live == truth
    assert query(fresh_database, "SELECT count(*) FROM archive_events")[0][0] == len(sim.lines)
    positions = query(fresh_database, "SELECT sum(next_offset) FROM consumer_positions")
    assert positions[0][0] == len(sim.lines)  # every message consumed exactly once
