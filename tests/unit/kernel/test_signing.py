"""Node keys and chains: what a node emits verifies, links up and survives a restart."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest

from custodes import codec
from custodes.canonical import ZERO_HASH
from custodes.events import Event, NodeCheckpoint, RemedyExtended
from custodes.signing import NodeChain, NodeKey
from custodes.trust import Trust

T0 = 1_767_600_000_000  # 2026-01-05T08:00:00.000Z


def extension(n: int) -> RemedyExtended:
    return RemedyExtended(remedy_id=f"R-{n}", party="DE", reason="awaiting the US node")


def test_the_same_seed_gives_the_same_key_and_signatures() -> None:
    a = NodeKey.from_seed("DE", "DE-sim-1", b"run-42")
    b = NodeKey.from_seed("DE", "DE-sim-1", b"run-42")
    assert a.public_key_bytes == b.public_key_bytes
    assert a.sign_head("ab" * 32) == b.sign_head("ab" * 32)  # Ed25519 is deterministic
    assert NodeKey.from_seed("US", "US-sim-1", b"run-42").public_key_bytes != a.public_key_bytes
    assert NodeKey.from_seed("DE", "k", bytes(32)).public_key_bytes != \
        NodeKey.from_seed("DE", "k", bytes(31)).public_key_bytes


def test_generated_keys_differ_and_parties_are_checked() -> None:
    assert NodeKey.generate("DE", "k").public_key_bytes != NodeKey.generate("DE", "k").public_key_bytes
    with pytest.raises(ValueError, match="not a party"):
        NodeKey.generate("RO", "k")


def test_key_file_round_trip_is_private(tmp_path: Path) -> None:
    key = NodeKey.from_seed("FR", "FR-sim-1", b"x")
    path = key.save(tmp_path / "keys" / "FR.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = NodeKey.load(path)
    assert (loaded.party, loaded.key_id, loaded.public_key_bytes) == \
        ("FR", "FR-sim-1", key.public_key_bytes)


def test_any_key_id_survives_the_key_file(tmp_path: Path) -> None:
    key = NodeKey.from_seed("FR", 'FR "sim"\\1 \u00e9\U0001f600\t', b"x")
    assert NodeKey.load(key.save(tmp_path / "FR.key")).key_id == key.key_id


def test_a_broken_key_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "DE.key"
    path.write_text('party = "DE"\nkey_id = "k"\nprivate_key = "AAAA"\n')
    with pytest.raises(ValueError, match=f"{path}: private_key decodes to 3 bytes"):
        NodeKey.load(path)


def test_a_chain_links_events_and_checkpoints_sign_its_head() -> None:
    key = NodeKey.from_seed("DE", "DE-sim-1", b"s")
    trust = Trust({"DE": (key.key_id, key.public_key_bytes)})
    chain = NodeChain(key)
    first = chain.checkpoint(T0)
    assert isinstance(first.data, NodeCheckpoint)
    assert (first.seq, first.prevhash, first.data.head_seq, first.data.head_hash) == \
        (1, ZERO_HASH, 0, ZERO_HASH)
    events = [chain.emit("ebsp.remedy.extended.v1", extension(n), T0 + n) for n in range(3)]
    cp = chain.checkpoint(T0 + 10)
    assert [e.seq for e in events] == [2, 3, 4]
    assert [e.prevhash for e in events] == [first.hash, events[0].hash, events[1].hash]
    assert isinstance(cp.data, NodeCheckpoint)
    assert (cp.data.head_seq, cp.data.head_hash, cp.prevhash) == (4, events[-1].hash, events[-1].hash)
    assert trust.verify_checkpoint("DE", cp.data.key_id, cp.data.head_hash, cp.data.signature) is None
    for event in [first, *events, cp]:  # what the chain emits is what the platform accepts
        assert codec.decode(codec.encode(event)) == event


def test_a_restarted_node_continues_its_chain(tmp_path: Path) -> None:
    key = NodeKey.from_seed("DE", "DE-sim-1", b"s")
    before = NodeChain(key)
    a = before.emit("ebsp.remedy.extended.v1", extension(1), T0)
    state = before.to_json()
    after = NodeChain.from_state(NodeKey.from_seed("DE", "DE-sim-1", b"s"), state)
    b = after.emit("ebsp.remedy.extended.v1", extension(2), T0 + 5)
    assert (b.seq, b.prevhash) == (2, a.hash)
    with pytest.raises(ValueError, match="party"):
        NodeChain.from_state(NodeKey.from_seed("US", "US-1", b"s"), state)


def test_the_same_inputs_give_byte_identical_events() -> None:
    def run() -> list[bytes]:
        chain = NodeChain(NodeKey.from_seed("DE", "DE-sim-1", b"s"))
        out = [chain.emit("ebsp.remedy.extended.v1", extension(n), T0 + n) for n in range(3)]
        return [codec.encode(e) for e in [*out, chain.checkpoint(T0 + 9)]]
    assert run() == run()


def test_time_never_goes_back_and_nothing_is_consumed_by_a_refusal() -> None:
    chain = NodeChain(NodeKey.from_seed("DE", "DE-sim-1", b"s"))
    chain.emit("ebsp.remedy.extended.v1", extension(1), T0 + 1000)
    with pytest.raises(ValueError, match="time may not go back"):
        chain.emit("ebsp.remedy.extended.v1", extension(2), T0)
    with pytest.raises(ValueError, match="time may not go back"):
        chain.checkpoint(T0)
    with pytest.raises(ValueError, match="data.party"):
        chain.emit("ebsp.remedy.extended.v1", {"remedy_id": "R", "party": "BG", "reason": ""}, T0 + 1000)
    with pytest.raises(ValueError, match="checkpoint"):
        chain.emit("ebsp.node.checkpoint.v1", {}, T0 + 2000)
    assert chain.seq == 1
    same_time: Event = chain.emit("ebsp.remedy.extended.v1", extension(3), T0 + 1000)
    assert same_time.seq == 2


def test_changing_the_data_after_emitting_does_not_change_the_event() -> None:
    chain = NodeChain(NodeKey.from_seed("US", "US-1", b"s"))
    data = {"decision_id": "D-1", "case_id": "US-C-1", "party": "US", "subject_ref": "ab" * 32,
            "outcome": "entry_refused", "adverse": True, "significant": True, "automated": False,
            "human_review_id": None, "basis": ["T-1"]}
    event = chain.emit("ebsp.decision.recorded.v1", data, T0)
    data["basis"].append("T-2")
    assert event.raw["data"]["basis"] == ["T-1"]  # type: ignore[index]
    assert codec.decode(codec.encode(event)) == event


def test_a_corrupt_chain_state_is_refused_not_half_used() -> None:
    key = NodeKey.from_seed("DE", "DE-sim-1", b"s")
    good = NodeChain(key).state()
    for bad in ([], {**good, "seq": "3"}, {**good, "head_hash": "ab"},
                {**good, "head_time_ms": "yesterday"}, {**good, "since_checkpoint": -1}):
        with pytest.raises(ValueError, match="chain state"):
            NodeChain.from_state(key, bad)  # type: ignore[arg-type]


def test_libsodium_signatures_are_the_standard_ed25519_ones() -> None:
    """Signing and verifying moved to libsodium (PyNaCl): the bytes must not change."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = NodeKey.from_seed("DE", "DE-sim-1", b"s")
    reference = Ed25519PrivateKey.from_private_bytes(key._seed)
    head = "cd" * 32
    assert base64.b64decode(key.sign_head(head)) == reference.sign(bytes.fromhex(head))
    assert NodeKey("DE", "DE-sim-1", reference).public_key_bytes == key.public_key_bytes
    trust = Trust({"DE": (key.key_id, key.public_key_bytes)})
    forged = base64.b64encode(Ed25519PrivateKey.generate().sign(bytes.fromhex(head))).decode()
    assert trust.verify_checkpoint("DE", key.key_id, head, key.sign_head(head)) is None
    assert trust.verify_checkpoint("DE", key.key_id, head, forged) == "signature does not verify"
    assert trust.verify_checkpoint("DE", key.key_id, "ab" * 32, key.sign_head(head)) == \
        "signature does not verify"
    with pytest.raises(ValueError, match="32 bytes"):
        NodeKey("DE", "k", b"short")
