"""Exports: CSV of any table view (the rows of the current filters, every page),
and for auditors the audit bundle: the scope's events in canonical JSONL, the
trust file, and the exact `custodes audit replay` command."""
from __future__ import annotations

import shlex
import tempfile
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.responses import Response

from custodes.timefmt import MS_PER_DAY, day_start_ms, format_ms
from oversight_ui.deps import CtxDep, OutOfScope
from oversight_ui.queries import events as ev
from oversight_ui.queries.common import ViewFilters, csv_text
from oversight_ui.templating import render
from oversight_ui.views import VIEWS, ViewSpec

router = APIRouter(include_in_schema=False)
CSV_MAX_ROWS = 200_000


def _csv_handler(spec: ViewSpec) -> Any:
    def handler(request: Request, ctx: CtxDep, f: Annotated[ViewFilters, Query()]) -> Response:
        # The whole filtered table, not one page: run the query with one big page.
        result = spec.fn(ctx.db, ctx.scope, f.model_copy(update={"page": 1}), CSV_MAX_ROWS)
        ctx.record(f"export.{spec.name}", f.as_record(), len(result.rows))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%MZ")
        name = f"custodes-{spec.name}-{ctx.scope.label.replace(',', '-')}-{stamp}.csv"
        return Response(csv_text(result.columns, result.rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    handler.__name__ = f"{spec.name}_csv"
    return handler


for _spec in VIEWS.values():
    router.add_api_route(f"/export/{_spec.name}.csv", _csv_handler(_spec), methods=["GET"])


def _require_auditor(ctx: Any, view: str, filters: dict[str, Any]) -> None:
    if not ctx.scope.can_export_bundle:
        raise OutOfScope(view, "Audit bundles are for the auditor role.", filters)


@router.get("/audit")
def audit_page(request: Request, ctx: CtxDep) -> Response:
    _require_auditor(ctx, "audit", {})
    ctx.record("audit", {}, 0)
    return render(request, "audit.html", {"nav_active": "audit"})


def replay_command(since: date | None, until: date | None, has_trust: bool, has_policy: bool) -> str:
    args = ["custodes", "audit", "replay", "--events", "events.jsonl"]
    if has_policy:
        args += ["--policy", "policy.toml"]
    if has_trust:
        args += ["--trust", "trust.toml"]
    if until is not None:
        args += ["--horizon", format_ms(day_start_ms(until) + MS_PER_DAY)]
    args += ["--findings-out", "findings.jsonl"]
    return shlex.join(args)


def partial_note(scoped: bool, has_since: bool) -> str:
    """Why a replay of a partial bundle reports INT-1 that the platform did not."""
    if not (scoped or has_since):
        return ""
    why = " and ".join(w for w, on in (("limited to the scope's parties", scoped),
                                       ("starts at `since`", has_since)) if on)
    return ("\nPARTIAL RECORD: this bundle is " + why + ". Node chains in it may start mid-way "
            "or have gaps (events outside the scope or before `since` are left out), so a "
            "replay reports INT-1 (broken chain) findings for them that are artefacts of the "
            "export, not of the record. Judge INT-1 only on a full, unscoped bundle.\n")


def _day(name: str, value: str | None) -> date | None:
    """A `YYYY-MM-DD` query value; empty means no bound (the form sends empty fields)."""
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise HTTPException(422, f"{name}: expected a date like 2026-03-31, got {value[:40]!r}") from None


@router.get("/export/audit-bundle.zip")
def audit_bundle(request: Request, ctx: CtxDep, since_text: Annotated[str | None, Query(alias="since")] = None,
                 until_text: Annotated[str | None, Query(alias="until")] = None) -> Response:
    since, until = _day("since", since_text), _day("until", until_text)
    filters = {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None}
    _require_auditor(ctx, "export.audit-bundle", filters)
    since_ms = day_start_ms(since) if since else None
    until_ms = day_start_ms(until) + MS_PER_DAY if until else None
    trust, policy = ctx.settings.trust_path, ctx.settings.policy_path
    # Outlives this function: FileResponse streams it, then the background task deletes it.
    tmp = tempfile.NamedTemporaryFile(prefix="custodes-bundle-", suffix=".zip", delete=False)  # noqa: SIM115
    count = 0
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("events.jsonl", "w") as out:
            for line in ev.stream_canonical(ctx.db, ctx.scope, since_ms, until_ms):
                out.write(line + b"\n")
                count += 1
        if trust and trust.is_file():
            z.writestr("trust.toml", trust.read_bytes())
        if policy and policy.is_file():
            z.writestr("policy.toml", policy.read_bytes())
        cmd = replay_command(since, until, bool(trust and trust.is_file()), bool(policy and policy.is_file()))
        z.writestr("REPLAY.txt", (
            "Custodes audit bundle\n"
            f"exported by: {ctx.viewer.username} ({ctx.viewer.role}), scope {ctx.scope.label}\n"
            f"period (UTC event time): {filters['since'] or 'start'} .. {filters['until'] or 'now'}\n"
            f"events: {count} (canonical form, SPEC §2; node events of the scope, in ingest order)\n"
            + ("" if trust and trust.is_file() else
               "trust file: not configured on this server (set CUSTODES_TRUST); "
               "signature checks need the nodes' trust file.\n")
            + partial_note(ctx.scope.party_list() is not None, since is not None)
            + "\nRe-audit with:\n\n    " + cmd + "\n"))
    tmp.close()
    ctx.record("export.audit-bundle", filters, count)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%MZ")
    return FileResponse(tmp.name, media_type="application/zip",
                        filename=f"custodes-audit-{ctx.scope.label.replace(',', '-')}-{stamp}.zip",
                        background=BackgroundTask(Path(tmp.name).unlink, missing_ok=True))
