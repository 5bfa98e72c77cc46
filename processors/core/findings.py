"""Findings: the outputs of the rule core (SPEC §3 `ebsp.finding.raised.v1` / `.resolved.v1`).

A finding's identity is fixed by the spec: `finding_id` is the first 32 hex
characters of SHA-256 of ``"<rule>|<key>"``, so the live processors and the
replay agree on it without coordination. Everything in a finding must be a
function of the events and the horizon (SPEC §5): `observed_at` is therefore
the time the finding became decidable (the deciding event's time or the
deadline), never a wall clock.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable

from custodes.events import FindingRaised, FindingResolved, Severity
from custodes.timefmt import format_ms

Output = FindingRaised | FindingResolved


def finding_id(rule: str, key: str) -> str:
    """The §3 identity of a finding: stable across runners and restarts."""
    return hashlib.sha256(f"{rule}|{key}".encode()).hexdigest()[:32]


def raised(
    *,
    rule: str,
    key: str,
    severity: Severity,
    party: str,
    case_id: str | None,
    evidence: Iterable[str],
    observed_ms: int,
    summary: str,
    due_ms: int | None = None,
) -> FindingRaised:
    """A FindingRaised with sorted, de-duplicated evidence and §2 timestamps."""
    return FindingRaised(
        finding_id=finding_id(rule, key),
        rule=rule,
        severity=severity,
        party=party,  # type: ignore[arg-type]
        case_id=case_id,
        key=key,
        evidence=sorted(set(evidence)),
        due=None if due_ms is None else format_ms(due_ms),
        observed_at=format_ms(observed_ms),
        summary=summary,
    )


def resolved(*, rule: str, key: str, evidence: Iterable[str], observed_ms: int) -> FindingResolved:
    """A FindingResolved for the finding of (rule, key): the late event closed it."""
    return FindingResolved(
        finding_id=finding_id(rule, key),
        rule=rule,
        evidence=sorted(set(evidence)),
        observed_at=format_ms(observed_ms),
    )
