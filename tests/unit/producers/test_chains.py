"""Each node's output is a valid hash chain with signed checkpoints on the spec's cadence."""
from __future__ import annotations

from custodes.events import CHECKPOINT_TYPE
from custodes.timefmt import parse_ms
from tests.unit.producers.chain_check import by_source, chain_breaks
from tests.unit.producers.helpers import month_run, simulate


def test_every_node_chain_links_and_every_checkpoint_verifies_with_the_trust_file():
    out = simulate(duration="2d", inject="none")
    events = out.events()
    assert len(by_source(events)) == 25
    assert chain_breaks(events, out.trust) == []


def test_output_is_in_global_time_order_with_a_final_checkpoint_after_everything():
    out = simulate(duration="2d", inject="none")
    events = out.events()
    times = [e.time_ms for e in events]
    assert times == sorted(times)
    horizon = out.result.horizon_ms
    assert horizon == parse_ms("2026-01-03T00:00:00.000Z")
    for source, evs in by_source(events).items():
        assert evs[-1].type == CHECKPOINT_TYPE and evs[-1].time_ms == horizon, source
        assert all(e.time_ms < horizon for e in evs[:-1]), source


def test_checkpoints_at_least_every_interval_and_every_1000_events(tmp_path):
    cfg = tmp_path / "cadence.toml"
    cfg.write_text("[run]\ncheckpoint_interval_s = 600\ncheckpoint_max_events = 50\n")
    out = simulate(duration="1d", scale=0.05, nodes=("US", "DE", "MT"), config=cfg)
    for source, evs in by_source(out.events()).items():
        assert evs[0].type == CHECKPOINT_TYPE and evs[0].time == "2026-01-01T00:00:00.000Z"
        last_cp, since = evs[0].time_ms, 0
        for e in evs[1:]:
            assert e.time_ms - last_cp <= 600_000, (source, e.seq)
            if e.type == CHECKPOINT_TYPE:
                last_cp, since = e.time_ms, 0
            else:
                since += 1
                assert since < 50, (source, e.seq)
    # MT is mostly idle: its heartbeat still checkpoints every 10 minutes of event time.
    mt = by_source(out.events())["urn:ebsp:node:MT"]
    assert sum(e.type == CHECKPOINT_TYPE for e in mt) >= 24 * 6


def test_tampering_breaks_exactly_the_chain_links_the_truth_names():
    out = month_run("heavy")
    truth = sorted(r["key"] for r in out.truth() if r["rule"] == "INT-1")
    assert truth, "the heavy profile should tamper with some events"
    assert sorted(chain_breaks(out.events(), out.trust)) == truth
