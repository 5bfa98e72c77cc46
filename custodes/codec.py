"""The codec: wire bytes → a validated `Event`, or a `Rejection` that says why.

`decode` never raises. Whatever reaches the platform is either an `Event` the
rules can trust (envelope of SPEC §2, payload of §3, no floats, real dates,
parties of §1) or a `Rejection` carrying the original bytes untouched and a
reason naming the exact field, so that the quarantine (§7) loses nothing and
an operator knows what to fix.

Two paths, one verdict. The fast path (`_fast`) is one typed msgspec decode of
the whole event (a union of one envelope struct per type, tagged by `type`,
whose `data` is the payload struct and which allows no other attribute), the
few checks msgspec cannot do (id, time, prevhash, the `Pattern` fields of the
payload, through caches of values already seen valid), one re-encode with
sorted keys and one SHA-256. The re-encode is what makes hashing the input
safe: when it equals the input byte for byte, the input *is* its canonical
form (§2) and is hashed as is (with the native extension built, one native
call checks that the line is orjson's canonical form, that its id and prevhash
have the required shapes, and hashes it, instead of the re-encode, the regexes
and hashlib: `_canonical_event_sha256`); otherwise the event is accepted on the fast
path only if orjson reads the same value from the input (same canonical bytes),
so escapes, whitespace, key order, duplicate keys or `-0` cannot change a hash.
Anything the fast path does not accept, including every event with extension
attributes, goes down the slow path (`_check`: `orjson.loads`, the envelope
checked by hand, `msgspec.convert` of `data`), which decides rejections and
words their reasons; explanations are only worked out once an input has
failed there. The fast path accepts nothing the slow path rejects and builds
the same `Event` (tests/unit/kernel/test_codec_fast_paths.py).
"""
from __future__ import annotations

import hashlib
import json
import re
import types
import uuid
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import msgspec
import orjson

from custodes import events as ev
from custodes.canonical import canonical_bytes
from custodes.events import INT64_MAX, NODE_TYPES, PLATFORM_TYPES, TYPE_OF, Event
from custodes.native import NATIVE

_Event = Event  # built positionally on the fast path (`Event` fields in declaration order)
from custodes.parties import NODE_PREFIX, NODE_SOURCES, PARTIES, PLATFORM_SOURCE
from custodes.timefmt import format_ms, parse_ms

REQUIRED: tuple[str, ...] = (
    "specversion", "id", "source", "type", "time", "datacontenttype", "seq", "prevhash", "data",
)
_REQUIRED = frozenset(REQUIRED)
_N_REQUIRED = len(REQUIRED)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ATTR_NAME = re.compile(r"[a-z0-9]+")
_SORT = orjson.OPT_SORT_KEYS
# A JSON number of 19+ digits (2^63 has 19): only then can an input hold a huge integer.
_LONG_DIGITS = re.compile(rb"[:\[,][ \t\r\n]*-?[0-9]{19}")
_sha256 = hashlib.sha256
_convert = msgspec.convert
_ValidationError = msgspec.ValidationError
# Namespace of the deterministic ids `build` gives events (uuid5 of "<source>/<seq>").
ID_NAMESPACE = uuid.UUID("6f1d3c52-52a4-4c39-9a57-3c0f2f0e6b1d")
# Payload fields free-form by design (`object`), where floats must be looked for by hand.
_FREE_FORM: dict[str, tuple[str, ...]] = {"ebsp.oversight.accessed.v1": ("filters",)}
_KINDS: dict[type, str] = {
    dict: "object", list: "array", str: "string", int: "integer", float: "float",
    bool: "boolean", type(None): "null",
}


def _timestamp_fields(struct: type) -> tuple[str, ...]:
    """Payload fields typed `Timestamp` (or `Timestamp | None`): they must be real dates."""
    hints = get_type_hints(struct, include_extras=True)
    return tuple(n for n, h in hints.items() if h == ev.Timestamp or ev.Timestamp in get_args(h))


_PAYLOADS: dict[str, type] = {**NODE_TYPES, **PLATFORM_TYPES}
_TIMESTAMPS: dict[str, tuple[str, ...]] = {t: _timestamp_fields(s) for t, s in _PAYLOADS.items()}
# The checks msgspec cannot do, per type, only for the types that have any:
# (timestamp fields that must be real dates, free-form fields to search for floats).
_AFTER_CONVERT: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    t: (_TIMESTAMPS[t], _FREE_FORM.get(t, ()))
    for t in _TIMESTAMPS if _TIMESTAMPS[t] or _FREE_FORM.get(t)
}
# Hashes this codec has recently computed (hexdigest: 64 lowercase hex, by
# construction). A chained event's prevhash is nearly always one of them, and
# a set lookup is cheaper than the regex; anything else still gets the regex.
_recent_hashes: set[str] = set()
_RECENT_MAX = 4096


