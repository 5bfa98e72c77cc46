"""The native `canonical_sha256` vouches for exactly the lines orjson writes itself.

`custodes_native.canonical_sha256(line)` lets the codec's fast path hash a
line without re-encoding it, so it must return the hex SHA-256 of
`line.rstrip()` exactly when those bytes are `orjson.dumps(orjson.loads(line),
option=OPT_SORT_KEYS)`, and None otherwise. The one liberty it takes: None for
a value holding a float (orjson's float text is not reproduced natively;
events hold no floats, and None only sends the line down the pure-Python way).
Checked against orjson itself on hand-picked edge cases and on hypothesis-made
values, written canonically and then mutated (whitespace, key order, escapes,
duplicate keys, number spellings, byte flips). Then the codec, with and
without the native hook, must give the same verdict and the same `Event`.
Every test here needs the extension: skipped when it is not built, a failure
under CI=true with cargo available (native_support).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custodes import codec
from custodes.events import Event

from . import native_support
from .examples import example_lines
from .test_codec_properties import mutated_events

native = native_support.module()
canonical_sha256: Any = native.canonical_sha256 if native is not None else None


@pytest.fixture(scope="module", autouse=True)
def needs_native() -> None:
    native_support.require()

SORT = orjson.OPT_SORT_KEYS
MANY = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference(line: bytes) -> str | None:
    """What `canonical_sha256` must say, straight from orjson."""
    try:
        canonical = orjson.dumps(orjson.loads(line), option=SORT)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return None
    return hashlib.sha256(canonical).hexdigest() if canonical == line.rstrip() else None


def has_float(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if type(v) is float:
            return True
        if type(v) is dict:
            stack.extend(v.values())
        elif type(v) is list:
            stack.extend(v)
    return False


def check(line: bytes) -> str | None:
    """Assert the native verdict on `line` is orjson's (floats aside); return it."""
    got, want = canonical_sha256(line), reference(line)
    if got is not None:
        assert got == want, line
    elif want is not None:  # orjson calls it canonical: only a float excuses the native None
        assert has_float(orjson.loads(line)), line
    return got


def digest(line: bytes) -> str:
    return hashlib.sha256(line.rstrip()).hexdigest()


# --- hand-picked cases ------------------------------------------------------
CANONICAL = [
    b"{}", b"[]", b"0", b"1", b"-1", b"true", b"false", b"null", b'""',
    b'{"a":1,"b":[true,false,null],"c":{"d":"e"}}',
    b"18446744073709551615", b"-9223372036854775808", b"9223372036854775807",
    b'"\\u0000\\u001f\\b\\t\\n\\f\\r\\"\\\\\\u000b\\u007f"'.replace(b"\\u007f", b"\x7f"),
    '"é€😀\u2028\u2029/"'.encode(), b'"\xef\xbb\xbf"',  # raw UTF-8, U+2028, a BOM inside a string
    b'{"\\"":1,"#":2}',  # keys by decoded code point: '"' (0x22) before '#' (0x23)
    b'{"\\u0001":0,"\\n":1}', b'{"a":1,"a\\u0000":2,"a\\u0001":3,"b":4}',
    '{"\uffff":1,"\U00010000":2}'.encode(),  # code point order, not UTF-16's
    b'{"":1,"a":{}}', b"[[[]],{}]",
]
CANONICAL += [line + tail for line in CANONICAL[:3] for tail in (b"\n", b"\r\n", b" \t\r\n ")]

NOT_CANONICAL = [
    b"", b" ", b"\n", b" {}", b"{} x", b"{}\x0b", b"{}\x0c", b"\xef\xbb\xbf{}", b"{}\x00",
    b'{"b":1,"a":2}', b'{"a":1,"a":1}', b'{"a":1,"a":2}', b'{"a" :1}', b'{"a": 1}', b"[1, 2]",
    b"-0", b"+1", b"01", b"-01", b"00", b"1.0", b"1e2", b"1E2", b"-0.0", b"1.5", b"0e0",
    b"18446744073709551616", b"-9223372036854775809", b"99999999999999999999999",
    b'"\\u0041"', b'"\\/"', b'"\\u00e9"', b'"\\u000a"', b'"\\u0008"', b'"\\u001F"', b'"\\u000A"',
    b'"\\ud83d\\ude00"', b'"\\ud800"', b'"\\udc00"', b'"\xed\xa0\x80"', b'"\xc0\x80"',
    b'"\xe0\x80\x80"', b'"\xf5\x80\x80\x80"', b'"\xff"', b'"\x80"', b'"\xc3"', b'"\xe2\x82"',
    b'"\x00"', b'"\x1f"', b'"\t"', b'"\n"', b'"abc', b'"\\', b'"\\u00', b'"\\u001', b'"\\x41"',
    b"tru", b"nul", b"[", b"]", b"{", b'{"a"}', b'{"a":}', b"[1,]", b'{"a":1,}', b"[,1]",
    b"NaN", b"Infinity", b"'a'", b'{"\\u0001":0,"\\u0002":1,"\\u0002":2}',
    b'{"#":2,"\\"":1}',  # raw-byte order ('#' < '\\') is not the decoded one
]


