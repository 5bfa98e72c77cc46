"""Ground truth of injected misbehaviour: the findings a correct audit must raise.

Each injected violation is recorded with the key SPEC §6 defines and a `due`
time: the instant after which the rule can decide it (the violating event's
own time for "as it happens" rules, the deadline for RET-1, ONW-2 and
RMD-1). A finding is in the truth only if it is decided by the horizon, the
time of the final checkpoints: event time ≤ H, or deadline < H (§5).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

SEVERITY: dict[str, str] = {
    "PUR-1": "violation", "SYS-1": "violation", "SYS-2": "warning", "MAT-1": "violation",
    "SRC-1": "critical", "SPC-1": "violation", "RET-1": "violation", "ONW-1": "violation",
    "ONW-2": "warning", "HRV-1": "violation", "REC-1": "warning", "RMD-1": "violation",
    "INT-1": "critical",
}
# Rules whose `due` is a deadline (decided when due < H); the others are decided when due <= H.
DEADLINE_RULES = frozenset({"RET-1", "ONW-2", "RMD-1"})


def finding_id(rule: str, key: str) -> str:
    """SPEC §3: first 32 hex characters of SHA-256 of "<rule>|<key>"."""
    return hashlib.sha256(f"{rule}|{key}".encode()).hexdigest()[:32]


def violation(
    rule: str, key: str, party: str, case_id: str | None, due_ms: int,
    severity: str | None = None,
) -> dict[str, Any]:
    """One truth record (plain dict: it is saved with the simulation state)."""
    return {
        "finding_id": finding_id(rule, key), "rule": rule, "key": key, "party": party,
        "severity": severity or SEVERITY[rule], "case_id": case_id, "due_ms": due_ms,
    }


def decided(record: dict[str, Any], horizon_ms: int) -> bool:
    if record["rule"] in DEADLINE_RULES:
        return record["due_ms"] < horizon_ms
    return record["due_ms"] <= horizon_ms


def write_truth(path: str | Path, records: list[dict[str, Any]], horizon_ms: int) -> int:
    """Write the records decided by `horizon_ms`, sorted by finding_id; returns how many."""
    from custodes.timefmt import format_ms

    rows = []
    for r in sorted(records, key=lambda r: (r["finding_id"], r["key"])):
        if decided(r, horizon_ms):
            row = {k: v for k, v in r.items() if k != "due_ms"}
            row["due"] = format_ms(r["due_ms"])
            rows.append(row)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as fh:
        for row in rows:
            fh.write(orjson.dumps(row, option=orjson.OPT_SORT_KEYS) + b"\n")
    return len(rows)
