"""What the rule engine keeps per case: RSS and tracemalloc per open retention clock.

    .venv/bin/python bench/engine_memory.py [--cases 200000] [--mode open|closed|transfers|both]
                                            [--tracemalloc] [--breakdown]

Each case is three node events, as in the framework: a `query.submitted` by the
requesting party's node, the requested party's `query.answered` with a hit, and
that party's `transfer.sent` back to the requester (one retention clock). Half
the cases are US queries to an EU party, half EU queries to the US. Events are
built directly as `Event` structs (valid chains, synthetic hashes: the engine
does not recompute them) and dropped after ingest, so what stays is the
engine's. The engine is advanced as events come, like replay and live with a
watermark just behind the stream: MAT-1 questions are answered, but no
retention deadline (14 days) passes.

* `open`: no deletions, so every transfer's clock stays open (the live
  benchmark's "1M open retention clocks", plus the query and answer).
* `transfers`: only `transfer.sent` events, built with `codec.build` exactly as
  `bench/live.py --clocks N` does (EU senders, recipient US, never deleted) and
  the engine never advanced (no watermark): the engine's share of the live
  "1M open retention clocks" figure, reported per open clock.
* `closed`: the recipient deletes each transfer (scope full) right after it, so
  every clock closes in time and only what SPEC §7 and the rules need forever
  remains (identity of each event, MAT-1 hit times).

Figures: RSS growth (`/proc/self/statm`, after gc) and, with --tracemalloc,
traced Python allocations, both divided by the number of cases; `--breakdown`
adds tracemalloc by core module (top lines).
"""
from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from custodes.canonical import ZERO_HASH
from custodes.events import (
    DeletionPerformed,
    Event,
    QueryAnswered,
    QuerySubmitted,
    TransferSent,
)
from custodes.parties import EU_PARTIES, US, node_source
from custodes.policy import load_policy
from custodes.timefmt import format_ms
from processors.core.engine import Engine

START = 1_772_323_200_000  # 2026-03-01T00:00:00Z
STEP_MS = 20               # between events: 1M cases span about 17 hours
ADVANCE_EVERY = 4096


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Chains:
    """Per-node seq and head; synthetic but well-linked hashes."""

    def __init__(self) -> None:
        self.heads: dict[str, tuple[int, str]] = {}

    def event(self, party: str, type_: str, time_ms: int, data: object) -> Event:
        source = node_source(party)
        seq, prev = self.heads.get(source, (0, ZERO_HASH))
        seq += 1
        h = sha256(f"{source}/{seq}".encode()).hexdigest()
        self.heads[source] = (seq, h)
        return Event(id=str(uuid.UUID(bytes=bytes.fromhex(h[:32]), version=4)), source=source,
                     type=type_, time=format_ms(time_ms), time_ms=time_ms, seq=seq,
                     prevhash=prev, hash=h, party=party, data=data,  # type: ignore[arg-type]
                     canonical=b"")


def cases(n: int, delete: bool) -> Iterator[Event]:
    chains = Chains()
    t = START
    for i in range(n):
        eu = EU_PARTIES[i % len(EU_PARTIES)]
        asker, holder = (US, eu) if i % 2 else (eu, US)
        qid, case = f"Q-{asker}-{i:09d}", f"{asker}-2026-{i:09d}"
        yield chains.event(asker, "ebsp.query.submitted.v1", t, QuerySubmitted(
            query_id=qid, case_id=case, requesting_party=asker, requested_party=holder,
            officer_ref=f"OFF-{asker}-{i % 5000:04d}", purpose="border_screening",
            legal_basis="Art. 5", modalities=["fingerprint"], subject_ref="ab" * 32,
            subject_nationality="FR", target_databases=[f"{holder}-AFIS"], records_requested=1,
            individual_justification="match at border", encounter="border_crossing"))
        yield chains.event(holder, "ebsp.query.answered.v1", t + STEP_MS, QueryAnswered(
            query_id=qid, case_id=case, responding_party=holder, result="hit",
            matched_databases=[f"{holder}-AFIS"], candidate_count=1, automated=False))
        tid = f"T-{holder}-{i:09d}"
        yield chains.event(holder, "ebsp.transfer.sent.v1", t + 2 * STEP_MS, TransferSent(
            transfer_id=tid, query_id=qid, case_id=case, sender=holder, recipient=asker,
            subject_ref="ab" * 32, data_categories=["fingerprint"], special_categories=[],
            special_category_justification=None, source_databases=[f"{holder}-AFIS"],
            records=1))
        if delete:
            yield chains.event(asker, "ebsp.deletion.performed.v1", t + 3 * STEP_MS,
                               DeletionPerformed(
                                   deletion_id=f"D-{asker}-{i:09d}", transfer_id=tid,
                                   case_id=case, party=asker, scope="full",
                                   reason="retention_expired", onward_recipients_notified=False))
        t += 4 * STEP_MS


