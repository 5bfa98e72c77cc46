"""Retention clocks: open, due soon, overdue (against the watermark), by recipient.

The status of an open clock depends on the platform watermark (SPEC §5), never
on a wall clock: overdue when the deadline is before the watermark, due soon
when it falls within the next two days. The watermark is read once and the
statuses become range conditions on `deadline`, so the store's index on
(recipient, status, deadline) serves them and the archive-sized table is never
scanned to compute a status column (the store's `retention_clocks_status` view
says the same thing, row by row). The default list shows the open clocks in
deadline order: overdue first, then due soon, then the rest.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, false, func, literal, select
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
from store.models import RetentionClock as R

DUE_SOON = timedelta(days=2)
ROW_COLUMNS = [Column("transfer_id", "Transfer", "code"), Column("case_id", "Case", "code"),
               Column("sender", "Sender", "party"), Column("recipient", "Recipient", "party"),
               Column("sent_at", "Sent (UTC)", "time"), Column("deadline", "Deadline (UTC)", "time"),
               Column("clock_status", "Status"), Column("deleted_at", "Deleted (UTC)", "time")]
AGG_COLUMNS = [Column("recipient", "Recipient", "party"), Column("open", "Open", "int"),
               Column("due_soon", "Due within 2 days", "int"), Column("overdue", "Overdue", "int")]
STATUSES = ("open", "due_soon", "overdue", "deleted")


def _status_clause(status: str | None, wm: datetime | None) -> Any:
    """The rows whose clock status is `status` (None: every open clock)."""
    is_open = R.status == "open"
    if status is None:
        return is_open
    if status == "deleted":
        return R.status != "open"
    if wm is None:  # no watermark yet: nothing is due, every open clock is just open
        return is_open if status == "open" else false()
    if status == "overdue":
        return and_(is_open, R.deadline < wm)
    if status == "due_soon":
        return and_(is_open, R.deadline >= wm, R.deadline < wm + DUE_SOON)
    return and_(is_open, R.deadline >= wm + DUE_SOON)


def _clock_status(wm: datetime | None) -> Any:
    if wm is None:
        return case((R.status != "open", R.status), else_="open")
    return case((R.status != "open", R.status), (R.deadline < literal(wm), "overdue"),
                (R.deadline < literal(wm + DUE_SOON), "due_soon"), else_="open")


def _scope(scope: Scope, f: ViewFilters) -> Any:
    return and_(in_scope(scope, f, R.sender, R.recipient), period_clause(R.deadline, f))


def by_recipient(db: Session, scope: Scope, f: ViewFilters, wm: datetime | None) -> list[dict[str, Any]]:
    """Open clocks per recipient, split into open / due soon / overdue against `wm`
    (the watermark, read once by the caller; None: nothing is due yet)."""
    if wm is None:
        cols = [func.count().label("open"), literal(0).label("due_soon"), literal(0).label("overdue")]
    else:
        cols = [func.count().filter(R.deadline >= wm + DUE_SOON).label("open"),
                func.count().filter(R.deadline >= wm, R.deadline < wm + DUE_SOON).label("due_soon"),
                func.count().filter(R.deadline < wm).label("overdue")]
    rows = db.execute(select(R.recipient, *cols).where(_scope(scope, f), R.status == "open")
                      .group_by(R.recipient).order_by(R.recipient)).mappings().all()
    return [dict(r) for r in rows]


def table(db: Session, scope: Scope, f: ViewFilters, page_size: int) -> TableResult:
    wm = watermark.current(db)
    if scope.aggregates_only:
        agg = by_recipient(db, scope, f, wm)
        return TableResult("retention", "Open retention clocks by recipient", AGG_COLUMNS, agg,
                           len(agg), 1, max(len(agg), 1), aggregated=True,
                           note="Joint review sees counts per recipient only, not individual transfers.",
                           empty="No open retention clocks.")
    where = and_(_scope(scope, f), _status_clause(f.status, wm))
    total = db.scalar(select(func.count()).select_from(R).where(where)) or 0
    order = (R.deleted_at.desc(), R.transfer_id) if f.status == "deleted" else (R.deadline, R.transfer_id)
    rows = db.execute(select(R.transfer_id, R.case_id, R.sender, R.recipient, R.sent_at, R.deadline,
                             _clock_status(wm).label("clock_status"), R.deleted_at)
                      .where(where).order_by(*order).limit(page_size)
                      .offset(offset_of(f, page_size))).mappings().all()
    title = "Retention clocks" + ("" if f.status else ": open, earliest deadline first")
    return TableResult("retention", title, ROW_COLUMNS, [dict(r) for r in rows], total,
                       f.page, page_size, extra={"watermark": wm},
                       empty="No retention clocks in your scope for these filters"
                             + ("" if f.status else " (choose status “deleted” for clocks already closed)")
                             + ".")
