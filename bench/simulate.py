"""Sustained output rate of the node simulators, to a JSONL file and to Kafka.

    .venv/bin/python bench/simulate.py [--duration 3h] [--scale 1] [--config FILE]
                                       [--bootstrap-servers 127.0.0.1:19092] [--no-kafka]

A fixed-size run (same seed, same events every time) is generated into
/dev/null-like memory, a file, and Kafka; the rate is events per wall second
including generation, chaining, hashing, signing and output. A breakdown of
the per-event costs of the hot path follows, to show where time goes.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custodes.codec import encode
from custodes.policy import load_policy
from custodes.signing import NodeChain
from custodes.timefmt import parse_ms
from producers.config import injection_profile, load_config, parse_duration_ms
from producers.engine import Simulation
from producers.sinks import FileSink, KafkaSink, MemorySink, Sink
from producers.state import node_keys
from producers.world import World


def one_run(sink: Sink, cfg_path: str | None, duration: str, scale: float) -> tuple[int, float]:
    cfg = load_config(cfg_path)
    world = World(1)
    chains = {p: NodeChain(k) for p, k in node_keys(1, tuple(cfg.traffic.weights) + ("US",), "b").items()}
    sim = Simulation(cfg, load_policy(None), injection_profile(cfg, "default"), world, chains, scale)
    start = parse_ms(cfg.run.start)
    t0 = time.perf_counter()
    sim.begin(start, sink)
    result = sim.run(start + parse_duration_ms(duration))
    sink.close()
    return result.events, time.perf_counter() - t0


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
    t0 = time.perf_counter()
    for i in range(n):
        ev = chain.emit("ebsp.query.submitted.v1", data, t + i)
    emit = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for _ in range(n):
        encode(ev)
    enc = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for i in range(2000):
        chain.checkpoint(t + n + i)
    cp = (time.perf_counter() - t0) / 2000
    print(f"  NodeChain.emit (build: validate, uuid5 id, hash) {emit * 1e6:6.1f} µs/event")
    print(f"  codec.encode (canonical bytes for output)        {enc * 1e6:6.1f} µs/event")
    print(f"  NodeChain.checkpoint (incl. Ed25519 signature)   {cp * 1e6:6.1f} µs/checkpoint")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", default="3h")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--config", default=None, help="config merged over the default (e.g. fast.toml)")
    ap.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"))
    ap.add_argument("--compression", default="none")
    ap.add_argument("--linger-ms", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=512 * 1024)
    ap.add_argument("--no-kafka", action="store_true")
    args = ap.parse_args()
    print(f"fixed run: duration {args.duration}, scale {args.scale}, config {args.config or 'default'}")
    n, s = one_run(MemorySink(), args.config, args.duration, args.scale)
    print(f"  generation only (memory sink): {n:,} events, {n / s:,.0f} events/s")
    with tempfile.TemporaryDirectory() as tmp:
        n, s = one_run(FileSink(Path(tmp) / "out.jsonl"), args.config, args.duration, args.scale)
        print(f"  to a JSONL file:               {n:,} events, {n / s:,.0f} events/s")
    if not args.no_kafka:
        topic = f"bench.simulate.{uuid.uuid4().hex[:8]}"
        sink = KafkaSink(args.bootstrap_servers, topic, linger_ms=args.linger_ms,
                         batch_size=args.batch_size,
                         compression_type=None if args.compression == "none" else args.compression)
        n, s = one_run(sink, args.config, args.duration, args.scale)
        print(f"  to Kafka (acks=all, idempotent, compression {args.compression}, "
              f"linger {args.linger_ms} ms, batch {args.batch_size // 1024} KiB): "
              f"{n:,} events, {n / s:,.0f} events/s (incl. final flush)")
    print("hot path:")
    micro()
    return 0


if __name__ == "__main__":
    sys.exit(main())
