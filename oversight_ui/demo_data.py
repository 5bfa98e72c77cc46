"""A small, fully known world of node events for the dashboard's tests and demos,
run through the real live pipeline (rule core + projector + archive writer of
the store), so pages are checked against what the platform actually stores.

Cases (times from 2026-03-02 08:00 UTC; every node checkpoints at +20 days):

* US-2026-000001: US queries DE, DE hit, DE→US transfer never deleted → RET-1 (US).
* FR-2026-SECRET: US queries FR, FR hit, FR→US transfer from EURODAC → SRC-1 (FR);
  the US deletes in time and asks to pass the data on to CA (pending). FR only
  with the US: no DE user may ever see this case.
* AT-2026-000003: AT queries the US for law enforcement → PUR-1 (AT).
* DE-2026-000004: DE queries the US, US hit, US→DE transfer deleted in time,
  DE records an adverse, significant decision without review → HRV-1 (DE).
* One malformed message from FR's partition lands in the quarantine.
"""
from __future__ import annotations

from typing import Any

from custodes.canonical import ZERO_HASH
from custodes.codec import build, encode
from custodes.parties import node_source
from custodes.settings import EVENTS_TOPIC
from custodes.timefmt import MS_PER_DAY, parse_ms

T0 = parse_ms("2026-03-02T08:00:00.000Z")
TOPIC = EVENTS_TOPIC
SECRET_CASE = "FR-2026-SECRET"
EXPECTED_FINDINGS = {"RET-1": "US", "SRC-1": "FR", "PUR-1": "AT", "HRV-1": "DE"}
SUBJECT = "ab" * 32


class _Chains:
    """Collects events, then chains them per node in time order (seq, prevhash)."""

    def __init__(self) -> None:
        self.pending: list[tuple[int, int, str, str, dict[str, Any] | None]] = []

    def emit(self, party: str, type_: str, at_ms: int, data: dict[str, Any]) -> None:
        self.pending.append((at_ms, len(self.pending), party, type_, data))

    def checkpoint(self, party: str, at_ms: int) -> None:
        self.pending.append((at_ms, len(self.pending), party, "ebsp.node.checkpoint.v1", None))

    def chained(self) -> list[tuple[str, bytes]]:
        heads: dict[str, tuple[int, str]] = {}
        out: list[tuple[str, bytes]] = []
        for at_ms, _, party, type_, data in sorted(self.pending):
            seq, prev = heads.get(party, (0, ZERO_HASH))
            if data is None:
                data = {"head_seq": seq, "head_hash": prev, "key_id": f"{party.lower()}-demo",
                        "signature": "AAAA"}
            ev = build(source=node_source(party), type=type_, time_ms=at_ms, seq=seq + 1,
                       prevhash=prev, data=data)
            heads[party] = (ev.seq, ev.hash)
            out.append((party, encode(ev)))
        return out


def _query(c: _Chains, t: int, qid: str, case: str, frm: str, to: str, purpose: str = "border_screening") -> None:
    c.emit(frm, "ebsp.query.submitted.v1", t, {
        "query_id": qid, "case_id": case, "requesting_party": frm, "requested_party": to,
        "officer_ref": f"{frm}-officer-7", "purpose": purpose, "legal_basis": "EBSP Art. 5",
        "modalities": ["fingerprint"], "subject_ref": SUBJECT, "subject_nationality": "MA",
        "target_databases": [f"{to}-AFIS"], "records_requested": 1,
        "individual_justification": "traveller referred at primary inspection", "encounter": "border_crossing"})


def _hit(c: _Chains, t: int, qid: str, case: str, party: str) -> None:
    c.emit(party, "ebsp.query.answered.v1", t, {
        "query_id": qid, "case_id": case, "responding_party": party, "result": "hit",
        "matched_databases": [f"{party}-AFIS"], "candidate_count": 1, "automated": False})


def _transfer(c: _Chains, t: int, tid: str, qid: str, case: str, frm: str, to: str, sources: list[str]) -> None:
    c.emit(frm, "ebsp.transfer.sent.v1", t, {
        "transfer_id": tid, "query_id": qid, "case_id": case, "sender": frm, "recipient": to,
        "subject_ref": SUBJECT, "data_categories": ["fingerprint", "biographic"], "special_categories": [],
        "special_category_justification": None, "source_databases": sources, "records": 1})


def _delete(c: _Chains, t: int, tid: str, case: str, party: str) -> None:
    c.emit(party, "ebsp.deletion.performed.v1", t, {
        "deletion_id": f"del-{tid}", "transfer_id": tid, "case_id": case, "party": party,
        "scope": "full", "reason": "retention_expired", "onward_recipients_notified": True})


