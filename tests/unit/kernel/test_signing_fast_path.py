"""The trusted fast path of NodeChain gives exactly what codec.build gives.

`NodeChain.append`/`append_checkpoint` skip re-validation for payloads the
simulators build themselves; they are only allowed to exist because they are
byte-for-byte the same as `emit`/`checkpoint` (codec.build): same canonical
bytes, same hash, same uuid5 id, for payloads of every node event type.
"""
from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custodes.canonical import canonical_bytes
from custodes.codec import default_id
from custodes.events import NODE_TYPES
from custodes.signing import FastPathMismatch, NodeChain, NodeKey, time_text
from custodes.timefmt import format_ms
from tests.unit.kernel.examples import example_lines

T0 = 1_767_600_000_000  # 2026-01-05T08:00:00.000Z
_YEAR_10000_MS = 253_402_300_800_000

# A valid payload of each node event type the spec examples do not cover.
EXTRA: list[tuple[str, dict[str, Any]]] = [
    ("ebsp.retention.assessed.v1", {
        "assessment_id": "RA-DE-00000001", "transfer_id": "T-US-00000001", "case_id": "US-2026-0000001",
        "party": "DE", "continuing_risk": True, "evidence_ref": "EV-DE-00000001",
        "assessed_by": "DE-DPO-03", "review_by": "2026-02-01T10:00:00.000Z"}),
    ("ebsp.onward.decided.v1", {
        "request_id": "OR-DE-00000001", "case_id": "US-2026-0000001", "originating_party": "DE",
        "decision": "granted", "conditions": "no further onward transfer",
        "decided_by": "DE-NCP-01"}),
    ("ebsp.remedy.requested.v1", {
        "remedy_id": "RM-FR-00000001", "case_id": None, "subject_ref": "cd" * 32,
        "kind": "erasure", "lodged_with": "FR", "concerns_party": "US"}),
    ("ebsp.remedy.extended.v1", {
        "remedy_id": "RM-FR-00000001", "party": "FR",
        "reason": "consultation de l'autre partie en cours – ÄÖÜ ✓"}),  # non-ASCII, unescaped
    ("ebsp.remedy.resolved.v1", {
        "remedy_id": "RM-FR-00000001", "party": "FR", "outcome": "partially_granted"}),
]


def payloads() -> list[tuple[str, dict[str, Any]]]:
    """(type, data) of every non-checkpoint node event of the spec examples, plus EXTRA."""
    out = []
    for _, _, line in example_lines():
        wire = orjson.loads(line)
        if wire["source"].startswith("urn:ebsp:node:") and wire["type"] != "ebsp.node.checkpoint.v1":
            out.append((wire["type"], wire["data"]))
    return out + EXTRA


def pair(party: str = "DE") -> tuple[NodeChain, NodeChain]:
    key = NodeKey.from_seed(party, f"{party}-test", b"fast-path")
    return NodeChain(key), NodeChain(key)


def test_every_node_event_type_is_covered() -> None:
    covered = {t for t, _ in payloads()} | {"ebsp.node.checkpoint.v1"}
    assert covered == set(NODE_TYPES)


def test_append_gives_the_bytes_hash_and_id_of_build_for_every_type() -> None:
    slow, fast = pair()
    t = T0
    for i, (type_, data) in enumerate(payloads()):
        t += 1_237 * (i % 3)  # equal and increasing times, crossing minutes
        event = slow.emit(type_, data, t)
        raw, value = fast.append(type_, copy.deepcopy(data), t)
        assert value == canonical_bytes(event.raw)
        assert raw == event.raw
        assert fast.head_hash == event.hash == slow.head_hash
        assert raw["id"] == event.id == default_id(event.source, event.seq)
        if i % 4 == 0:  # checkpoints in between, at the same time and later
            t += 10_001
            cp = slow.checkpoint(t)
            cp_raw, cp_value = fast.append_checkpoint(t)
            assert cp_value == canonical_bytes(cp.raw) and cp_raw == cp.raw
            assert fast.head_hash == cp.hash
    assert fast.state() == slow.state()


def test_validate_mode_runs_build_and_catches_a_difference(monkeypatch: pytest.MonkeyPatch) -> None:
    key = NodeKey.from_seed("DE", "DE-test", b"fast-path")
    chain = NodeChain(key, validate=True)
    for type_, data in payloads():
        chain.append(type_, data, T0)
    chain.append_checkpoint(T0 + 1)
    with pytest.raises(ValueError, match="purpose"):  # an invalid payload is refused as by build
        chain.append("ebsp.query.submitted.v1", {**payloads()[0][1], "purpose": "fishing"}, T0 + 2)
    monkeypatch.setattr("custodes.signing.time_text", lambda ms: format_ms(ms + 1))
    with pytest.raises(FastPathMismatch):
        chain.append(*EXTRA[-1], T0 + 3)


def test_append_keeps_the_chain_invariants() -> None:
    chain = pair()[0]
    chain.append(*EXTRA[-1], T0)
    with pytest.raises(ValueError, match="time may not go back"):
        chain.append(*EXTRA[-1], T0 - 1)
    with pytest.raises(ValueError, match="checkpoints are signed"):
        chain.append("ebsp.node.checkpoint.v1", {}, T0)
    assert (chain.seq, chain.since_checkpoint) == (1, 1)
    chain.append_checkpoint(T0)
    assert (chain.seq, chain.since_checkpoint, chain.last_checkpoint_ms) == (2, 0, T0)


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_time_text_is_format_ms(ms: int) -> None:
    assert time_text(ms) == format_ms(ms)


@given(st.integers(min_value=0, max_value=_YEAR_10000_MS - 1))
def test_time_text_is_format_ms_within_the_four_digit_years(ms: int) -> None:
    assert time_text(ms) == format_ms(ms)
    assert len(time_text(ms)) == 24

