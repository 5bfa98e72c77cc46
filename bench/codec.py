"""Micro-benchmark of the codec: µs per event to decode (and re-encode) the spec examples.

Why: the replay target is >= 100,000 events/s per core end to end, so decoding
must stay at a few µs per event. Run: `.venv/bin/python bench/codec.py [--rounds N]`.
"""
from __future__ import annotations

import argparse
import glob
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from custodes import codec
from custodes.events import RemedyExtended
from custodes.signing import NodeChain, NodeKey

EXAMPLES = "/work/shared/spec/examples/*/events.jsonl"


def load_lines(pattern: str) -> list[bytes]:
    files = sorted(glob.glob(pattern))
    return [line for f in files for line in Path(f).read_bytes().splitlines() if line.strip()]


def time_per_item(fn: Callable[[Any], object], items: list[Any], rounds: int) -> tuple[float, float]:
    """(best, median) over `rounds` of CPU µs per item. CPU time (not wall time) and the
    best round: on a shared machine those measure the code rather than the neighbours."""
    samples = []
    for _ in range(rounds):
        t0 = time.process_time()
        for item in items:
            fn(item)
        samples.append((time.process_time() - t0) / len(items) * 1e6)
    return min(samples), statistics.median(samples)


def emit_many(n: int) -> None:
    """Build n chained events the way a simulator does (NodeChain.emit → codec.build)."""
    chain = NodeChain(NodeKey.from_seed("DE", "DE-bench-1", b"bench"))
    for i in range(n):
        chain.emit("ebsp.remedy.extended.v1",
                   RemedyExtended(remedy_id=f"R-{i}", party="DE", reason="pending"), 1_000 + i)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (median is reported)")
    parser.add_argument("--repeat", type=int, default=200, help="copies of the example events per round")
    parser.add_argument("--events", default=EXAMPLES, help="glob of JSONL files to decode")
    args = parser.parse_args(argv)
    base = load_lines(args.events)
    if not base:
        print(f"no events found at {args.events}", file=sys.stderr)
        return 1
    items = base * args.repeat
    events = [codec.decode(b) for b in base]
    rejected = sum(isinstance(e, codec.Rejection) for e in events)
    print(f"{len(base)} distinct events ({rejected} rejected), {len(items)} per round, {args.rounds} rounds", file=sys.stderr)
    bad = items[0].replace(b'"records_requested": 1', b'"records_requested": 1.5')
    results = {
        "decode (valid)": time_per_item(codec.decode, items, args.rounds),
        "decode (rejected: float)": time_per_item(codec.decode, [bad] * 2000, args.rounds),
        "encode (canonical bytes)": time_per_item(
            codec.encode, [e for e in events if not isinstance(e, codec.Rejection)] * args.repeat,
            args.rounds),
    }
    best, median = time_per_item(lambda _: emit_many(2000), [None], max(3, args.rounds // 3))
    results["build (NodeChain.emit)"] = (best / 2000, median / 2000)
    print(f"{'':28s} {'best':>8s} {'median':>8s}   (CPU µs/event)")
    for name, (best, median) in results.items():
        print(f"{name:28s} {best:8.2f} {median:8.2f}   best = {1e6 / best:,.0f} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
