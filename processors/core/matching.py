"""MAT-1: data is transferred only after a hit answered the query.

A transfer needs a `query.answered` with the same `query_id`, `result = hit`,
`responding_party` equal to the transfer's sender, and `time` <= the
transfer's. The answer may come from another node than the transfer (it is
the same node in practice, but nothing relies on it), so the question is
decided once every event up to the transfer's time has arrived (SPEC §5).
Key: transfer_id; party: the sender; severity: violation.

Memory: the only long-lived index is the earliest hit time per
(responding party, query id), one small dict entry per hit; transfers wait in
the agenda only until decided.
"""
from __future__ import annotations

from custodes.events import Event, QueryAnswered, TransferSent
from processors.core.agenda import Agenda, Cut
from processors.core.compact import pack_id, unpack_id
from processors.core.findings import Output, raised
from processors.core.rule import Handler

ANSWER = "ebsp.query.answered.v1"
TRANSFER = "ebsp.transfer.sent.v1"


class Matching:
    def __init__(self) -> None:
        # "<party><query_id>" -> earliest hit time; party codes are 2 characters.
        self._hits: dict[str, int] = {}
        self._agenda = Agenda()

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
        # the id packed (16 bytes): with no watermark yet, every transfer waits here
        self._agenda.after_event(event.time_ms, (t.sender, t.query_id, t.transfer_id, t.case_id,
                                                 pack_id(event.id), t.recipient))

    def advance(self, cut: Cut, out: list[Output]) -> None:
        hits = self._hits
        for time_ms, (sender, query_id, transfer_id, case_id, event_id, recipient) in \
                self._agenda.due(cut):
            hit = hits.get(sender + query_id)
            if hit is not None and hit <= time_ms:
                continue
            why = "no hit answer from the sender" if hit is None else \
                "the sender's hit answer came only after it"
            out.append(raised(
                rule="MAT-1", key=transfer_id, severity="violation", party=sender,
                case_id=case_id, evidence=(unpack_id(event_id),), observed_ms=time_ms,
                summary=f"transfer {transfer_id} {sender}->{recipient} for query {query_id}: {why}",
            ))

    def index_size(self) -> int:
        return len(self._hits)
