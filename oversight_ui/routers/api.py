"""The JSON API: one endpoint per view, the finding drill-down, case events,
actions, the live-change stream and the (signed-in only) OpenAPI document."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import func, select, text

from oversight_ui.access import ACCESSED_TYPE
from oversight_ui.actions import Action, ActionError, act_recorded
from oversight_ui.deps import CsrfDep, CtxDep
from oversight_ui.loaders import FindingId, load_case, load_finding
from oversight_ui.queries import overview
from oversight_ui.queries.common import ViewFilters, jsonable
from oversight_ui.schemas import (
    ActionDone,
    ActionOut,
    CommentIn,
    EventOut,
    FindingOut,
    OverviewOut,
    RuleOut,
    TableOut,
)
from oversight_ui.views import VIEWS, ViewSpec, view_key
from store.models import ArchivedEvent, ProcessorState, QuarantinedMessage

router = APIRouter(tags=["views"])


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, ctx: CtxDep) -> JSONResponse:
    ctx.record("openapi", {}, 0)
    return JSONResponse(request.app.openapi())


@router.get("/overview", response_model=OverviewOut, summary="Health at a glance")
def overview_api(ctx: CtxDep) -> Any:
    s = ctx.cached("overview", lambda: overview.summary(ctx.db, ctx.scope))
    ctx.record("overview", {}, overview.result_count(s))
    return OverviewOut(
        watermark=jsonable(s["watermark"]), open_findings=s["open_findings"],
        critical_findings=s["critical_findings"], findings_by_rule=s["findings_by_rule"],
        volume_totals=s["volume_totals"],
        volumes_daily=[{k: jsonable(v) for k, v in r.items()} for r in s["volumes_daily"]],
        reciprocity_latest_month=s["reciprocity"], overdue_deletions=s["overdue_deletions"],
        retention_by_recipient=s["retention_by_recipient"], nodes=s["nodes"],
        broken_chains=s["broken_chains"], quarantined=s["quarantined"])


def _view_handler(spec: ViewSpec) -> Any:
    def handler(ctx: CtxDep, f: Annotated[ViewFilters, Query()]) -> Any:
        result = ctx.cached(view_key(spec, f, ctx.settings.page_size),
                            lambda: spec.fn(ctx.db, ctx.scope, f, ctx.settings.page_size))
        ctx.record(spec.name, f.as_record(), len(result.rows))
        return result.to_json()
    handler.__name__ = f"{spec.name}_api"
    handler.__doc__ = spec.help
    return handler


for _spec in VIEWS.values():
    router.add_api_route(f"/{_spec.name}", _view_handler(_spec), methods=["GET"],
                         response_model=TableOut, summary=_spec.nav, name=f"api_{_spec.name}")


def _event_out(e: dict[str, Any]) -> EventOut:
    return EventOut(id=e["id"], source=e["source"], seq=e["seq"], type=e["type"],
                    time=e["event"].get("time", ""), case_id=e["case_id"], parties=e["parties"],
                    hash=e["hash"], prevhash=e["prevhash"], chain=e["chain"], event=e["event"])


@router.get("/findings/{finding_id}", response_model=FindingOut, summary="One finding with its evidence")
def finding_api(ctx: CtxDep, finding_id: FindingId) -> Any:
    d = load_finding(ctx, finding_id)
    f, r = d["finding"], d["rule"]
    return FindingOut(
        finding_id=f.finding_id, rule=f.rule, severity=f.severity, party=f.party, case_id=f.case_id,
        key=f.key, summary=f.summary, observed_at=jsonable(f.observed_at), due=jsonable(f.due),
        status=d["status"], parties_involved=d["parties"],
        evidence=[_event_out(e) for e in d["evidence"]],
        evidence_not_in_scope_or_archive=d["missing_evidence"],
        resolution_evidence=[_event_out(e) for e in d["resolution"]],
        actions=[ActionOut(action=a.action, comment=a.comment, user=a.username, role=a.role, at=jsonable(a.at), event_id=a.event_id) for a in d["actions"]],
        rule_text=None if r is None else RuleOut(rule=r.rule, title=r.title, checks=r.checks,
                                                 legal_basis=r.legal_basis, responsible=r.responsible))


def _api_action(action: Action) -> Any:
    def handler(ctx: CtxDep, finding_id: FindingId, body: CommentIn) -> Any:
        try:
            done = act_recorded(ctx, finding_id, action, body.comment)
        except ActionError as exc:
            raise HTTPException(exc.status, exc.message) from exc
        return ActionDone(finding_id=done.finding_id, action=done.action, event_ids=done.event_ids)
    handler.__name__ = f"finding_{action}_api"
    return handler


router.add_api_route("/findings/{finding_id}/acknowledge", _api_action("acknowledged"), methods=["POST"],
                     response_model=ActionDone, dependencies=[CsrfDep], summary="Acknowledge a finding")
router.add_api_route("/findings/{finding_id}/close", _api_action("closed"), methods=["POST"],
                     response_model=ActionDone, dependencies=[CsrfDep], summary="Close a finding")


@router.get("/cases/{case_id}/events", response_model=TableOut, summary="Archived events of a case")
def case_events_api(ctx: CtxDep, case_id: str, f: Annotated[ViewFilters, Query()]) -> Any:
    result = load_case(ctx, case_id, f)
    out = result.to_json()
    for row, full in zip(out["rows"], result.rows):
        row["event"] = full["event"]
    return out


# The type is a literal, not a parameter: the planner must see it to use the partial index.
_NEWEST_NOT_ACCESS = text(f"SELECT max(seq) FROM platform_events WHERE type <> '{ACCESSED_TYPE}'")


def data_version(factory: Any) -> str:
    """A cheap fingerprint of what the pages show: it changes whenever events are
    archived, findings chained, messages quarantined or the watermark moves.

    Access events are left out: every page request appends one, so counting them
    would make each re-fetch announce a change to every open tab, forever. The
    newest non-access event is one probe of the partial index
    `ix_platform_events_not_access` (migration 0102_ui_perf), whatever the number
    of accesses since the last finding event."""
    with factory() as db:
        a = db.scalar(select(func.max(ArchivedEvent.ingest_no)))
        p = db.scalar(_NEWEST_NOT_ACCESS)
        q = db.scalar(select(func.max(QuarantinedMessage.id)))
        w = db.scalar(select(func.max(ProcessorState.watermark_ms)))
    return f"{a}-{p}-{q}-{w}"


@router.get("/live", summary="Server-sent events: `changed` whenever the data behind the pages changes",
            response_class=StreamingResponse)
async def live(request: Request, ctx: CtxDep) -> StreamingResponse:
    await asyncio.to_thread(ctx.record, "live", {}, 0)
    factory = request.app.state.sessionmaker
    interval = max(1, ctx.settings.refresh_s)

    limit = ctx.settings.live_max_messages

    async def stream() -> AsyncIterator[bytes]:
        last, sent = None, 0
        yield f"retry: {interval * 1000}\n\n".encode()
        while not await request.is_disconnected() and (limit is None or sent < limit):
            sent += 1
            version = await asyncio.to_thread(data_version, factory)
            if last is not None and version != last:
                yield f"event: changed\ndata: {version}\n\n".encode()
            elif last is None:
                yield f"event: hello\ndata: {version}\n\n".encode()
            last = version
            await asyncio.sleep(interval)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
