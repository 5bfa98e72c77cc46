"""The findings register: list with filters, drill-down, and supervisors' actions.

Scope: a finding is visible when its responsible party or any party of its
evidence events is in scope. Those parties are computed once per finding into
`ui_finding_state` (by `sync_state`, called before reading) rather than
joining the archive on every page. The status shown is the store's status
(`resolved` by a rule wins), else the supervisors' (`acknowledged`, `closed`),
else `open`.

Counts (the overview's open findings, the register's total, joint review's
table) come from `ui_finding_counts`, which database triggers keep exact per
(rule, severity, party, status, involved parties) as findings are raised,
resolved, synced, acknowledged and closed (migration 0102_ui_perf): a sum over
a few hundred keys instead of counting every finding. Only a period filter
(`since`/`until`, on the observation time, which the counts do not keep) counts
the findings themselves.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, and_, case, cast, func, select, text, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from oversight_ui.queries import events as ev
from oversight_ui.queries.common import (
    Column,
    TableResult,
    ViewFilters,
    offset_of,
    period_clause,
)
from oversight_ui.rules_text import rule_text
from oversight_ui.scope import Scope
from store.models import Finding as F
from store.ui_models import UIFindingAction
from store.ui_models import UIFindingCount as C
from store.ui_models import UIFindingState as S

STATUS = case((F.status.in_(("resolved", "closed")), F.status),
              (S.ui_status.is_not(None), S.ui_status), else_=F.status).label("status")


def severity_order(col: Any) -> Any:
    return case((col == "critical", 0), (col == "violation", 1), (col == "warning", 2), else_=3)


SEVERITY_ORDER = severity_order(F.severity)
CLOSED = ("resolved", "closed")
ROW_COLUMNS = [Column("finding_id", "Finding", "link"), Column("rule", "Rule", "code"),
               Column("severity", "Severity"), Column("party", "Responsible", "party"),
               Column("case_id", "Case", "code"), Column("observed_at", "Observed (UTC)", "time"),
               Column("due", "Due (UTC)", "time"), Column("status", "Status"),
               Column("summary", "Summary")]
AGG_COLUMNS = [Column("rule", "Rule"), Column("severity", "Severity"),
               Column("party", "Responsible", "party"), Column("status", "Status"),
               Column("findings", "Findings", "int")]

# Findings a concurrent transaction is resolving are skipped (FOR SHARE … SKIP LOCKED)
# and synced by a later call: the sync never waits for the live writer.
_SYNC = text("""
INSERT INTO ui_finding_state (finding_id, parties)
SELECT f.finding_id,
       ARRAY(SELECT DISTINCT p FROM (
               SELECT f.party AS p
               UNION ALL
               SELECT unnest(a.parties) FROM archive_events a WHERE a.id = ANY(f.evidence)
             ) s WHERE p IS NOT NULL ORDER BY p)
