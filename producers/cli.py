"""`custodes simulate`: the 24 EU member-state nodes and the US node, streaming events.

Composition root of the simulators: reads the config, policy and injection
profile, builds (or resumes) the world and node chains, picks the sink
(Kafka or a JSONL file), runs, and writes the ground truth and trust file.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from custodes.parties import PARTIES
from custodes.timefmt import format_ms, parse_ms

DEFAULT_BOOTSTRAP = "127.0.0.1:19092"
MAX_DEFAULT_WORKERS = 8  # beyond that the single generating process is the bottleneck


def default_workers() -> int:
    """The CPUs this process may run on (its affinity: a container's or taskset's limit,
    not the host's count), at most MAX_DEFAULT_WORKERS."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        usable = os.cpu_count() or 1
    return max(1, min(usable, MAX_DEFAULT_WORKERS))


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "simulate", help="run the node simulators (24 EU nodes and the US node)",
        description="Simulate the national nodes of the EU-US exchange: queries, hits, "
        "transfers, deletions, onward transfers, decisions and remedies, each node with its "
        "own signed hash chain, optionally with injected misbehaviour and its ground truth. "
        "Output goes to Kafka or to a JSONL file.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--seed", type=int, default=1, help="random seed: same seed, same events")
    p.add_argument("--duration", default=None,
                   help="simulated time to run, e.g. 40d, 12h, 90m, 30s (default: config run.duration)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="traffic volume factor (1 = tens of thousands of queries a day)")
    p.add_argument("--speed", default=None,
                   help="simulated seconds per wall second when streaming, or 'max' "
                   "(default: max for a file, 1 for Kafka)")
    p.add_argument("--nodes", default="all", help="comma-separated party codes, e.g. US,DE,FR, or all")
    p.add_argument("--inject", default="default",
                   help="misbehaviour profile: none, default, heavy, or a TOML file of rates")
    p.add_argument("--out", default="kafka", help="'kafka' or a path for JSONL output")
    p.add_argument("--truth-out", default=None,
                   help="ground-truth JSONL of injected violations (default: next to the output; "
                   "for a stream such as /dev/stdout, simulate-seed<seed>.truth.jsonl here)")
    p.add_argument("--trust-out", default=None,
                   help="trust file (TOML) of the node keys (default: next to the output; "
                   "for a stream, simulate-seed<seed>.trust.toml here)")
    p.add_argument("--state-dir", default=None,
                   help="keys and chain state; an existing one is resumed "
                   "(default: .local/sim/<run> for Kafka, none for a file)")
    p.add_argument("--bootstrap-servers",
                   default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_BOOTSTRAP),
                   help="Kafka bootstrap servers")
    p.add_argument("--topic", default=None, help="Kafka topic (default: config output.topic with prefix)")
    p.add_argument("--compression", default="none", choices=("none", "lz4", "gzip", "snappy", "zstd"),
                   help="Kafka compression codec")
    p.add_argument("--kafka-client", default="aiokafka", choices=("aiokafka", "kafka-python"),
                   help="Kafka producer: aiokafka's C batch builder (fast) or kafka-python")
    p.add_argument("--start", default=None,
                   help="simulated start time, RFC 3339 (default: config run.start, or the saved "
                   "clock when resuming)")
    p.add_argument("--config", default=None, help="TOML merged over producers/config/default.toml")
    p.add_argument("--policy", default=None, help="policy TOML (SPEC §4); defaults when absent")
    p.add_argument("--workers", type=int, default=default_workers(),
                   help="worker processes that chain, hash, sign and send the nodes' events "
                   "(nodes split among them; one Kafka producer each); 0 = all in this process; "
                   f"default: the usable CPUs, at most {MAX_DEFAULT_WORKERS}")
    p.add_argument("--validate", action="store_true",
                   help="debug: also build every event through the full codec validation and "
                   "fail if the fast path's bytes differ (several times slower)")
    p.set_defaults(func=run)


def _nodes(text: str) -> tuple[str, ...]:
    if text.strip().lower() == "all":
        return PARTIES
    chosen = {p.strip().upper() for p in text.split(",") if p.strip()}
    bad = sorted(chosen - set(PARTIES))
    if bad:
        raise ValueError(f"--nodes: {', '.join(bad)} not a party of the framework (SPEC §1)")
    return tuple(p for p in PARTIES if p in chosen)


