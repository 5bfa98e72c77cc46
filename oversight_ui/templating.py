"""Jinja2 environment of the dashboard, with the filters the pages share."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from custodes.events import Severity
from custodes.timefmt import format_ms
from custodes.timefmt import from_datetime as ms_of
from oversight_ui.rules_text import RULES

TEMPLATES_DIR = Path(__file__).parent / "templates"
# The choices of the rule and severity filters: the rules of SPEC §6 in their
# order, the severities of the event vocabulary most severe first.
RULE_IDS = tuple(RULES)
SEVERITIES = tuple(reversed(get_args(Severity)))


def utc(ms: int | datetime | None) -> str:
    """`2026-01-05 08:00 UTC`: minutes are enough on screen; the API gives the exact time."""
    if ms is None:
        return "—"
    t = format_ms(ms_of(ms) if isinstance(ms, datetime) else int(ms))
    return f"{t[:10]} {t[11:16]} UTC"


def duration(ms: int | None) -> str:
    """A human duration like `3 d 4 h` or `12 min`, for lags and time left."""
    if ms is None:
        return "—"
    sign = "-" if ms < 0 else ""
    s = abs(int(ms)) // 1000
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m = s // 60
    if d:
        return f"{sign}{d} d {h} h"
    if h:
        return f"{sign}{h} h {m} min"
    return f"{sign}{m} min"


def permille(num: int, den: int) -> str:
    """Percentage with one decimal from integers (no floats in the data path)."""
    if not den:
        return "—"
    tenths = (num * 1000 + den // 2) // den
    return f"{tenths // 10}.{tenths % 10} %"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.filters.update(utc=utc, duration=duration)
    env.globals.update(permille=permille, rule_ids=RULE_IDS, severities=SEVERITIES)
    return templates


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    viewer = getattr(request.state, "viewer", None)
    # The query string without `page`, for the pager's links.
    base_query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "page"])
    base = {"viewer": viewer, "refresh_s": request.app.state.settings.refresh_s,
            "path": request.url.path, "base_query": base_query}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
