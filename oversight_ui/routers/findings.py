"""Finding drill-down (evidence events, chain status, rule text) and the
acknowledge / close forms."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from oversight_ui.actions import Action, ActionError, act, may_act
from oversight_ui.deps import CsrfDep, CtxDep, OutOfScope
from oversight_ui.queries import findings
from oversight_ui.templating import render

router = APIRouter(include_in_schema=False)
FindingId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


@router.get("/findings/{finding_id}")
def finding_page(request: Request, ctx: CtxDep, finding_id: FindingId, done: str | None = None) -> Response:
    if ctx.scope.aggregates_only:
        raise OutOfScope("finding", "Joint review sees aggregates only: single findings are not shown.",
                         {"finding_id": finding_id})
    d = findings.detail(ctx.db, ctx.scope, finding_id)
    if d is None:
        raise OutOfScope("finding", "No such finding in your scope.",
                         {"finding_id": finding_id}, status_code=404)
    ctx.record("finding", {"finding_id": finding_id}, 1 + len(d["evidence"]))
    return render(request, "finding.html", {"d": d, "can_act": may_act(ctx.viewer.role),
                                            "done": done, "nav_active": "findings"})


def _action(action: Action):
    def handler(request: Request, ctx: CtxDep, finding_id: FindingId,
                comment: Annotated[str, Form(max_length=4000)] = "") -> Response:
        view = f"finding.{'acknowledge' if action == 'acknowledged' else 'close'}"
        try:
            act(ctx.db, ctx.viewer, finding_id, action, comment)
        except ActionError as exc:
            ctx.db.rollback()
            if exc.status in (403, 404):
                raise OutOfScope(view, exc.message, {"finding_id": finding_id},
                                 status_code=exc.status) from exc
            ctx.record(view, {"finding_id": finding_id, "refused": exc.message[:200]}, 0)
            d = findings.detail(ctx.db, ctx.scope, finding_id)
            return render(request, "finding.html", {"d": d, "can_act": may_act(ctx.viewer.role),
                                                    "error": exc.message, "comment": comment,
                                                    "nav_active": "findings"}, status_code=exc.status)
        ctx.record(view, {"finding_id": finding_id}, 1)
        return RedirectResponse(f"/findings/{finding_id}?done={action}", status_code=303)
    handler.__name__ = f"finding_{action}"
    return handler


router.add_api_route("/findings/{finding_id}/acknowledge", _action("acknowledged"), methods=["POST"],
                     dependencies=[CsrfDep])
router.add_api_route("/findings/{finding_id}/close", _action("closed"), methods=["POST"],
                     dependencies=[CsrfDep])
