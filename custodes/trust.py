"""The trust file of SPEC §1: each node's Ed25519 public key, and checkpoint verification.

A checkpoint is the node's signed statement "my chain's head is this hash";
INT-1 needs to know whether that statement really comes from the node. The
public keys are parsed once at load time (bad files fail loudly, naming the
file, the party and what is wrong), so verifying a checkpoint is a dict lookup
and one signature check. The check is libsodium's (PyNaCl's
`crypto_sign_open`, ~55 µs here) rather than `cryptography`'s (~170 µs): with
a checkpoint every few dozen events it is a large share of a replay. When the
native extension is built (custodes/native.py), each key is read once into a
`custodes_native.Ed25519Key`, whose check (~30 µs) gives libsodium's verdict
on every input (tests/unit/kernel/test_native_ed25519.py): a replay with or
without it, and the live processor, agree on every checkpoint.
"""
from __future__ import annotations

import base64
import binascii
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from custodes.files import atomic_write, toml_string
from custodes.native import NATIVE
from custodes.parties import PARTIES

# The native twin of `crypto_sign_open` (None: libsodium is called). Read when
# a Trust is built, so a test can swap it for one Trust.
_Ed25519Key = NATIVE.Ed25519Key if NATIVE is not None else None


class TrustError(ValueError):
    """The trust file cannot be used; the message names the file and what to fix."""


class Trust:
    """Public keys by party; built from `{party: (key_id, raw 32-byte public key)}`."""

    def __init__(self, nodes: Mapping[str, tuple[str, bytes]], origin: str = "<trust>") -> None:
        self.origin = origin
        self._nodes: dict[str, tuple[str, bytes]] = {}
        # party -> (key_id, public key, native check or None)
        self._keys: dict[str, tuple[str, bytes, Any]] = {}
        native_key = _Ed25519Key
        for party, (key_id, raw) in sorted(nodes.items()):
            where = f"{origin}: [nodes.{party}]"
            if party not in PARTIES:
                raise TrustError(f"{where}: {party!r} is not a party of the framework (§1)")
            if not isinstance(key_id, str) or not key_id.strip():
                raise TrustError(f"{where}: key_id must be a non-empty string")
            if not isinstance(raw, bytes) or len(raw) != 32:
                raise TrustError(f"{where}: public_key must be 32 raw bytes (Ed25519)")
            self._nodes[party] = (key_id, raw)
            self._keys[party] = (key_id, raw, native_key(raw).verify if native_key else None)

    @property
    def nodes(self) -> dict[str, tuple[str, bytes]]:
        """{party: (key_id, raw public key)}, a copy."""
        return dict(self._nodes)

    def verify_checkpoint(
        self, party: str, key_id: str, head_hash_hex: str, signature_b64: str
    ) -> str | None:
        """None if `signature_b64` is `party`'s signature over the 32 raw bytes of the head hash."""
        entry = self._keys.get(party)
        if entry is None:
            return f"no key for party {party} in {self.origin}"
        known_id, public_key, native_verify = entry
        if key_id != known_id:
            return f"unknown key_id {key_id} for {party} (trusted: {known_id})"
        try:
            digest = bytes.fromhex(head_hash_hex)
            signature = base64.b64decode(signature_b64, validate=True)
        except (ValueError, TypeError, binascii.Error):
            return "signature or head_hash is not well-formed"
        if len(digest) != 32 or len(signature) != 64:
            return "signature does not verify (wrong length)"
        if native_verify is not None:  # libsodium's verdict, natively
            return None if native_verify(signature, digest) else "signature does not verify"
        try:
            crypto_sign_open(signature + digest, public_key)  # Ed25519 over the 32 bytes
        except BadSignatureError:
            return "signature does not verify"
        return None

    def dump(self) -> str:
        """The trust file's TOML text: what `load_trust` reads back to an equal Trust."""
        return dump_trust(self._nodes)


def dump_trust(nodes: Mapping[str, tuple[str, bytes]]) -> str:
    """TOML text of a trust file, parties in order."""
    chunks = []
    for party, (key_id, raw) in sorted(nodes.items()):
        key = base64.b64encode(raw).decode("ascii")
        chunks.append(f'[nodes.{party}]\nkey_id = {toml_string(key_id)}\npublic_key = "{key}"\n')
    return "\n".join(chunks)


def write_trust(path: str | os.PathLike[str], nodes: Mapping[str, tuple[str, bytes]]) -> Path:
    """Write a trust file (validated first, replaced atomically); for exports and simulators."""
    target = Path(path)
    text = Trust(nodes, origin=str(target)).dump()
    target.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(target, text.encode("utf-8"), mode=0o644)  # public keys: readable by all


def parse_trust(text: str, origin: str = "<trust>") -> Trust:
    """A Trust from TOML text; TrustError names `origin`, the party and the problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TrustError(f"{origin}: not valid TOML: {exc}") from None
    unknown = sorted(set(doc) - {"nodes"})
    if unknown:
        raise TrustError(f"{origin}: unknown table or key {unknown[0]!r} (expected [nodes.<PARTY>])")
    tables = doc.get("nodes")
    if not isinstance(tables, dict) or not tables:
        raise TrustError(f"{origin}: no [nodes.<PARTY>] tables: the file trusts no node")
    nodes: dict[str, tuple[str, bytes]] = {}
    for party, table in tables.items():
        where = f"{origin}: [nodes.{party}]"
        if party not in PARTIES:
            raise TrustError(f"{where}: {party!r} is not a party of the framework (§1)")
        if not isinstance(table, dict):
            raise TrustError(f"{where}: expected a table with key_id and public_key")
        extra = sorted(set(table) - {"key_id", "public_key"})
        if extra:
            raise TrustError(f"{where}: unknown key {extra[0]!r} (expected key_id, public_key)")
        key_id, key = table.get("key_id"), table.get("public_key")
        if not isinstance(key_id, str) or not key_id.strip():
            raise TrustError(f"{where}: key_id is missing or not a non-empty string")
        if not isinstance(key, str):
            raise TrustError(f"{where}: public_key is missing or not a string")
        try:
            raw = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            raise TrustError(f"{where}: public_key is not valid base64") from None
        if len(raw) != 32:
            raise TrustError(f"{where}: public_key decodes to {len(raw)} bytes; Ed25519 needs 32")
        nodes[party] = (key_id, raw)
    return Trust(nodes, origin=origin)


def load_trust(path: str | os.PathLike[str]) -> Trust:
    """Read and validate a trust file (SPEC §1)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TrustError(f"{path}: cannot read trust file: {exc}") from None
    return parse_trust(text, origin=str(path))
