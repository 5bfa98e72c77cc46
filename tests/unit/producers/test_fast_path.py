"""The simulators chain through NodeChain's trusted fast path; `validate` checks it against build."""
from __future__ import annotations

import subprocess
import sys

from custodes.events import NODE_TYPES
from custodes.policy import load_policy
from custodes.signing import NodeChain
from custodes.timefmt import parse_ms
from producers.config import injection_profile, load_config, parse_duration_ms
from producers.engine import Simulation
from producers.sinks import MemorySink
from producers.state import node_keys
from producers.world import World
from tests.unit.producers.helpers import START, TEST_CONFIG, simulate, wire


def test_every_generated_event_equals_codec_build_for_every_type():
    """validate=True builds each event with codec.build too and raises on any difference."""
    cfg = load_config(TEST_CONFIG)
    world = World(4)
    chains = {p: NodeChain(k, validate=True) for p, k in node_keys(4, tuple(cfg.traffic.weights) + ("US",),
                                                                     "sim-1").items()}
    sim = Simulation(cfg, load_policy(None), injection_profile(cfg, "heavy"), world, chains, 0.02)
    sink = MemorySink()
    begin = parse_ms(START)
    sim.begin(begin, sink)
    sim.run(begin + parse_duration_ms("14d"))
    types = {wire(v)["type"] for _, v in sink.records}
    assert types == set(NODE_TYPES)
    # and validation does not change a byte
    plain = simulate(seed=4, duration="14d", scale=0.02, inject="heavy",
                     nodes=tuple(cfg.traffic.weights) + ("US",))
    assert sorted(plain.lines) == sorted(v for _, v in sink.records)


def test_cli_validate_flag_gives_the_same_bytes(tmp_path):
    def run(name: str, *extra: str) -> bytes:
        out = tmp_path / f"{name}.jsonl"
        done = subprocess.run(
            [sys.executable, "-m", "custodes.cli", "simulate", "--seed", "5", "--duration", "6h",
             "--scale", "0.02", "--nodes", "US,DE,FR", "--out", str(out), "--config",
             "producers/config/test.toml", "--inject", "heavy", *extra],
            capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        return out.read_bytes()

    assert run("fast") == run("checked", "--validate")
