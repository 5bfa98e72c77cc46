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

import msgspec

from custodes.events import DeletionPerformed, Event, RetentionAssessed, TransferSent
from custodes.timefmt import MS_PER_DAY, format_ms, parse_ms
from processors.core.agenda import Agenda, Cut, Lanes
from processors.core.compact import pack_id, transfer_facts, transfer_record, unpack_id
from processors.core.findings import Output, raised, resolved
from processors.core.policies import Policies
from processors.core.rule import Handler

TRANSFER = "ebsp.transfer.sent.v1"
ASSESSED = "ebsp.retention.assessed.v1"
DELETED = "ebsp.deletion.performed.v1"
_SLACK = 4096  # agenda entries beyond twice the open clocks before moot ones are dropped


class _Clock(msgspec.Struct, gc=False):
    """What is known about one transfer's retention.

    Compact on purpose: a live processor holds one per transfer not yet deleted
    (a million is ordinary). A msgspec Struct without GC tracking is 16 bytes
    plus 8 per field; the transfer's facts are fields rather than a tuple, the
    lists exist only once an assessment or deletion arrives, and the event id
    is kept packed (`compact.pack_id`) since it is only needed as evidence.
    `time_ms` is None while only assessments or deletions for an unknown
    transfer have arrived.
    """

    time_ms: int | None = None
    recipient: str = ""
    special: bool = False
    case_id: str = ""
    event_id: bytes | str = ""
    sender: str = ""
    # (time_ms, event_id, party, continuing_risk, review_by_ms | None)
    assessments: list[tuple[int, str, str, bool, int | None]] | None = None
    # full deletions only: (time_ms, event_id, party)
    deletions: list[tuple[int, str, str]] | None = None
    raised_at: int | None = None  # deadline of the raised finding


_NONE: tuple[()] = ()  # iterated in place of a missing list
def _expand(rec: bytes) -> _Clock:
    """The `_Clock` of a fresh clock kept as its transfer's `compact.transfer_record`."""
    time_ms, special, event_id, (recipient, sender, case_id, _, _) = transfer_facts(rec)
    return _Clock(time_ms=time_ms, recipient=recipient, special=special, case_id=case_id,
                  event_id=event_id, sender=sender)