# --- `Pattern` fields: checked here, not by msgspec ------------------------
def _strict(hint: Any) -> Any:
    """`hint` with every `Pattern` marker turned into msgspec's own regex constraint."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is Annotated:
        return Annotated[tuple(  # type: ignore[return-value]
            [args[0]] + [msgspec.Meta(pattern=m.regex) if isinstance(m, ev.Pattern) else m
                         for m in hint.__metadata__])]
    if origin is list:
        return list[_strict(args[0])]  # type: ignore[misc]
    if origin is dict:
        return dict[_strict(args[0]), _strict(args[1])]  # type: ignore[misc]
    if origin in (Union, types.UnionType):
        return Union[tuple(_strict(a) for a in args)]
    return hint


def _strict_twin(struct: type) -> type:
    """The payload struct as msgspec would check it with regexes: used to word a rejection.

    Same fields in the same order, so msgspec reports the same first error
    (and in the same words) as it did when the patterns were its own."""
    hints = get_type_hints(struct, include_extras=True)
    return msgspec.defstruct(
        struct.__name__, [(name, _strict(hint)) for name, hint in hints.items()],
        kw_only=True, frozen=True, forbid_unknown_fields=True)


_STRICT: dict[str, type] = {t: _strict_twin(s) for t, s in _PAYLOADS.items()}
_SCALAR, _OPTIONAL, _LIST = 0, 1, 2


def _matcher(regex: str) -> Any:
    """`value -> bool`: msgspec's `pattern` check (`re.search`), remembering values that passed."""
    search = re.compile(regex).search
    seen: set[str] = set()

    def matches(value: str) -> bool:
        if value in seen:
            return True
        if search(value) is None:
            return False
        if len(seen) >= 8192:
            seen.clear()  # the same set object: the fast path holds it (`matches.seen`)
        seen.add(value)
        return True
    matches.seen = seen  # type: ignore[attr-defined]
    return matches


def _is_timestamp(value: str) -> bool:
    """The Timestamp pattern and a real date: `_time_ms` decides both (and caches)."""
    return _time_ms(value) is not None


def _pattern_checks(struct: type) -> tuple[tuple[str, int, Any], ...]:
    """(field, shape, check) of each `Pattern` field of a payload struct."""
    out = []
    for name, hint in get_type_hints(struct, include_extras=True).items():
        shape, inner = _SCALAR, hint
        if get_origin(hint) in (Union, types.UnionType):
            shape, inner = _OPTIONAL, next(a for a in get_args(hint) if a is not type(None))
        elif get_origin(hint) is list:
            shape, inner = _LIST, get_args(hint)[0]
        pattern = next((m for m in getattr(inner, "__metadata__", ()) if isinstance(m, ev.Pattern)), None)
        if pattern is None:
            continue
        if inner == ev.Timestamp:
            check = _is_timestamp
        else:
            found = _PATTERN_MATCHERS.get(pattern.regex)
            if found is None:
                found = _PATTERN_MATCHERS[pattern.regex] = _matcher(pattern.regex)
            check = found
        out.append((name, shape, check))
    return tuple(out)


_PATTERN_MATCHERS: dict[str, Any] = {}


class Rejection(msgspec.Struct, frozen=True, kw_only=True):
    """Why an input is not an event, with the input itself kept byte for byte.

    `field` is the path of the offending value ("time", "data.purpose",
    "data.modalities[0]"), None when the input is not a JSON object at all.
    `source`, `id` and `seq` are read from the envelope when they are
    readable, so that quarantine rows and INT-1 keys can name the sender.
    """

    reason: str
    field: str | None
    raw: bytes
    source: str | None = None
    id: str | None = None
    seq: int | None = None


_ID_NS = ID_NAMESPACE.bytes
_sha1 = hashlib.sha1


def default_id(source: str, seq: int) -> str:
    """The id `build` gives an event: `str(uuid.uuid5(ID_NAMESPACE, f"{source}/{seq}"))`.

    The same (source, seq) always gives the same id. Written out instead of
    calling `uuid.uuid5`, whose object churn costs ~4x as much on the
    simulators' hot path: uuid5 (RFC 4122 §4.3) is SHA-1 over the namespace's
    16 bytes and the name's UTF-8, truncated to 16 bytes, with the version
    nibble set to 5 and the variant bits to 10; `str(UUID)` is the 32 hex
    digits grouped 8-4-4-4-12.
    """
    b = bytearray(_sha1(_ID_NS + f"{source}/{seq}".encode()).digest()[:16])
    b[6] = b[6] & 0x0F | 0x50
    b[8] = b[8] & 0x3F | 0x80
    x = b.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def timestamp_error(text: object) -> str | None:
    """None if `text` is a real §2 timestamp, else what is wrong with it."""
    if type(text) is not str:
        return f"expected a timestamp string, got {_kind(text)}"
    if len(text) != 24 or not text.isascii():
        return f"not an RFC 3339 UTC timestamp like 2026-01-05T08:00:00.000Z: {text[:40]!r}"
    try:
        parse_ms(text)
    except ValueError as exc:
        return str(exc)
    return None


