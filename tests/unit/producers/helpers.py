"""Run the simulators in memory and read their output back as events."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from custodes.codec import decode
from custodes.events import Event
from custodes.parties import PARTIES
from custodes.policy import Policy, load_policy
from custodes.signing import NodeChain
from custodes.timefmt import parse_ms
from custodes.trust import Trust
from producers.config import CONFIG_DIR, injection_profile, load_config, parse_duration_ms
from producers.engine import RunResult, Simulation
from producers.sinks import MemorySink
from producers.state import StateDir, node_keys, run_meta
from producers.world import World

TEST_CONFIG = CONFIG_DIR / "test.toml"
START = "2026-01-01T00:00:00.000Z"


@dataclass
class Output:
    lines: list[bytes]
    parties: list[str]
    result: RunResult
    trust: Trust
    sim: Simulation

    def events(self) -> list[Event]:
        out = []
        for line in self.lines:
            ev = decode(line)
            assert isinstance(ev, Event), ev
            out.append(ev)
        return out

    def data_of(self, type_: str) -> list[tuple[Event, Any]]:
        return [(e, e.data) for e in self.events() if e.type == type_]

    def truth(self) -> list[dict[str, Any]]:
        from producers.truth import decided
        return [r for r in self.result.truth if decided(r, self.result.horizon_ms)]


def simulate(
    seed: int = 1, duration: str = "2d", scale: float = 0.01, inject: str = "none",
    config: str | Path | None = TEST_CONFIG, policy: Policy | None = None,
    nodes: tuple[str, ...] = PARTIES, start: str = START, state_dir: Path | None = None,
) -> Output:
    """One run into memory; with `state_dir`, resume from / save to it like the CLI does."""
    cfg = load_config(config)
    policy = policy or load_policy(None)
    rates = injection_profile(cfg, inject)
    sink = MemorySink()
    meta = run_meta(seed, nodes, scale, cfg, policy, rates)
    state = StateDir(state_dir) if state_dir else None
    if state and state.exists():
        world, chains, _ = state.load(meta)
        sim = Simulation(cfg, policy, rates, world, chains, scale)
        sim.resume(sink)
        begin = world.clock
    else:
        world = World(seed)
        chains = {p: NodeChain(k) for p, k in node_keys(seed, nodes, "sim-1").items()}
        sim = Simulation(cfg, policy, rates, world, chains, scale)
        begin = parse_ms(start)
        sim.begin(begin, sink)
    result = sim.run(begin + parse_duration_ms(duration))
    if state:
        state.save(meta, world, chains)
    trust = Trust({p: (c.key.key_id, c.key.public_key_bytes) for p, c in chains.items()})
    return Output([v for _, v in sink.records], [p for p, _ in sink.records], result, trust, sim)


@cache
def month_run(inject: str = "none", seed: int = 3) -> Output:
    """A 40-day run covering January 2026, shared by several tests (takes a few seconds)."""
    return simulate(seed=seed, duration="40d", scale=0.01, inject=inject)


def wire(line: bytes) -> dict[str, Any]:
    return orjson.loads(line)
