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
from pathlib import Path

import orjson

from custodes import codec

EXAMPLES = "/work/shared/spec/examples/*/events.jsonl"


def load_lines(pattern: str) -> list[bytes]:
    files = sorted(glob.glob(pattern))
    return [line for f in files for line in Path(f).read_bytes().splitlines() if line.strip()]


def time_per_item(fn, items: list[bytes], rounds: int) -> float:
    """Median over `rounds` of µs per item."""
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for item in items:
            fn(item)
        samples.append((time.perf_counter() - t0) / len(items) * 1e6)
    return statistics.median(samples)


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
    def general(raw: bytes) -> object:  # the orjson path every non-fast input takes
        return codec._check(orjson.loads(raw))

    results = {
        "decode (valid)": time_per_item(codec.decode, items, args.rounds),
        "  of which general path": time_per_item(general, items, args.rounds),
        "decode (rejected: float)": time_per_item(codec.decode, [bad] * 2000, args.rounds),
        "encode (canonical bytes)": time_per_item(
            codec.encode, [e for e in events if not isinstance(e, codec.Rejection)] * args.repeat, args.rounds),
    }
    for name, us in results.items():
        print(f"{name:28s} {us:7.2f} µs/event  ({1e6 / us:,.0f} events/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