# Caches of the valid parts of §2 timestamps: "YYYY-MM-DDTHH:MM:" -> epoch ms of
# the minute, "YYYY-MM-DDTHH:MM:SS" -> epoch ms of the second, ".mmmZ" -> ms
# into the second. Only parts that passed the full check are ever stored, so a
# hit in the second and the tail caches is a proof that the timestamp is valid.
_minute_ms: dict[str, int] = {}
_second_ms: dict[str, int] = {}
_milli_ms: dict[str, int] = {}
_CACHED_SECONDS = 16_384


def _time_ms(text: object) -> int | None:
    """Epoch ms of a §2 timestamp, or None if it is not one; the hot-path twin of parse_ms.

    Events come in bursts within the same second, and there are only 1,000
    valid ".mmmZ" tails, so almost every call is two lookups in small dicts:
    the second's prefix and the tail are each validated once
    (`_time_ms_checked`) and cached. Equivalent to `_time_ms_checked` because
    a timestamp is valid exactly when its second's prefix (a valid minute and
    seconds 00-59) and its tail are (each checked on its own there), and only
    valid parts enter the caches. (Keyed by minute and "SS.mmmZ" before: the
    tails' dict held 60,000 entries, and its lookups, out of cache, cost
    ~0.2 µs more.)
    """
    if type(text) is not str or len(text) != 24:
        return None
    base = _second_ms.get(text[:19])
    if base is not None:
        milli = _milli_ms.get(text[19:])
        if milli is not None:
            return base + milli
    return _time_ms_checked(text)


def _time_ms_checked(text: str) -> int | None:
    """`_time_ms` the long way: check the tail and the second, and cache them if valid."""
    if text[19] != "." or text[23] != "Z":
        return None
    rest = text[17:19] + text[20:23]
    if not (rest.isascii() and rest.isdigit()) or rest > "59999":
        return None
    minute = text[:17]
    base = _minute_ms.get(minute)
    if base is None:
        base = _parse_minute(minute)
        if base is None:
            return None
        if len(_minute_ms) >= 65_536:
            _minute_ms.clear()
        _minute_ms[minute] = base
    if len(_second_ms) >= _CACHED_SECONDS:
        _second_ms.clear()
    _second_ms[text[:19]] = base + int(text[17:19]) * 1000
    _milli_ms[text[19:]] = int(text[20:23])  # at most 1,000 valid tails
    return base + int(rest)


def _parse_minute(minute: str) -> int | None:
    if not minute.isascii():
        return None
    try:
        return parse_ms(minute + "00.000Z")
    except ValueError:
        return None


def _kind(value: object) -> str:
    return _KINDS.get(type(value), type(value).__name__)


_PATTERN_CHECKS: dict[str, tuple[tuple[str, int, Any], ...]] = {
    t: _pattern_checks(s) for t, s in _PAYLOADS.items()}


def _patterns_ok(payload: Any, checks: tuple[tuple[str, int, Any], ...]) -> bool:
    """Whether every `Pattern` field of a decoded payload matches its pattern."""
    for name, shape, check in checks:
        value = getattr(payload, name)
        if shape == _SCALAR:
            if not check(value):
                return False
        elif shape == _LIST:
            for item in value:
                if not check(item):
                    return False
        elif value is not None and not check(value):
            return False
    return True


# --- the fast path ---------------------------------------------------------
_Seq = Annotated[int, msgspec.Meta(ge=1, le=INT64_MAX)]
_NodeSource = Literal[tuple(NODE_SOURCES)]  # type: ignore[valid-type]
_PlatformSource = Literal[PLATFORM_SOURCE]  # type: ignore[valid-type]


def _envelope(type_: str, struct: type) -> type:
    """The whole event of one type as one struct: the 9 attributes of §2, nothing else."""
    return msgspec.defstruct(f"{struct.__name__}Envelope", [
        ("specversion", Literal["1.0"]), ("id", str),
        ("source", _NodeSource if type_ in NODE_TYPES else _PlatformSource),
        ("time", str), ("datacontenttype", Literal["application/json"]), ("seq", _Seq),
        ("prevhash", str), ("data", struct),
    ], tag_field="type", tag=type_, forbid_unknown_fields=True, frozen=True, gc=False)


_ENVELOPES = {_envelope(t, s): t for t, s in _PAYLOADS.items()}
# envelope struct -> (type, pattern checks, free-form fields to search for floats)
_FAST_INFO: dict[type, tuple[str, tuple[tuple[str, int, Any], ...], tuple[str, ...]]] = {
    env: (t, _PATTERN_CHECKS[t], _FREE_FORM.get(t, ())) for env, t in _ENVELOPES.items()}
