"""Exchange volumes per party pair and day: queries, hits, hit rate, transfers."""
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
)
from oversight_ui.scope import Scope
from store.models import ExchangeVolume as V

COLUMNS = [Column("day", "Day (UTC)", "day"), Column("from_party", "From", "party"),
           Column("to_party", "To", "party"), Column("queries", "Queries", "int"),
           Column("hits", "Hits", "int"), Column("hit_rate", "Hit rate", "pct"),
           Column("transfers", "Transfers", "int")]


def _where(scope: Scope, f: ViewFilters) -> Any:
    parts = [in_scope(scope, f, V.from_party, V.to_party)]
    if f.since:
        parts.append(V.day >= f.since)
    if f.until:
        parts.append(V.day <= f.until)
    return and_(*parts)


def table(db: Session, scope: Scope, f: ViewFilters, page_size: int) -> TableResult:
    where = _where(scope, f)
    total = db.scalar(select(func.count()).select_from(V).where(where)) or 0
    rows = db.execute(
        select(V.day, V.from_party, V.to_party, V.queries, V.hits, V.transfers).where(where)
        .order_by(V.day.desc(), V.from_party, V.to_party).limit(page_size).offset(offset_of(f, page_size))
    ).mappings().all()
    out = [{**r, "hit_rate": [r["hits"], r["queries"]]} for r in rows]
    return TableResult("volumes", "Exchange volumes per party pair and day", COLUMNS, out, total,
                       f.page, page_size,
                       empty="No queries or transfers in your scope for this period yet. Volumes "
                             "appear as soon as the nodes' events are processed.")


def daily_totals(db: Session, scope: Scope, f: ViewFilters, days: int = 60) -> list[dict[str, Any]]:
    """Totals per day (latest `days` days with data) for the chart."""
    where = _where(scope, f)
    rows = db.execute(
        select(V.day, func.sum(V.queries).label("queries"), func.sum(V.hits).label("hits"),
               func.sum(V.transfers).label("transfers"))
        .where(where).group_by(V.day).order_by(V.day.desc()).limit(days)
    ).mappings().all()
    return [{"day": r["day"], "queries": int(r["queries"]), "hits": int(r["hits"]),
             "transfers": int(r["transfers"])} for r in reversed(rows)]


def totals(db: Session, scope: Scope, f: ViewFilters) -> dict[str, int]:
    row = db.execute(select(func.coalesce(func.sum(V.queries), 0), func.coalesce(func.sum(V.hits), 0),
                            func.coalesce(func.sum(V.transfers), 0)).where(_where(scope, f))).one()
    return {"queries": int(row[0]), "hits": int(row[1]), "transfers": int(row[2])}
