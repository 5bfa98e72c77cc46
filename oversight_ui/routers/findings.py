"""Finding drill-down (evidence events, chain status, rule text) and the
acknowledge / close forms."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from oversight_ui.actions import Action, ActionError, act_recorded, may_act
from oversight_ui.deps import CsrfDep, CtxDep
from oversight_ui.loaders import FindingId, load_finding
from oversight_ui.queries import findings
from oversight_ui.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/findings/{finding_id}")
def finding_page(request: Request, ctx: CtxDep, finding_id: FindingId, done: str | None = None) -> Response:
    d = load_finding(ctx, finding_id)
    return render(request, "finding.html", {"d": d, "can_act": may_act(ctx.viewer.role),
                                            "done": done, "nav_active": "findings"})


def _action(action: Action):
    def handler(request: Request, ctx: CtxDep, finding_id: FindingId,
                comment: Annotated[str, Form(max_length=4000)] = "") -> Response:
        try:
            act_recorded(ctx, finding_id, action, comment)
        except ActionError as exc:
            d = findings.detail(ctx.db, ctx.scope, finding_id)
            return render(request, "finding.html", {"d": d, "can_act": may_act(ctx.viewer.role),
                                                    "error": exc.message, "comment": comment,
                                                    "nav_active": "findings"}, status_code=exc.status)
        return RedirectResponse(f"/findings/{finding_id}?done={action}", status_code=303)
    handler.__name__ = f"finding_{action}"
    return handler


router.add_api_route("/findings/{finding_id}/acknowledge", _action("acknowledged"), methods=["POST"],
                     dependencies=[CsrfDep])
router.add_api_route("/findings/{finding_id}/close", _action("closed"), methods=["POST"],
                     dependencies=[CsrfDep])
