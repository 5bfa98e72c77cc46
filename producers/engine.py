"""The simulation loop: pops the schedule in time order and makes each node emit.

One heap holds every future step of every node (query arrivals, answers,
deletions due next week, heartbeats), so events of all nodes come out in
global time order and each node's `time` never decreases. Each node has its
own `NodeChain` (seq, prevhash, signed checkpoints). Event times derive only
from the simulated clock; `speed` merely paces emission against the wall
clock when streaming.
"""
from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from custodes.canonical import canonical_bytes
from custodes.parties import US
from custodes.policy import Policy
from custodes.signing import NodeChain, time_text
from custodes.timefmt import MS_PER_DAY, next_month_start_ms
from producers.cases import TRANSFER, Cases
from producers.config import InjectionRates, SimConfig
from producers.guards import balanced
from producers.sinks import Sink
from producers.traffic import RhythmTable, flows, next_arrival
from producers.truth import violation
from producers.world import K_ARRIVAL, K_BURST, K_DAY, K_EMIT, K_HEARTBEAT, World


@dataclass
class RunResult:
    """What a run did: the horizon (final checkpoint time), counts, and whether it was stopped."""

    horizon_ms: int
    events: int
    stopped: bool
    wall_s: float
    truth: list[dict[str, Any]] = field(default_factory=list)


def tampered(raw: dict[str, Any]) -> bytes:
    """INT-1: the event as it was chained, with a field no rule reads altered afterwards."""
    altered = dict(raw)
    data = dict(altered["data"])  # type: ignore[arg-type]
    data["legal_basis"] = data["legal_basis"] + " (amended)"
    altered["data"] = data
    return canonical_bytes(altered)


class Output(Protocol):
    """Where the loop's node events go: chained, hashed, signed and written.

    `heads[party]` exposes the chain counters the loop decides with
    (`source`, `seq`, `since_checkpoint`, `last_checkpoint_ms`), up to date
    after each `emit`/`checkpoint`. `Chained` does the chaining in this
    process; `producers.parallel.WorkerPool` in worker processes.
    """

    @property
    def heads(self) -> Mapping[str, Any]: ...

    def emit(self, party: str, type_: str, data: dict[str, Any], t: int, tamper: bool) -> None: ...
    def checkpoint(self, party: str, t: int) -> None: ...
    def nudge(self) -> None: ...
    def idle(self) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class Chained:
    """In-process output: each node's `NodeChain` (trusted fast path), then the sink."""

    def __init__(self, chains: dict[str, NodeChain], sink: Sink) -> None:
        self.heads = self.chains = chains
        self.sink = sink
        self._write = sink.write

    def emit(self, party: str, type_: str, data: dict[str, Any], t: int, tamper: bool) -> None:
        # Trusted fast path: our own payloads, chained without re-validation (see NodeChain.append).
        raw, value = self.chains[party].append(type_, data, t)
        self._write(party, tampered(raw) if tamper else value)

    def checkpoint(self, party: str, t: int) -> None:
        self._write(party, self.chains[party].append_checkpoint(t)[1])

    def nudge(self) -> None:
        pass  # nothing is held back in this process

    def idle(self) -> None:
        self.sink.flush()  # make what was emitted visible now

    def flush(self) -> None:
        self.sink.flush()

    def close(self) -> None:
        self.sink.close()


