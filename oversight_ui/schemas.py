"""Response schemas of the JSON API (separate from the tables they are read from)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ColumnOut(BaseModel):
    key: str
    label: str
    kind: str


class TableOut(BaseModel):
    """A page of a view. Ratios are {numerator, denominator} integers; times are
    RFC 3339 UTC with milliseconds and Z, like the events."""

    view: str
    title: str
    aggregated: bool = Field(description="true when only aggregates may be shown (joint review)")
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    total: int
    page: int
    page_size: int
    pages: int
    note: str | None = None


class EventOut(BaseModel):
    id: str
    source: str
    seq: int
    type: str
    time: str
    case_id: str | None
    parties: list[str]
    hash: str
    prevhash: str
    chain: str = Field(description="verified | hash mismatch | prevhash mismatch | previous event missing")
    event: dict[str, Any] = Field(description="the event in canonical form")


class RuleOut(BaseModel):
    rule: str
    title: str
    checks: str
    legal_basis: str
    responsible: str


class ActionOut(BaseModel):
    action: str
    comment: str
    user: str
    role: str
    at: str
    event_id: str | None


class FindingOut(BaseModel):
    finding_id: str
    rule: str
    severity: str
    party: str
    case_id: str | None
    key: str
    summary: str
    observed_at: str
    due: str | None
    status: str
    parties_involved: list[str]
    evidence: list[EventOut]
    evidence_not_in_scope_or_archive: list[str]
    resolution_evidence: list[EventOut]
    actions: list[ActionOut]
    rule_text: RuleOut | None


class OverviewOut(BaseModel):
    watermark: str | None
    open_findings: int
    critical_findings: int
    findings_by_rule: list[dict[str, Any]]
    volume_totals: dict[str, int]
    volumes_daily: list[dict[str, Any]]
    reciprocity_latest_month: list[dict[str, Any]]
    overdue_deletions: int
    retention_by_recipient: list[dict[str, Any]]
    nodes: int
    broken_chains: list[str]
    quarantined: int


class CommentIn(BaseModel):
    comment: str = Field(min_length=1, max_length=2000)


class ActionDone(BaseModel):
    finding_id: str
    action: str
    event_ids: list[str]
