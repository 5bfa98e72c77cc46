"""Supervisors' actions on findings: acknowledge and close, each recorded as
platform events in the chain (see docs/decisions.md):

* acknowledge → `ebsp.finding.reviewed.v1` (action `acknowledged`, comment);
* close → `ebsp.finding.reviewed.v1` (action `closed`, comment), then
  `ebsp.finding.resolved.v1` of SPEC §3 whose evidence is that review event.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.orm import Session

from custodes.events import FindingResolved, FindingReviewed
from custodes.timefmt import format_ms
from oversight_ui import platform_chain
from oversight_ui.deps import Ctx, OutOfScope, Viewer
from oversight_ui.queries import findings
from store.ui_models import UIFindingAction

ACTING_ROLES_PREFIX = ("dpa:",)
ACTING_ROLES = ("edps", "us-privacy")
MAX_COMMENT = 2000
Action = Literal["acknowledged", "closed"]


class ActionError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def may_act(role: str) -> bool:
    """Supervisory authorities act on findings; joint review and auditors only read."""
    return role.startswith(ACTING_ROLES_PREFIX) or role in ACTING_ROLES


@dataclass(frozen=True)
class Done:
    finding_id: str
    action: str
    event_ids: list[str]


def act(db: Session, viewer: Viewer, finding_id: str, action: Action, comment: str) -> Done:
    if not may_act(viewer.role):
        raise ActionError(403, f"The role {viewer.role} may read findings but not acknowledge or close them.")
    comment = comment.strip()
    if not comment:
        raise ActionError(422, "A comment is required: say why the finding is acknowledged or closed.")
    if len(comment) > MAX_COMMENT:
        raise ActionError(422, f"The comment is too long (at most {MAX_COMMENT} characters).")
    d = findings.detail(db, viewer.scope, finding_id)
    if d is None:
        raise ActionError(404, "No such finding in your scope.")
    # The status read above may be stale: lock the finding's state row and read it again.
    status = findings.lock_status(db, finding_id)
    if status in ("resolved", "closed"):
        raise ActionError(409, f"The finding is already {status}.")
    if action == "acknowledged" and status == "acknowledged":
        raise ActionError(409, "The finding is already acknowledged.")
    f = d["finding"]
    now = platform_chain.now_ms()
    observed = format_ms(now)
    pending = [platform_chain.Pending("ebsp.finding.reviewed.v1", FindingReviewed(
        finding_id=finding_id, rule=f.rule, action=action, user=viewer.username, role=viewer.role,
        comment=comment, observed_at=observed), now, finding_id)]
    if action == "closed":
        # The resolution's evidence is the review event appended just before it.
        pending.append(platform_chain.Pending("ebsp.finding.resolved.v1", lambda done: FindingResolved(
            finding_id=finding_id, rule=f.rule, evidence=[done[0].id], observed_at=observed),
            now, finding_id))
    events = platform_chain.append(db, pending)
    reviewed, ids = events[0], [e.id for e in events]
    at = datetime.now(UTC)
    db.add(UIFindingAction(finding_id=finding_id, action=action, comment=comment,
                           username=viewer.username, role=viewer.role, at=at, event_id=reviewed.id))
    findings.record_action(db, finding_id, action, at)
    db.commit()
    return Done(finding_id, action, ids)


def act_recorded(ctx: Ctx, finding_id: str, action: Action, comment: str) -> Done:
    """`act` for a request, with its access event: a refusal on scope (403, 404) is raised
    as `OutOfScope`; any other refusal is recorded and re-raised for the caller to show."""
    view = f"finding.{'acknowledge' if action == 'acknowledged' else 'close'}"
    try:
        done = act(ctx.db, ctx.viewer, finding_id, action, comment)
    except ActionError as exc:
        ctx.db.rollback()
        if exc.status in (403, 404):
            raise OutOfScope(view, exc.message, {"finding_id": finding_id},
                             status_code=exc.status) from exc
        ctx.record(view, {"finding_id": finding_id, "refused": exc.message[:200]}, 0)
        raise
    ctx.record(view, {"finding_id": finding_id}, 1)
    return done
