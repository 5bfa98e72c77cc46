"""The quarantine (SPEC §7): inputs that are not valid events, with the reason.

A quarantined message is attributed to a party by its `source` when that is a
node of §1, else by its Kafka key (the sender's party code); messages that
name no party are visible only to unrestricted scopes.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.orm import Session

from custodes.parties import NODE_PREFIX, PARTIES
from oversight_ui.queries.common import Column, TableResult, ViewFilters, offset_of, period_clause
from oversight_ui.scope import Scope
from store.models import QuarantinedMessage as Q

_FROM_SOURCE = func.substr(Q.source, len(NODE_PREFIX) + 1)
PARTY = case((and_(Q.source.like(NODE_PREFIX + "%"), _FROM_SOURCE.in_(PARTIES)), _FROM_SOURCE),
             (Q.key.in_(PARTIES), Q.key), else_=None)

ROW_COLUMNS = [Column("id", "No.", "int"), Column("received_at", "Received (UTC)", "time"),
               Column("party", "Party", "party"), Column("kind", "Kind"), Column("reason", "Reason"),
               Column("field", "Field"), Column("coords", "Topic/partition/offset")]
AGG_COLUMNS = [Column("party", "Party", "party"), Column("kind", "Kind"),
               Column("messages", "Messages", "int")]


def _where(scope: Scope, f: ViewFilters) -> Any:
    parties = scope.party_list()
    parts = [true() if parties is None else PARTY.in_(parties), period_clause(Q.received_at, f)]
    if f.party:
        parts.append(PARTY == f.party)
    if f.status:
        parts.append(Q.kind == f.status)
    return and_(*parts)


def count(db: Session, scope: Scope, f: ViewFilters) -> int:
    """How many quarantined messages the scope may know of (joint review included)."""
    return db.scalar(select(func.count()).select_from(Q).where(_where(scope, f))) or 0


def table(db: Session, scope: Scope, f: ViewFilters, page_size: int) -> TableResult:
    where = _where(scope, f)
    if scope.aggregates_only:
        rows = db.execute(select(PARTY.label("party"), Q.kind, func.count().label("messages"))
                          .where(where).group_by(PARTY, Q.kind).order_by(PARTY, Q.kind)).mappings().all()
        return TableResult("quarantine", "Quarantine by party and kind", AGG_COLUMNS,
                           [dict(r) for r in rows], len(rows), 1, max(len(rows), 1), aggregated=True,
                           note="Joint review sees counts; the messages themselves may hold case data.")
    total = db.scalar(select(func.count()).select_from(Q).where(where)) or 0
    rows = db.execute(select(Q.id, Q.received_at, PARTY.label("party"), Q.kind, Q.reason, Q.field,
                             Q.topic, Q.partition, Q.offset).where(where)
                      .order_by(Q.id.desc()).limit(page_size).offset(offset_of(f, page_size))).mappings().all()
    out = [{**r, "coords": f"{r['topic']}/{r['partition']}/{r['offset']}"} for r in rows]
    return TableResult("quarantine", "Quarantine", ROW_COLUMNS, out, total, f.page, page_size,
                       empty="Nothing quarantined in your scope: every message received was a valid event.")
