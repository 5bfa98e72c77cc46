"""Sustained output rate of the node simulators, to a JSONL file and to Kafka.

    flock /tmp/custodes-bench.lock .venv/bin/python bench/simulate.py
        [--duration 3h] [--scale 1] [--config FILE] [--workers N[,M...]]
        [--bootstrap-servers 127.0.0.1:19092] [--no-kafka] [--no-file] [--no-memory]
        [--client aiokafka|kafka-python] [--compression none|gzip|...] [--repeat N]

A fixed-size run (same seed, same events every time) is generated into
/dev/null-like memory, a file, and Kafka; the rate is events per wall second
including generation, chaining, hashing, signing and output. The machine is
shared, so each run also reports the CPU seconds of this process (and of its
children: the worker processes) and the load average: compare CPU
figures between runs, wall figures only at similar load. `--repeat N` runs
each output N times. `--workers 0` is the in-process pipeline; N > 0 chains,
signs and sends in N worker processes (`producers.parallel`), as
`custodes simulate --workers N` does; the timer starts once the workers are
up and connected. A breakdown of the per-event costs of the hot path
follows, to show where time goes.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custodes.codec import encode
from custodes.policy import load_policy
from custodes.settings import Settings
from custodes.signing import NodeChain
from custodes.timefmt import parse_ms
from producers.config import injection_profile, load_config, parse_duration_ms
from producers.engine import Simulation
from producers.parallel import WorkerPool, node_costs
from producers.sinks import BatchKafkaSink, FileSink, KafkaSink, MemorySink, Sink
from producers.state import node_keys
from producers.world import World


def _cpu() -> float:
    """CPU seconds (user + system) of this process and its waited-for children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def one_run(make_sink: Callable[[int | None], Sink], cfg_path: str | None, duration: str,
            scale: float, workers: int, file_out: Path | None = None) -> tuple[int, float, float]:
    """(events, wall seconds, CPU seconds) of one fixed run, including the final flush/close.

    `make_sink(None)` is the in-process sink; `make_sink(i)` worker i's (called in the worker).
    With `file_out`, worker sinks write parts `file_out.part<i>`, merged at the end.
    """
    cfg = load_config(cfg_path)
    world = World(1)
    nodes = tuple(cfg.traffic.weights) + ("US",)
    chains = {p: NodeChain(k) for p, k in node_keys(1, nodes, "b").items()}
    sim = Simulation(cfg, load_policy(None), injection_profile(cfg, "default"), world, chains, scale)
    start = parse_ms(cfg.run.start)
    out: Sink | WorkerPool
    if workers:
        out = WorkerPool(chains, node_costs(cfg, nodes, scale), workers, make_sink,
                         merge_to=file_out, part_path=(lambda i: Path(f"{file_out}.part{i}"))
                         if file_out else None)
        out.flush()  # workers up, sinks open (Kafka connected) before the clock starts
    else:
        out = make_sink(None)
    t0, c0 = time.perf_counter(), _cpu()
    sim.begin(start, out)
    result = sim.run(start + parse_duration_ms(duration))
    out.close()
    return result.events, time.perf_counter() - t0, _cpu() - c0


def report(label: str, n: int, wall: float, cpu: float) -> None:
    load = os.getloadavg()[0]
    print(f"  {label:<36} {n:,} events in {wall:5.2f} s: {n / wall:9,.0f} events/s wall, "
          f"{n / cpu:9,.0f} events per CPU-s  (load {load:.1f})", flush=True)


