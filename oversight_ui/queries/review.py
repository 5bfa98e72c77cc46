"""Human-review compliance per deciding party (HRV-1's population)."""
from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from oversight_ui.queries.common import Column, TableResult, ViewFilters, any_party_in, offset_of
from oversight_ui.scope import Scope
from store.models import ReviewCompliance as H

COLUMNS = [Column("party", "Deciding party", "party"), Column("decisions", "Decisions", "int"),
           Column("adverse_significant", "Adverse and significant", "int"),
           Column("with_review", "With human review", "int"),
           Column("without_review", "Without review", "int"),
           Column("automated", "Solely automated", "int"),
           Column("compliance", "Compliance", "pct"), Column("hrv1_findings", "HRV-1 findings", "int")]


def table(db: Session, scope: Scope, f: ViewFilters, page_size: int) -> TableResult:
    where = and_(any_party_in(scope, H.party), *( [H.party == f.party] if f.party else []))
    total = db.scalar(select(func.count()).select_from(H).where(where)) or 0
    rows = db.execute(select(H).where(where).order_by(H.party).limit(page_size)
                      .offset(offset_of(f, page_size))).scalars().all()
    out = [{"party": r.party, "decisions": r.decisions, "adverse_significant": r.adverse_significant,
            "with_review": r.with_review, "without_review": r.without_review,
            "automated": r.automated, "hrv1_findings": r.hrv1_findings,
            "compliance": [r.with_review, r.adverse_significant]} for r in rows]
    return TableResult("review", "Human-review compliance per party", COLUMNS, out, total, f.page,
                       page_size, empty="No decisions recorded by a party in your scope yet.")
