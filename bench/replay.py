"""Replay throughput: the full rule set over >= 1,000,000 generated events vs a bare loop.

Why: SPEC §5 makes re-auditing any period a replay of the record, so replay
must keep up with a year of exchanges on one core (target >= 100,000 events/s
and >= 0.3 of a loop that only parses and hashes each line).

Run: `.venv/bin/python bench/replay.py [--events N] [--seed S] [--profile] [--breakdown N]`.
Figures are CPU time (`time.process_time`) as well as wall time: the machine is
shared, and CPU time measures this code rather than the neighbours.
`--breakdown N` also times, on the first N lines held in memory, the codec
alone (on the canonical lines of the record, and on the same events re-written
non-canonically), the engine alone (with and without signature checks) and the
Ed25519 checks alone, in CPU µs per event (best of `--rounds`).
The record is generated deterministically (seeded) into bench/out/ and reused
when present with the same parameters: all 25 nodes, every event type, valid
hash chains (`custodes.signing.NodeChain`), a checkpoint per node at least every 10 s of event time (also
when idle) and every 1,000 events, signed with keys from the seed (trust file
written beside it). Lines are in time order, each node's in seq order (the
common case, replayed in one pass).
"""
from __future__ import annotations

import argparse
import cProfile
import hashlib
import heapq
import io
import json
import os
import pstats
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from custodes.parties import EU_PARTIES, PARTIES, US  # noqa: E402
from custodes.signing import NodeChain, NodeKey  # noqa: E402
from custodes.timefmt import MS_PER_DAY, format_ms, parse_ms  # noqa: E402
from custodes.trust import write_trust  # noqa: E402

OUT = ROOT / "bench" / "out"
START = parse_ms("2026-03-01T00:00:00.000Z")
SORT = orjson.OPT_SORT_KEYS
SUBJECT = "cd" * 32


