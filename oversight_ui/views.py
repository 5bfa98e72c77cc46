"""Registry of the table views: one entry per view of SPEC §8, shared by the
HTML pages, the JSON API and the CSV export so the three can never disagree
about what a view shows or how it is scoped."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from oversight_ui.queries import (
    findings,
    nodes,
    onward,
    quarantine,
    reciprocity,
    remedies,
    retention,
    review,
    volumes,
)
from oversight_ui.queries.common import TableResult, ViewFilters
from oversight_ui.scope import Scope

TableFn = Callable[[Session, Scope, ViewFilters, int], TableResult]


@dataclass(frozen=True)
class ViewSpec:
    name: str
    nav: str
    fn: TableFn
    filters: tuple[str, ...]
    statuses: tuple[str, ...] = ()
    help: str = ""


VIEWS: dict[str, ViewSpec] = {v.name: v for v in (
    ViewSpec("volumes", "Volumes", volumes.table, ("party", "since", "until"),
             help="Queries, hits and transfers per party pair and UTC day. Hit rate = hits / queries."),
    ViewSpec("retention", "Retention", retention.table, ("party", "status", "since", "until"),
             retention.STATUSES,
             help="One clock per transfer. Overdue: a RET-1 finding the rule core has not "
                  "resolved names the clock (its verdict); closing the finding is an "
                  "administrative status and does not make the data deleted, so the clock "
                  "stays overdue until a deletion event arrives. Due soon: deadline within two "
                  "days of the platform watermark (SPEC §5). Period filters apply to the deadline."),
    ViewSpec("reciprocity", "Reciprocity", reciprocity.table, ("party", "since", "until"),
             help="Transfers between each EU party and the US per UTC month; REC-1 flags months "
                  "whose balance is below the policy ratio."),
    ViewSpec("review", "Human review", review.table, ("party",),
             help="Adverse and significant decisions per deciding party, and how many named a "
                  "completed human review (HRV-1)."),
    ViewSpec("onward", "Onward transfers", onward.table, ("party", "status", "since", "until"),
             ("pending", "granted", "refused"),
             help="Requests to pass data on to a third country, with the originating party's decision."),
    ViewSpec("findings", "Findings", findings.table,
             ("rule", "severity", "party", "status", "since", "until"),
             ("open", "acknowledged", "closed", "resolved"),
             help="Breaches of the rules of SPEC §6. Open a finding for its evidence, rule text and actions."),
    ViewSpec("remedies", "Remedies", remedies.table, ("party", "status", "since", "until"),
             ("open", "overdue", "resolved"),
             help="Data subjects' requests and their deadlines (RMD-1)."),
    ViewSpec("nodes", "Node health", nodes.table, ("party",),
             help="Per node: last event, last signed checkpoint, lag behind the freshest node, "
                  "and hash-chain status."),
    ViewSpec("quarantine", "Quarantine", quarantine.table, ("party", "status", "since", "until"),
             ("invalid", "conflicting_duplicate"),
             help="Messages that are not valid events (SPEC §7), kept with the reason."),
)}


def view_key(spec: ViewSpec, f: ViewFilters, page_size: int) -> tuple[object, ...]:
    """What a view's result depends on besides the scope and the data version."""
    return (spec.name, page_size, *sorted(f.model_dump().items()))
