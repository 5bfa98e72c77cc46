"""The projection updaters of SPEC §8, as folds of events into `Deltas`.

`Projector` holds only what joins across events need in memory (a query's
pair and day until its answer arrives, an answer that arrived before its
query), so that exchange volumes count hits under the query's day and pair
whatever order the partitions are read in. It holds nothing per retention
clock: an assessment is emitted as a move whether or not its transfer has been
read, and the writer asks the database (the clock row, or the move waits in
`retention_early_moves` until the transfer's batch applies it). Deadlines shown
beside clocks and remedies use the same policy views as the rules; the
verdicts themselves (RET-1, RMD-1, ...) come only from the rule core, through
the findings register.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from custodes.events import (
    DecisionRecorded,
    DeletionPerformed,
    Event,
    FindingRaised,
    FindingResolved,
    NodeCheckpoint,
    OnwardDecided,
    OnwardExecuted,
    OnwardRequested,
    QueryAnswered,
    QuerySubmitted,
    RemedyExtended,
    RemedyRequested,
    RemedyResolved,
    RetentionAssessed,
    TransferSent,
)
from custodes.parties import US
from custodes.timefmt import MS_PER_DAY, month_of, parse_ms
from store.projections.deltas import Deltas


class Projector:
    """Event → row deltas. `policy` needs `for_party(p)` with the §4 values as attributes."""

    def __init__(self, policy: Any) -> None:
        self._policy = policy
        self._views: dict[str, Any] = {}
        self._queries: dict[str, tuple[int, str, str]] = {}  # query_id -> (day, from, to)
        self._early_hits: dict[str, bool] = {}  # answers seen before their query
        self._handlers: dict[type, Callable[[Event, Any, Deltas], None]] = {
            QuerySubmitted: self._query, QueryAnswered: self._answer, TransferSent: self._transfer,
            RetentionAssessed: self._assessed, DeletionPerformed: self._deleted,
            OnwardRequested: self._onward_requested, OnwardDecided: self._onward_decided,
            OnwardExecuted: self._onward_executed, DecisionRecorded: self._decision,
            RemedyRequested: self._remedy, RemedyExtended: self._remedy_extended,
            RemedyResolved: self._remedy_resolved,
        }

    def _view(self, party: str) -> Any:
        view = self._views.get(party)
        if view is None:
            view = self._views[party] = self._policy.for_party(party)
        return view

    @property
    def pending_joins(self) -> int:
        return len(self._queries) + len(self._early_hits)

    def apply(self, event: Event, d: Deltas) -> None:
        """Fold one accepted node event into `d` (node health for every event)."""
        node = d.nodes.get(event.party)
        if node is None:
            node = d.nodes[event.party] = [event.source, 0, 0, 0, None, None]
        node[1] += 1
        node[2] = max(node[2], event.seq)
        node[3] = max(node[3], event.time_ms)
        data = event.data
        if type(data) is NodeCheckpoint:
            node[4], node[5] = event.seq, event.time_ms
            return
        handler = self._handlers.get(type(data))
        if handler is not None:
            handler(event, data, d)

    def apply_output(self, output: FindingRaised | FindingResolved, observed_ms: int,
                     platform_seq: int | None, d: Deltas) -> None:
        """Fold a finding raised or resolved by the rule core into `d`."""
        if type(output) is FindingResolved:
            d.findings_resolved.append((output.finding_id, observed_ms, list(output.evidence)))
            return
        f: FindingRaised = output  # type: ignore[assignment]
        d.findings_raised.append({
            "finding_id": f.finding_id, "rule": f.rule, "severity": f.severity, "party": f.party,
            "case_id": f.case_id, "key": f.key, "evidence": list(f.evidence),
            "due": parse_ms(f.due) if f.due is not None else None,
            "observed_at": observed_ms, "summary": f.summary, "platform_seq": platform_seq,
        })
        if f.rule == "INT-1":
            row = d.node_int1.get(f.party)
            d.node_int1[f.party] = [f.finding_id, f.key, (row[2] if row else 0) + 1]
        elif f.rule == "HRV-1":
            d.add(d.review, f.party, 5, 6)

    # --- exchange volumes and reciprocity ---------------------------------
    def _query(self, e: Event, q: QuerySubmitted, d: Deltas) -> None:
        day = e.time_ms - e.time_ms % MS_PER_DAY
        key = (day, q.requesting_party, q.requested_party)
        d.add(d.volumes, key, 0, 3)
        early = self._early_hits.pop(q.query_id, None)
        if early is None:
            self._queries[q.query_id] = key
        elif early:
            d.add(d.volumes, key, 1, 3)

    def _answer(self, e: Event, a: QueryAnswered, d: Deltas) -> None:
        key = self._queries.pop(a.query_id, None)
        if key is None:
            # Answer read before its query (another partition) or a repeated answer.
            if a.query_id not in self._early_hits:
                self._early_hits[a.query_id] = a.result == "hit"
        elif a.result == "hit":
            d.add(d.volumes, key, 1, 3)

    def _transfer(self, e: Event, t: TransferSent, d: Deltas) -> None:
        d.add(d.volumes, (e.time_ms - e.time_ms % MS_PER_DAY, t.sender, t.recipient), 2, 3)
        if t.recipient == US and t.sender != US:
            d.add(d.reciprocity, (t.sender, month_of(e.time_ms)), 0, 2)
        elif t.sender == US and t.recipient != US:
            d.add(d.reciprocity, (t.recipient, month_of(e.time_ms)), 1, 2)
        view = self._view(t.recipient)
        days = (view.retention_special_category_days if t.special_categories
                else view.retention_default_days)
        d.merge(d.clocks, t.transfer_id, {
            "case_id": t.case_id, "sender": t.sender, "recipient": t.recipient,
            "sent_at": e.time_ms, "deadline": e.time_ms + days * MS_PER_DAY,
        })

    # --- retention clocks ---------------------------------------------------
    def _assessed(self, e: Event, a: RetentionAssessed, d: Deltas) -> None:
        """A move of the displayed deadline, applied by the writer to the clock when its
        transfer is stored, else kept in the database until the transfer arrives."""
        if not a.continuing_risk:
            return
        cap = e.time_ms + self._view(a.party).retention_max_review_days * MS_PER_DAY
        review_by = parse_ms(a.review_by) if a.review_by is not None else cap
        d.clock_moves.append((a.transfer_id, a.party, e.time_ms, min(review_by, cap)))

    def _deleted(self, e: Event, x: DeletionPerformed, d: Deltas) -> None:
        if x.scope == "full":
            d.clock_deletions.append((x.transfer_id, x.party, e.time_ms))

    # --- onward-transfer register -----------------------------------------
    def _onward_requested(self, e: Event, r: OnwardRequested, d: Deltas) -> None:
        d.merge(d.onward, r.request_id, {
            "transfer_id": r.transfer_id, "case_id": r.case_id,
            "requesting_party": r.requesting_party, "originating_party": r.originating_party,
            "third_country": r.third_country, "recipient_authority": r.recipient_authority,
            "purpose": r.purpose, "requested_at": e.time_ms,
        })

    def _onward_decided(self, e: Event, r: OnwardDecided, d: Deltas) -> None:
        d.merge(d.onward, r.request_id, {
            "case_id": r.case_id, "originating_party": r.originating_party,
            "decision": r.decision, "decided_at": e.time_ms,
        })

    def _onward_executed(self, e: Event, r: OnwardExecuted, d: Deltas) -> None:
        d.merge(d.onward, r.request_id, {
            "executed_at": e.time_ms, "executed_by": r.party,
            "executed_third_country": r.third_country,
        })

    # --- human review ---------------------------------------------------------
    def _decision(self, e: Event, x: DecisionRecorded, d: Deltas) -> None:
        d.add(d.review, x.party, 0, 6)
        if x.adverse and x.significant:
            d.add(d.review, x.party, 1, 6)
            d.add(d.review, x.party, 2 if x.human_review_id is not None else 3, 6)
            if x.automated:
                d.add(d.review, x.party, 4, 6)

    # --- remedies ---------------------------------------------------------------
    def _remedy(self, e: Event, r: RemedyRequested, d: Deltas) -> None:
        days = self._view(r.lodged_with).remedy_deadline_days
        d.merge(d.remedies, r.remedy_id, {
            "case_id": r.case_id, "kind": r.kind, "lodged_with": r.lodged_with,
            "concerns_party": r.concerns_party, "requested_at": e.time_ms,
            "deadline": e.time_ms + days * MS_PER_DAY,
        })

    def _remedy_extended(self, e: Event, r: RemedyExtended, d: Deltas) -> None:
        days = self._view(r.party).remedy_extension_days
        d.remedy_extensions.append((r.remedy_id, r.party, e.time_ms, days * MS_PER_DAY))

    def _remedy_resolved(self, e: Event, r: RemedyResolved, d: Deltas) -> None:
        d.merge(d.remedies, r.remedy_id, {"resolved_at": e.time_ms, "outcome": r.outcome})