def micro() -> None:
    """Per-event costs of the steps every event goes through."""
    chain = NodeChain(next(iter(node_keys(1, ("US",), "b").values())))
    data = {"query_id": "Q-US-00000001", "case_id": "US-2026-0000001", "requesting_party": "US",
            "requested_party": "DE", "officer_ref": "US-OFF-0001", "purpose": "border_screening",
            "legal_basis": "EBSP framework agreement; implementing arrangement DE-US",
            "modalities": ["fingerprint"], "subject_ref": "ab" * 32, "subject_nationality": "DE",
            "target_databases": ["DE-AFIS"], "records_requested": 1,
            "individual_justification": "traveller referred at primary inspection",
            "encounter": "border_crossing"}
    n, t = 20_000, 1_767_225_600_000

    def per_call(fn: Callable[[int], object], count: int) -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(count):
            fn(i)
        return (time.perf_counter() - t0) / count * 1e6, (time.process_time() - c0) / count * 1e6

    ev = chain.emit("ebsp.query.submitted.v1", data, t)
    rows = [
        ("NodeChain.emit (codec.build: validate, uuid5, hash)",
         per_call(lambda i: chain.emit("ebsp.query.submitted.v1", data, t + i), n)),
        ("codec.encode (a second serialisation)", per_call(lambda i: encode(ev), n)),
        ("NodeChain.append (fast path: bytes + hash + id)",
         per_call(lambda i: chain.append("ebsp.query.submitted.v1", dict(data), t + n + i), n)),
        ("NodeChain.append_checkpoint (Ed25519 sign)",
         per_call(lambda i: chain.append_checkpoint(t + 2 * n + i), 2000)),
    ]
    for label, (wall, cpu) in rows:
        print(f"  {label:<52} {wall:6.1f} µs wall {cpu:6.1f} µs CPU")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", default="3h")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--config", default=None, help="config merged over the default (e.g. fast.toml)")
    ap.add_argument("--bootstrap-servers", default=Settings.from_env().kafka_bootstrap_servers)
    ap.add_argument("--compression", default="none")
    ap.add_argument("--linger-ms", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=512 * 1024)
    ap.add_argument("--no-kafka", action="store_true")
    ap.add_argument("--no-micro", action="store_true")
    ap.add_argument("--client", default="aiokafka", choices=("aiokafka", "kafka-python"),
                    help="Kafka sink: BatchKafkaSink (aiokafka batches) or KafkaSink (kafka-python)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per output")
    ap.add_argument("--workers", default=str(os.cpu_count() or 1),
                    help="worker processes, or a comma list to compare (0 = in-process)")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--no-file", action="store_true")
    args = ap.parse_args()
    cfg = load_config(args.config)
    print(f"fixed run: duration {args.duration}, scale {args.scale}, config {args.config or 'default'} "
          f"(checkpoint every {cfg.run.checkpoint_interval_s:g} s of event time); "
          f"{os.cpu_count()} CPUs, load {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for workers in (int(w) for w in args.workers.split(",")):
        print(f" workers {workers}{' (in-process)' if workers == 0 else ''}:")
        run_outputs(args, workers)
    if args.no_micro:
        return 0
    print("hot path:")
    micro()
    return 0


def run_outputs(args: argparse.Namespace, workers: int) -> None:
    if not args.no_memory and workers == 0:
        for _ in range(args.repeat):
            report("generation only (memory sink)", *one_run(
                lambda i: MemorySink(), args.config, args.duration, args.scale, 0))
    if not args.no_file:
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "out.jsonl"

                def file(i: int | None, out: Path = out) -> Sink:
                    return FileSink(out if i is None else Path(f"{out}.part{i}"))
                n, wall, cpu = one_run(file, args.config, args.duration, args.scale, workers,
                                       out if workers else None)
                report("to a JSONL file", n, wall, cpu)
                print(f"  {'':<36} mean event {out.stat().st_size / n:,.0f} bytes (with newline)")
    if not args.no_kafka:
        print(f"  Kafka ({args.client}): acks=all, idempotent, compression {args.compression}, linger "
              f"{args.linger_ms} ms, batch {args.batch_size // 1024} KiB; incl. final flush")
        for _ in range(args.repeat):
            topic = f"bench.simulate.{uuid.uuid4().hex[:8]}"
            sink_class = BatchKafkaSink if args.client == "aiokafka" else KafkaSink

            def kafka(_: int | None, topic: str = topic, sink_class: Any = sink_class) -> Sink:
                return sink_class(args.bootstrap_servers, topic, linger_ms=args.linger_ms,
                                  batch_size=args.batch_size, log=lambda m: None,
                                  compression_type=None if args.compression == "none"
                                  else args.compression)
            try:
                report(f"to Kafka ({workers} workers)", *one_run(
                    kafka, args.config, args.duration, args.scale, workers))
            finally:
                delete_topic(args.bootstrap_servers, topic)


def delete_topic(bootstrap: str, topic: str) -> None:
    from kafka.admin import KafkaAdminClient

    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            admin.delete_topics([topic])
        finally:
            admin.close()
    except Exception as exc:  # noqa: BLE001 - a leftover bench topic is not worth failing for
        print(f"  (could not delete topic {topic}: {exc!r})")


if __name__ == "__main__":
    sys.exit(main())
