"""Dashboard benchmark: p95 page render time per main page on an archive of N events.

Why: supervisors open the dashboard while years of events sit in the archive;
the target is p95 <= 300 ms per page at 10 million archived events. The
benchmark fills a throwaway database (migrated to head) with synthetic but
well-formed, hash-chained node events written with the store's own archive
COPY, and projections consistent with them (volumes, retention clocks,
reciprocity, human review, onward register, remedies, findings with evidence,
quarantine, node health; the dashboard's derived `ui_finding_state` and, through
its triggers, `ui_finding_counts` are filled by the app's first request, as in
a deployment), then renders each page through the real app
(templates, scope filters, access events appended to the platform chain) and
reports p50/p95 per page and role.

Every request computes its page (the app's result cache is off, `--cache 0`):
the figures are those of the first viewer after the data changed. With
`--cache N` repeated requests at an unchanged data version are served from
the cache, as they are in a deployment (CUSTODES_UI_RESULT_CACHE).

Run:  .venv/bin/python bench/ui.py --events 1000000   (default 10,000,000; needs DATABASE_URL)
      .venv/bin/python bench/ui.py --events 10000000 --keep      (prints the database's name)
      .venv/bin/python bench/ui.py --database-url URL --measure-only --rounds 40
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import statistics
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from custodes.canonical import ZERO_HASH, canonical_bytes
from custodes.parties import EU_PARTIES, US, node_source
from custodes.settings import EVENTS_TOPIC
from custodes.timefmt import MS_PER_DAY, format_ms, parse_ms
from custodes.timefmt import to_datetime as ts
from processors.core.findings import finding_id
from store.archive import PARTY_FIELDS

START = parse_ms("2025-01-01T00:00:00.000Z")
SPAN_DAYS = 365
SUBJECT = "cd" * 32
PAGES = ["/", "/findings", "/findings?severity=critical", "/volumes", "/retention",
         "/retention?status=overdue", "/reciprocity", "/review", "/onward", "/remedies", "/nodes",
         "/quarantine", "/api/findings", "/api/overview", "{finding}", "{case}"]


class Gen:
    """Synthetic world: cases of 2 or 3 events (query, answer, transfer on a hit) plus
    a checkpoint per 1,000 events per node; projections counted on the way."""

    def __init__(self, n_events: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.n_cases = max(1, n_events * 10 // 26)  # 2.6 events per case on average (60 % hits)
        self.heads: dict[str, tuple[int, str, int]] = {}
        self.ingest = 0
        self.volumes: Counter[tuple[str, str, str, str]] = Counter()
        self.recip: Counter[tuple[str, str, str]] = Counter()
        self.clocks: list[tuple[Any, ...]] = []
        self.findings: list[tuple[Any, ...]] = []
        self.onward: list[tuple[Any, ...]] = []
        self.remedies: list[tuple[Any, ...]] = []
        self.review: Counter[tuple[str, str]] = Counter()
        self.end_ms = START + SPAN_DAYS * MS_PER_DAY
        self.sample_case: str | None = None

    def _event(self, party: str, type_: str, t: int, data: dict[str, Any]) -> tuple[Any, ...]:
        seq, prev, _last = self.heads.get(party, (0, ZERO_HASH, 0))
        source = node_source(party)
        ev = {"specversion": "1.0", "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
              "source": source, "type": type_, "time": format_ms(t), "datacontenttype": "application/json",
              "seq": seq + 1, "prevhash": prev, "data": data}
        canonical = canonical_bytes(ev)
        h = hashlib.sha256(canonical).hexdigest()  # custodes.canonical.event_hash, serialised once
        self.heads[party] = (seq + 1, h, t)
        self.ingest += 1
        parties = sorted({party, *(v for k, v in data.items() if k in PARTY_FIELDS)})
        return (self.ingest, EVENTS_TOPIC, 0, self.ingest, source, party, seq + 1, ev["id"], type_,
                t, ts(t), h, prev, data.get("case_id"), parties, "accepted", canonical)

    def rows(self) -> Any:
        """Archive rows in time order (per node seq order is implied)."""
        step = SPAN_DAYS * MS_PER_DAY // self.n_cases
        for i in range(self.n_cases):
            t = START + i * step
            eu = EU_PARTIES[self.rng.randrange(len(EU_PARTIES))]
            frm, to = (US, eu) if self.rng.random() < 0.7 else (eu, US)
            case = f"{frm}-2025-{i:08d}"
            if self.sample_case is None and frm == US and eu == "DE":
                self.sample_case = case
            qid, tid = f"q{i}", f"t{i}"
            purpose = "law_enforcement" if self.rng.random() < 0.005 else "border_screening"
            yield self._event(frm, "ebsp.query.submitted.v1", t, {
                "query_id": qid, "case_id": case, "requesting_party": frm, "requested_party": to,
                "officer_ref": f"{frm}-o{self.rng.randrange(500)}", "purpose": purpose,
                "legal_basis": "EBSP Art. 5", "modalities": ["fingerprint"], "subject_ref": SUBJECT,
                "subject_nationality": "MA", "target_databases": [f"{to}-AFIS"], "records_requested": 1,
                "individual_justification": "referred at primary inspection", "encounter": "border_crossing"})
            day = format_ms(t)[:10]
            self.volumes[(day, frm, to, "q")] += 1
            hit = self.rng.random() < 0.6
            yield self._event(to, "ebsp.query.answered.v1", t + 1000, {
                "query_id": qid, "case_id": case, "responding_party": to,
                "result": "hit" if hit else "no_hit", "matched_databases": [f"{to}-AFIS"] if hit else [],
                "candidate_count": 1 if hit else 0, "automated": False})
            if purpose != "border_screening":
                self.findings.append(("PUR-1", "violation", frm, case, qid, None, t))
            if not hit:
                yield from self._checkpoints(t)
                continue
            self.volumes[(day, frm, to, "h")] += 1
            tr = self._event(to, "ebsp.transfer.sent.v1", t + 2000, {
                "transfer_id": tid, "query_id": qid, "case_id": case, "sender": to, "recipient": frm,
                "subject_ref": SUBJECT, "data_categories": ["fingerprint"], "special_categories": [],
                "special_category_justification": None, "source_databases": [f"{to}-AFIS"], "records": 1})
            yield tr
            self.volumes[(day, to, frm, "t")] += 1
            self.recip[(eu, day[:7], "a" if to == eu else "b")] += 1
            deadline = t + 2000 + 14 * MS_PER_DAY
            late = self.rng.random() < 0.01
            if late or deadline > self.end_ms - 2 * MS_PER_DAY:
                self.clocks.append((tid, case, to, frm, ts(t + 2000), ts(deadline), "open", None, None))
                if late and deadline < self.end_ms:
                    self.findings.append(("RET-1", "violation", frm, case, tid, tr[7], deadline))
            else:
                when = t + 2000 + self.rng.randrange(1, 13) * MS_PER_DAY
                self.clocks.append((tid, case, to, frm, ts(t + 2000), ts(deadline), "deleted", ts(when), frm))
            if self.rng.random() < 0.01:
                self.onward.append((f"r{i}", tid, case, frm, to, "CA", "CBSA", "border_screening",
                                    ts(t + 3000), self.rng.choice([None, "granted", "refused"])))
            if self.rng.random() < 0.002:
                self.remedies.append((f"m{i}", case, "access", frm, to, ts(t), ts(t + 30 * MS_PER_DAY)))
            self.review[(frm, "d")] += 1
            yield from self._checkpoints(t)

    def _checkpoints(self, t: int) -> Any:
        for party, (seq, prev, _last) in list(self.heads.items()):
            if seq % 1000 == 999:
                yield self._event(party, "ebsp.node.checkpoint.v1", t + 5000, {
                    "head_seq": seq, "head_hash": prev, "key_id": f"{party.lower()}-1", "signature": "AAAA"})


class Progress:
    """Events written, rate and ETA on stderr, at most every few seconds (a 10M fill
    takes about half an hour)."""

    def __init__(self, total: int, t0: float, every_s: float = 10.0) -> None:
        self.total, self.t0, self.every_s, self.last = total, t0, every_s, t0

    def show(self, written: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < self.every_s:
            return
        self.last = now
        elapsed = max(now - self.t0, 1e-9)
        rate = written / elapsed
        left = max(self.total - written, 0) / rate if rate and not final else 0.0
        print(f"  {written:>12,} events archived ({100 * written / max(self.total, 1):5.1f} %)  "
              f"{rate:9,.0f} events/s  elapsed {elapsed / 60:5.1f} min  ETA {left / 60:5.1f} min",
              file=sys.stderr, flush=True)


def fill(url: str, n_events: int) -> dict[str, Any]:
    from store.archive import copy_rows
    from store.db import connect_raw

    g = Gen(n_events)
    t0 = time.monotonic()
    progress = Progress(n_events, t0)
    with connect_raw(url) as conn, conn.cursor() as cur:
        batch: list[tuple[Any, ...]] = []
        for row in g.rows():
            batch.append(row)
            if len(batch) >= 50_000:
                copy_rows(cur, batch)
                batch.clear()
                progress.show(g.ingest)
        copy_rows(cur, batch)
        progress.show(g.ingest, final=True)
        print("writing projections ...", file=sys.stderr, flush=True)
        vol: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for (day, a, b, kind), n in g.volumes.items():
            vol[(day, a, b)]["qht".index(kind)] += n
        with cur.copy("COPY exchange_volumes (day, from_party, to_party, queries, hits, transfers) FROM STDIN") as cp:
            for (day, a, b), (q, h, t) in vol.items():
                cp.write_row((day, a, b, q, h, t))
        with cur.copy("COPY retention_clocks (transfer_id, case_id, sender, recipient, sent_at, deadline, "
                      "status, deleted_at, deleted_by) FROM STDIN") as cp:
            for r in g.clocks:
                cp.write_row(r)
        rec: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for (p, m, k), n in g.recip.items():
            rec[(p, m)][0 if k == "a" else 1] += n
        with cur.copy("COPY reciprocity (party, month, a, b) FROM STDIN") as cp:
            for (p, m), (a, b) in rec.items():
                cp.write_row((p, m, a, b))
        with cur.copy("COPY review_compliance (party, decisions, adverse_significant, with_review, "
                      "without_review, automated, hrv1_findings) FROM STDIN") as cp:
            for (p, _), n in g.review.items():
                cp.write_row((p, n, n // 10, n // 10 - n // 200, n // 200, 0, n // 200))
        with cur.copy("COPY onward_register (request_id, transfer_id, case_id, requesting_party, "
                      "originating_party, third_country, recipient_authority, purpose, requested_at, "
                      "decision) FROM STDIN") as cp:
            for r in g.onward:
                cp.write_row(r)
        with cur.copy("COPY remedies (remedy_id, case_id, kind, lodged_with, concerns_party, requested_at, "
                      "deadline) FROM STDIN") as cp:
            for r in g.remedies:
                cp.write_row(r)
        with cur.copy("COPY findings (finding_id, rule, severity, party, case_id, key, evidence, "
                      "observed_at, summary, status, due) FROM STDIN") as cp:
            for rule, sev, party, case, key, ev_id, t in g.findings:
                cp.write_row((finding_id(rule, key), rule, sev, party, case, key, [ev_id] if ev_id else [], ts(t),
                              f"synthetic {rule} on {key}", "open", ts(t) if rule == "RET-1" else None))
        with cur.copy("COPY quarantine (topic, partition, \"offset\", key, raw_b64, kind, reason, source) "
                      "FROM STDIN") as cp:
            for i in range(max(10, n_events // 1000)):
                p = EU_PARTIES[i % len(EU_PARTIES)]
                cp.write_row((EVENTS_TOPIC, 0, i, p, "e30=", "invalid", "type: missing", node_source(p)))
        with cur.copy("COPY node_health (party, source, last_seq, last_event_time, last_checkpoint_seq, "
                      "last_checkpoint_time, events, chain_status) FROM STDIN") as cp:
            for p, (seq, _h, last) in g.heads.items():
                cp.write_row((p, node_source(p), seq, ts(last), seq, ts(last), seq, "ok"))
        cur.execute("INSERT INTO processor_state (consumer, watermark_ms, watermark, events_ingested) "
                    "VALUES ('bench', %s, %s, %s)", (g.end_ms, ts(g.end_ms), g.ingest))
        conn.commit()
        filled = time.monotonic() - t0
        conn.autocommit = True
        print(f"filled in {filled / 60:.1f} min; VACUUM ANALYZE ...", file=sys.stderr, flush=True)
        cur.execute("VACUUM ANALYZE")
    # A finding a DE supervisor may open: RET-1 of DE as recipient.
    first = next((f for f in g.findings if f[0] == "RET-1" and f[2] == "DE"), g.findings[0] if g.findings else None)
    return {"events": g.ingest, "cases": g.n_cases, "findings": len(g.findings), "clocks": len(g.clocks),
            "fill_s": round(filled, 1), "analyze_s": round(time.monotonic() - t0 - filled, 1),
            "sample_case": g.sample_case,
            "sample_finding": finding_id(first[0], first[4]) if first else None}


def existing_facts(url: str) -> dict[str, Any]:
    """The sample case and finding of an already filled database."""
    from store.db import connect_raw

    with connect_raw(url) as conn:
        events = conn.execute("SELECT count(*) FROM archive_events").fetchone()[0]  # type: ignore[index]
        finding = conn.execute("SELECT finding_id FROM findings WHERE rule = 'RET-1' AND party = 'DE' "
                               "ORDER BY finding_id LIMIT 1").fetchone()
        case = conn.execute("SELECT case_id FROM archive_events WHERE case_id LIKE 'US-%' "
                            "AND parties @> ARRAY['DE'] LIMIT 1").fetchone()
    return {"events": events, "sample_finding": finding[0] if finding else None,
            "sample_case": case[0] if case else None}


ROLES = ("dpa:DE", "edps", "us-privacy", "joint-review", "auditor")


def measure(url: str, facts: dict[str, Any], rounds: int, roles: tuple[str, ...] = ROLES,
            cache: int = 0) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from oversight_ui.app import create_app
    from oversight_ui.auth.users import add_user
    from oversight_ui.db import make_engine, make_sessionmaker
    from oversight_ui.settings import UISettings

    settings = UISettings(database_url=url, login_max_failures=1000, result_cache=cache)
    factory = make_sessionmaker(make_engine(url))
    from sqlalchemy import select

    from store.ui_models import UIUser

    with factory() as db:
        for role in roles:
            name = "bench-" + role.replace(":", "-").lower()
            if db.scalar(select(UIUser.id).where(UIUser.username == name)) is None:
                add_user(db, name, role, "bench password 123")
        db.commit()
    app = create_app(settings, sessionmaker=factory)
    out: dict[str, Any] = {}
    for role in roles:
        client = TestClient(app)
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        client.post("/login", data={"username": "bench-" + role.replace(":", "-").lower(),
                                    "password": "bench password 123", "csrf_token": token})
        for path in PAGES:
            url_ = path.replace("{finding}", f"/findings/{facts['sample_finding']}").replace(
                "{case}", f"/cases/{facts['sample_case']}")
            t0 = time.perf_counter()
            status = client.get(url_).status_code
            first = (time.perf_counter() - t0) * 1000
            samples = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                client.get(url_)
                samples.append((time.perf_counter() - t0) * 1000)
            samples.sort()
            p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
            out[f"{role} {path}"] = {"status": status, "first_ms": round(first, 1),
                                     "p50_ms": round(statistics.median(samples), 1), "p95_ms": round(p95, 1)}
            print(f"{role:<13} {path:<28} {status}  first {first:7.1f} ms  p50 {statistics.median(samples):7.1f}"
                  f"  p95 {p95:7.1f} ms", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=10_000_000, help="archived events to synthesise (default 10M)")
    ap.add_argument("--rounds", type=int, default=20, help="timed requests per page and role (default 20)")
    ap.add_argument("--database-url", default=None,
                    help="use this (migrated, empty) database instead of a throwaway one")
    ap.add_argument("--keep", action="store_true", help="do not drop the throwaway database")
    ap.add_argument("--measure-only", action="store_true",
                    help="with --database-url: the database is already filled (by an earlier --keep run)")
    ap.add_argument("--roles", default=",".join(ROLES), help=f"comma-separated roles (default {','.join(ROLES)})")
    ap.add_argument("--cache", type=int, default=0, metavar="N",
                    help="result cache entries of the app (default 0: every request computes its page; "
                         "with N > 0 repeated requests at an unchanged data version are cache hits)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out" / "ui.json"), help="JSON results file")
    args = ap.parse_args(argv)
    from custodes.stack.pg_client import create_database, drop_database
    from store.db import migrate

    base = os.environ.get("DATABASE_URL")
    if not base and not args.database_url:
        print("bench/ui.py: set DATABASE_URL (custodes stack env) or pass --database-url", file=sys.stderr)
        return 2
    name = f"bench_ui_{uuid.uuid4().hex[:8]}"
    url = args.database_url or create_database(base, name)
    if not args.database_url:
        print(f"database {name}" + (" (kept: measure again with --database-url <its url> --measure-only)"
                                    if args.keep else " (dropped at the end)"), flush=True)
    try:
        migrate(url)
        if args.measure_only:
            facts = existing_facts(url)
        else:
            print(f"filling {args.events:,} events ...", flush=True)
            facts = fill(url, args.events)
        print(json.dumps(facts), flush=True)
        results = measure(url, facts, args.rounds, tuple(args.roles.split(",")), args.cache)
        worst = max(v["p95_ms"] for v in results.values())
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"facts": facts, "rounds": args.rounds, "cache": args.cache,
                                              "pages": results, "worst_p95_ms": worst},
                                             indent=2))
        print(f"worst p95: {worst:.1f} ms (target <= 300 ms at 10M events); results in {args.out}")
    finally:
        if not args.database_url and not args.keep:
            try:
                drop_database(base, name)
            except Exception as exc:  # noqa: BLE001 - report, do not hide the results
                print(f"could not drop {name}: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