def events() -> list[tuple[str, bytes]]:
    """(Kafka key, wire bytes) of the demo world, in emission order per node."""
    c = _Chains()
    m = 60_000
    _query(c, T0, "q-1", "US-2026-000001", "US", "DE")
    _hit(c, T0 + m, "q-1", "US-2026-000001", "DE")
    _transfer(c, T0 + 2 * m, "t-1", "q-1", "US-2026-000001", "DE", "US", ["DE-AFIS"])
    _query(c, T0 + 3 * m, "q-2", SECRET_CASE, "US", "FR")
    _hit(c, T0 + 4 * m, "q-2", SECRET_CASE, "FR")
    _transfer(c, T0 + 5 * m, "t-2", "q-2", SECRET_CASE, "FR", "US", ["EURODAC", "FR-AFIS"])
    _delete(c, T0 + 2 * MS_PER_DAY, "t-2", SECRET_CASE, "US")
    c.emit("US", "ebsp.onward.requested.v1", T0 + MS_PER_DAY, {
        "request_id": "onw-1", "transfer_id": "t-2", "case_id": SECRET_CASE, "requesting_party": "US",
        "originating_party": "FR", "third_country": "CA", "recipient_authority": "CBSA",
        "purpose": "border_screening", "justification": "joint border check"})
    _query(c, T0 + 6 * m, "q-3", "AT-2026-000003", "AT", "US", purpose="law_enforcement")
    _query(c, T0 + 7 * m, "q-4", "DE-2026-000004", "DE", "US")
    _hit(c, T0 + 8 * m, "q-4", "DE-2026-000004", "US")
    _transfer(c, T0 + 9 * m, "t-4", "q-4", "DE-2026-000004", "US", "DE", ["US-IDENT"])
    c.emit("DE", "ebsp.decision.recorded.v1", T0 + 10 * m, {
        "decision_id": "dec-4", "case_id": "DE-2026-000004", "party": "DE", "subject_ref": SUBJECT,
        "outcome": "entry_refused", "adverse": True, "significant": True, "automated": False,
        "human_review_id": None, "basis": ["t-4"]})
    _delete(c, T0 + 3 * MS_PER_DAY, "t-4", "DE-2026-000004", "DE")
    c.emit("FR", "ebsp.remedy.requested.v1", T0 + 2 * MS_PER_DAY, {
        "remedy_id": "rem-1", "case_id": SECRET_CASE, "subject_ref": SUBJECT, "kind": "access",
        "lodged_with": "FR", "concerns_party": "FR"})
    c.emit("FR", "ebsp.remedy.resolved.v1", T0 + 4 * MS_PER_DAY, {
        "remedy_id": "rem-1", "party": "FR", "outcome": "granted"})
    for party in ("AT", "DE", "FR", "US"):
        c.checkpoint(party, T0 + 20 * MS_PER_DAY)
    return c.chained()


MALFORMED = (b'{"specversion":"1.0","source":"urn:ebsp:node:FR","type":"ebsp.query.submitted.v1",'
             b'"data":{"case_id":"FR-2026-SECRET"}}')


def load(database_url: str, consumer: str = "demo") -> int:
    """Run the demo events (and one malformed message) through the live pipeline
    into the database at `database_url` (migrated to head). Returns records fed."""
    from custodes.policy import load_policy
    from processors.live.pipeline import Record
    from processors.live.rebuild import open_pipeline
    from store.batch import write_batch
    from store.db import connect_raw

    items = events()
    by_party: dict[str, int] = {}
    records = []
    for key, raw in items:
        offset = by_party.get(key, 0)
        by_party[key] = offset + 1
        records.append(Record(TOPIC, _partition(key), offset, key.encode(), raw))
    records.append(Record(TOPIC, _partition("FR"), by_party["FR"], b"FR", MALFORMED))
    with connect_raw(database_url) as conn:
        pipeline = open_pipeline(conn, consumer=consumer, policy=load_policy(None), trust=None)
        batch = pipeline.process(records)
        write_batch(conn, batch)
        conn.commit()
    return len(records)


def _partition(party: str) -> int:
    return sorted(("AT", "DE", "FR", "US")).index(party)


def quarantine_one_more(database_url: str, consumer: str = "demo", offset: int = 0) -> None:
    """Feed one more malformed FR message (on a partition of its own) through the
    pipeline: used to show that open pages update live."""
    from custodes.policy import load_policy
    from processors.live.pipeline import Record
    from processors.live.rebuild import open_pipeline
    from store.batch import write_batch
    from store.db import connect_raw

    with connect_raw(database_url) as conn:
        pipeline = open_pipeline(conn, consumer=consumer, policy=load_policy(None), trust=None)
        write_batch(conn, pipeline.process([Record(TOPIC, 9, offset, b"FR", MALFORMED)]))
        conn.commit()
