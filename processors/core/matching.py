"""MAT-1: data is transferred only after a hit answered the query.

A transfer needs a `query.answered` with the same `query_id`, `result = hit`,
`responding_party` equal to the transfer's sender, and `time` <= the
transfer's. The answer may come from another node than the transfer (it is
the same node in practice, but nothing relies on it), so the question is
decided once every event up to the transfer's time has arrived (SPEC §5).
Key: transfer_id; party: the sender; severity: violation.

A transfer whose sender's hit is already known with time <= the transfer's is
settled on ingest (the earliest hit time can only move earlier): nothing waits.

Memory: the only long-lived index is the earliest hit time per
(responding party, query id), one small dict entry per hit; transfers wait
only until decided, as the transfer's `compact.transfer_record` (the same
bytes object RET-1 keeps as the fresh clock), in per-node lanes
(a node's events come in time order) or, out of order, in the agenda.
"""
from __future__ import annotations

from custodes.events import Event, QueryAnswered, TransferSent
from processors.core.agenda import Agenda, Cut, Lanes
from processors.core.compact import transfer_facts, transfer_record, unpack_id
from processors.core.findings import Output, raised
from processors.core.rule import Handler

ANSWER = "ebsp.query.answered.v1"
TRANSFER = "ebsp.transfer.sent.v1"


class Matching:
    def __init__(self) -> None:
        # "<party><query_id>" -> earliest hit time; party codes are 2 characters.
        self._hits: dict[str, int] = {}
        self._agenda = Agenda()  # waiting transfers that came out of time order
        self._lanes = Lanes()     # waiting transfers per source node, in time order

    def handlers(self) -> dict[str, Handler]:
        return {ANSWER: self.on_answer, TRANSFER: self.on_transfer}

    def on_answer(self, event: Event, out: list[Output]) -> None:
        a: QueryAnswered = event.data  # type: ignore[assignment]
        if a.result != "hit":
            return
        k = a.responding_party + a.query_id
        seen = self._hits.get(k)
        if seen is None or event.time_ms < seen:
            self._hits[k] = event.time_ms

    def on_transfer(self, event: Event, out: list[Output]) -> None:
        t: TransferSent = event.data  # type: ignore[assignment]
        time_ms = event.time_ms
        hit = self._hits.get(t.sender + t.query_id)
        if hit is not None and hit <= time_ms:
            return  # settled: a hit from the sender came no later than the transfer
        waiting: bytes | tuple[str, ...] | None = transfer_record(event)
        if waiting is None:
            waiting = (event.id, t.sender, t.recipient, t.query_id, t.transfer_id, t.case_id)
        if not self._lanes.push(event.source, time_ms, waiting):
            self._agenda.after_event(time_ms, (event.source, event.seq, waiting))

    def advance(self, cut: Cut, out: list[Output]) -> None:
        # Due transfers in (time, source, seq) order, whatever the arrival order
        # across nodes: with a transfer id reused at the same time, the first
        # raised (the one kept) must not depend on it. Lanes give ties by source
        # then seq; a transfer in the agenda came after its lane's entries of the
        # same time and source (its node went back in time), so it follows them.
        late = self._agenda.due(cut)
        if late:
            merged = [(t, source, 0, 0, w) for t, source, w in self._lanes.due_with_lanes(cut.events_before)]
            merged += [(t, source, 1, seq, w) for t, (source, seq, w) in late]
            merged.sort(key=_order)
            due = [(e[0], e[4]) for e in merged]
        else:
            due = self._lanes.due(cut.events_before)
        hits = self._hits
        for time_ms, waiting in due:
            event_id, sender, recipient, query_id, transfer_id, case_id = _unpack(waiting)
            hit = hits.get(sender + query_id)
            if hit is not None and hit <= time_ms:
                continue
            why = "no hit answer from the sender" if hit is None else \
                "the sender's hit answer came only after it"
            out.append(raised(
                rule="MAT-1", key=transfer_id, severity="violation", party=sender,
                case_id=case_id, evidence=(event_id,), observed_ms=time_ms,
                summary=f"transfer {transfer_id} {sender}->{recipient} for query {query_id}: {why}",
            ))

    def index_size(self) -> int:
        return len(self._hits)

    def waiting(self) -> int:
        return len(self._lanes) + len(self._agenda)


def _order(entry: tuple[int, str, int, int, object]) -> tuple[int, str, int, int]:
    return entry[:4]  # type: ignore[return-value]


def _unpack(waiting: bytes | tuple[str, ...]) -> tuple[str, ...]:
    """(event_id, sender, recipient, query_id, transfer_id, case_id) of a wait."""
    if type(waiting) is tuple:
        return waiting
    _, _, event_id, (recipient, sender, case_id, query_id, transfer_id) = \
        transfer_facts(waiting)  # type: ignore[arg-type]
    return unpack_id(event_id), sender, recipient, query_id, transfer_id, case_id
