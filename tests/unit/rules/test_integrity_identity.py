"""SPEC §7 identity: a same-id event is a duplicate only if its whole hash is identical."""
from processors.core.integrity import Identities, Seen


class _E:
    """The three fields Identities reads."""

    def __init__(self, id: str, hash: str) -> None:
        self.id, self.hash, self.party, self.source = id, hash, "DE", "urn:ebsp:node:DE"


ID = "01ddf78c-72e8-595a-b89e-815cb4faaa18"


def test_same_id_with_a_hash_differing_only_after_the_first_60_bits_is_a_conflict() -> None:
    index = Identities()
    original = "ab" * 32
    forged = original[:15] + ("0" if original[15] != "0" else "1") + original[16:]
    assert index.admit(_E(ID, original)) is Seen.NEW
    assert index.admit(_E(ID, forged)) is Seen.CONFLICT


def test_same_id_same_hash_is_a_duplicate() -> None:
    index = Identities()
    index.admit(_E(ID, "cd" * 32))
    assert index.admit(_E(ID, "cd" * 32)) is Seen.DUPLICATE