class Simulation:
    """Nodes, their chains, the world state, and the loop that drives them."""

    def __init__(
        self, cfg: SimConfig, policy: Policy, rates: InjectionRates, world: World,
        chains: dict[str, NodeChain], scale: float,
    ) -> None:
        """ValueError if the policy leaves a simulated party no compliant query (checked once)."""
        self.cfg = cfg
        self.policy = policy
        self.rates = rates
        self.w = world
        self.chains = chains
        self.nodes = tuple(chains)
        self.scale = scale
        self.interval = int(cfg.run.checkpoint_interval_s * 1000)
        self.max_events = cfg.run.checkpoint_max_events
        self.cases = Cases(world, cfg, policy.for_party, rates, self.nodes, scale)
        self.flows = flows(cfg, self.nodes, scale)
        self.tables = {side: RhythmTable(cfg.traffic.rhythm[side]) for side in ("us", "eu")}
        self.stop_requested = False
        self.out: Output | None = None
        self.heads: Mapping[str, Any] = chains
        self.events = 0

    def _attach(self, sink: Sink | Output) -> None:
        """A plain sink gets the in-process chains; an `Output` chains by itself."""
        out = sink if hasattr(sink, "emit") else Chained(self.chains, sink)  # type: ignore[arg-type]
        self.out = out  # type: ignore[assignment]
        self.heads = out.heads  # type: ignore[union-attr]

    # --- set-up ---------------------------------------------------------------
    def begin(self, start_ms: int, sink: Sink | Output) -> None:
        """First run of a fresh world: initial checkpoints and the first arrivals."""
        self._attach(sink)
        self.w.clock = start_ms
        for party in self.nodes:
            self._checkpoint(party, start_ms)
        for i, f in enumerate(self.flows):
            self.w.push(next_arrival(start_ms - 1, f.per_day, self.tables[f.side], self.w.rng),
                        K_ARRIVAL, i)
        self.w.push(start_ms, K_DAY, None)

    def resume(self, sink: Sink | Output) -> None:
        """Continue a saved world: heartbeats restart from each node's last checkpoint."""
        self._attach(sink)
        for party, chain in self.heads.items():
            last = chain.last_checkpoint_ms if chain.last_checkpoint_ms is not None else self.w.clock
            self.w.push(last + self.interval, K_HEARTBEAT, party)

    # --- the loop -------------------------------------------------------------
    def run(self, until_ms: int, speed: float | None = None,
            progress: Callable[[int, int], None] | None = None) -> RunResult:
        """Emit everything scheduled before `until_ms`, then final checkpoints at the horizon.

        The horizon is `until_ms`, or, when stopped early, 1 ms after the last
        emitted time (every event of that instant is emitted first).
        """
        w, heap, pop = self.w, self.w.heap, heapq.heappop
        wall0, sim0 = time.monotonic(), w.clock
        handlers: dict[int, Callable[[int, Any], None]] = {
            K_EMIT: self._on_emit, K_ARRIVAL: self._on_arrival, K_HEARTBEAT: self._on_heartbeat,
            K_DAY: self._on_day, K_BURST: self._on_burst,
        }
        n = 0
        while heap and heap[0][0] < until_ms:
            if self.stop_requested:
                break
            t, _, kind, payload = pop(heap)
            if speed:
                self._pace(wall0, sim0, t, speed)
                if self.stop_requested:
                    heapq.heappush(heap, (t, _, kind, payload))
                    break
            w.clock = t
            handlers[kind](t, payload)
            n += 1
            if progress is not None and n & 0x3FF == 0:
                progress(t, self.events)
        stopped = self.stop_requested and bool(heap) and heap[0][0] < until_ms
        if stopped:
            # Finish the current instant, so nothing is left behind at or before the horizon.
            while heap and heap[0][0] <= w.clock:
                t, _, kind, payload = pop(heap)
                handlers[kind](t, payload)
            horizon = w.clock + 1
        else:
            horizon = until_ms
        for party in self.nodes:
            self._checkpoint(party, horizon, heartbeat=False)
        w.clock = horizon
        if progress is not None:
            progress(horizon, self.events)
        return RunResult(horizon_ms=horizon, events=self.events,
                         stopped=stopped, wall_s=time.monotonic() - wall0,
                         truth=self.truth(horizon))

    def _pace(self, wall0: float, sim0: int, t: int, speed: float) -> None:
        """Sleep until the wall clock reaches the event's time at `speed`×; wakes for stop."""
        flushed = False
        while not self.stop_requested:
            delay = wall0 + (t - sim0) / 1000 / speed - time.monotonic()
            if delay <= 0:
                return
            if self.out is not None:
                if delay > 0.5 and not flushed:
                    self.out.idle()  # idle: make what was emitted visible now
                    flushed = True
                else:
                    self.out.nudge()  # ahead of the clock: pass on what is batched
            time.sleep(min(delay, 0.2))

    # --- handlers ------------------------------------------------------------
    def _on_arrival(self, t: int, i: int) -> None:
        f = self.flows[i]
        if f.kind == "query":
            self.cases.query(t, f.party, f.other)
        else:
            self.cases.remedy(t, f.party)
        self.w.push(next_arrival(t, f.per_day, self.tables[f.side], self.w.rng), K_ARRIVAL, i)

    def _on_day(self, t: int, _: Any) -> None:
        self.cases.plan_day(t)
        self.w.push(t - t % MS_PER_DAY + MS_PER_DAY, K_DAY, None)

    def _on_burst(self, t: int, payload: Any) -> None:
        party, partner, officer, bid = payload
        self.cases.query(t, party, partner, officer=officer, burst=bid)

    def _on_heartbeat(self, t: int, party: str) -> None:
        head = self.heads[party]
        if head.last_checkpoint_ms is not None and head.last_checkpoint_ms + self.interval == t:
            self._checkpoint(party, t)

    def _on_emit(self, t: int, payload: Any) -> None:
        party, type_, data, marks = payload
        w = self.w
        tamper = False
        if marks:
            for mark in marks:
                if mark[0] == "tamper":
                    tamper = True
        self.out.emit(party, type_, data, t, tamper)  # type: ignore[union-attr]
        self.events += 1
        w.emitted[party] = w.emitted.get(party, 0) + 1
        if party in w.int1_pending:
            w.truth.append(w.int1_pending.pop(party))
        head = self.heads[party]
        if marks:
            for mark in marks:
                tag = mark[0]
                if tag == "truth":
                    w.truth.append(mark[1])
                elif tag == "tamper":
                    key = f"{head.source}/{head.seq + 1}"
                    w.int1_pending[party] = violation("INT-1", key, party, None, t)
                elif tag == "burst":
                    b = w.bursts[mark[1]]
                    b[0] += 1
                    if b[0] == b[1]:
                        w.truth.append(b[2])
        if type_ == TRANSFER:
            eu = data["recipient"] if party == US else party
            row = w.transfers.setdefault(f"{eu}/{time_text(t)[:7]}", [0, 0])
            row[0 if party == eu else 1] += 1
        if head.since_checkpoint >= self.max_events - 1:
            self._checkpoint(party, t)

    def _checkpoint(self, party: str, t: int, heartbeat: bool = True) -> None:
        self.out.checkpoint(party, t)  # type: ignore[union-attr]
        self.events += 1
        emitted = self.w.emitted
        emitted[party] = emitted.get(party, 0) + 1
        pending = self.w.int1_pending.pop(party, None)
        if pending is not None:
            self.w.truth.append(pending)
        if heartbeat:
            self.w.push(t + self.interval, K_HEARTBEAT, party)

    # --- truth ---------------------------------------------------------------
    def truth(self, horizon_ms: int) -> list[dict[str, Any]]:
        """All recorded violations plus REC-1 from the emitted monthly transfer counts."""
        out = list(self.w.truth)
        for key, (a, b) in sorted(self.w.transfers.items()):
            eu, month = key.split("/")
            due = next_month_start_ms(month)
            p = self.policy.for_party(eu)
            if due <= horizon_ms and not balanced(
                    a, b, p.reciprocity_min_volume, p.reciprocity_min_ratio_permille):
                out.append(violation("REC-1", key, eu if a < b else US, None, due))
        return out