_decode_envelope = msgspec.json.Decoder(Union[tuple(_ENVELOPES)]).decode  # type: ignore[arg-type]
# A canonical event line ends with its "type" (the greatest of the §2 names,
# unless an extension attribute sorts after it): `,"type":"<type>"}`. msgspec
# finds a union's tag wherever it is, at the cost of a first pass over the
# object when the tag is not its first key (~0.3 µs an event), so such a line is
# decoded with its type's own struct: last 20 bytes -> (that ending, decoder).
# Only used for lines the native scan found canonical (keys unique), ending
# with the whole `,"type":"<type>"}`: the top-level object's last member is
# then that type, the struct the union would pick. If that decoder fails, the
# union decodes the line as before.
_SUFFIX = 20
_BY_SUFFIX: dict[bytes, tuple[bytes, Any]] = {
    ending[-_SUFFIX:]: (ending, msgspec.json.Decoder(env).decode)
    for env, ending in ((env, b',"type":"%s"}' % t.encode()) for env, t in _ENVELOPES.items())}
assert len(_BY_SUFFIX) == len(_ENVELOPES)
_encode_sorted = msgspec.json.Encoder(order="sorted").encode
_DecodeError = msgspec.DecodeError  # ValidationError is one
_PARTY_OF: dict[str, str] = {**NODE_SOURCES, PLATFORM_SOURCE: ""}
_uuid_match = _UUID.fullmatch
_hex64_match = _HEX64.fullmatch


def _fast(data: bytes) -> Event | None:
    """The event, if `data` is a valid event without extension attributes; else None.

    None decides nothing: the slow path then judges `data` (and words why)."""
    digest = _canonical_event_sha256(data) if _canonical_event_sha256 is not None else None
    try:
        env = _decode(data, digest)
    except (_DecodeError, UnicodeDecodeError, RecursionError):  # all it raises for bad input
        return None
    return _FINISH[env.__class__](env, data, digest)


def _decode(data: bytes, digest: str | None) -> Any:
    """The envelope struct of `data` (may raise what `_decode_envelope` raises):
    by its type's own decoder when `digest` (the native scan found the line
    canonical) and the line ends with that type (see `_BY_SUFFIX`), else by the union."""
    if digest is not None:
        found = _BY_SUFFIX.get(data[-_SUFFIX:])
        if found is not None and data.endswith(found[0]):
            try:
                return found[1](data)
            except Exception:  # noqa: BLE001 - the union decides (and raises) as before
                pass
    return _decode_envelope(data)


# The native extension's `canonical_event_sha256(line)` (custodes/native.py), or
# None: the hex SHA-256 of `line.rstrip()` when those bytes are exactly orjson's
# sorted-key `dumps` of what orjson reads from `line` (`canonical_sha256`), and
# the line is an object whose top-level "id" has the shape of `_UUID` and whose
# "prevhash" that of `_HEX64` (judged on the raw string bodies, which in a
# canonical line are the decoded texts when they have those shapes); else None.
# Such a line is the canonical form of its value (§2), so it is what the slow
# path would hash and keep too: `finish` takes it as is, without re-encoding
# `env` or running the two regexes. A line it does not vouch for (not
# canonical, holding a float, or an id/prevhash of another shape) takes the
# pure-Python way, unchanged. Read from the module's globals at each call:
# tests set it to None to run the pure-Python path.
_canonical_event_sha256 = NATIVE.canonical_event_sha256 if NATIVE is not None else None


def _same_value(data: bytes, canonical: bytes) -> bool:
    """Whether orjson reads from `data` the value whose canonical bytes are `canonical`."""
    try:
        return orjson.dumps(orjson.loads(data), option=_SORT) == canonical
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return False


# The rest of the fast path, one function per envelope struct, generated so
# that the type's `Pattern` checks are inlined (a set lookup of values already
# seen valid, the matcher only on a miss) and nothing is looked up per event
# that is known per type: `_FINISH[envelope class](env, data, digest) -> Event | None`,
# where `digest` is `_canonical_event_sha256(data)` when that is in use, else None.
_FINISH_TEMPLATE = """
def finish(env, data, digest):
    time_ = env.time
    base = _second_ms.get(time_[:19])  # `_time_ms` inlined: both parts known valid
    milli = _milli_ms.get(time_[19:])
    if base is not None and milli is not None:
        time_ms = base + milli
    else:
        time_ms = _time_ms(time_)
        if time_ms is None:
            return None
    payload = env.data
{checks}    id_ = env.id
    prevhash = env.prevhash
    if digest is not None:  # `_canonical_event_sha256(data)`, asked by the caller
        canonical = data.rstrip()  # canonical, id and prevhash well-formed: checked natively
        # (`_recent_hashes` is only a shortcut of the Python prevhash check, which
        # the lines the native scan vouches for never need: not added to)
    elif _uuid_match(id_) is None \
            or (prevhash not in _recent_hashes and _hex64_match(prevhash) is None):
        return None
    else:
        canonical = _encode_sorted(env)
        if canonical != data and data.rstrip() != canonical and not _same_value(data, canonical):
            return None  # not already canonical, and orjson reads another value
        digest = _sha256(canonical).hexdigest()
        if len(_recent_hashes) >= _RECENT_MAX:
            _recent_hashes.clear()
        _recent_hashes.add(digest)
    source = env.source
    return _Event(id_, source, TYPE, time_, time_ms, env.seq, prevhash, digest,
                  _PARTY_OF[source], payload, canonical)
"""