def transfers(n: int) -> Iterator[Event]:
    """One `ebsp.transfer.sent.v1` per clock, codec-built, chained per EU sender (also bench/live.py's memory phase)."""
    from custodes.codec import build

    heads = {p: (0, ZERO_HASH) for p in EU_PARTIES}
    for i in range(n):
        sender = EU_PARTIES[i % len(EU_PARTIES)]
        seq, prev = heads[sender]
        event = build(source=node_source(sender), type="ebsp.transfer.sent.v1",
                      time_ms=1_767_225_600_000 + i, seq=seq + 1, prevhash=prev, data={
                          "transfer_id": f"T-{sender}-{i:08d}", "query_id": f"Q-{i:08d}",
                          "case_id": f"{sender}-2026-{i:07d}", "sender": sender,
                          "recipient": "US", "subject_ref": "ab" * 32,
                          "data_categories": ["fingerprint"], "special_categories": [],
                          "special_category_justification": None,
                          "source_databases": [f"{sender}-AFIS"], "records": 1})
        heads[sender] = (event.seq, event.hash)
        yield event


def run(n: int, mode: str, trace: bool, breakdown: bool) -> dict[str, float]:
    engine = Engine(load_policy(None))
    if mode == "transfers":  # built as ingested, like bench/live.py (each event then dropped)
        events, advance_every = transfers(n), 0
    else:
        events, advance_every = cases(n, mode == "closed"), ADVANCE_EVERY
    gc.collect()
    rss0 = rss_mib()
    if trace:
        tracemalloc.start()
        snap0 = tracemalloc.take_snapshot() if breakdown else None
        traced0 = tracemalloc.get_traced_memory()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    ingest, k, latest, findings = engine.ingest, 0, START, 0
    for event in events:
        findings += len(ingest(event))
        latest = event.time_ms
        k += 1
        if advance_every and k % advance_every == 0:
            findings += len(engine.advance(latest))
    if advance_every:
        findings += len(engine.advance(latest))
    cpu = time.process_time() - c0
    del events
    gc.collect()
    out = {"cases": n, "events": k, "findings": findings, "cpu_s": cpu,
           "wall_s": time.perf_counter() - t0, "rss_mib": rss_mib() - rss0}
    if trace:
        out["traced_mib"] = (tracemalloc.get_traced_memory()[0] - traced0) / 2**20
        if breakdown and snap0 is not None:
            snap = tracemalloc.take_snapshot()
            print("  top allocation sites (tracemalloc, KiB):")
            for stat in snap.compare_to(snap0, "lineno")[:14]:
                frame = stat.traceback[0]
                print(f"    {stat.size_diff / 1024:10,.0f}  {stat.count_diff:9,}  "
                      f"{Path(frame.filename).name}:{frame.lineno}")
        tracemalloc.stop()
    out.update(engine.stats())
    del engine
    return out


def report(mode: str, r: dict[str, float]) -> None:
    n = r["cases"]
    if mode == "transfers":
        line = (f"{mode} {n:>9,} transfers never deleted, engine never advanced "
                f"({r['retention_clocks']:,} open clocks): RSS +{r['rss_mib']:,.1f} MiB = "
                f"{r['rss_mib'] * 2**20 / n:,.0f} B/clock")
        if "traced_mib" in r:
            line += (f"; traced +{r['traced_mib']:,.1f} MiB = "
                     f"{r['traced_mib'] * 2**20 / n:,.0f} B/clock")
        print(line + f"; engine {r['events'] / r['cpu_s']:,.0f} events/s CPU", flush=True)
        return
    line = (f"{mode:6s} {n:>9,} cases ({r['events']:,} events, {r['findings']} findings, "
            f"{r['retention_clocks']:,} open clocks): RSS +{r['rss_mib']:,.1f} MiB = "
            f"{r['rss_mib'] * 2**20 / n:,.0f} B/case")
    if "traced_mib" in r:
        line += f"; traced +{r['traced_mib']:,.1f} MiB = {r['traced_mib'] * 2**20 / n:,.0f} B/case"
    line += f"; engine {r['events'] / r['cpu_s']:,.0f} events/s CPU"
    print(line, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--mode", choices=("open", "closed", "transfers", "both"), default="both")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also trace allocations (slower; separate figure)")
    parser.add_argument("--breakdown", action="store_true",
                        help="with --tracemalloc: top allocation sites")
    args = parser.parse_args()
    if args.mode == "both":  # one process per mode: freed arenas would hide RSS growth
        argv = [a for a in sys.argv[1:] if not a.startswith("--mode")]
        for mode in ("open", "closed", "transfers"):
            subprocess.run([sys.executable, __file__, "--mode", mode, *argv], check=True)
        return 0
    report(args.mode, run(args.cases, args.mode, args.tracemalloc, args.breakdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
