"""Retention clocks: open, due soon, overdue (against the watermark), by recipient.

Reads the store's `retention_clocks_status` view, which derives the clock
status from the watermark (SPEC §5), so the dashboard never reads a wall clock
to decide that something is overdue.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, column, func, select, table as sql_table
from sqlalchemy.orm import Session

from oversight_ui.queries.common import (
    Column, TableResult, ViewFilters, any_party_in, offset_of, party_filter, period_clause,
)
from oversight_ui.scope import Scope

R = sql_table("retention_clocks_status", column("transfer_id"), column("case_id"), column("sender"),
              column("recipient"), column("sent_at"), column("deadline"), column("status"),
              column("deleted_at"), column("clock_status"))
c = R.c

ROW_COLUMNS = [Column("transfer_id", "Transfer"), Column("case_id", "Case"),
               Column("sender", "Sender", "party"), Column("recipient", "Recipient", "party"),
               Column("sent_at", "Sent (UTC)", "time"), Column("deadline", "Deadline (UTC)", "time"),
               Column("clock_status", "Status"), Column("deleted_at", "Deleted (UTC)", "time")]
AGG_COLUMNS = [Column("recipient", "Recipient", "party"), Column("open", "Open", "int"),
               Column("due_soon", "Due within 2 days", "int"), Column("overdue", "Overdue", "int"),
               Column("deleted", "Deleted", "int")]
STATUSES = ("open", "due_soon", "overdue", "deleted")


def _where(scope: Scope, f: ViewFilters) -> Any:
    parts = [any_party_in(scope, c.sender, c.recipient), party_filter(f.party, c.sender, c.recipient),
             period_clause(c.deadline, f)]
    if f.status:
        parts.append(c.clock_status == f.status)
    return and_(*parts)


def by_recipient(db: Session, scope: Scope, f: ViewFilters) -> list[dict[str, Any]]:
    where = and_(any_party_in(scope, c.sender, c.recipient), party_filter(f.party, c.sender, c.recipient),
                 period_clause(c.deadline, f))
    cols = [func.count().filter(c.clock_status == s).label(s) for s in ("open", "due_soon", "overdue")]
    cols.append(func.count().filter(c.clock_status.notin_(("open", "due_soon", "overdue"))).label("deleted"))
    rows = db.execute(select(c.recipient, *cols).where(where).group_by(c.recipient)
                      .order_by(c.recipient)).mappings().all()
    return [dict(r) for r in rows]


def table(db: Session, scope: Scope, f: ViewFilters, page_size: int) -> TableResult:
    if scope.aggregates_only:
        rows = by_recipient(db, scope, f)
        return TableResult("retention", "Retention clocks by recipient", AGG_COLUMNS, rows, len(rows),
                           1, max(len(rows), 1), aggregated=True,
                           note="Joint review sees counts per recipient only, not individual transfers.")
    where = _where(scope, f)
    total = db.scalar(select(func.count()).select_from(R).where(where)) or 0
    order = case((c.clock_status == "overdue", 0), (c.clock_status == "due_soon", 1),
                 (c.clock_status == "open", 2), else_=3)
    rows = db.execute(select(*[c[col.key] for col in ROW_COLUMNS]).where(where)
                      .order_by(order, c.deadline, c.transfer_id).limit(page_size)
                      .offset(offset_of(f, page_size))).mappings().all()
    return TableResult("retention", "Retention clocks", ROW_COLUMNS, [dict(r) for r in rows], total,
                       f.page, page_size,
                       empty="No retention clocks in your scope for these filters: no transfer "
                             "has been received yet, or all were deleted in time.")


def overdue_count(db: Session, scope: Scope) -> int:
    return db.scalar(select(func.count()).select_from(R).where(
        any_party_in(scope, c.sender, c.recipient), c.clock_status == "overdue")) or 0