class Retention:
    def __init__(self, policies: Policies) -> None:
        self._policies = policies
        # transfer_id -> its clock: the transfer's `compact.transfer_record` (shared
        # with MAT-1) until anything but the transfer
        # arrives for it, then a `_Clock`
        self._clocks: dict[str, _Clock | bytes] = {}
        self._agenda = Agenda()
        # first deadlines of fresh clocks, per (source, recipient, special): in time
        # order there, since a node's events are; payload the transfer id
        self._lanes = Lanes()

    def handlers(self) -> dict[str, Handler]:
        return {TRANSFER: self.on_transfer, ASSESSED: self.on_assessed, DELETED: self.on_deleted}

    # --- events -------------------------------------------------------------
    def _clock(self, transfer_id: str) -> _Clock:
        c = self._clocks.get(transfer_id)
        if c is None:
            c = self._clocks[transfer_id] = _Clock()
        elif type(c) is bytes:
            c = self._clocks[transfer_id] = _expand(c)
        return c  # type: ignore[return-value]

    def on_transfer(self, event: Event, out: list[Output]) -> None:
        t: TransferSent = event.data  # type: ignore[assignment]
        tid = t.transfer_id
        clocks = self._clocks
        c = clocks.get(tid)
        if c is None:
            rec = transfer_record(event)
            if rec is not None:
                special = bool(t.special_categories)
                clocks[tid] = rec
                view = self._policies[t.recipient]
                days = view.retention_special_category_days if special \
                    else view.retention_default_days
                deadline = event.time_ms + days * MS_PER_DAY
                if not self._lanes.push((event.source, t.recipient, special), deadline, tid):
                    self._agenda.at_deadline(deadline, tid)
                return
            c = clocks[tid] = _Clock()
        if type(c) is bytes or c.time_ms is not None:  # type: ignore[union-attr]
            return  # ids are unique; a reused id keeps the first transfer
        c.time_ms, c.recipient, c.special = event.time_ms, t.recipient, bool(t.special_categories)
        c.case_id, c.event_id, c.sender = t.case_id, pack_id(event.id), t.sender
        self._schedule(t.transfer_id, c)

    def on_assessed(self, event: Event, out: list[Output]) -> None:
        a: RetentionAssessed = event.data  # type: ignore[assignment]
        c = self._clock(a.transfer_id)
        if c.raised_at is not None:
            return
        review_by = parse_ms(a.review_by) if a.review_by is not None else None
        item = (event.time_ms, event.id, a.party, a.continuing_risk, review_by)
        if c.assessments is None:
            c.assessments = [item]
        else:
            c.assessments.append(item)
        if c.time_ms is not None:
            self._schedule(a.transfer_id, c)

    def on_deleted(self, event: Event, out: list[Output]) -> None:
        d: DeletionPerformed = event.data  # type: ignore[assignment]
        if d.scope != "full":
            return
        c = self._clock(d.transfer_id)
        if c.raised_at is not None:
            if c.time_ms is not None and d.party == c.recipient:
                out.append(resolved(rule="RET-1", key=d.transfer_id, evidence=(event.id,),
                                    observed_ms=event.time_ms))
                del self._clocks[d.transfer_id]
            return
        if c.deletions is None:
            c.deletions = [(event.time_ms, event.id, d.party)]
        else:
            c.deletions.append((event.time_ms, event.id, d.party))
        if c.time_ms is not None:
            self._schedule(d.transfer_id, c)

    # --- deciding -----------------------------------------------------------
    def _fold(self, c: _Clock) -> tuple[bool, int, list[str]]:
        """(closed in time?, closing time or deadline, ids of assessments that moved it)."""
        recipient = c.recipient
        deadline = self._base_deadline(c)
        deletions = c.deletions
        if not c.assessments and deletions is not None and len(deletions) == 1:
            # the common case (one deletion, no assessment), as the loop below has it
            t, _, party = deletions[0]
            if party == recipient and t <= deadline:
                return True, t, []
            return False, deadline, []
        max_review = self._policies[recipient].retention_max_review_days * MS_PER_DAY
        items: list[tuple[int, int, str, int | None]] = [
            (t, 0, eid, None) for t, eid, party in c.deletions or _NONE if party == recipient]
        items += [(t, 1, eid, rb) for t, eid, party, risk, rb in c.assessments or _NONE
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

    def _base_deadline(self, c: _Clock) -> int:
        """Transfer time + the recipient's retention days (special categories: shorter)."""
        assert c.time_ms is not None
        view = self._policies[c.recipient]
        days = view.retention_special_category_days if c.special else view.retention_default_days
        return c.time_ms + days * MS_PER_DAY

    def _schedule(self, transfer_id: str, c: _Clock) -> None:
        if not c.deletions and not c.assessments:  # a new transfer: `_fold` would say this
            self._agenda.at_deadline(self._base_deadline(c), transfer_id)
            return
        closed, when, _ = self._fold(c)
        if closed:
            self._agenda.after_event(when, transfer_id)
        else:
            self._agenda.at_deadline(when, transfer_id)

    def advance(self, cut: Cut, out: list[Output]) -> None:
        fresh = self._lanes.due(cut.deadlines_before)
        while True:
            due = self._agenda.due(cut)
            if fresh:
                due += fresh
                due.sort(key=_first)
                fresh = []
            if not due:
                break
            for _, transfer_id in due:
                self._decide(transfer_id, cut, out)
        if len(self._agenda) > 2 * len(self._clocks) + _SLACK:
            # A clock closed in time leaves its deadline entry behind, days ahead:
            # drop entries of dropped clocks so memory follows open clocks only.
            self._agenda.keep(self._clocks.__contains__)
        if len(self._lanes) > 2 * len(self._clocks) + _SLACK:
            clocks = self._clocks
            self._lanes.keep(lambda tid: type(clocks.get(tid)) is bytes)

    def _decide(self, transfer_id: str, cut: Cut, out: list[Output]) -> None:
        c = self._clocks.get(transfer_id)
        if type(c) is bytes:
            c = self._clocks[transfer_id] = _expand(c)
        if c is None or c.time_ms is None or c.raised_at is not None:  # type: ignore[union-attr]
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
        recipient, special, sender = c.recipient, c.special, c.sender
        out.append(raised(
            rule="RET-1", key=transfer_id, severity="violation", party=recipient,
            case_id=c.case_id, evidence=[unpack_id(c.event_id), *moved], observed_ms=when, due_ms=when,
            summary=f"transfer {transfer_id} {sender}->{recipient}: no full deletion by "
            f"{recipient} by the retention deadline {format_ms(when)}"
            + (" (special categories)" if special else "")
            + (f", moved by {len(moved)} assessment(s)" if moved else ""),
        ))
        late = sorted((t, eid) for t, eid, party in c.deletions or _NONE if party == recipient)
        if late:
            out.append(resolved(rule="RET-1", key=transfer_id, evidence=(late[0][1],),
                                observed_ms=late[0][0]))
            del self._clocks[transfer_id]
            return
        c.raised_at = when
        c.assessments = None
        c.deletions = None

    def open_clocks(self) -> int:
        return len(self._clocks)


def _first(entry: tuple[int, object]) -> int:
    return entry[0]