@pytest.mark.parametrize("line", CANONICAL)
def test_canonical_lines_are_hashed_as_they_are(line: bytes) -> None:
    assert reference(line) == digest(line)  # the case itself is right
    assert canonical_sha256(line) == digest(line)


@pytest.mark.parametrize("line", NOT_CANONICAL)
def test_other_lines_are_left_to_the_codec(line: bytes) -> None:
    assert check(line) is None


def test_every_control_and_ascii_character_in_a_string() -> None:
    for c in range(0x80):
        line = orjson.dumps(chr(c))
        assert canonical_sha256(line) == digest(line)
        for spelling in (b"\\u%04x" % c, b"\\u%04X" % c, bytes([c]), b"\\" + bytes([c])):
            check(b'"' + spelling + b'"')
            check(b'{"' + spelling + b'":1}')


def test_one_odd_byte_at_every_place_of_a_long_string() -> None:
    # Strings are scanned 16 bytes at a time: what stops the scan, or calls for
    # a UTF-8 check, must be seen wherever it falls in a block, or in the tail.
    odd = [b"\x00", b"\x1f", b"\t", b"\\n", b"\\u001f", b"\\u0041", b"\\/", b'\\"', b"\\\\",
           b'"', b"\\", b"\x7f", b"\x80", b"\xc3\xa9", b"\xed\xa0\x80", b"\xf0\x9f\x98\x80",
           b"\xf0\x9f\x98", b"\xff"]
    for n in (15, 16, 17, 31, 32, 33, 47, 64):
        for i in range(n + 1):
            for b in odd:
                text = b"a" * i + b + b"b" * (n - i)
                for line in (b'"' + text + b'"', b'{"' + text + b'":["' + text + b'"]}',
                             b'"' + text + b'"' + b" " * 20):
                    check(line)


def test_nesting_up_to_orjsons_limit() -> None:
    # orjson.dumps raises "Recursion limit reached" from 255 nested containers.
    for depth in (1, 100, 253, 254, 255, 256, 1024, 1025):
        for line in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth,
                     b'[{"a":' * (depth // 2) + b"[]" + b"}]" * (depth // 2),
                     b'{"a":' * depth + b"{}" + b"}" * depth):
            assert check(line) == reference(line)
    assert canonical_sha256(b"[" * 254 + b"]" * 254) is not None
    assert canonical_sha256(b"[" * 255 + b"]" * 255) is None


def test_not_bytes_is_none() -> None:
    for value in ("{}", bytearray(b"{}"), memoryview(b"{}"), None, 1):
        assert canonical_sha256(value) is None


def test_event_lines() -> None:
    for _, _, line in example_lines():  # written with spaces: not canonical
        assert check(line) is None
        line = orjson.dumps(orjson.loads(line), option=SORT)
        assert check(line) == digest(line)
        assert canonical_sha256(line + b"\n") == digest(line)


# --- hypothesis: canonical values and their mutations -----------------------
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",))  # type: ignore[arg-type]
                | st.sampled_from('"\\/\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x1f\x7f\u2028é😀\uffff'),
                max_size=12)
_INTS = (st.integers(-2**63, 2**64 - 1) | st.integers(-2**70, 2**70)
         | st.sampled_from([0, -1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -2**63, -2**63 - 1]))
_SCALARS = st.none() | st.booleans() | _INTS | _TEXT | st.floats(allow_nan=False) \
    | st.sampled_from([0.0, -0.0, 1.0, 1e2, 1e-7, 1.5e300])
json_like = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(_TEXT, inner, max_size=4), max_leaves=20)


def _dumps(value: Any) -> bytes | None:
    try:
        return orjson.dumps(value, option=SORT)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits
        return None


@MANY
@given(json_like)
def test_canonical_json_of_any_value(value: Any) -> None:
    line = _dumps(value)
    if line is None:
        return
    got = check(line)
    if not has_float(value):
        assert got == digest(line)


_WS = st.sampled_from([b" ", b"\t", b"\n", b"\r", b"\r\n", b"\x0b", b"\x0c", b"\x00", b"  "])