FROM findings f
WHERE NOT EXISTS (SELECT 1 FROM ui_finding_state s WHERE s.finding_id = f.finding_id)
FOR SHARE OF f SKIP LOCKED
ON CONFLICT (finding_id) DO NOTHING
""")
_FOLD = text("SELECT ui_fold_finding_counts()")


# The counts table sums to the number of findings that have a state row: a few hundred
# rows instead of a second index-only count over every finding. Its row count says how
# many deltas the triggers left since the last fold.
_UP_TO_DATE = text("SELECT (SELECT count(*) FROM findings) = c.total, c.rows FROM "
                   "(SELECT coalesce(sum(n), 0) AS total, count(*) AS rows FROM ui_finding_counts) c")
# Acknowledgements, closures and resolutions add delta rows without adding findings:
# fold them when they pile up even though every finding is synced.
FOLD_ABOVE_ROWS = 1000


def sync_state(db: Session) -> None:
    """Compute the involved parties of findings not seen before (idempotent), and fold
    the count deltas the triggers wrote meanwhile. Every finding has its state row
    exactly when the findings number what `ui_finding_counts` sums to: one index-only
    count instead of the anti-join on every page. The deltas are also folded when more
    than FOLD_ABOVE_ROWS rows accumulated (actions and resolutions, no new findings)."""
    synced, rows = db.execute(_UP_TO_DATE).one()
    if synced and rows <= FOLD_ABOVE_ROWS:
        return
    if not synced:
        db.execute(_SYNC)
    db.execute(_FOLD)
    db.commit()


def _scope_clause(scope: Scope) -> Any:
    parties = scope.party_list()
    return true() if parties is None else S.parties.overlap(cast(parties, ARRAY(Text)))


def _filters(scope: Scope, f: ViewFilters, parties: Any, rule: Any, severity: Any, party: Any,
             status: Any) -> list[Any]:
    """Scope and the rule/severity/party/status filters, on the given columns."""
    wanted = scope.party_list()
    parts: list[Any] = [true() if wanted is None else parties.overlap(cast(wanted, ARRAY(Text)))]
    for column, value in ((rule, f.rule), (severity, f.severity), (party, f.party), (status, f.status)):
        if value:
            parts.append(column == value)
    return parts


def _base(scope: Scope, f: ViewFilters) -> Any:
    return and_(period_clause(F.observed_at, f),
                *_filters(scope, f, S.parties, F.rule, F.severity, F.party, STATUS))


def _from() -> Any:
    return F.__table__.join(S.__table__, S.finding_id == F.finding_id)


def _counts_where(scope: Scope, f: ViewFilters) -> Any:
    """`_base` on the counts table (every filter but the period, which it does not keep)."""
    return and_(*_filters(scope, f, C.parties, C.rule, C.severity, C.party, C.status))


def _countable(f: ViewFilters) -> bool:
    return f.since is None and f.until is None


N = cast(func.sum(C.n), BigInteger)


def table(db: Session, scope: Scope, f: ViewFilters, page_size: int) -> TableResult:
    sync_state(db)
    where = _base(scope, f)
    if scope.aggregates_only:
        if _countable(f):
            q = (select(C.rule, C.severity, C.party, C.status, N.label("findings"))
                 .where(_counts_where(scope, f)).group_by(C.rule, C.severity, C.party, C.status)
                 .having(N != 0).order_by(C.rule, severity_order(C.severity), C.party, C.status))
        else:
            q = (select(F.rule, F.severity, F.party, STATUS, func.count().label("findings"))
                 .select_from(_from()).where(where)
                 .group_by(F.rule, F.severity, F.party, STATUS)
                 .order_by(F.rule, SEVERITY_ORDER, F.party, STATUS))
        rows = db.execute(q).mappings().all()
        return TableResult("findings", "Findings by rule, severity, party and status", AGG_COLUMNS,
                           [dict(r) for r in rows], len(rows), 1, max(len(rows), 1), aggregated=True,
                           note="Joint review sees counts; case-level findings are not shown.",
                           empty="No findings for these filters.")
    if _countable(f):
        total = db.scalar(select(func.coalesce(N, 0)).where(_counts_where(scope, f))) or 0
    else:
        total = db.scalar(select(func.count()).select_from(_from()).where(where)) or 0
    rows = db.execute(select(F.finding_id, F.rule, F.severity, F.party, F.case_id, F.observed_at,
                             F.due, STATUS, F.summary).select_from(_from()).where(where)
                      .order_by(F.observed_at.desc(), F.finding_id).limit(page_size)
                      .offset(offset_of(f, page_size))).mappings().all()
    return TableResult("findings", "Findings register", ROW_COLUMNS, [dict(r) for r in rows], total,
                       f.page, page_size,
                       empty="No findings in your scope for these filters. Findings appear when a rule "
                             "of SPEC §6 is breached.")


def counts(db: Session, scope: Scope) -> list[dict[str, Any]]:
    """Open (not resolved or closed) findings per rule and severity, for the overview."""
    sync_state(db)
    rows = db.execute(select(C.rule, C.severity, N.label("findings"))
                      .where(_counts_where(scope, ViewFilters()), C.status.notin_(CLOSED))
                      .group_by(C.rule, C.severity).having(N != 0)
                      .order_by(C.rule, severity_order(C.severity))).mappings().all()
    return [dict(r) for r in rows]


def counts_slowly(db: Session, scope: Scope) -> list[dict[str, Any]]:
    """`counts` computed from the findings themselves (the ground truth of the tests)."""
    sync_state(db)
    rows = db.execute(select(F.rule, F.severity, func.count().label("findings")).select_from(_from())
                      .where(_scope_clause(scope), STATUS.notin_(CLOSED))
                      .group_by(F.rule, F.severity).order_by(F.rule, SEVERITY_ORDER)).mappings().all()
    return [dict(r) for r in rows]


def detail(db: Session, scope: Scope, finding_id: str) -> dict[str, Any] | None:
    """The finding, its evidence events (in scope), rule text and action history;
    None when there is no such finding in the scope."""
    sync_state(db)
    row = db.execute(select(F, STATUS, S.parties).select_from(_from())
                     .where(F.finding_id == finding_id, _scope_clause(scope))).first()
    if row is None:
        return None
    finding, status, parties = row
    evidence = ev.by_ids(db, scope, list(finding.evidence))
    resolution = ev.by_ids(db, scope, list(finding.resolution_evidence or []))
    actions = db.scalars(select(UIFindingAction).where(UIFindingAction.finding_id == finding_id)
                         .order_by(UIFindingAction.at)).all()
    return {"finding": finding, "status": status, "parties": list(parties), "evidence": evidence,
            "missing_evidence": sorted(set(finding.evidence) - {e["id"] for e in evidence}),
            "resolution": resolution, "actions": list(actions), "rule": rule_text(finding.rule)}


def lock_status(db: Session, finding_id: str) -> str | None:
    """Lock the finding's state row until the transaction ends (SELECT … FOR UPDATE)
    and return its status as of now, so two supervisors acting on the same finding
    at once are serialised and the second sees what the first did."""
    return db.scalar(select(STATUS).select_from(_from()).where(F.finding_id == finding_id)
                     .with_for_update(of=S.__table__))


def record_action(db: Session, finding_id: str, ui_status: str, at: datetime) -> None:
    """Overlay the supervisors' status (acknowledged/closed) on the finding."""
    db.execute(update(S).where(S.finding_id == finding_id)
               .values(ui_status=ui_status, ui_status_at=at))
