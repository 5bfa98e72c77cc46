"""The objects a drill-down shows — one finding, one case's events — loaded the
same way for the page and the API: refused for joint review (aggregates only),
404 when not in the viewer's scope (existence is not revealed), and recorded as
an access once found. Refusals are raised as `OutOfScope`; the app's error
handler answers each router in its own form (JSON for the API, a page otherwise)
and records the refusal.
"""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from oversight_ui.deps import Ctx, OutOfScope
from oversight_ui.queries import events as ev
from oversight_ui.queries import findings
from oversight_ui.queries.common import TableResult, ViewFilters

FindingId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


def load_finding(ctx: Ctx, finding_id: str) -> dict[str, Any]:
    """The finding's drill-down (`findings.detail`), its access recorded."""
    if ctx.scope.aggregates_only:
        raise OutOfScope("finding", "Joint review sees aggregates only: single findings are not shown.",
                         {"finding_id": finding_id})
    d = findings.detail(ctx.db, ctx.scope, finding_id)
    if d is None:
        raise OutOfScope("finding", "No such finding in your scope.", {"finding_id": finding_id},
                         status_code=404)
    ctx.record("finding", {"finding_id": finding_id}, 1 + len(d["evidence"]))
    return d


def load_case(ctx: Ctx, case_id: str, f: ViewFilters) -> TableResult:
    """One page of the case's archived events in scope, its access recorded."""
    if ctx.scope.aggregates_only:
        raise OutOfScope("case", "Joint review sees aggregates only: case-level events are not shown.",
                         {"case_id": case_id})
    result = ev.table(ctx.db, ctx.scope, f, ctx.settings.page_size, case_id=case_id)
    if result.total == 0:
        raise OutOfScope("case", "No events of this case in your scope (or no such case).",
                         {"case_id": case_id}, status_code=404)
    ctx.record("case", {"case_id": case_id, **f.as_record()}, len(result.rows))
    return result