@st.composite
def mutations(draw: st.DrawFn) -> bytes:
    """A canonical line with one or two edits of the kinds producers make."""
    value = draw(json_like)
    line = _dumps(value)
    if line is None:
        line = json.dumps(value).encode()
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["ws", "trailing", "leading", "stdlib", "escape", "slash",
                                     "duplicate", "number", "flip", "delete", "insert"]))
        i = draw(st.integers(0, len(line)))
        if kind == "ws":
            line = line[:i] + draw(_WS) + line[i:]
        elif kind == "trailing":
            line = line + draw(_WS)
        elif kind == "leading":
            line = draw(_WS) + line
        elif kind == "stdlib":  # what other producers write
            try:
                line = json.dumps(orjson.loads(line), ensure_ascii=draw(st.booleans()),
                                  sort_keys=draw(st.booleans()),
                                  separators=draw(st.sampled_from([(",", ":"), (", ", ": ")]))
                                  ).encode("utf-8", "surrogatepass")
            except (orjson.JSONDecodeError, ValueError):
                pass
        elif kind == "escape":  # one character written as a \u escape (either case)
            text = line.decode("utf-8", "replace")
            j = draw(st.integers(0, max(0, len(text) - 1)))
            if text and text[j] not in '"\\':
                code = ord(text[j])
                esc = (f"\\u{code:04x}" if code < 0x10000 else
                       f"\\u{0xD7C0 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
                if draw(st.booleans()):
                    esc = esc.upper().replace("\\U", "\\u")
                line = (text[:j] + esc + text[j + 1:]).encode()
        elif kind == "slash":
            line = line.replace(b"/", b"\\/") if b"/" in line else line + b"\\/"
        elif kind == "duplicate":
            j = line.find(b'{"')
            if j >= 0:
                k = line.find(b",", j)
                member = line[j + 1:k if k > 0 else len(line) - 1]
                line = line[:j + 1] + member + b"," + line[j + 1:]
        elif kind == "number":
            line = line.replace(draw(st.sampled_from([b"0", b"1", b"2", b"9"])),
                                draw(st.sampled_from([b"-0", b"1.0", b"1e2", b"01", b"-01",
                                                      b"99999999999999999999", b"0.0", b"1E0"])),
                                1)
        elif kind == "flip" and line:
            j = min(i, len(line) - 1)
            line = line[:j] + bytes([line[j] ^ draw(st.integers(1, 255))]) + line[j + 1:]
        elif kind == "delete" and line:
            j = min(i, len(line) - 1)
            line = line[:j] + line[j + 1:]
        elif kind == "insert":
            line = line[:i] + draw(st.binary(min_size=1, max_size=3)
                                   | st.sampled_from([b'"', b"\\", b",", b"}", b"]", b"\xed\xa0\x80"])
                                   ) + line[i:]
    return line


@MANY
@given(mutations())
def test_mutated_lines(line: bytes) -> None:
    check(line)


@MANY
@given(st.binary(max_size=40))
def test_arbitrary_bytes(line: bytes) -> None:
    check(line)


# --- the codec with and without the hook -------------------------------------
def _decode_both(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    with monkeypatch.context() as m:
        m.setattr(codec, "_canonical_event_sha256", native.canonical_event_sha256)
        fast = codec.decode(raw), list(codec.decode_lines([raw]))
    with monkeypatch.context() as m:
        m.setattr(codec, "_canonical_event_sha256", None)
        slow = codec.decode(raw), list(codec.decode_lines([raw]))
    return fast, slow


def _same(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    assert a == b
    if isinstance(a, Event):
        assert a.canonical == b.canonical and a.hash == b.hash
        assert a.hash == hashlib.sha256(a.canonical).hexdigest()


@pytest.mark.parametrize("tail", [b"", b"\n", b"\r\n", b" ", b"\x0b"])
def test_codec_gives_the_same_events_on_the_examples(tail: bytes,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for _, _, line in example_lines():
        for raw in (line + tail, json.dumps(orjson.loads(line)).encode() + tail):
            (fast, fast_lines), (slow, slow_lines) = _decode_both(raw, monkeypatch)
            _same(fast, slow)
            _same(fast_lines[0], slow_lines[0])
            _same(fast, fast_lines[0])


@FAST
@given(mutated_events(), st.sampled_from([b"", b"\n", b"\r\n"]), st.booleans())
def test_codec_gives_the_same_verdicts_on_mutated_events(wire: dict[str, Any], tail: bytes,
                                                         canonical: bool) -> None:
    try:
        raw = (orjson.dumps(wire, option=SORT) if canonical else
               json.dumps(wire, ensure_ascii=False).encode("utf-8", "surrogatepass")) + tail
    except orjson.JSONEncodeError:
        return
    with pytest.MonkeyPatch.context() as mp:
        (fast, fast_lines), (slow, slow_lines) = _decode_both(raw, mp)
    _same(fast, slow)
    _same(fast_lines[0], slow_lines[0])
