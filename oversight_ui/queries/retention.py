"""Retention clocks: open, due soon, overdue, deleted, by recipient.

One definition of "overdue" for the whole dashboard, the store's
(`retention_clocks_status`, migration 0101): an open clock is overdue when an
open RET-1 finding names it (rule 'RET-1', key = the transfer id, not
resolved by the rule core) — the rule core's verdict, not the displayed
deadline. A finding a supervisor closed (or acknowledged) still makes its clock
overdue: closing is an administrative status, the data is not deleted until a
deletion event arrives and the rule core resolves the finding. Due soon is a
display hint against the platform watermark (SPEC §5, never a wall clock): an
open clock that is not overdue and whose deadline falls before the watermark
plus two days. Every other open clock is open. The overview's overdue count,
the per-recipient split, the status filter and the status column all use the
clauses below, so they cannot disagree with each other or with the view.

Overdue clocks are found from the partial index of open RET-1 findings (few)
joined to the clocks by primary key; the other statuses from the partial index
of open clocks by deadline. The archive-sized table is never scanned.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, false, func, not_, or_, select
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
from store.models import Finding as F
from store.models import RetentionClock as R

DUE_SOON = timedelta(days=2)
ROW_COLUMNS = [Column("transfer_id", "Transfer", "code"), Column("case_id", "Case", "code"),
               Column("sender", "Sender", "party"), Column("recipient", "Recipient", "party"),
               Column("sent_at", "Sent (UTC)", "time"), Column("deadline", "Deadline (UTC)", "time"),
               Column("clock_status", "Status"), Column("deleted_at", "Deleted (UTC)", "time")]
AGG_COLUMNS = [Column("recipient", "Recipient", "party"), Column("open", "Open", "int"),
               Column("due_soon", "Due within 2 days", "int"), Column("overdue", "Overdue", "int")]
STATUSES = ("open", "due_soon", "overdue", "deleted")

# An open RET-1 finding for this clock (served by the partial index ix_findings_ret1_open_key).
RET1_OPEN = and_(F.rule == "RET-1", F.resolved_at.is_(None))
HAS_OPEN_RET1 = exists().where(RET1_OPEN, F.key == R.transfer_id)


def _due_soon(wm: datetime | None) -> Any:
    """Deadline within two days of the watermark (no watermark yet: nothing is due)."""
    return false() if wm is None else R.deadline < wm + DUE_SOON


def _status_clause(status: str | None, wm: datetime | None) -> Any:
    """The rows whose clock status is `status` (None: every open clock)."""
    is_open = R.status == "open"
    if status is None:
        return is_open
    if status == "deleted":
        return R.status != "open"
    if status == "overdue":
        return and_(is_open, HAS_OPEN_RET1)
    if status == "due_soon":
        return false() if wm is None else and_(is_open, not_(HAS_OPEN_RET1), _due_soon(wm))
    if wm is None:
        return and_(is_open, not_(HAS_OPEN_RET1))
    return and_(is_open, not_(HAS_OPEN_RET1), or_(R.deadline.is_(None), R.deadline >= wm + DUE_SOON))


def _clock_status(wm: datetime | None) -> Any:
    whens: list[Any] = [(R.status != "open", R.status), (HAS_OPEN_RET1, "overdue")]
    if wm is not None:
        whens.append((_due_soon(wm), "due_soon"))
    return case(*whens, else_="open")


def _scope(scope: Scope, f: ViewFilters) -> Any:
    return and_(in_scope(scope, f, R.sender, R.recipient), period_clause(R.deadline, f))


def by_recipient(db: Session, scope: Scope, f: ViewFilters, wm: datetime | None) -> list[dict[str, Any]]:
    """Open clocks per recipient, split into open / due soon / overdue (`wm`: the
    watermark, read once by the caller; None: nothing is due soon yet).

    Open RET-1 findings are joined once (a finding id is a function of rule and
    key, so at most one per transfer), not probed per clock."""
    o = select(F.key).where(RET1_OPEN).subquery("ret1")
    overdue = o.c.key.is_not(None)
    soon: Any
    rest: Any
    if wm is None:
        soon, rest = false(), not_(overdue)
    else:
        soon = and_(not_(overdue), R.deadline < wm + DUE_SOON)
        rest = and_(not_(overdue), or_(R.deadline.is_(None), R.deadline >= wm + DUE_SOON))
    rows = db.execute(
        select(R.recipient, func.count().filter(rest).label("open"),
               func.count().filter(soon).label("due_soon"),
               func.count().filter(overdue).label("overdue"))
        .select_from(R.__table__.outerjoin(o, o.c.key == R.transfer_id))
        .where(_scope(scope, f), R.status == "open")
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
