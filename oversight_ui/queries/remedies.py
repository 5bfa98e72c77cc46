"""Remedy requests of data subjects and their deadlines (RMD-1)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from oversight_ui.queries import watermark
from oversight_ui.queries.common import (
    Column,
    TableResult,
    ViewFilters,
    in_scope,
    offset_of,
    period_clause,
)
from oversight_ui.scope import Scope
from store.models import Remedy as M

ROW_COLUMNS = [Column("remedy_id", "Remedy"), Column("case_id", "Case"), Column("kind", "Kind"),
               Column("lodged_with", "Lodged with", "party"),
               Column("concerns_party", "Concerns", "party"),
               Column("requested_at", "Requested (UTC)", "time"),
               Column("deadline", "Deadline (UTC)", "time"), Column("state", "Status"),
               Column("resolved_at", "Resolved (UTC)", "time"), Column("outcome", "Outcome")]
AGG_COLUMNS = [Column("lodged_with", "Lodged with", "party"), Column("kind", "Kind"),
               Column("state", "Status"), Column("requests", "Requests", "int")]


def _state(wm: Any) -> Any:
    return case((M.resolved_at.is_not(None), "resolved"),
                (and_(literal(wm).is_not(None), M.deadline < literal(wm)), "overdue"),
                else_="open")


def table(db: Session, scope: Scope, f: ViewFilters, page_size: int) -> TableResult:
    state = _state(watermark.current(db)).label("state")
    parts = [in_scope(scope, f, M.lodged_with, M.concerns_party), period_clause(M.requested_at, f)]
    if f.status:
        parts.append(state == f.status)
    where = and_(*parts)
    if scope.aggregates_only:
        rows = db.execute(select(M.lodged_with, M.kind, state, func.count().label("requests"))
                          .where(where).group_by(M.lodged_with, M.kind, state)
                          .order_by(M.lodged_with, M.kind)).mappings().all()
        return TableResult("remedies", "Remedy requests by party, kind and status", AGG_COLUMNS,
                           [dict(r) for r in rows], len(rows), 1, max(len(rows), 1), aggregated=True,
                           note="Joint review sees counts, not individual requests.")
    total = db.scalar(select(func.count()).select_from(M).where(where)) or 0
    rows = db.execute(select(M.remedy_id, M.case_id, M.kind, M.lodged_with, M.concerns_party,
                             M.requested_at, M.deadline, state, M.resolved_at, M.outcome)
                      .where(where).order_by(M.deadline.asc().nulls_last(), M.remedy_id)
                      .limit(page_size).offset(offset_of(f, page_size))).mappings().all()
    return TableResult("remedies", "Remedy requests and deadlines", ROW_COLUMNS, [dict(r) for r in rows],
                       total, f.page, page_size,
                       empty="No remedy requests lodged with or concerning a party in your scope.")
