"""Node keys and node chains: how a node (or a simulator of one) produces its log.

`NodeKey` holds a node's Ed25519 private key and signs checkpoint heads
(SPEC §3: the signature is over the 32 raw bytes of `head_hash`).
`NodeChain` is the producer side of the hash chain of §2: it hands out the
next `seq`, sets `prevhash` to the previous event's hash, refuses to let time
go backwards, and signs checkpoints of its head. Its state is a small JSON
object, so a restarted node continues its chain instead of starting a new one
(which the platform would rightly report as INT-1).

Two ways to append. `emit`/`checkpoint` return a fully validated `Event`
(through `custodes.codec.build`): for tests, tools and anything handing in
payloads from outside. `append`/`append_checkpoint` are the trusted fast path
of the node simulators, which construct every payload themselves and emit
hundreds of thousands of events a second's worth of work: they return the
wire dict and its canonical bytes, skipping re-validation (~10× cheaper).
The bytes are identical to `build`'s (same envelope, same uuid5 id, same
timestamp text, same canonical serialiser), which
tests/unit/kernel/test_signing_fast_path.py proves for payloads of every type;
`NodeChain(validate=True)` (`custodes simulate --validate`) runs `build` on
every appended event as well and fails on any difference.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any

import msgspec
from nacl.bindings import crypto_sign, crypto_sign_seed_keypair

from custodes.canonical import ZERO_HASH, canonical_bytes
from custodes.codec import build, default_id
from custodes.events import CHECKPOINT_TYPE, Event, NodeCheckpoint
from custodes.files import atomic_write, toml_string
from custodes.parties import PARTIES, node_source
from custodes.timefmt import format_ms


class NodeKey:
    """A node's signing key: party, key_id and the Ed25519 private key.

    `private_key` is the 32-byte Ed25519 seed (the raw private key, as in the
    key file); an object with `private_bytes_raw()` (a `cryptography`
    Ed25519PrivateKey) is accepted too. Signing is libsodium's (PyNaCl,
    ~30 µs vs ~50 µs for `cryptography`); Ed25519 is deterministic, so the
    signatures are byte-identical either way.
    """

    def __init__(self, party: str, key_id: str, private_key: bytes | Any) -> None:
        if party not in PARTIES:
            raise ValueError(f"{party!r} is not a party of the framework (§1)")
        if not key_id or not key_id.strip():
            raise ValueError("key_id must be a non-empty string")
        seed = private_key if isinstance(private_key, bytes) else private_key.private_bytes_raw()
        if len(seed) != 32:
            raise ValueError(f"an Ed25519 private key is 32 bytes, got {len(seed)}")
        self.party = party
        self.key_id = key_id
        self._seed = seed
        self.public_key_bytes, self._secret = crypto_sign_seed_keypair(seed)

    @classmethod
    def generate(cls, party: str, key_id: str) -> NodeKey:
        return cls(party, key_id, os.urandom(32))

    @classmethod
    def from_seed(cls, party: str, key_id: str, seed: bytes) -> NodeKey:
        """Deterministic key for reproducible simulations: same seed → same key.

        A 32-byte seed is the Ed25519 private key itself; any other length is
        first hashed (SHA-256 of party, key_id and seed), so short seeds such
        as b"sim-1" still give distinct keys per node.
        """
        if len(seed) != 32:
            seed = hashlib.sha256(b"custodes-node-key\0%s\0%s\0%s" % (
                party.encode(), key_id.encode(), seed)).digest()
        return cls(party, key_id, bytes(seed))

    def sign_head(self, head_hash_hex: str) -> str:
        """Base64 Ed25519 signature over the 32 raw bytes of a hex head hash."""
        digest = bytes.fromhex(head_hash_hex)
        if len(digest) != 32:
            raise ValueError(f"head hash must be 64 hex characters, got {head_hash_hex!r:.80}")
        return base64.b64encode(crypto_sign(digest, self._secret)[:64]).decode("ascii")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the key file (TOML: party, key_id, base64 raw private key), mode 0600."""
        raw = self._seed
        text = (
            f"party = {toml_string(self.party)}\nkey_id = {toml_string(self.key_id)}\n"
            f'private_key = "{base64.b64encode(raw).decode("ascii")}"\n'
        )
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write(target, text.encode("utf-8"), mode=0o600)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NodeKey:
        """Read a key file written by `save`; ValueError names the file and the problem."""
        try:
            doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: cannot read key file: {exc}") from None
        party, key_id, key = doc.get("party"), doc.get("key_id"), doc.get("private_key")
        if not (isinstance(party, str) and isinstance(key_id, str) and isinstance(key, str)):
            raise ValueError(  # noqa: TRY004 - bad file content, not a programming error
                f"{path}: key file needs string party, key_id and private_key")
        try:
            raw = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"{path}: private_key is not valid base64") from None
        if len(raw) != 32:
            raise ValueError(f"{path}: private_key decodes to {len(raw)} bytes; Ed25519 needs 32")
        try:
            return cls(party, key_id, raw)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None


