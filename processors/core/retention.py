"""RET-1: transferred data is deleted by its recipient before the retention deadline.

Deadline: transfer time + `default_days` of the recipient's policy, or
`special_category_days` when the transfer carries special categories. The
recipient's `retention.assessed` events for the transfer, taken in time order,
move it: one with `continuing_risk = true` and time <= the current deadline
sets it to its `review_by`, capped at assessment time + `max_review_days`
(also when `review_by` is null). A `deletion.performed` with `scope = full`,
by the recipient, for the transfer, with time <= the deadline closes the clock
in time; assessments after that are moot. At equal times a deletion is taken
before an assessment.

The answer for a transfer is final once every event up to the point that
settles it has arrived: the closing deletion's time, or the deadline itself
(SPEC §5). Then the clock is dropped (in time) or the finding raised
(key transfer_id, party the recipient, violation, `due` and `observed_at` the
deadline). A later full deletion by the recipient resolves the finding.
"""
from __future__ import annotations

from custodes.events import DeletionPerformed, Event, RetentionAssessed, TransferSent
from custodes.timefmt import MS_PER_DAY, format_ms, parse_ms
from processors.core.agenda import Agenda, Cut
from processors.core.findings import Output, raised, resolved
from processors.core.policies import Policies
from processors.core.rule import Handler

TRANSFER = "ebsp.transfer.sent.v1"
ASSESSED = "ebsp.retention.assessed.v1"
DELETED = "ebsp.deletion.performed.v1"


class _Clock:
    """What is known about one transfer's retention."""

    __slots__ = ("transfer", "assessments", "deletions", "raised_at")

    def __init__(self) -> None:
        # (time_ms, recipient, special, case_id, event_id, sender)
        self.transfer: tuple[int, str, bool, str, str, str] | None = None
        # (time_ms, event_id, party, continuing_risk, review_by_ms | None)
        self.assessments: list[tuple[int, str, str, bool, int | None]] = []
        # full deletions only: (time_ms, event_id, party)
        self.deletions: list[tuple[int, str, str]] = []
        self.raised_at: int | None = None  # deadline of the raised finding


class Retention:
    def __init__(self, policies: Policies) -> None:
        self._policies = policies
        self._clocks: dict[str, _Clock] = {}
        self._agenda = Agenda()

    def handlers(self) -> dict[str, Handler]:
        return {TRANSFER: self.on_transfer, ASSESSED: self.on_assessed, DELETED: self.on_deleted}

    # --- events -------------------------------------------------------------
    def _clock(self, transfer_id: str) -> _Clock:
        c = self._clocks.get(transfer_id)
        if c is None:
            c = self._clocks[transfer_id] = _Clock()
        return c

    def on_transfer(self, event: Event, out: list[Output]) -> None:
        t: TransferSent = event.data  # type: ignore[assignment]
        c = self._clock(t.transfer_id)
        if c.transfer is not None:  # ids are unique; a reused id keeps the first transfer
            return
        c.transfer = (event.time_ms, t.recipient, bool(t.special_categories), t.case_id,
                      event.id, t.sender)
        self._schedule(t.transfer_id, c)

    def on_assessed(self, event: Event, out: list[Output]) -> None:
        a: RetentionAssessed = event.data  # type: ignore[assignment]
        c = self._clock(a.transfer_id)
        if c.raised_at is not None:
            return
        review_by = parse_ms(a.review_by) if a.review_by is not None else None
        c.assessments.append((event.time_ms, event.id, a.party, a.continuing_risk, review_by))
        if c.transfer is not None:
            self._schedule(a.transfer_id, c)

    def on_deleted(self, event: Event, out: list[Output]) -> None:
        d: DeletionPerformed = event.data  # type: ignore[assignment]
        if d.scope != "full":
            return
        c = self._clock(d.transfer_id)
        if c.raised_at is not None:
            if c.transfer is not None and d.party == c.transfer[1]:
                out.append(resolved(rule="RET-1", key=d.transfer_id, evidence=(event.id,),
                                    observed_ms=event.time_ms))
                del self._clocks[d.transfer_id]
            return
        c.deletions.append((event.time_ms, event.id, d.party))
        if c.transfer is not None:
            self._schedule(d.transfer_id, c)

    # --- deciding -----------------------------------------------------------
    def _fold(self, c: _Clock) -> tuple[bool, int, list[str]]:
        """(closed in time?, closing time or deadline, ids of assessments that moved it)."""
        assert c.transfer is not None
        time_ms, recipient, special, *_ = c.transfer
        view = self._policies(recipient)
        days = view.retention_special_category_days if special else view.retention_default_days
        deadline = time_ms + days * MS_PER_DAY
        max_review = view.retention_max_review_days * MS_PER_DAY
        items: list[tuple[int, int, str, int | None]] = [
            (t, 0, eid, None) for t, eid, party in c.deletions if party == recipient]
        items += [(t, 1, eid, rb) for t, eid, party, risk, rb in c.assessments
                  if party == recipient and risk]
        items.sort()
        moved: list[str] = []
        for t, kind, eid, review_by in items:
            if t > deadline:
                break
            if kind == 0:
                return True, t, moved
            cap = t + max_review
            deadline = review_by if review_by is not None and review_by <= cap else cap
            moved.append(eid)
        return False, deadline, moved

    def _schedule(self, transfer_id: str, c: _Clock) -> None:
        if not c.deletions and not c.assessments:  # a new transfer: `_fold` would say this
            time_ms, recipient, special, *_ = c.transfer  # type: ignore[misc]
            view = self._policies(recipient)
            days = view.retention_special_category_days if special \
                else view.retention_default_days
            self._agenda.at_deadline(time_ms + days * MS_PER_DAY, transfer_id)
            return
        closed, when, _ = self._fold(c)
        if closed:
            self._agenda.after_event(when, transfer_id)
        else:
            self._agenda.at_deadline(when, transfer_id)

    def advance(self, cut: Cut, out: list[Output]) -> None:
        while True:
            due = self._agenda.due(cut)
            if not due:
                return
            for _, transfer_id in due:
                self._decide(transfer_id, cut, out)

    def _decide(self, transfer_id: str, cut: Cut, out: list[Output]) -> None:
        c = self._clocks.get(transfer_id)
        if c is None or c.transfer is None or c.raised_at is not None:
            return
        closed, when, moved = self._fold(c)
        if closed:
            if when < cut.events_before:
                del self._clocks[transfer_id]
            else:
                self._agenda.after_event(when, transfer_id)
            return
        if not when < cut.deadlines_before:
            self._agenda.at_deadline(when, transfer_id)
            return
        time_ms, recipient, special, case_id, event_id, sender = c.transfer
        out.append(raised(
            rule="RET-1", key=transfer_id, severity="violation", party=recipient,
            case_id=case_id, evidence=[event_id, *moved], observed_ms=when, due_ms=when,
            summary=f"transfer {transfer_id} {sender}->{recipient}: no full deletion by "
            f"{recipient} by the retention deadline {format_ms(when)}"
            + (" (special categories)" if special else "")
            + (f", moved by {len(moved)} assessment(s)" if moved else ""),
        ))
        late = sorted((t, eid) for t, eid, party in c.deletions if party == recipient)
        if late:
            out.append(resolved(rule="RET-1", key=transfer_id, evidence=(late[0][1],),
                                observed_ms=late[0][0]))
            del self._clocks[transfer_id]
            return
        c.raised_at = when
        c.assessments = []
        c.deletions = []

    def open_clocks(self) -> int:
        return len(self._clocks)
