"""HRV-1: adverse, significant decisions need a human review first.

A `decision.recorded` with `adverse` and `significant` both true must name,
in `human_review_id`, a `review.completed` with that `review_id`, the same
`case_id`, and time <= the decision's. A null `human_review_id` is decided by
the decision alone (fires on ingest); otherwise the question waits until every
event up to the decision's time has arrived (SPEC §5). Key: decision_id;
party: the decision's party; violation, critical when the decision was taken
solely on automated processing (`automated = true`).

Reviews are indexed by review_id (earliest time per case) for as long as the
engine runs: a decision may cite any earlier review.
"""
from __future__ import annotations

from custodes.events import DecisionRecorded, Event, ReviewCompleted
from processors.core.agenda import Agenda, Cut
from processors.core.findings import Output, raised
from processors.core.rule import Handler

REVIEW = "ebsp.review.completed.v1"
DECISION = "ebsp.decision.recorded.v1"


class Review:
    def __init__(self) -> None:
        # review_id -> {case_id: (earliest time_ms, event_id)}
        self._reviews: dict[str, dict[str, tuple[int, str]]] = {}
        self._agenda = Agenda()

    def handlers(self) -> dict[str, Handler]:
        return {REVIEW: self.on_review, DECISION: self.on_decision}

    def on_review(self, event: Event, out: list[Output]) -> None:
        r: ReviewCompleted = event.data  # type: ignore[assignment]
        cases = self._reviews.setdefault(r.review_id, {})
        seen = cases.get(r.case_id)
        if seen is None or event.time_ms < seen[0]:
            cases[r.case_id] = (event.time_ms, event.id)

    def on_decision(self, event: Event, out: list[Output]) -> None:
        d: DecisionRecorded = event.data  # type: ignore[assignment]
        if not (d.adverse and d.significant):
            return
        if d.human_review_id is None:
            self._raise(event, d, "names no human review", out)
        else:
            self._agenda.after_event(event.time_ms, event)

    def advance(self, cut: Cut, out: list[Output]) -> None:
        for _, event in self._agenda.due(cut):
            d: DecisionRecorded = event.data
            review = self._reviews.get(d.human_review_id, {}).get(d.case_id)
            if review is not None and review[0] <= event.time_ms:
                continue
            why = (f"cites review {d.human_review_id}, which was completed only after it"
                   if review is not None else
                   f"cites review {d.human_review_id}, but no such review of case {d.case_id} "
                   "exists")
            self._raise(event, d, why, out)

    def _raise(self, event: Event, d: DecisionRecorded, why: str, out: list[Output]) -> None:
        out.append(raised(
            rule="HRV-1", key=d.decision_id, severity="critical" if d.automated else "violation",
            party=d.party, case_id=d.case_id, evidence=(event.id,), observed_ms=event.time_ms,
            summary=f"adverse, significant decision {d.decision_id} ({d.outcome}) of {d.party} "
            f"{why}" + (" (taken solely on automated processing)" if d.automated else ""),
        ))