def generate(path: Path, n_events: int, seed: int) -> None:
    """Stream a realistic record of about n_events lines to `path` (atomic rename)."""
    rnd = random.Random(seed)
    keys = {p: NodeKey.from_seed(p, f"{p}-bench-1", b"bench-%d" % seed) for p in PARTIES}
    write_trust(path.with_suffix(".trust.toml"),
                {p: (k.key_id, k.public_key_bytes) for p, k in keys.items()})
    nodes = {p: NodeChain(keys[p]) for p in PARTIES}
    pending: list[tuple[int, int, str, str, dict[str, Any]]] = []
    counter = 0

    def later(t: int, party: str, type_: str, data: dict[str, Any]) -> None:
        nonlocal counter
        counter += 1
        heapq.heappush(pending, (t, counter, party, type_, data))

    tmp = path.with_suffix(".tmp")
    written = 0
    t = START
    next_tick = START + 10_000
    case = 0
    with open(tmp, "wb") as fh:
        while written < n_events:
            # a new case every ~45 ms of event time on average
            t += rnd.randint(1, 90)
            case += 1
            eu = rnd.choice(EU_PARTIES)
            requester, holder = (US, eu) if rnd.random() < 0.6 else (eu, US)
            if rnd.random() < 0.02:
                requester, holder = eu, rnd.choice([p for p in EU_PARTIES if p != eu])
            cid, qid = f"{requester}-C-{case}", f"Q-{case}"
            officer = f"officer-{rnd.randint(1, 5000)}"
            later(t, requester, "query.submitted", {
                "query_id": qid, "case_id": cid, "requesting_party": requester,
                "requested_party": holder, "officer_ref": officer,
                "purpose": "border_screening" if rnd.random() < 0.995 else "intelligence",
                "legal_basis": "EBSP framework agreement", "modalities": ["fingerprint", "face"],
                "subject_ref": SUBJECT, "subject_nationality": "FR",
                "target_databases": [f"{holder}-AFIS"],
                "records_requested": 1 if rnd.random() < 0.999 else 5,
                "individual_justification": "flagged at primary inspection",
                "encounter": "border_crossing"})
            hit = rnd.random() < 0.5
            later(t + 1500, holder, "query.answered", {
                "query_id": qid, "case_id": cid, "responding_party": holder,
                "result": "hit" if hit else "no_hit",
                "matched_databases": [f"{holder}-AFIS"] if hit else [],
                "candidate_count": 1 if hit else 0, "automated": True})
            if hit:
                tid = f"T-{case}"
                special = ["health"] if rnd.random() < 0.01 else []
                later(t + 3000, holder, "transfer.sent", {
                    "transfer_id": tid, "query_id": qid, "case_id": cid, "sender": holder,
                    "recipient": requester, "subject_ref": SUBJECT,
                    "data_categories": ["fingerprint", "biographic"],
                    "special_categories": special,
                    "special_category_justification": "medical alert" if special else None,
                    "source_databases": [f"{holder}-AFIS"] if rnd.random() < 0.999
                    else ["EURODAC"], "records": 1})
                r = rnd.random()
                if r < 0.05:
                    later(t + 3_600_000, requester, "retention.assessed", {
                        "assessment_id": f"A-{case}", "transfer_id": tid, "case_id": cid,
                        "party": requester, "continuing_risk": True, "evidence_ref": None,
                        "assessed_by": "analyst-1", "review_by": format_ms(t + 30 * MS_PER_DAY)})
                if r < 0.97:
                    later(t + rnd.randint(60_000, MS_PER_DAY // 2), requester,
                          "deletion.performed", {
                              "deletion_id": f"D-{case}", "transfer_id": tid, "case_id": cid,
                              "party": requester, "scope": "full", "reason": "retention_expired",
                              "onward_recipients_notified": False})
                if rnd.random() < 0.02:
                    rid = f"R-{case}"
                    later(t + 600_000, requester, "onward.requested", {
                        "request_id": rid, "transfer_id": tid, "case_id": cid,
                        "requesting_party": requester, "originating_party": holder,
                        "third_country": "CA", "recipient_authority": "CBSA",
                        "purpose": "border_screening", "justification": "joint case"})
                    later(t + 1_200_000, holder, "onward.decided", {
                        "request_id": rid, "case_id": cid, "originating_party": holder,
                        "decision": "granted" if rnd.random() < 0.8 else "refused",
                        "conditions": None, "decided_by": "dpo-1"})
                    if rnd.random() < 0.5:
                        later(t + 1_800_000, requester, "onward.executed", {
                            "request_id": rid, "transfer_id": tid, "case_id": cid,
                            "party": requester, "third_country": "CA"})
                if rnd.random() < 0.05:
                    rv = f"RV-{case}"
                    if rnd.random() < 0.9:
                        later(t + 300_000, requester, "review.completed", {
                            "review_id": rv, "case_id": cid, "party": requester,
                            "reviewer_ref": "examiner-1", "reviewer_role": "examiner",
                            "outcome": "confirmed", "rationale": "confirmed"})
                    later(t + 400_000, requester, "decision.recorded", {
                        "decision_id": f"DEC-{case}", "case_id": cid, "party": requester,
                        "subject_ref": SUBJECT, "outcome": "entry_refused", "adverse": True,
                        "significant": True, "automated": False, "human_review_id": rv,
                        "basis": [tid]})
            if rnd.random() < 0.002:
                rm = f"RM-{case}"
                later(t + 1000, eu, "remedy.requested", {
                    "remedy_id": rm, "case_id": None, "subject_ref": SUBJECT, "kind": "access",
                    "lodged_with": eu, "concerns_party": US})
                later(t + 5 * MS_PER_DAY, eu, "remedy.extended",
                      {"remedy_id": rm, "party": eu, "reason": "complex"})
                later(t + 20 * MS_PER_DAY, eu, "remedy.resolved",
                      {"remedy_id": rm, "party": eu, "outcome": "granted"})
            # emit everything due up to t, with the checkpoint cadence of §3
            while pending and pending[0][0] <= t:
                et, _, party, type_, data = heapq.heappop(pending)
                while next_tick <= et:
                    for node in nodes.values():
                        last = node.last_checkpoint_ms
                        if next_tick - (START if last is None else last) >= 10_000:
                            fh.write(node.append_checkpoint(next_tick)[1] + b"\n")
                            written += 1
                    next_tick += 10_000
                node = nodes[party]
                if node.since_checkpoint >= 999:
                    fh.write(node.append_checkpoint(et)[1] + b"\n")
                    written += 1
                fh.write(node.append(f"ebsp.{type_}.v1", data, et)[1] + b"\n")
                written += 1
        end = max(t, next_tick)
        for node in nodes.values():
            fh.write(node.append_checkpoint(end)[1] + b"\n")
            written += 1
    os.replace(tmp, path)


def bare_loop(path: Path) -> int:
    """What any reader must do: parse each line and hash it canonically."""
    n = 0
    loads, dumps, sha = orjson.loads, orjson.dumps, hashlib.sha256
    with open(path, "rb") as fh:
        for line in fh:
            sha(dumps(loads(line), option=SORT)).hexdigest()
            n += 1
    return n


def breakdown(path: Path, limit: int, rounds: int) -> None:
    """CPU µs per event of each stage, on the first `limit` lines held in memory."""
    from custodes.codec import decode
    from custodes.events import CHECKPOINT_TYPE
    from custodes.policy import load_policy
    from custodes.trust import load_trust
    from processors.core.engine import Engine

    with open(path, "rb") as fh:
        lines = [line for _, line in zip(range(limit), fh)]
    n = len(lines)
    events = [decode(line) for line in lines]
    policy, trust = load_policy(None), load_trust(path.with_suffix(".trust.toml"))
    checkpoints = [e for e in events if e.type == CHECKPOINT_TYPE]

    def bare() -> None:
        loads, dumps, sha = orjson.loads, orjson.dumps, hashlib.sha256
        for line in lines:
            sha(dumps(loads(line), option=SORT)).hexdigest()

    # The same events as another producer might write them: valid, but not
    # canonical (whitespace, escaped non-ASCII and slashes): the codec must
    # then check its own encoding against orjson's reading instead of hashing the line.
    loose = [json.dumps(orjson.loads(line), separators=(", ", ": ")).replace("/", "\\/").encode()
             for line in lines]

    def codec(items: list[bytes]) -> None:
        for line in items:
            decode(line)

    def engine(with_trust: bool) -> None:
        ingest = Engine(policy, trust if with_trust else None).ingest
        for e in events:
            ingest(e)

    def signatures() -> None:
        verify = trust.verify_checkpoint
        for e in checkpoints:
            d = e.data
            verify(e.party, d.key_id, d.head_hash, d.signature)

    # The same lines as a file, read the way `custodes audit replay` reads it:
    # with the two stages above, the rest of the replay's cost per event (reading,
    # the generator layers, the replay loop, advances, the end) is the difference.
    head = OUT / f"head-{n}.jsonl"
    if not head.exists() or head.stat().st_size != sum(map(len, lines)):
        head.write_bytes(b"".join(lines))
    from processors.audit_cli import JsonlReader
    from processors.core.replay import replay

    def reader() -> None:
        for _ in JsonlReader(str(head), sys.stderr)._events():
            pass

    def streamed() -> None:
        JsonlReader(str(head), sys.stderr).run(
            lambda events, ordered: replay(events, policy, trust, require_order=ordered))

    stages = [("bare loop (loads+dumps+sha256)", bare),
              ("codec.decode, canonical lines", lambda: codec(lines)),
              ("codec.decode, same events not canonical", lambda: codec(loose)),
              ("engine.ingest, no --trust", lambda: engine(False)),
              ("engine.ingest, with --trust", lambda: engine(True)),
              (f"Ed25519 checks alone ({len(checkpoints)} checkpoints)", signatures),
              ("CLI reader: read, split, decode (from file)", reader),
              ("CLI replay from file, with --trust", streamed)]
    print(f"breakdown on {n:,} events, best of {rounds} rounds (CPU µs per event):")
    for name, fn in stages:
        best = min(_cpu(fn) for _ in range(rounds))
        print(f"  {name:44s} {best / n * 1e6:7.2f}")


def _cpu(fn: Any) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def run_replay(path: Path) -> int:
    from custodes.cli import main

    return main(["audit", "replay", "--events", str(path), "--trust",
                 str(path.with_suffix(".trust.toml")), "--findings-out",
                 str(OUT / "findings.jsonl"), "--resolutions-out", str(OUT / "resolutions.jsonl")])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000,
                        help="approximate number of events to generate (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--breakdown", type=int, default=0, metavar="N",
                        help="also time codec, engine and signature checks separately on N lines")
    parser.add_argument("--rounds", type=int, default=3, help="rounds for --breakdown (best)")
    parser.add_argument("--skip-full", action="store_true",
                        help="skip the end-to-end runs (with --breakdown or --profile)")
    parser.add_argument("--profile", action="store_true",
                        help="also run the replay under cProfile and print the top functions")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"record-{args.events}-s{args.seed}-v2.jsonl"  # v2: NodeChain ids (uuid5)
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        generate(path, args.events, args.seed)
        print(f"  generated in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    else:
        print(f"reusing {path}", file=sys.stderr)
    size = path.stat().st_size
    if not args.skip_full:
        t0, c0 = time.perf_counter(), time.process_time()
        n = bare_loop(path)
        bare, bare_cpu = time.perf_counter() - t0, time.process_time() - c0
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0, c0 = time.perf_counter(), time.process_time()
        code = run_replay(path)
        full, full_cpu = time.perf_counter() - t0, time.process_time() - c0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"events: {n:,} lines, {size / 1e6:.0f} MB")
        print(f"bare loop (orjson.loads + canonical sha256): {n / bare_cpu:,.0f} events/s CPU "
              f"({bare_cpu:.1f}s CPU, {bare:.1f}s wall)")
        print(f"replay (decode, chain + signatures, all rules): {n / full_cpu:,.0f} events/s CPU "
              f"({full_cpu:.1f}s CPU, {full:.1f}s wall, exit {code})")
        print(f"ratio replay/bare: {bare_cpu / full_cpu:.2f} CPU ({bare / full:.2f} wall)")
        print(f"peak RSS: {peak / 1024:.0f} MiB (before replay {rss_before / 1024:.0f} MiB)")
    if args.breakdown:
        breakdown(path, args.breakdown, args.rounds)
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        run_replay(path)
        prof.disable()
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(18)
        print(s.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