def _is_stream(path: Path) -> bool:
    """A pipe, terminal or device (`--out /dev/stdout`): no file to put side files beside."""
    return path.exists() and not path.is_file()


def _beside(out: str, suffix: str, seed: int) -> Path:
    """The default place of a side file (truth, trust): next to the JSONL output, or, when
    the output is a stream, in the current directory, named after the seed."""
    path = Path(out)
    if _is_stream(path):
        return Path(f"simulate-seed{seed}{suffix}")
    stem = path.name.removesuffix(".jsonl")
    return path.with_name(stem + suffix)


def run(args: argparse.Namespace) -> int:
    from custodes.policy import PolicyError, load_policy
    from custodes.signing import NodeChain
    from custodes.trust import write_trust
    from producers.config import ConfigError, injection_profile, load_config, parse_duration_ms
    from producers.engine import Output, Simulation
    from producers.parallel import WorkerError, WorkerPool, node_costs
    from producers.progress import Progress
    from producers.sinks import BatchKafkaSink, DeliveryError, FileSink, KafkaSink, Sink
    from producers.state import StateDir, StateError, node_keys, run_meta
    from producers.truth import decided, write_truth
    from producers.world import World

    err = sys.stderr
    try:
        cfg = load_config(args.config)
        policy = load_policy(args.policy)
        rates = injection_profile(cfg, args.inject)
        nodes = _nodes(args.nodes)
        duration = parse_duration_ms(args.duration or cfg.run.duration)
        if args.scale <= 0:
            raise ValueError("--scale must be > 0")
        if args.workers < 0:
            raise ValueError("--workers must be >= 0")
        speed: float | None
        if args.speed is None:
            speed = None if args.out != "kafka" else 1.0
        elif args.speed == "max":
            speed = None
        else:
            speed = float(args.speed)
            if speed <= 0:
                raise ValueError("--speed must be > 0 or 'max'")
    except (ConfigError, PolicyError, ValueError) as exc:
        print(f"custodes simulate: {exc}", file=err)
        return 2

    to_kafka = args.out == "kafka"
    topic = args.topic or (cfg.output.topic_prefix + cfg.output.topic)
    state_path = args.state_dir
    if state_path is None and to_kafka:
        state_path = f".local/sim/{topic}-seed{args.seed}"
    side = Path(state_path) if to_kafka and state_path else None
    truth_out = Path(args.truth_out) if args.truth_out else (
        side / "truth.jsonl" if side else _beside(args.out, ".truth.jsonl", args.seed))
    trust_out = Path(args.trust_out) if args.trust_out else (
        side / "trust.toml" if side else _beside(args.out, ".trust.toml", args.seed))

    meta = run_meta(args.seed, nodes, args.scale, cfg, policy, rates)
    state = StateDir(state_path) if state_path else None
    resumed = bool(state and state.exists())
    try:
        if resumed:
            assert state is not None
            world, chains, _ = state.load(meta)
            if args.start and parse_ms(args.start) != world.clock:
                raise StateError(f"--start {args.start}: the saved run continues at "
                                 f"{format_ms(world.clock)}")
            start = world.clock
        else:
            start = parse_ms(args.start or cfg.run.start)
            world = World(args.seed)
            keys = node_keys(args.seed, nodes, cfg.run.key_id_suffix)
            chains = {p: NodeChain(k) for p, k in keys.items()}
    except (StateError, ValueError, OSError) as exc:
        print(f"custodes simulate: {exc}", file=err)
        return 2
    for chain in chains.values():
        chain.validate = args.validate

    try:
        sim = Simulation(cfg, policy, rates, world, chains, args.scale)
    except ValueError as exc:  # e.g. a policy under which no query is compliant
        print(f"custodes simulate: {args.policy or 'default policy'}: {exc}", file=err)
        return 2
    append = not to_kafka and resumed and Path(args.out).exists()

    def make_sink(part: int | None = None) -> Sink:
        if to_kafka:
            sink_class = BatchKafkaSink if args.kafka_client == "aiokafka" else KafkaSink
            return sink_class(args.bootstrap_servers, topic,  # type: ignore[no-any-return]
                              compression_type=None if args.compression == "none" else args.compression,
                              log=lambda m: print(m, file=err))
        if part is not None:
            return FileSink(part_path(part))
        return FileSink(args.out, append=append)

    out_path = Path(args.out)
    parts_tmp: Path | None = None  # a pipe or device (/dev/stdout): parts go to a temp dir
    if not to_kafka and args.workers > 0 and _is_stream(out_path):
        parts_tmp = Path(tempfile.mkdtemp(prefix="custodes-simulate-"))

    def part_path(i: int) -> Path:
        if parts_tmp is not None:
            return parts_tmp / f"part{i}"
        return out_path.with_name(f".{out_path.name}.part{i}")

    pool: WorkerPool | None = None
    try:
        output: Sink | Output
        if args.workers > 0:
            if not to_kafka:  # fail here, not in a worker, if the file cannot be written
                FileSink(args.out, append=True).close()
            pool = WorkerPool(chains, node_costs(cfg, nodes, args.scale), args.workers,
                              make_sink, merge_to=None if to_kafka else Path(args.out),
                              append=append, part_path=None if to_kafka else part_path)
            output = pool
            if to_kafka:  # each worker connects by itself; fail here if the broker is absent
                pool.flush()
        else:
            output = make_sink()
    except BaseException as exc:  # report any client/file failure plainly
        if pool is not None:
            pool.abort()
        _remove(parts_tmp)
        if not isinstance(exc, Exception):  # Ctrl-C while the workers start: no parts left
            raise
        print(f"custodes simulate: cannot open output {args.out}: {exc}", file=err)
        return 1

    write_trust(trust_out, {p: (c.key.key_id, c.key.public_key_bytes) for p, c in chains.items()})
    where = f"Kafka {args.bootstrap_servers} topic {topic}" if to_kafka else args.out
    print(f"simulate: {len(nodes)} nodes, {'resuming' if resumed else 'starting'} at "
          f"{format_ms(start)} for {args.duration or cfg.run.duration}, scale {args.scale}, "
          f"inject {rates.name}, speed {speed or 'max'} -> {where}"
          + (f"; {len(pool.groups)} workers ({' | '.join(','.join(g) for g in pool.groups)})"
             if pool else ""), file=err)

    def on_signal(signum: int, _frame: Any) -> None:
        if sim.stop_requested:
            raise KeyboardInterrupt
        print(f"\nsimulate: {signal.Signals(signum).name}: stopping cleanly "
              "(final checkpoints, flush, save state)…", file=err)
        sim.stop_requested = True

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    progress = Progress(world.emitted, detail=pool.progress if pool else None)
    status = 0
    try:
        if resumed:
            sim.resume(output)
        else:
            sim.begin(start, output)
        result = sim.run(start + duration, speed=speed, progress=progress)
        progress(result.horizon_ms, result.events, force=True)
        progress.done()
        sim.out.close()  # type: ignore[union-attr]  # workers: their chain states replace `chains`
        if state is not None:
            state.save(meta, world, chains)
        n_truth = write_truth(truth_out, result.truth, result.horizon_ms)
        by_rule = Counter(r["rule"] for r in result.truth if decided(r, result.horizon_ms))
        print(f"simulate: {result.events:,} events in {result.wall_s:.1f} s "
              f"({result.events / max(result.wall_s, 1e-9):,.0f} ev/s); horizon "
              f"{format_ms(result.horizon_ms)}{' (stopped early)' if result.stopped else ''}",
              file=err)
        print(f"simulate: truth {truth_out} ({n_truth} findings due by the horizon: "
              f"{', '.join(f'{k} {v}' for k, v in sorted(by_rule.items())) or 'none'}); "
              f"trust {trust_out}" + (f"; state {state_path}" if state else ""), file=err)
        status = 130 if result.stopped else 0
    except BaseException as exc:  # e.g. Kafka delivery failure: say so, exit 1
        if pool is not None:  # also on a second Ctrl-C (KeyboardInterrupt): no parts left
            pool.abort()
        if not isinstance(exc, Exception):
            print("\ncustodes simulate: interrupted; state not saved, a restart re-sends "
                  "from the last saved state", file=err)
            raise
        if not isinstance(exc, (DeliveryError, WorkerError)):
            traceback.print_exc()
        print(f"\ncustodes simulate: failed: {exc}; state not saved, a restart re-sends "
              "from the last saved state", file=err)
        status = 1
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        _remove(parts_tmp)
    return status


def _remove(tmp: Path | None) -> None:
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
