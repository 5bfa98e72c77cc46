"""Generate the project's own worked cases in tests/spec/cases/ (what the shared ones miss).

Run: `.venv/bin/python -m tests.spec.make_cases`. Every event is made by
NodeChain, so chains and checkpoint signatures are genuine (trust.toml is
written beside the cases). The expected findings are written here BY HAND
from SPEC §6, one line of reasoning each, never by running the engine; the
finding_id is computed with the spec's formula.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from custodes.codec import encode
from custodes.signing import NodeKey
from custodes.timefmt import MS_PER_DAY, format_ms, parse_ms
from tests.spec.builders import World, at, forge

CASES = Path(__file__).parent / "cases"
Expected = tuple[str, str, str, str, str | None]  # rule, key, party, severity, case_id


def fid(rule: str, key: str) -> str:
    return hashlib.sha256(f"{rule}|{key}".encode()).hexdigest()[:32]


def write(name: str, w: World, horizon: int, note: str, expected: list[Expected],
          policy: str | None = None, resolved: list[tuple[str, str]] = ()) -> None:
    d = CASES / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "events.jsonl").write_bytes(b"".join(encode(e) + b"\n" for e in w.events))
    (d / "case.json").write_text(json.dumps(
        {"horizon": format_ms(horizon), "policy": "policy.toml" if policy else None,
         "note": note}, indent=1) + "\n")
    if policy:
        (d / "policy.toml").write_text(policy)
    rows = sorted(({"finding_id": fid(r, k), "rule": r, "key": k, "party": p, "severity": s,
                    "case_id": c} for r, k, p, s, c in expected), key=lambda x: x["finding_id"])
    (d / "expected.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    if resolved:
        (d / "expected-resolutions.jsonl").write_text("".join(
            json.dumps({"finding_id": fid(r, k), "rule": r}) + "\n" for r, k in sorted(resolved)))


def sys2() -> None:
    w = World()
    for i in range(21):   # officer-3: 21 queries in 08:00-08:59 -> the 21st crosses 20
        w.query("US", "DE", at(minute=2 * i), officer="officer-3", case_id=f"US-C-{i}")
        if i < 20:        # officer-4: exactly 20 -> fine; and 5 more in the next hour
            w.query("US", "FR", at(minute=2 * i + 1), officer="officer-4")
    for i in range(5):
        w.query("US", "FR", at(hour=1, minute=i), officer="officer-4")
    w.close(at(hour=3))
    write("officer-hour", w, at(hour=3), "officer-3 submits 21 queries within 08:00-08:59Z "
          "(limit 20): one SYS-2; officer-4 submits exactly 20, then 5 in the next hour: fine.",
          [("SYS-2", "US/officer-3/2026-01-05T08", "US", "warning", None)])


def mat1_spc1() -> None:
    w = World()
    q = w.query("US", "DE", at(), query_id="Q-1", case_id="US-C-1")
    w.answer("DE", "Q-1", at(second=2), result="no_hit", case_id="US-C-1")
    w.transfer("DE", "US", "Q-1", at(second=5), transfer_id="T-1", case_id="US-C-1")
    w.query("US", "FR", at(hour=1), query_id="Q-2", case_id="US-C-2")
    w.answer("FR", "Q-2", at(hour=1, second=2), case_id="US-C-2")
    w.transfer("FR", "US", "Q-2", at(hour=1, second=2), transfer_id="T-2", case_id="US-C-2",
               special=["health"], justification="  ")
    w.delete("US", "T-1", at(day=1), case_id="US-C-1")
    w.delete("US", "T-2", at(day=7, hour=1, second=2), case_id="US-C-2")  # = 7-day deadline
    w.close(at(day=9))
    assert q.data.query_id == "Q-1"
    write("match-and-special", w, at(day=9),
          "T-1 follows a no_hit answer (MAT-1, DE). T-2 follows FR's hit at the same "
          "millisecond (before: fine) but carries health data with a blank justification "
          "(SPC-1, FR); it is deleted exactly at its 7-day special-category deadline (fine).",
          [("MAT-1", "T-1", "DE", "violation", "US-C-1"),
           ("SPC-1", "T-2", "FR", "violation", "US-C-2")])


def onward_late() -> None:
    w = World()
    w.exchange("US", "NL", at(), transfer_id="T-1", case_id="US-C-3")
    w.onward_request("US", "NL", "T-1", "CA", at(day=1), request_id="R-1", case_id="US-C-3")
    w.onward_request("US", "NL", "T-1", "MX", at(day=2), request_id="R-2", case_id="US-C-3")
    w.assess("US", "T-1", at(day=13), review_by=at(day=100), case_id="US-C-3")
    w.onward_decide("NL", "R-2", "refused", at(day=32), case_id="US-C-3")  # exactly day 2+30
    w.onward_decide("NL", "R-1", "granted", at(day=35), case_id="US-C-3")  # 4 days late
    w.onward_execute("US", "R-1", "T-1", "CA", at(day=36), case_id="US-C-3")
    w.delete("US", "T-1", at(day=40), case_id="US-C-3")
    w.close(at(day=45))
    write("onward-late-decision", w, at(day=45),
          "R-1 is decided on day 35, 4 days after its 30-day deadline: ONW-2 (NL), resolved by "
          "the late grant; the execution after the grant is fine. R-2 is refused exactly at its "
          "deadline (fine). T-1's retention was extended to day 100 by an assessment on day 13.",
          [("ONW-2", "R-1", "NL", "warning", "US-C-3")], resolved=[("ONW-2", "R-1")])


def remedies() -> None:
    w = World()
    w.remedy_request("DE", "US", at(), remedy_id="RM-A", case_id="DE-C-1")
    w.remedy_request("DE", "US", at(minute=1), remedy_id="RM-B", case_id=None)
    w.remedy_request("FR", "US", at(minute=2), remedy_id="RM-C", case_id="FR-C-7")
    w.remedy_extend("DE", "RM-A", at(day=20))
    w.remedy_extend("DE", "RM-B", at(day=31))      # after RM-B's first deadline: no effect
    w.remedy_resolve("DE", "RM-A", at(day=80))     # within 30 + 60
    w.close(at(day=95))
    write("remedy-extension", w, at(day=95),
          "RM-A is extended on day 20 and resolved on day 80 (deadline day 90): fine. RM-B's "
          "extension comes after its first deadline and it is never resolved: RMD-1 (DE, "
          "case null). RM-C lodged with FR is never answered: RMD-1 (FR).",
          [("RMD-1", "RM-B", "DE", "violation", None),
           ("RMD-1", "RM-C", "FR", "violation", "FR-C-7")])


def reciprocity() -> None:
    w = World()
    jan = parse_ms("2026-01-06T08:00:00.000Z")
    for i in range(20):
        base = jan + i * 600_000
        # US->DE: 20 clean exchanges (DE queries US)
        w.exchange("DE", "US", base, transfer_id=f"T-US-{i}", case_id=f"DE-C-{i}")
        if i < 4:   # DE->US: 4 clean exchanges
            w.exchange("US", "DE", base + 60_000, transfer_id=f"T-DE-{i}", case_id=f"US-C-{i}")
        if i < 10:  # FR: 5 each way, below min_volume 20: not judged
            a, b = ("US", "FR") if i % 2 else ("FR", "US")
            w.exchange(a, b, base + 120_000, transfer_id=f"T-FR-{i}", case_id=f"X-C-{i}")
    for e in list(w.events):
        if e.type == "ebsp.transfer.sent.v1":
            d = e.data
            w.delete(d.recipient, d.transfer_id, jan + MS_PER_DAY, case_id=d.case_id)
    w.close(parse_ms("2026-02-01T00:00:00.000Z"))
    write("reciprocity-month", w, parse_ms("2026-02-01T00:00:00.000Z"),
          "January 2026: US sends DE 20 transfers, DE sends US 4 (24 >= 20, 1000*4 < 500*20): "
          "REC-1 DE/2026-01 against DE, decided at the first instant of February (the horizon). "
          "FR exchanges 5 each way: below min_volume.",
          [("REC-1", "DE/2026-01", "DE", "warning", None)])


def retention_policy() -> None:
    w = World()
    policy = "[parties.US.retention]   # data held by the US\ndefault_days = 3\n"
    w.exchange("US", "DE", at(), transfer_id="T-A", case_id="US-C-A")
    w.exchange("US", "DE", at(minute=10), transfer_id="T-B", case_id="US-C-B")
    w.exchange("US", "DE", at(minute=20), transfer_id="T-C", case_id="US-C-C")
    w.exchange("DE", "US", at(minute=30), transfer_id="T-D", case_id="DE-C-D")
    w.assess("US", "T-B", at(day=2), review_by=at(day=10), case_id="US-C-B")
    w.assess("US", "T-C", at(day=2), review_by=at(day=10), case_id="US-C-C")
    w.delete("US", "T-A", at(day=4), case_id="US-C-A")   # deadline day 3 + 5s: late
    w.delete("US", "T-B", at(day=9), case_id="US-C-B")   # moved to day 10: in time
    w.assess("US", "T-C", at(day=9), continuing_risk=False, case_id="US-C-C")
    w.delete("DE", "T-D", at(day=10), case_id="DE-C-D")  # DE keeps the 14-day default
    w.close(at(day=12))
    write("retention-assessed-policy", w, at(day=12),
          "US retention is 3 days by policy. T-A is deleted on day 4: RET-1, resolved by the "
          "late deletion. T-B is extended to day 10 by a continuing-risk assessment and deleted "
          "on day 9: fine. T-C is extended to day 10, a later no-risk assessment does not move "
          "it back, never deleted: RET-1. T-D (held by DE, 14 days) deleted on day 10: fine.",
          [("RET-1", "T-A", "US", "violation", "US-C-A"),
           ("RET-1", "T-C", "US", "violation", "US-C-C")],
          policy=policy, resolved=[("RET-1", "T-A")])


def integrity() -> None:
    w = World()
    answer = {"case_id": "C-1", "result": "no_hit", "matched_databases": [],
              "candidate_count": 0, "automated": True}
    for p in ("DE", "FR", "NL", "AT", "US", "SE"):
        w.answer(p, "Q-1", at())
    # DE: seq 2 never reaches the record (gap at seq 3)
    w.answer("DE", "Q-2", at(minute=1))
    w.answer("DE", "Q-3", at(minute=2))
    w.events = [e for e in w.events if not (e.party == "DE" and e.seq == 2)]
    # FR: seq 2 is stamped earlier than seq 1
    forge(w, "FR", "query.answered", {**answer, "query_id": "Q-2", "responding_party": "FR"},
          at() - 60_000)
    # NL: a checkpoint signed by a key not in the trust file
    rogue = NodeKey.from_seed("NL", "NL-test-1", b"rogue")
    head = w.chains["NL"].head_hash
    forge(w, "NL", "node.checkpoint", {"head_seq": 1, "head_hash": head, "key_id": "NL-test-1",
                                       "signature": rogue.sign_head(head)}, at(minute=5))
    # AT: a checkpoint naming a head that is not its chain's (seq 0, zeros), properly signed
    zero = "0" * 64
    forge(w, "AT", "node.checkpoint", {"head_seq": 0, "head_hash": zero, "key_id": "AT-test-1",
                                       "signature": w.keys["AT"].sign_head(zero)}, at(minute=5))
    # US: seq 1 sent again with the same id and different content
    first_us = next(e for e in w.events if e.party == "US")
    forge(w, "US", "query.answered", {**answer, "query_id": "Q-9", "responding_party": "US"},
          at(minute=7), seq=1, prevhash=zero, id=first_us.id, chain=False)
    # SE: two different events with seq 2; the one listed second is the repeat
    w.answer("SE", "Q-2", at(minute=1))
    forge(w, "SE", "query.answered", {**answer, "query_id": "Q-3", "responding_party": "SE"},
          at(minute=1), seq=2, prevhash=w.events[5].hash, chain=False,
          id="00000000-0000-4000-8000-00000000005e")
    w.close(at(hour=1))
    write("integrity-variants", w, at(hour=1),
          "DE: seq 2 missing (gap at DE/3). FR: seq 2 earlier than seq 1 (FR/2). NL: checkpoint "
          "with a rogue signature (NL/2). AT: checkpoint head differs from the chain (AT/2). US: "
          "seq 1 re-sent with the same id and other content (US/1, ignored further). SE: a second "
          "event with seq 2 (SE/2) after which SE's checkpoint (seq 3) no longer links (SE/3).",
          [("INT-1", f"urn:ebsp:node:{p}/{s}", p, "critical", None) for p, s in
           (("DE", 3), ("FR", 2), ("NL", 2), ("AT", 2), ("US", 1), ("SE", 2), ("SE", 3))])


BUILDERS: list[Callable[[], None]] = [sys2, mat1_spc1, onward_late, remedies, reciprocity,
                                      retention_policy, integrity]


def main() -> None:
    if CASES.exists():
        shutil.rmtree(CASES)
    CASES.mkdir(parents=True)
    (CASES / "trust.toml").write_text(World().trust_toml())
    for build in BUILDERS:
        build()
    print(f"wrote {len(BUILDERS)} cases to {CASES}")


if __name__ == "__main__":
    main()
