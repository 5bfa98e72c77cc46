"""Build valid, signed event logs for tests: one `NodeChain` per node, with defaults.

Tests state only what matters to them ("DE transfers T-1 to US on day 0") and
get a real chained event, made by the kernel's own producer side
(`custodes.signing.NodeChain` over `custodes.codec.build`), so signatures and
hashes are genuine and the rule core sees exactly what it sees in production.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from custodes.events import Event
from custodes.parties import PARTIES
from custodes.signing import NodeChain, NodeKey
from custodes.timefmt import MS_PER_DAY, MS_PER_HOUR, format_ms, parse_ms
from custodes.trust import Trust

T0 = parse_ms("2026-01-05T08:00:00.000Z")
SUBJECT = "ab" * 32
MINUTE = 60_000


def at(day: float = 0, hour: float = 0, minute: float = 0, second: float = 0, ms: int = 0) -> int:
    """A time relative to T0 (2026-01-05T08:00Z), in epoch milliseconds."""
    return T0 + int(day * MS_PER_DAY + hour * MS_PER_HOUR + minute * MINUTE + second * 1000) + ms


class World:
    """All 25 nodes with deterministic keys, and the events they have emitted so far."""

    def __init__(self, seed: bytes = b"custodes-tests") -> None:
        self.keys = {p: NodeKey.from_seed(p, f"{p}-test-1", seed) for p in PARTIES}
        self.chains = {p: NodeChain(k) for p, k in self.keys.items()}
        self.events: list[Event] = []
        self._ids = itertools.count(1)

    def trust(self) -> Trust:
        return Trust({p: (k.key_id, k.public_key_bytes) for p, k in self.keys.items()})

    def trust_toml(self) -> str:
        return self.trust().dump()

    def next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):04d}"

    def emit(self, party: str, type_: str, data: dict[str, Any], time_ms: int) -> Event:
        event = self.chains[party].emit(f"ebsp.{type_}.v1", data, time_ms)
        self.events.append(event)
        return event

    def checkpoint(self, party: str, time_ms: int) -> Event:
        event = self.chains[party].checkpoint(time_ms)
        self.events.append(event)
        return event

    def close(self, time_ms: int, parties: Iterable[str] | None = None) -> list[Event]:
        """A final checkpoint for every node that has emitted (the end of a record)."""
        chosen = parties if parties is not None else [
            p for p in PARTIES if self.chains[p].seq > 0]
        return [self.checkpoint(p, time_ms) for p in chosen]

    # --- one helper per event type, with the defaults of a clean exchange -----
    def query(self, party: str, requested: str, time_ms: int, *, query_id: str | None = None,
              case_id: str | None = None, officer: str = "officer-1",
              purpose: str = "border_screening", records: int = 1,
              justification: str = "traveller flagged at primary inspection") -> Event:
        return self.emit(party, "query.submitted", {
            "query_id": query_id or self.next_id("Q"), "case_id": case_id or f"{party}-C-1",
            "requesting_party": party, "requested_party": requested, "officer_ref": officer,
            "purpose": purpose, "legal_basis": "EBSP framework agreement",
            "modalities": ["fingerprint"], "subject_ref": SUBJECT, "subject_nationality": "FR",
            "target_databases": [f"{requested}-AFIS"], "records_requested": records,
            "individual_justification": justification, "encounter": "border_crossing",
        }, time_ms)

    def answer(self, party: str, query_id: str, time_ms: int, *, result: str = "hit",
               case_id: str = "C-1") -> Event:
        return self.emit(party, "query.answered", {
            "query_id": query_id, "case_id": case_id, "responding_party": party,
            "result": result, "matched_databases": [f"{party}-AFIS"] if result == "hit" else [],
            "candidate_count": 1 if result == "hit" else 0, "automated": True,
        }, time_ms)

    def transfer(self, sender: str, recipient: str, query_id: str, time_ms: int, *,
                 transfer_id: str | None = None, case_id: str = "C-1",
                 special: Sequence[str] = (), justification: str | None = None,
                 sources: Sequence[str] | None = None) -> Event:
        return self.emit(sender, "transfer.sent", {
            "transfer_id": transfer_id or self.next_id("T"), "query_id": query_id,
            "case_id": case_id, "sender": sender, "recipient": recipient,
            "subject_ref": SUBJECT, "data_categories": ["fingerprint"],
            "special_categories": list(special), "special_category_justification": justification,
            "source_databases": list(sources or [f"{sender}-AFIS"]), "records": 1,
        }, time_ms)

    def assess(self, party: str, transfer_id: str, time_ms: int, *, continuing_risk: bool = True,
               review_by: int | None = None, case_id: str = "C-1") -> Event:
        return self.emit(party, "retention.assessed", {
            "assessment_id": self.next_id("A"), "transfer_id": transfer_id, "case_id": case_id,
            "party": party, "continuing_risk": continuing_risk, "evidence_ref": None,
            "assessed_by": "analyst-1",
            "review_by": None if review_by is None else format_ms(review_by),
        }, time_ms)

    def delete(self, party: str, transfer_id: str, time_ms: int, *, scope: str = "full",
               case_id: str = "C-1") -> Event:
        return self.emit(party, "deletion.performed", {
            "deletion_id": self.next_id("D"), "transfer_id": transfer_id, "case_id": case_id,
            "party": party, "scope": scope, "reason": "retention_expired",
            "onward_recipients_notified": False,
        }, time_ms)

    def onward_request(self, party: str, originating: str, transfer_id: str, country: str,
                       time_ms: int, *, request_id: str | None = None,
                       case_id: str = "C-1") -> Event:
        return self.emit(party, "onward.requested", {
            "request_id": request_id or self.next_id("R"), "transfer_id": transfer_id,
            "case_id": case_id, "requesting_party": party, "originating_party": originating,
            "third_country": country, "recipient_authority": "border agency",
            "purpose": "border_screening", "justification": "joint case",
        }, time_ms)

    def onward_decide(self, party: str, request_id: str, decision: str, time_ms: int, *,
                      case_id: str = "C-1") -> Event:
        return self.emit(party, "onward.decided", {
            "request_id": request_id, "case_id": case_id, "originating_party": party,
            "decision": decision, "conditions": None, "decided_by": "dpo-1",
        }, time_ms)

    def onward_execute(self, party: str, request_id: str, transfer_id: str, country: str,
                       time_ms: int, *, case_id: str = "C-1") -> Event:
        return self.emit(party, "onward.executed", {
            "request_id": request_id, "transfer_id": transfer_id, "case_id": case_id,
            "party": party, "third_country": country,
        }, time_ms)

    def review(self, party: str, time_ms: int, *, review_id: str | None = None,
               case_id: str = "C-1") -> Event:
        return self.emit(party, "review.completed", {
            "review_id": review_id or self.next_id("RV"), "case_id": case_id, "party": party,
            "reviewer_ref": "examiner-1", "reviewer_role": "fingerprint examiner",
            "outcome": "confirmed", "rationale": "comparison confirmed",
        }, time_ms)

    def decide(self, party: str, time_ms: int, *, review_id: str | None, adverse: bool = True,
               significant: bool = True, automated: bool = False, decision_id: str | None = None,
               case_id: str = "C-1") -> Event:
        return self.emit(party, "decision.recorded", {
            "decision_id": decision_id or self.next_id("DEC"), "case_id": case_id,
            "party": party, "subject_ref": SUBJECT,
            "outcome": "entry_refused" if adverse else "admitted", "adverse": adverse,
            "significant": significant, "automated": automated, "human_review_id": review_id,
            "basis": [],
        }, time_ms)

    def remedy_request(self, party: str, concerns: str, time_ms: int, *,
                       remedy_id: str | None = None, case_id: str | None = "C-1") -> Event:
        return self.emit(party, "remedy.requested", {
            "remedy_id": remedy_id or self.next_id("RM"), "case_id": case_id,
            "subject_ref": SUBJECT, "kind": "access", "lodged_with": party,
            "concerns_party": concerns,
        }, time_ms)

    def remedy_extend(self, party: str, remedy_id: str, time_ms: int) -> Event:
        return self.emit(party, "remedy.extended",
                         {"remedy_id": remedy_id, "party": party, "reason": "complex case"},
                         time_ms)

    def remedy_resolve(self, party: str, remedy_id: str, time_ms: int) -> Event:
        return self.emit(party, "remedy.resolved",
                         {"remedy_id": remedy_id, "party": party, "outcome": "granted"}, time_ms)

    def exchange(self, requester: str, holder: str, time_ms: int, **transfer: Any) -> Event:
        """A clean query -> hit -> transfer from holder to requester; returns the transfer."""
        q = self.query(requester, holder, time_ms)
        qid = q.data.query_id  # type: ignore[union-attr]
        self.answer(holder, qid, time_ms + 2000)
        return self.transfer(holder, requester, qid, time_ms + 5000, **transfer)


def audit(events: Iterable[Event], horizon_ms: int, *, policy: str | None = None,
          trust: Trust | None = None) -> Any:
    """Replay events (any order) as the CLI does; returns the ReplayResult."""
    from custodes.policy import load_policy, parse_policy
    from processors.core.replay import replay, sort_events

    pol = parse_policy(policy) if policy is not None else load_policy(None)
    return replay(sort_events(events), pol, trust, horizon_ms, require_order=False)


def raised(events: Iterable[Event], horizon_ms: int, **kw: Any) -> dict[tuple[str, str], Any]:
    """{(rule, key): FindingRaised} of a replay."""
    return {(f.rule, f.key): f for f in audit(events, horizon_ms, **kw).findings}


def forge(w: World, party: str, type_: str, data: Any, time_ms: int, *, seq: int | None = None,
          prevhash: str | None = None, id: str | None = None, chain: bool = True) -> Event:
    """An event the node's chain would not produce (bad seq, prevhash, time, id...).

    Defaults continue the chain; with `chain` the node's head moves to it, so
    later honest events link to the forged one, as a tampering node's would."""
    from custodes.codec import build
    from custodes.parties import node_source

    c = w.chains[party]
    event = build(source=node_source(party), type=f"ebsp.{type_}.v1", time_ms=time_ms,
                  seq=c.seq + 1 if seq is None else seq,
                  prevhash=c.head_hash if prevhash is None else prevhash, data=data, id=id)
    if chain:
        c.seq, c.head_hash, c.head_time_ms = event.seq, event.hash, event.time_ms
    w.events.append(event)
    return event