def _finisher(type_: str, checks: tuple[tuple[str, int, Any], ...], free_form: tuple[str, ...]) -> Any:
    """The generated `finish` of one type (see `_FINISH_TEMPLATE`); same checks as `_patterns_ok`.

    A type with free-form fields always takes the slow path: msgspec reads and
    writes any nesting depth where orjson's `dumps` (the reference) stops at
    its recursion limit, so a deep but byte-for-byte canonical line would be
    accepted here and rejected by the slow path (and `canonical_bytes(raw)`
    would raise later). Such events are rare (platform oversight records)."""
    if free_form:
        return _slow_only
    names: dict[str, Any] = {"TYPE": type_}
    lines = []
    for i, (name, shape, check) in enumerate(checks):
        names[f"M{i}"] = check
        seen = getattr(check, "seen", None)
        names[f"S{i}"] = seen
        test = f"(v not in S{i} and not M{i}(v))" if seen is not None else f"not M{i}(v)"
        if shape == _SCALAR:
            lines += [f"v = payload.{name}", f"if {test}:", "    return None"]
        elif shape == _LIST:
            lines += [f"for v in payload.{name}:", f"    if {test}:", "        return None"]
        else:
            lines += [f"v = payload.{name}", f"if v is not None and {test}:", "    return None"]
    body = _FINISH_TEMPLATE.format(checks="".join(f"    {line}\n" for line in lines))
    # A factory taking the per-type names: they become closure cells, while the
    # module's globals stay the live ones (caches, and anything a test patches).
    source = f"def make({', '.join(names)}):\n" + "".join(
        f"    {line}\n" for line in body.splitlines()) + "    return finish\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<codec finish {type_}>", "exec"), globals(), namespace)  # noqa: S102
    return namespace["make"](**names)


def _slow_only(env: Any, data: bytes, digest: str | None) -> None:
    """The `finish` of a type the fast path leaves to the slow path (see `_finisher`)."""
    return None


_FINISH: dict[type, Any] = {
    env: _finisher(*info) for env, info in _FAST_INFO.items()}


def _check(d: dict[str, Any]) -> Event | tuple[str | None, str]:
    """The validation itself: an `Event`, or (field, reason)."""
    try:
        specversion = d["specversion"]
        id_ = d["id"]
        source = d["source"]
        type_ = d["type"]
        time_ = d["time"]
        contenttype = d["datacontenttype"]
        seq = d["seq"]
        prevhash = d["prevhash"]
        data = d["data"]
    except KeyError:
        missing = next(k for k in REQUIRED if k not in d)
        return missing, f"{missing}: missing required CloudEvents attribute"
    if specversion != "1.0" or type(specversion) is not str:
        return "specversion", f'specversion: expected "1.0", got {specversion!r:.40}'
    if type(id_) is not str or len(id_) != 36 or not _UUID.fullmatch(id_):
        return "id", f"id: expected a UUID like 01ddf78c-72e8-595a-b89e-815cb4faaa18, got {id_!r:.60}"
    party = NODE_SOURCES.get(source) if type(source) is str else None
    if party is not None:
        struct = NODE_TYPES.get(type_) if type(type_) is str else None
    elif source == PLATFORM_SOURCE:
        party = ""
        struct = PLATFORM_TYPES.get(type_) if type(type_) is str else None
    else:
        return "source", _bad_source(source)
    if struct is None:
        return "type", _bad_type(type_, party)
    time_ms = _time_ms(time_)
    if time_ms is None:
        return "time", f"time: {timestamp_error(time_)}"
    if contenttype != "application/json" or type(contenttype) is not str:
        return "datacontenttype", f'datacontenttype: expected "application/json", got {contenttype!r:.40}'
    if type(seq) is not int or not 1 <= seq <= INT64_MAX:
        return "seq", f"seq: expected an integer from 1 to 2^63-1, got {_kind(seq)} {seq!r:.40}"
    if type(prevhash) is not str or (
            prevhash not in _recent_hashes and (len(prevhash) != 64 or not _HEX64.fullmatch(prevhash))):
        return "prevhash", f"prevhash: expected 64 lowercase hex characters, got {prevhash!r:.80}"
    if len(d) != _N_REQUIRED:
        bad = _bad_extension(d)
        if bad is not None:
            return bad
    if type(data) is not dict:
        return "data", f"data: expected an object, got {_kind(data)}"
    payload = _payload(data, type_, struct)
    if type(payload) is tuple:
        return payload
    try:
        canonical = orjson.dumps(d, option=_SORT)
    except (orjson.JSONEncodeError, TypeError) as exc:
        return None, f"not serialisable as canonical JSON: {exc}"
    digest = _sha256(canonical).hexdigest()
    if len(_recent_hashes) >= _RECENT_MAX:
        _recent_hashes.clear()
    _recent_hashes.add(digest)
    return Event(
        id=id_, source=source, type=type_, time=time_, time_ms=time_ms, seq=seq,
        prevhash=prevhash, hash=digest, party=party, data=payload,  # type: ignore[arg-type]
        canonical=canonical,
    )


