"""SPC-1: special categories of data travel only with a stated justification.

A transfer with non-empty `special_categories` needs a non-blank
`special_category_justification`. Decided by the transfer alone (fires on
ingest). Key: transfer_id; party: the sender; severity: violation.
"""
from __future__ import annotations

from custodes.events import Event, TransferSent
from processors.core.findings import Output, raised
from processors.core.rule import Handler, Immediate, blank

TRANSFER = "ebsp.transfer.sent.v1"


class Special(Immediate):
    def handlers(self) -> dict[str, Handler]:
        return {TRANSFER: self.on_transfer}

    def on_transfer(self, event: Event, out: list[Output]) -> None:
        t: TransferSent = event.data  # type: ignore[assignment]
        if not t.special_categories:
            return
        if not blank(t.special_category_justification):
            return
        out.append(raised(
            rule="SPC-1", key=t.transfer_id, severity="violation", party=t.sender,
            case_id=t.case_id, evidence=(event.id,), observed_ms=event.time_ms,
            summary=f"transfer {t.transfer_id} carries special categories "
            f"({', '.join(sorted(t.special_categories))}) without a justification",
        ))
