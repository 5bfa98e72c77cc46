"""REC-1: exchanges between each EU party and the US stay broadly reciprocal.

For an EU party P and a UTC calendar month M: a = transfers P->US sent in M,
b = transfers US->P sent in M (by `time`). Once M has passed (the cut is at or
after the first instant of the next month), raise when a + b >= `min_volume`
and 1000*min(a, b) < `min_ratio_permille`*max(a, b), both from P's policy.
Key ``<P>/<YYYY-MM>``; party: the side that sent fewer; warning; case_id null;
evidence: the event ids of the month's transfers between P and the US;
`observed_at`: the first instant of the next month. Counters are dropped once
their month is decided.
"""
from __future__ import annotations

from custodes.events import Event, TransferSent
from custodes.parties import US
from custodes.timefmt import month_of, month_start_ms, next_month_start_ms
from processors.core.agenda import Agenda, Cut
from processors.core.compact import IdList
from processors.core.findings import Output, raised
from processors.core.policies import Policies
from processors.core.rule import Handler

TRANSFER = "ebsp.transfer.sent.v1"


class Reciprocity:
    def __init__(self, policies: Policies) -> None:
        self._policies = policies
        # (P, "YYYY-MM") -> (ids P->US, ids US->P); every EU<->US transfer of the month
        # is listed until the month is decided, so ids are kept packed (16 bytes each)
        self._months: dict[tuple[str, str], tuple[IdList, IdList]] = {}
        self._agenda = Agenda()
        self._window = (0, -1, "")  # (start, next month's start, label): last month seen

    def handlers(self) -> dict[str, Handler]:
        return {TRANSFER: self.on_transfer}

    def _month(self, time_ms: int) -> tuple[str, int]:
        start, nxt, label = self._window
        if not start <= time_ms < nxt:
            label = month_of(time_ms)
            start, nxt = month_start_ms(label), next_month_start_ms(label)
            self._window = (start, nxt, label)
        return label, nxt

    def on_transfer(self, event: Event, out: list[Output]) -> None:
        t: TransferSent = event.data  # type: ignore[assignment]
        if t.recipient == US and t.sender != US:
            party, side = t.sender, 0
        elif t.sender == US and t.recipient != US:
            party, side = t.recipient, 1
        else:
            return
        start, nxt, label = self._window
        if not start <= event.time_ms < nxt:
            label, nxt = self._month(event.time_ms)
        slot = (party, label)
        counts = self._months.get(slot)
        if counts is None:
            counts = self._months[slot] = (IdList(), IdList())
            self._agenda.at_deadline(nxt - 1, (slot, nxt))
        counts[side].append(event.id)

    def advance(self, cut: Cut, out: list[Output]) -> None:
        for _, (slot, nxt) in self._agenda.due(cut):
            counts = self._months.pop(slot, None)
            if counts is None:
                continue
            party, label = slot
            a, b = len(counts[0]), len(counts[1])
            view = self._policies[party]
            if a + b < view.reciprocity_min_volume:
                continue
            if not 1000 * min(a, b) < view.reciprocity_min_ratio_permille * max(a, b):
                continue
            fewer = party if a < b else US
            out.append(raised(
                rule="REC-1", key=f"{party}/{label}", severity="warning", party=fewer,
                case_id=None, evidence=[*counts[0], *counts[1]], observed_ms=nxt,
                summary=f"{label}: {party} sent {a} transfer(s) to US, US sent {b} to {party}; "
                f"ratio {1000 * min(a, b) // max(a, b)} permille is below "
                f"{view.reciprocity_min_ratio_permille}",
            ))