def _payload(data: dict[str, Any], type_: str, struct: type) -> Any:
    """The payload struct of `data`, or (field, reason).

    The reason is msgspec's, from the regex-checking twin of the struct (so
    the first error and its wording are what they would be with the patterns
    inside msgspec), then the checks msgspec cannot do."""
    payload: Any = None
    try:
        payload = _convert(data, struct)
    except _ValidationError:
        pass
    after = _AFTER_CONVERT.get(type_)
    if payload is not None and _patterns_ok(payload, _PATTERN_CHECKS[type_]):
        if after is not None and after[1]:
            bad = _after_convert(data, (), after[1])
            if bad is not None:
                return bad
        return payload
    try:
        _convert(data, _STRICT[type_])
    except _ValidationError as exc:
        return _explain_validation(str(exc), struct)
    bad = _after_convert(data, *after) if after is not None else None
    if bad is None:  # a pattern check failed that neither msgspec nor the date check sees
        raise AssertionError(f"{type_}: pattern checks and their explanation disagree")
    return bad


def _after_convert(
    data: dict[str, Any], timestamps: tuple[str, ...], free_form: tuple[str, ...],
) -> tuple[str, str] | None:
    """(field, reason) for a payload timestamp that is no real date or a float in a free-form field."""
    for name in timestamps:
        value = data[name]
        if value is not None:
            problem = timestamp_error(value)
            if problem is not None:
                return f"data.{name}", f"data.{name}: {problem}"
    for name in free_form:
        bad_number = _bad_number(data[name], f"data.{name}")
        if bad_number is not None:
            return bad_number
    return None


def _bad_source(source: object) -> str:
    if type(source) is str and source.startswith(NODE_PREFIX):
        return f"source: {source[len(NODE_PREFIX):]!r:.20} is not a party of the framework (§1)"
    return (
        f"source: expected urn:ebsp:node:<PARTY> or {PLATFORM_SOURCE}, "
        f"got {_kind(source)} {source!r:.60}"
    )


def _bad_type(type_: object, party: str) -> str:
    if type(type_) is str and party and type_ in PLATFORM_TYPES:
        return f"type: {type_} is emitted only by {PLATFORM_SOURCE}, not by a node"
    if type(type_) is str and not party and type_ in NODE_TYPES:
        return f"type: {type_} is a node event; {PLATFORM_SOURCE} cannot emit it"
    return f"type: unknown event type {type_!r:.80} (not in SPEC §3)"


def _bad_extension(d: dict[Any, Any]) -> tuple[str, str] | None:
    """CloudEvents extension attributes: lowercase alphanumeric names, str/int/bool values."""
    for key, value in d.items():
        if key in _REQUIRED:
            continue
        if type(key) is not str or not key.isascii() or not _ATTR_NAME.fullmatch(key):
            return str(key), (
                f"{key!r:.40}: extension attribute names must be lowercase letters and digits"
            )
        if type(value) is float:
            return key, f"{key}: floating-point numbers are not allowed in events (§2)"
        if type(value) is int and not -INT64_MAX - 1 <= value <= INT64_MAX:
            return key, f"{key}: integer beyond the 64-bit range"
        if type(value) not in (str, int, bool):
            return key, f"{key}: extension attributes must be a string, integer or boolean, got {_kind(value)}"
    return None


def decode_dict(d: dict[str, Any]) -> Event | Rejection:
    """Validate an already-parsed event (`Event.raw` will equal it)."""
    try:
        if type(d) is not dict:
            if not isinstance(d, dict):
                return Rejection(reason=f"not a JSON object: got {_kind(d)}", field=None, raw=b"")
            d = dict(d)  # an OrderedDict or other mapping subclass: validate a plain copy
        out = _check(d)
        if isinstance(out, Event):
            return out
        return _rejection(d, out, _raw_of(d), None)
    except Exception as exc:  # noqa: BLE001 - the codec's promise is to never raise
        return Rejection(reason=f"internal error while validating: {exc!r}", field=None, raw=b"")


