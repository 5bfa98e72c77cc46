"""SRC-1: a transfer must not draw on a prohibited database (sender's policy).

EURODAC, ECRIS-TCN and EES data may not be transferred to third countries by
default. Decided by the transfer alone, so it fires on ingest. Key:
transfer_id; party: the sender; severity: critical.
"""
from __future__ import annotations

from custodes.events import Event, TransferSent
from processors.core.findings import Output, raised
from processors.core.policies import Policies
from processors.core.rule import Handler, Immediate

TRANSFER = "ebsp.transfer.sent.v1"


class Sources(Immediate):
    def __init__(self, policies: Policies) -> None:
        self._policies = policies

    def handlers(self) -> dict[str, Handler]:
        return {TRANSFER: self.on_transfer}

    def on_transfer(self, event: Event, out: list[Output]) -> None:
        t: TransferSent = event.data  # type: ignore[assignment]
        prohibited = self._policies[t.sender].sources_prohibited
        if prohibited.isdisjoint(t.source_databases):  # the common case, without a set built
            return
        bad = sorted({db for db in t.source_databases if db in prohibited})
        if not bad:
            return
        out.append(raised(
            rule="SRC-1", key=t.transfer_id, severity="critical", party=t.sender,
            case_id=t.case_id, evidence=(event.id,), observed_ms=event.time_ms,
            summary=f"transfer {t.transfer_id} {t.sender}->{t.recipient} sourced from "
            f"prohibited database(s) {', '.join(bad)}",
        ))
