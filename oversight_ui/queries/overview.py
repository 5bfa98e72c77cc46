"""Health at a glance: open findings by rule and severity, volumes, reciprocity,
overdue deletions, node chains and quarantine, for the viewer's scope."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from oversight_ui.queries import (
    findings,
    nodes,
    quarantine,
    reciprocity,
    retention,
    volumes,
    watermark,
)
from oversight_ui.queries.common import ViewFilters
from oversight_ui.scope import Scope


def summary(db: Session, scope: Scope) -> dict[str, Any]:
    f = ViewFilters()
    wm = watermark.current(db)
    node_rows = nodes.table(db, scope, f, 100).rows
    by_rule = findings.counts(db, scope)
    by_recipient = retention.by_recipient(db, scope, f, wm)
    return {
        "watermark": wm,
        "findings_by_rule": by_rule,
        "open_findings": sum(r["findings"] for r in by_rule),
        "critical_findings": sum(r["findings"] for r in by_rule if r["severity"] == "critical"),
        "volumes_daily": volumes.daily_totals(db, scope, f, 60),
        "volume_totals": volumes.totals(db, scope, f),
        "reciprocity": reciprocity.latest_month(db, scope),
        "overdue_deletions": sum(r["overdue"] for r in by_recipient),
        "retention_by_recipient": by_recipient,
        "nodes": len(node_rows),
        "broken_chains": [r["party"] for r in node_rows if r["chain_status"] != "ok"],
        "quarantined": quarantine.count(db, scope, f),
    }


def result_count(s: dict[str, Any]) -> int:
    """Rows the overview showed (for the access record): chart points and tiles."""
    return (len(s["findings_by_rule"]) + len(s["volumes_daily"]) + len(s["reciprocity"])
            + len(s["retention_by_recipient"]) + s["nodes"])