def decode(raw: bytes | str) -> Event | Rejection:
    """Bytes (or text) off the wire → `Event` or `Rejection`. Never raises, whatever `raw` is."""
    data = b""
    try:
        if type(raw) is bytes:  # the common case: no copy needed, bytes are immutable
            data = raw
        elif isinstance(raw, str):
            data = raw.encode("utf-8", "surrogatepass")
        elif isinstance(raw, (bytes, bytearray, memoryview)):
            data = bytes(raw)
        else:
            return Rejection(reason=f"not bytes or text: {type(raw).__name__}", field=None, raw=b"")
        event = _fast(data)
        return event if event is not None else _decode_slow(data)
    except Exception as exc:  # noqa: BLE001 - the codec's promise is to never raise
        return Rejection(reason=f"internal error while decoding: {exc!r}", field=None, raw=data)


def decode_lines(lines: Iterable[bytes]) -> Iterator[Event | Rejection | None]:
    """`decode` of each line of a JSONL batch, None for a blank line (empty or only whitespace).

    The same verdicts as `decode(line)` one by one (never raises), with the
    fast path inlined: a replay reads millions of lines, and two Python calls
    per line are a tenth of the decoding time. A generator, not a list: events
    consumed (and freed) one at a time stay in cache and spare the collector
    (a list of a chunk's events was ~2 µs an event slower)."""
    # bound once per batch (hooks as they are when it starts; a line per call is
    # not worth two global lookups more)
    scan = _canonical_event_sha256
    by_suffix, union, finishers = _BY_SUFFIX.get, _decode_envelope, _FINISH
    for data in lines:
        try:
            digest = scan(data) if scan is not None else None
            env = None
            if digest is not None:  # `_decode` inlined
                found = by_suffix(data[-_SUFFIX:])
                if found is not None and data.endswith(found[0]):
                    try:
                        env = found[1](data)
                    except Exception:  # noqa: BLE001 - the union decides, as in `_decode`
                        env = None
            if env is None:
                env = union(data)
            event = finishers[env.__class__](env, data, digest)
        except Exception:  # noqa: BLE001 - `decode` below gives the verdict (and never raises)
            event = None
        if event is not None:
            yield event
        elif type(data) is bytes and (not data or data.isspace()):
            yield None
        else:
            yield decode(data)


def _decode_slow(data: bytes) -> Event | Rejection:
    """`decode` without the fast path: the reference it must agree with (may raise)."""
    try:
        d = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return _rejection(None, (None, f"not valid JSON: {exc}"), data, exc)
    if type(d) is not dict:
        return Rejection(reason=f"not a JSON object: got {_kind(d)}", field=None, raw=data)
    out = _check(d)
    if isinstance(out, Event):
        return out
    return _rejection(d, out, data, None)


def _raw_of(d: dict[str, Any]) -> bytes:
    try:
        return canonical_bytes(d)
    except Exception:  # noqa: BLE001 - best effort: a dict that cannot even be serialised
        return repr(d).encode("utf-8", "backslashreplace")


def _rejection(
    d: dict[str, Any] | None, problem: tuple[str | None, str], raw: bytes,
    json_error: Exception | None,
) -> Rejection:
    """Build the rejection; for number trouble, name the integer orjson could not hold."""
    field, reason = problem
    if (json_error is not None or "float" in reason) and _LONG_DIGITS.search(raw):
        huge = _huge_int_path(raw)
        if huge is not None:
            field, reason = huge, f"{huge}: integer beyond the 64-bit range"
    source, id_, seq = _wire_metadata(d, raw)
    return Rejection(reason=reason, field=field, raw=raw, source=source, id=id_, seq=seq)


def encode(event: Event | dict[str, Any]) -> bytes:
    """Canonical bytes of an event (§2): what is hashed, archived and exported."""
    return event.canonical if isinstance(event, Event) else canonical_bytes(event)


def build(
    *, source: str, type: str, time_ms: int, seq: int, prevhash: str,
    data: msgspec.Struct | dict[str, Any], id: str | None = None,
) -> Event:
    """A valid event from its parts, for trusted producers; ValueError if it would be rejected."""
    payload = msgspec.to_builtins(data)  # a fresh copy: later changes to `data` cannot alter the event
    wire = {
        "specversion": "1.0",
        "id": id if id is not None else default_id(source, seq),
        "source": source,
        "type": type,
        "time": format_ms(time_ms),
        "datacontenttype": "application/json",
        "seq": seq,
        "prevhash": prevhash,
        "data": payload,
    }
    out = decode_dict(wire)
    if isinstance(out, Rejection):
        raise ValueError(out.reason)  # noqa: TRY004 - the brief's contract: invalid parts are a ValueError
    return out


# --- explanations: only computed once an input has failed ------------------
def _pattern_of(annotated: object) -> str:
    return str(next(m.regex for m in get_args(annotated)[1:] if isinstance(m, ev.Pattern)))


