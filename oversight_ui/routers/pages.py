"""HTML pages: overview and one page per view of SPEC §8, all scope-filtered
and each recorded as an access. Pages re-render their live region when the
server-sent `/api/live` stream says the data changed."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from oversight_ui.deps import CtxDep
from oversight_ui.loaders import load_case
from oversight_ui.queries import overview
from oversight_ui.queries.common import ViewFilters
from oversight_ui.templating import render
from oversight_ui.views import VIEWS, ViewSpec, view_key

router = APIRouter(include_in_schema=False)


@router.get("/")
def overview_page(request: Request, ctx: CtxDep) -> Response:
    s = ctx.cached("overview", lambda: overview.summary(ctx.db, ctx.scope))
    ctx.record("overview", {}, overview.result_count(s))
    chart = {
        "findings": [{"rule": r["rule"], "severity": r["severity"], "n": r["findings"]}
                     for r in s["findings_by_rule"]],
        "volumes": [{"day": r["day"].isoformat(), "queries": r["queries"], "hits": r["hits"],
                     "transfers": r["transfers"]} for r in s["volumes_daily"]],
        "reciprocity": [{"party": r["party"], "a": r["a"], "b": r["b"]} for r in s["reciprocity"]],
    }
    return render(request, "overview.html", {"s": s, "chart": chart, "nav_active": "overview"})


def _page_handler(spec: ViewSpec) -> Any:
    def handler(request: Request, ctx: CtxDep, f: Annotated[ViewFilters, Query()]) -> Response:
        result = ctx.cached(view_key(spec, f, ctx.settings.page_size),
                            lambda: spec.fn(ctx.db, ctx.scope, f, ctx.settings.page_size))
        ctx.record(spec.name, f.as_record(), len(result.rows))
        return render(request, "table.html", {"spec": spec, "result": result, "f": f,
                                              "nav_active": spec.name,
                                              "query": request.url.query})
    handler.__name__ = f"{spec.name}_page"
    return handler


for _spec in VIEWS.values():
    router.add_api_route(f"/{_spec.name}", _page_handler(_spec), methods=["GET"],
                         name=f"page_{_spec.name}")


@router.get("/cases/{case_id}")
def case_page(request: Request, ctx: CtxDep, case_id: str,
              f: Annotated[ViewFilters, Query()]) -> Response:
    result = load_case(ctx, case_id, f)
    return render(request, "case.html", {"result": result, "case_id": case_id, "f": f,
                                         "nav_active": "findings", "query": request.url.query})
