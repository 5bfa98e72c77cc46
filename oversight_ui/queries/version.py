"""The data version: one value that changes whenever anything the views read changes.

Read first, in the request's transaction, before the data (`cache.ResultCache`):

* the processors' rows (`processor_state`: watermark, counters and `updated_at`,
  upserted by every batch in the transaction that writes its archive rows,
  projections, findings and quarantine, so it moves exactly when they do);
* the archive's and the quarantine's newest row (any other writer);
* the newest platform event that is not an access record (findings raised
  and resolved, supervisors' acknowledgements and closures), found through the
  partial index `ix_platform_events_not_access` (one probe; the type is a
  literal so the planner can use that index).

Access records are left out: every request appends one.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from oversight_ui.access import ACCESSED_TYPE

_VERSION = text(f"""
SELECT (SELECT max(ingest_no) FROM archive_events),
       (SELECT max(seq) FROM platform_events WHERE type <> '{ACCESSED_TYPE}'),
       (SELECT max(id) FROM quarantine),
       (SELECT string_agg(concat_ws('/', consumer, watermark_ms, events_ingested, quarantined,
                                    (extract(epoch FROM updated_at) * 1000000)::bigint), ' '
                          ORDER BY consumer) FROM processor_state)
""")


def current(db: Session) -> str:
    """The version as text (also sent by `/api/live`)."""
    a, p, q, w = db.execute(_VERSION).one()
    return f"{a}-{p}-{q}-{w}"