_PATTERN_TEXT: dict[str, str] = {
    _pattern_of(ev.Hex64): "expected 64 lowercase hex characters",
    _pattern_of(ev.Alpha2): "expected an ISO 3166-1 alpha-2 code (two capital letters)",
    _pattern_of(ev.Timestamp): "expected a timestamp like 2026-01-05T08:00:00.000Z",
    _pattern_of(ev.DatabaseId): "expected an upper-case database id like DE-AFIS",
    _pattern_of(ev.Base64): "expected standard base64",
    _pattern_of(ev.Hex32): "expected 32 lowercase hex characters",
}
_AT = re.compile(r" - at `(?:key` in `)?\$([^`]*)`$")
_FIELD_MSG = re.compile(r"Object (missing required|contains unknown) field `(.*)`$", re.DOTALL)
_REGEX_MSG = re.compile(r"Expected `str` matching regex '(.*)'$", re.DOTALL)
_TOP_NAME = re.compile(r"data\.([A-Za-z_]+)")


def _explain_validation(message: str, struct: type) -> tuple[str, str]:
    """msgspec's error → (field path under `data`, a reason naming that path)."""
    at = _AT.search(message)
    text = message[: at.start()] if at else message
    path = "data" + (at.group(1) if at else "")
    m = _FIELD_MSG.match(text)
    if m:
        path = f"{path}.{m.group(2)}"
        if m.group(1) == "missing required":
            return path, f"{path}: missing required field"
        return path, f"{path}: unknown field (not in the {TYPE_OF[struct]} payload of §3)"
    m = _REGEX_MSG.match(text)
    if m:
        text = _PATTERN_TEXT.get(m.group(1).replace("\\\\", "\\"), text)
    elif text.startswith("Invalid enum value"):
        allowed = _allowed_values(struct, path)
        if allowed == PARTIES:
            text += " (not a party of the framework, §1)"
        elif allowed:
            text += f" (expected one of: {', '.join(allowed)})"
    return path, f"{path}: {text}"


def _allowed_values(struct: type, path: str) -> tuple[str, ...]:
    m = _TOP_NAME.match(path)
    hint: Any = get_type_hints(struct).get(m.group(1)) if m else None
    while hint is not None and get_origin(hint) is not Literal:
        args = [a for a in get_args(hint) if a is not type(None)]
        if get_origin(hint) not in (list, Union) or len(args) != 1:
            return ()
        hint = args[0]
    return tuple(get_args(hint)) if hint is not None else ()


def _walk(value: object, path: str) -> Any:
    """(path, value) of every node of a JSON tree, iteratively (no recursion limit)."""
    stack = [(path, value)]
    while stack:
        here, node = stack.pop()
        yield here, node
        if type(node) is dict:
            stack.extend((f"{here}.{k}" if here else str(k), v) for k, v in reversed(node.items()))
        elif type(node) is list:
            stack.extend((f"{here}[{i}]", v) for i, v in reversed(list(enumerate(node))))


def _bad_number(value: object, path: str) -> tuple[str, str] | None:
    """(path, reason) of the first float or out-of-range integer in a free-form value."""
    for here, v in _walk(value, path):
        if type(v) is float:
            return here, f"{here}: floating-point numbers are not allowed in events (§2)"
        if type(v) is int and not -INT64_MAX - 1 <= v <= INT64_MAX:
            return here, f"{here}: integer beyond the 64-bit range"
    return None


class _HugeInt(str):
    """An integer literal too long to be held exactly (kept as its digits)."""


def _parse_int(text: str) -> int | _HugeInt:
    return int(text) if len(text) <= 20 else _HugeInt(text)


def _lenient_load(raw: bytes) -> Any:
    """Parse with the permissive stdlib (NaN, lone surrogates, any integer), or None."""
    try:
        return json.loads(raw, parse_int=_parse_int)
    except Exception:  # noqa: BLE001 - best effort only
        return None


def _huge_int_path(raw: bytes) -> str | None:
    """Path of the first integer outside the signed 64-bit range in `raw`, if any."""
    doc = _lenient_load(raw)
    for path, v in _walk(doc, ""):
        if type(v) is _HugeInt or (type(v) is int and not -INT64_MAX - 1 <= v <= INT64_MAX):
            return path or "(document)"
    return None


def _text_or_none(value: object) -> str | None:
    if type(value) is not str:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value[:200]


def _wire_metadata(d: dict[str, Any] | None, raw: bytes) -> tuple[str | None, str | None, int | None]:
    """source, id and seq of a rejected input, as far as they can be read."""
    if d is None:
        d = _lenient_load(raw)
    if type(d) is not dict:
        return None, None, None
    seq = d.get("seq")
    ok_seq = type(seq) is int and -INT64_MAX - 1 <= seq <= INT64_MAX
    return _text_or_none(d.get("source")), _text_or_none(d.get("id")), seq if ok_seq else None
