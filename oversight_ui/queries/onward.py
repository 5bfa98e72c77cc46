"""The onward-transfer register: requests, decisions, executions."""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from oversight_ui.queries.common import (
    Column,
    TableResult,
    ViewFilters,
    in_scope,
    offset_of,
    period_clause,
)
from oversight_ui.scope import Scope
from store.models import OnwardTransfer as O

ROW_COLUMNS = [Column("request_id", "Request"), Column("case_id", "Case"),
               Column("requesting_party", "Holding party", "party"),
               Column("originating_party", "Originating party", "party"),
               Column("third_country", "Third country"), Column("recipient_authority", "Recipient authority"),
               Column("purpose", "Purpose"), Column("requested_at", "Requested (UTC)", "time"),
               Column("state", "Decision"), Column("decided_at", "Decided (UTC)", "time"),
               Column("executed_at", "Executed (UTC)", "time")]
AGG_COLUMNS = [Column("originating_party", "Originating party", "party"),
               Column("third_country", "Third country"), Column("state", "Decision"),
               Column("requests", "Requests", "int"), Column("executed", "Executed", "int")]
_STATE = func.coalesce(O.decision, "pending")


def _where(scope: Scope, f: ViewFilters) -> Any:
    parts = [in_scope(scope, f, O.requesting_party, O.originating_party, O.executed_by),
             period_clause(O.requested_at, f)]
    if f.status:
        parts.append(_STATE == f.status)
    return and_(*parts)


def table(db: Session, scope: Scope, f: ViewFilters, page_size: int) -> TableResult:
    where = _where(scope, f)
    if scope.aggregates_only:
        rows = db.execute(select(O.originating_party, O.third_country, _STATE.label("state"),
                                 func.count().label("requests"),
                                 func.count(O.executed_at).label("executed"))
                          .where(where).group_by(O.originating_party, O.third_country, _STATE)
                          .order_by(O.originating_party, O.third_country)).mappings().all()
        return TableResult("onward", "Onward transfers by originating party and third country",
                           AGG_COLUMNS, [dict(r) for r in rows], len(rows), 1, max(len(rows), 1),
                           aggregated=True, note="Joint review sees counts, not individual requests.")
    total = db.scalar(select(func.count()).select_from(O).where(where)) or 0
    rows = db.execute(select(O.request_id, O.case_id, O.requesting_party, O.originating_party,
                             O.third_country, O.recipient_authority, O.purpose, O.requested_at,
                             _STATE.label("state"), O.decided_at, O.executed_at)
                      .where(where).order_by(O.requested_at.desc().nulls_last(), O.request_id)
                      .limit(page_size).offset(offset_of(f, page_size))).mappings().all()
    return TableResult("onward", "Onward-transfer register", ROW_COLUMNS, [dict(r) for r in rows],
                       total, f.page, page_size,
                       empty="No onward-transfer requests involving your scope for these filters.")
