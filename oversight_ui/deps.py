"""Request dependencies: who is asking (viewer and scope), CSRF, and the
access record every view writes.

`ViewerDep` refuses anonymous requests (pages redirect to the sign-in page,
the API answers 401). `Ctx` bundles what a view needs — the database session,
the viewer, the settings — and `Ctx.record` writes the
`ebsp.oversight.accessed.v1` event for the request.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request

from oversight_ui.auth import sessions
from oversight_ui.db import SessionDep
from oversight_ui.queries import version
from oversight_ui.scope import Scope, scope_for
from oversight_ui.settings import UISettings

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")


class NotSignedIn(Exception):
    """Raised by `current_viewer` when there is no valid session."""


class OutOfScope(HTTPException):
    """403 for a view outside the viewer's scope, 404 for an object that is not in it
    (existence is not revealed); recorded as a refused access either way."""

    def __init__(self, view: str, detail: str, filters: dict[str, Any] | None = None,
                 status_code: int = 403) -> None:
        super().__init__(status_code=status_code, detail=detail)
        self.view = view
        self.filters = filters or {}


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Viewer:
    username: str
    role: str
    scope: Scope
    csrf_token: str
    session_hash: str


def current_viewer(request: Request, db: SessionDep) -> Viewer:
    settings: UISettings = request.app.state.settings
    signed = sessions.resolve(db, request.cookies.get(sessions.COOKIE_NAME), utcnow(),
                              settings.session_idle_s)
    if signed is None:
        raise NotSignedIn()
    viewer = Viewer(username=signed.username, role=signed.role, scope=scope_for(signed.role),
                    csrf_token=signed.csrf_token, session_hash=signed.token_hash)
    request.state.viewer = viewer
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


async def csrf_protect(request: Request, viewer: ViewerDep) -> None:
    """Refuse a state-changing request whose CSRF token (header or form field)
    is not this session's. Tokens are compared in constant time."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not secrets.compare_digest(sent.encode(), viewer.csrf_token.encode()):
        raise HTTPException(status_code=403, detail="CSRF token missing or invalid: reload the page and try again.")


CsrfDep = Depends(csrf_protect)


@dataclass
class Ctx:
    """What a view handler needs; `record` must be called once per request."""

    request: Request
    db: Any
    viewer: Viewer
    settings: UISettings

    @property
    def scope(self) -> Scope:
        return self.viewer.scope

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` (a read of the store in this viewer's scope), or its result kept
        from an earlier request of the same scope at the same data version."""
        cache = self.request.app.state.result_cache
        if cache.max_entries <= 0:
            return compute()
        return cache.get(version.current(self.db), (self.scope, key), compute)  # type: ignore[no-any-return]

    def record(self, view: str, filters: dict[str, Any], result_count: int) -> None:
        """Write the `ebsp.oversight.accessed.v1` event of this request."""
        recorder = self.request.app.state.access_recorder
        recorder.record(self.db, user=self.viewer.username, role=self.viewer.role,
                        scope=self.scope.label, view=view, filters=filters,
                        result_count=result_count)


def get_ctx(request: Request, db: SessionDep, viewer: ViewerDep) -> Ctx:
    return Ctx(request=request, db=db, viewer=viewer, settings=request.app.state.settings)


CtxDep = Annotated[Ctx, Depends(get_ctx)]
