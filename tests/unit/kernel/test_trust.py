"""The trust file: the spec's test keys verify the spec's checkpoints; bad files say why."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest

from custodes import codec
from custodes.events import CHECKPOINT_TYPE, Event, NodeCheckpoint
from custodes.signing import NodeKey
from custodes.trust import Trust, TrustError, load_trust, parse_trust, write_trust

from .examples import TRUST_FILE, example_lines


def example_checkpoints() -> list[Event]:
    events = [codec.decode(raw) for _, _, raw in example_lines()]
    return [e for e in events if isinstance(e, Event) and e.type == CHECKPOINT_TYPE]


def test_every_example_checkpoint_verifies_against_the_spec_trust_file() -> None:
    trust = load_trust(TRUST_FILE)
    checkpoints = example_checkpoints()
    assert len(checkpoints) >= 10
    for cp in checkpoints:
        d = cp.data
        assert isinstance(d, NodeCheckpoint)
        assert trust.verify_checkpoint(cp.party, d.key_id, d.head_hash, d.signature) is None


def test_a_checkpoint_fails_for_another_head_another_party_or_another_key_id() -> None:
    trust = load_trust(TRUST_FILE)
    cp = example_checkpoints()[0]
    d = cp.data
    assert isinstance(d, NodeCheckpoint)
    other_head = ("0" if d.head_hash[0] != "0" else "1") + d.head_hash[1:]
    assert trust.verify_checkpoint(cp.party, d.key_id, other_head, d.signature) == \
        "signature does not verify"
    other = "US" if cp.party != "US" else "DE"
    assert trust.verify_checkpoint(other, f"{other}-test-1", d.head_hash, d.signature) == \
        "signature does not verify"
    assert str(trust.verify_checkpoint(cp.party, "X-9", d.head_hash, d.signature)).startswith(
        f"unknown key_id X-9 for {cp.party}")
    assert "not well-formed" in str(trust.verify_checkpoint(cp.party, d.key_id, d.head_hash, "!!"))
    partial = Trust({"AT": trust.nodes["AT"]})
    if cp.party != "AT":
        assert str(partial.verify_checkpoint(cp.party, d.key_id, d.head_hash, d.signature)).startswith(
            f"no key for party {cp.party}")


def test_write_then_load_gives_the_same_keys(tmp_path: Path) -> None:
    keys = {p: NodeKey.from_seed(p, f'{p}-"q"-1', b"s") for p in ("DE", "US")}
    path = write_trust(tmp_path / "sub" / "trust.toml",
                       {p: (k.key_id, k.public_key_bytes) for p, k in keys.items()})
    trust = load_trust(path)
    assert trust.nodes == {p: (k.key_id, k.public_key_bytes) for p, k in keys.items()}
    head = "ab" * 32
    assert trust.verify_checkpoint("DE", 'DE-"q"-1', head, keys["DE"].sign_head(head)) is None
    assert parse_trust(trust.dump()).nodes == trust.nodes


def test_the_spec_trust_file_round_trips_through_dump() -> None:
    trust = load_trust(TRUST_FILE)
    assert len(trust.nodes) == 25
    assert parse_trust(trust.dump()).nodes == trust.nodes


GOOD_KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize("text,expected", [
    ("nodes = [", "not valid TOML"),
    ("", "trusts no node"),
    (f'[nodes.BG]\nkey_id = "BG-1"\npublic_key = "{GOOD_KEY}"', "[nodes.BG]: 'BG' is not a party"),
    (f'[nodes.DE]\npublic_key = "{GOOD_KEY}"', "[nodes.DE]: key_id is missing"),
    ('[nodes.DE]\nkey_id = "DE-1"', "[nodes.DE]: public_key is missing"),
    ('[nodes.DE]\nkey_id = "DE-1"\npublic_key = "not base64!"', "[nodes.DE]: public_key is not valid base64"),
    ('[nodes.DE]\nkey_id = "DE-1"\npublic_key = "AAAA"', "decodes to 3 bytes"),
    (f'[nodes.DE]\nkey_id = "DE-1"\npublic_key = "{GOOD_KEY}"\nkeyid = "x"', "unknown key 'keyid'"),
    (f'[node.DE]\nkey_id = "DE-1"\npublic_key = "{GOOD_KEY}"', "unknown table or key 'node'"),
])
def test_bad_trust_files_name_the_file_party_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "trust.toml"
    path.write_text(text)
    with pytest.raises(TrustError) as exc:
        load_trust(path)
    assert str(exc.value).startswith(str(path)) and expected in str(exc.value)


def test_a_missing_trust_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TrustError, match="cannot read trust file"):
        load_trust(tmp_path / "absent.toml")
