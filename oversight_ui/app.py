"""Composition root of the dashboard: `create_app(settings)` builds the engine,
templates, access recorder and routers. Nothing connects at import time.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from oversight_ui.access import AccessRecorder
from oversight_ui.cache import ResultCache
from oversight_ui.db import make_engine, make_sessionmaker
from oversight_ui.deps import NotSignedIn, OutOfScope
from oversight_ui.settings import UISettings
from oversight_ui.templating import make_templates, render

STATIC_DIR = Path(__file__).parent / "static"
API_PREFIX = "/api"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX + "/") or request.url.path == API_PREFIX


def create_app(settings: UISettings | None = None, *,
               access_recorder: AccessRecorder | None = None, sessionmaker: Any = None) -> FastAPI:
    """Build the app. `sessionmaker` and `access_recorder` may be injected by tests."""
    settings = settings or UISettings.from_env()
    app = FastAPI(
        title="Custodes oversight API",
        version="1",
        description="Read-only views of the EBSP oversight projections, filtered to the caller's "
        "role (SPEC §8). Every call is recorded as ebsp.oversight.accessed.v1. Authenticate with "
        "the session cookie of the sign-in page; state-changing calls need the X-CSRF-Token header.",
        openapi_url=None, docs_url=None, redoc_url=None,
    )
    app.state.settings = settings
    if sessionmaker is None:
        sessionmaker = make_sessionmaker(make_engine(settings.database_url))
    app.state.sessionmaker = sessionmaker
    if access_recorder is None:
        from oversight_ui.archive_recorder import ArchiveAccessRecorder
        access_recorder = ArchiveAccessRecorder()
    app.state.access_recorder = access_recorder
    app.state.templates = make_templates()
    app.state.result_cache = ResultCache(settings.result_cache)

    from oversight_ui.routers import api, auth, exports, findings, pages
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(findings.router)
    app.include_router(exports.router)
    app.include_router(api.router, prefix=API_PREFIX)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    _install_handlers(app)
    return app


def _install_handlers(app: FastAPI) -> None:
    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "Not signed in: sign in at /login first."}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/"
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if isinstance(exc, OutOfScope):
            await run_in_threadpool(_record_refusal, request, exc)
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        return render(request, "error.html", {"status": exc.status_code, "detail": exc.detail},
                      status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
        if _wants_json(request):
            return JSONResponse({"detail": problems}, status_code=422)
        return render(request, "error.html", {"status": 422, "detail": f"Invalid request: {problems}"},
                      status_code=422)


def _record_refusal(request: Request, exc: OutOfScope) -> None:
    """A refused request is an access attempt too: record it with result_count 0."""
    viewer = getattr(request.state, "viewer", None)
    if viewer is None:
        return
    factory = request.app.state.sessionmaker
    with factory() as db:
        request.app.state.access_recorder.record(
            db, user=viewer.username, role=viewer.role, scope=viewer.scope.label, view=exc.view,
            filters={**exc.filters, "refused": "out of scope"}, result_count=0)
