"""Reciprocity balance per EU party and UTC month: a = P→US, b = US→P transfers."""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session

from custodes.parties import US
from oversight_ui.queries.common import Column, TableResult, ViewFilters, offset_of
from oversight_ui.scope import Scope
from store.models import Reciprocity as Rc

COLUMNS = [Column("party", "EU party", "party"), Column("month", "Month (UTC)"),
           Column("a", "Transfers to US", "int"), Column("b", "Transfers from US", "int"),
           Column("ratio", "Balance (min/max)", "pct")]


def _where(scope: Scope, f: ViewFilters) -> Any:
    parties = scope.party_list()
    # US is a party of every row: us-privacy sees all; an EU scope sees its parties' rows.
    visible = true() if parties is None or US in parties else Rc.party.in_(parties)
    parts: list[Any] = [visible]
    if f.party and f.party != US:
        parts.append(Rc.party == f.party)
    if f.since:
        parts.append(Rc.month >= f.since.strftime("%Y-%m"))
    if f.until:
        parts.append(Rc.month <= f.until.strftime("%Y-%m"))
    return and_(*parts)


def table(db: Session, scope: Scope, f: ViewFilters, page_size: int) -> TableResult:
    where = _where(scope, f)
    total = db.scalar(select(func.count()).select_from(Rc).where(where)) or 0
    rows = db.execute(select(Rc.party, Rc.month, Rc.a, Rc.b).where(where)
                      .order_by(Rc.month.desc(), Rc.party).limit(page_size)
                      .offset(offset_of(f, page_size))).mappings().all()
    out = [{**r, "ratio": [min(r["a"], r["b"]), max(r["a"], r["b"])]} for r in rows]
    return TableResult("reciprocity", "Reciprocity balance per EU party and month", COLUMNS, out,
                       total, f.page, page_size,
                       empty="No transfers between an EU party in your scope and the US yet.")


def latest_month(db: Session, scope: Scope) -> list[dict[str, Any]]:
    """The most recent month's balance per party, for the overview chart."""
    where = _where(scope, ViewFilters())
    month = db.scalar(select(func.max(Rc.month)).where(where))
    if month is None:
        return []
    rows = db.execute(select(Rc.party, Rc.month, Rc.a, Rc.b).where(where, Rc.month == month)
                      .order_by(Rc.party)).mappings().all()
    return [dict(r) for r in rows]


