"""Events from the archive, scope-filtered, with their chain status.

Chain status of one archived event: its stored hash must equal the SHA-256
of its canonical bytes, and its `prevhash` the hash of the same source's
event with `seq - 1` (64 zeros for seq 1). The node's own chain status (from
node health) is shown beside it: a later break does not show on old events.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import and_, cast, func, select, true, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from custodes.canonical import ZERO_HASH
from custodes.timefmt import MS_PER_DAY, day_start_ms
from oversight_ui.queries.common import Column, TableResult, ViewFilters, offset_of
from oversight_ui.scope import Scope
from store.models import ArchivedEvent as A

COLUMNS = [Column("time_ms", "Event time (UTC)", "ms"), Column("type", "Type"),
           Column("party", "Source", "party"), Column("seq", "Seq", "int"),
           Column("case_id", "Case"), Column("id", "Event id"), Column("chain", "Chain")]


def in_scope(scope: Scope) -> Any:
    parties = scope.party_list()
    return true() if parties is None else A.parties.overlap(cast(parties, ARRAY(Text)))


def _chain(rows: list[Any], db: Session) -> dict[int, str]:
    """ingest_no -> 'verified' | 'hash mismatch' | 'prevhash mismatch' | 'previous event missing'."""
    wanted = [(r.source, r.seq - 1) for r in rows if r.seq > 1]
    prev: dict[tuple[str, int], set[str]] = {}
    if wanted:
        for src, seq, h in db.execute(select(A.source, A.seq, A.hash)
                                      .where(tuple_(A.source, A.seq).in_(wanted))):
            prev.setdefault((src, seq), set()).add(h)
    out: dict[int, str] = {}
    for r in rows:
        if hashlib.sha256(r.canonical).hexdigest() != r.hash:
            out[r.ingest_no] = "hash mismatch"
        elif r.seq == 1:
            out[r.ingest_no] = "verified" if r.prevhash == ZERO_HASH else "prevhash mismatch"
        elif (r.source, r.seq - 1) not in prev:
            out[r.ingest_no] = "previous event missing"
        else:
            out[r.ingest_no] = "verified" if r.prevhash in prev[(r.source, r.seq - 1)] else "prevhash mismatch"
    return out


def _rows(db: Session, where: Any, order: Any, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    q = select(A.ingest_no, A.id, A.source, A.party, A.seq, A.type, A.time_ms, A.case_id, A.hash,
               A.prevhash, A.parties, A.disposition, A.canonical).where(where).order_by(*order)
    if limit is not None:
        q = q.limit(limit).offset(offset)
    rows = db.execute(q).all()
    chain = _chain(list(rows), db)
    return [{"ingest_no": r.ingest_no, "id": r.id, "source": r.source, "party": r.party, "seq": r.seq,
             "type": r.type, "time_ms": r.time_ms, "case_id": r.case_id, "hash": r.hash,
             "prevhash": r.prevhash, "parties": list(r.parties), "disposition": r.disposition,
             "chain": chain[r.ingest_no], "event": orjson.loads(r.canonical)} for r in rows]


def by_ids(db: Session, scope: Scope, ids: list[str]) -> list[dict[str, Any]]:
    """The evidence events named by `ids` that the scope may see, oldest first."""
    if not ids:
        return []
    return _rows(db, and_(A.id.in_(ids), in_scope(scope)), (A.time_ms, A.source, A.seq))


def table(db: Session, scope: Scope, f: ViewFilters, page_size: int, case_id: str | None = None) -> TableResult:
    parts = [in_scope(scope)]
    if case_id:
        parts.append(A.case_id == case_id)
    if f.party:
        parts.append(A.parties.overlap(cast([f.party], ARRAY(Text))))
    if f.since:
        parts.append(A.time_ms >= day_start_ms(f.since))
    if f.until:
        parts.append(A.time_ms < day_start_ms(f.until) + MS_PER_DAY)
    where = and_(*parts)
    total = db.scalar(select(func.count()).select_from(A).where(where)) or 0
    rows = _rows(db, where, (A.time_ms.desc(), A.ingest_no.desc()), page_size, offset_of(f, page_size))
    return TableResult("events", f"Events of case {case_id}" if case_id else "Event archive", COLUMNS,
                       rows, total, f.page, page_size, empty="No archived events in your scope for these filters.")


def stream_canonical(db: Session, scope: Scope, since_ms: int | None, until_ms: int | None,
                     batch: int = 5000) -> Iterator[bytes]:
    """Canonical bytes of every accepted node event in scope and period, in ingest order
    (keyset-paged so memory stays flat however long the period)."""
    last = -1
    while True:
        parts = [in_scope(scope), A.ingest_no > last, A.disposition == "accepted"]
        if since_ms is not None:
            parts.append(A.time_ms >= since_ms)
        if until_ms is not None:
            parts.append(A.time_ms < until_ms)
        rows = db.execute(select(A.ingest_no, A.canonical).where(and_(*parts))
                          .order_by(A.ingest_no).limit(batch)).all()
        if not rows:
            return
        for r in rows:
            yield bytes(r.canonical)
        last = rows[-1].ingest_no