_sha256 = hashlib.sha256


_minute_text: dict[int, str] = {}
_YEAR_10000_MS = 253_402_300_800_000


def time_text(ms: int) -> str:
    """`timefmt.format_ms(ms)`, with the calendar work done once per minute.

    Simulated events come many to a minute; "YYYY-MM-DDTHH:MM:" of a minute is
    `format_ms` of its first millisecond, cached, and "SS.mmmZ" is appended.
    """
    rem = ms % 60_000
    minute = ms - rem
    head = _minute_text.get(minute)
    if head is None:
        if not 0 <= minute < _YEAR_10000_MS:
            return format_ms(ms)  # outside 0000-9999 the text is not 24 characters: no shortcut
        if len(_minute_text) >= 4096:
            _minute_text.clear()
        head = _minute_text[minute] = format_ms(minute)[:17]
    return f"{head}{rem // 1000:02d}.{rem % 1000:03d}Z"


class FastPathMismatch(AssertionError):
    """`NodeChain(validate=True)`: the trusted fast path and `codec.build` disagree."""


class NodeChain:
    """The next events of one node's hash chain.

    `emit`/`checkpoint` build each event with `custodes.codec.build` (full
    validation) and return an `Event`; `append`/`append_checkpoint` are the
    trusted fast path (wire dict and canonical bytes, no re-validation; see
    the module docstring). With `validate=True` the fast path checks every
    event against `build` too.
    """

    def __init__(
        self, key: NodeKey, *, seq: int = 0, head_hash: str = ZERO_HASH,
        head_time_ms: int | None = None, since_checkpoint: int = 0,
        last_checkpoint_ms: int | None = None, validate: bool = False,
    ) -> None:
        self.key = key
        self.validate = validate
        self.source = node_source(key.party)
        self.seq = seq
        self.head_hash = head_hash
        self.head_time_ms = head_time_ms
        self.since_checkpoint = since_checkpoint
        self.last_checkpoint_ms = last_checkpoint_ms

    @property
    def party(self) -> str:
        return self.key.party

    def _check_time(self, time_ms: int) -> None:
        if self.head_time_ms is not None and time_ms < self.head_time_ms:
            raise ValueError(
                f"{self.source}: time may not go back ({time_ms} < head time {self.head_time_ms})"
            )

    def _append(self, type_: str, data: msgspec.Struct | dict[str, Any], time_ms: int) -> Event:
        self._check_time(time_ms)
        event = build(
            source=self.source, type=type_, time_ms=time_ms, seq=self.seq + 1,
            prevhash=self.head_hash, data=data,
        )
        self.seq, self.head_hash, self.head_time_ms = event.seq, event.hash, time_ms
        return event

    def emit(self, type: str, data: msgspec.Struct | dict[str, Any], time_ms: int) -> Event:
        """The next event of the chain (seq + 1, prevhash = head); ValueError if invalid."""
        if type == CHECKPOINT_TYPE:
            raise ValueError("checkpoints are signed: use NodeChain.checkpoint(time_ms)")
        event = self._append(type, data, time_ms)
        self.since_checkpoint += 1
        return event

    def checkpoint(self, time_ms: int) -> Event:
        """A signed checkpoint of the current head (head_seq 0 and 64 zeros if none yet)."""
        self._check_time(time_ms)
        data = NodeCheckpoint(
            head_seq=self.seq, head_hash=self.head_hash, key_id=self.key.key_id,
            signature=self.key.sign_head(self.head_hash),
        )
        event = self._append(CHECKPOINT_TYPE, data, time_ms)
        self.since_checkpoint, self.last_checkpoint_ms = 0, time_ms
        return event

    # --- the trusted fast path (node simulators) -------------------------------
    def append(self, type: str, data: dict[str, Any], time_ms: int) -> tuple[dict[str, Any], bytes]:
        """The next event as (wire dict, canonical bytes), for payloads our own code built.

        Trusted: `data` must be a valid §3 payload of `type` made of plain
        JSON values (dict, list, str, int, bool, None), and is taken over,
        not copied: the caller must not change it afterwards. Nothing is
        re-validated unless the chain was made with `validate=True`; only the
        chain's own invariants (no checkpoint here, time never goes back)
        are checked. Same bytes, hash and id as `emit` would give.
        """
        if type == CHECKPOINT_TYPE:
            raise ValueError("checkpoints are signed: use NodeChain.append_checkpoint(time_ms)")
        out = self._append_fast(type, data, time_ms)
        self.since_checkpoint += 1
        return out

    def append_checkpoint(self, time_ms: int) -> tuple[dict[str, Any], bytes]:
        """`checkpoint` on the fast path: (wire dict, canonical bytes) of a signed checkpoint."""
        self._check_time(time_ms)
        data = {
            "head_seq": self.seq, "head_hash": self.head_hash, "key_id": self.key.key_id,
            "signature": self.key.sign_head(self.head_hash),
        }
        out = self._append_fast(CHECKPOINT_TYPE, data, time_ms)
        self.since_checkpoint, self.last_checkpoint_ms = 0, time_ms
        return out

    def _append_fast(self, type_: str, data: dict[str, Any], time_ms: int) -> tuple[dict[str, Any], bytes]:
        """What `build` does for a valid event, minus the validation that cannot fail for it.

        `build` makes the same nine-attribute envelope (id = uuid5 of
        "<source>/<seq>", time = format_ms), validates it, and hashes
        orjson's sorted-key bytes of it; `canonical_bytes` is that same call.
        """
        if self.head_time_ms is not None and time_ms < self.head_time_ms:
            self._check_time(time_ms)
        seq, source = self.seq + 1, self.source
        wire = {
            "specversion": "1.0", "id": default_id(source, seq), "source": source, "type": type_,
            "time": time_text(time_ms), "datacontenttype": "application/json", "seq": seq,
            "prevhash": self.head_hash, "data": data,
        }
        value = canonical_bytes(wire)
        digest = _sha256(value).hexdigest()
        if self.validate:
            self._compare_with_build(wire, value, digest, time_ms)
        self.seq, self.head_hash, self.head_time_ms = seq, digest, time_ms
        return wire, value

    def _compare_with_build(self, wire: dict[str, Any], value: bytes, digest: str, time_ms: int) -> None:
        event = build(source=self.source, type=wire["type"], time_ms=time_ms, seq=wire["seq"],
                      prevhash=self.head_hash, data=wire["data"])  # ValueError if invalid
        if event.hash != digest or canonical_bytes(event.raw) != value or event.id != wire["id"]:
            raise FastPathMismatch(
                f"{self.source} seq {wire['seq']}: fast path {value[:200]!r} differs from "
                f"codec.build {canonical_bytes(event.raw)[:200]!r}")

    def state(self) -> dict[str, Any]:
        """What a restarted node needs to continue this chain (the key is stored separately)."""
        return {
            "party": self.party, "key_id": self.key.key_id, "seq": self.seq,
            "head_hash": self.head_hash, "head_time_ms": self.head_time_ms,
            "since_checkpoint": self.since_checkpoint,
            "last_checkpoint_ms": self.last_checkpoint_ms,
        }

    def to_json(self) -> str:
        return json.dumps(self.state(), sort_keys=True)

    @classmethod
    def from_state(cls, key: NodeKey, state: dict[str, Any] | str, *, validate: bool = False) -> NodeChain:
        """Continue a chain from `state()` (or its JSON); ValueError if it is not this key's."""
        st = json.loads(state) if isinstance(state, str) else state
        if not isinstance(st, dict):
            raise ValueError("chain state must be a JSON object")  # noqa: TRY004 - bad content
        if st.get("party") != key.party:
            raise ValueError(f"chain state is for party {st.get('party')!r}, key is {key.party}")
        seq, head = st.get("seq"), st.get("head_hash")
        if type(seq) is not int or seq < 0 or not isinstance(head, str) or len(head) != 64:
            raise ValueError("chain state needs an integer seq >= 0 and a 64-hex head_hash")
        times = {k: st.get(k) for k in ("head_time_ms", "last_checkpoint_ms")}
        if any(v is not None and type(v) is not int for v in times.values()):
            raise ValueError(f"chain state times must be integers of epoch ms or null: {times}")
        since = st.get("since_checkpoint", 0)
        if type(since) is not int or since < 0:
            raise ValueError("chain state since_checkpoint must be an integer >= 0")
        return cls(
            key, seq=seq, head_hash=head, head_time_ms=times["head_time_ms"],
            since_checkpoint=since, last_checkpoint_ms=times["last_checkpoint_ms"],
            validate=validate,
        )
