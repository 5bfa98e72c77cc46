"""Node health: last event and checkpoint, watermark lag, chain status."""
from __future__ import annotations

from sqlalchemy import column, select
from sqlalchemy import table as sql_table
from sqlalchemy.orm import Session

from oversight_ui.queries.common import Column, TableResult, ViewFilters, any_party_in
from oversight_ui.scope import Scope

N = sql_table("node_health_status", column("party"), column("source"), column("last_seq"),
              column("last_event_time"), column("last_checkpoint_seq"), column("last_checkpoint_time"),
              column("events"), column("chain_status"), column("int1_count"), column("watermark"),
              column("watermark_lag_ms"))

COLUMNS = [Column("party", "Node", "party"), Column("events", "Events", "int"),
           Column("last_seq", "Last seq", "int"), Column("last_event_time", "Last event (UTC)", "time"),
           Column("last_checkpoint_time", "Last checkpoint (UTC)", "time"),
           Column("watermark_lag_ms", "Checkpoint lag", "duration"),
           Column("chain_status", "Chain"), Column("int1_count", "INT-1 findings", "int")]


def table(db: Session, scope: Scope, f: ViewFilters, page_size: int) -> TableResult:
    n = N.c
    q = select(*[n[c.key] for c in COLUMNS], n.watermark).where(any_party_in(scope, n.party))
    if f.party:
        q = q.where(n.party == f.party)
    rows = [dict(r) for r in db.execute(q.order_by(n.party)).mappings().all()]
    wm = rows[0]["watermark"] if rows else None
    return TableResult("nodes", "Node health", COLUMNS, rows, len(rows), 1, max(len(rows), 1),
                       empty="No node in your scope has sent an event yet.",
                       extra={"watermark": wm})
