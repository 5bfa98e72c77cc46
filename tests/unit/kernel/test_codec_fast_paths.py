"""The codec's caches are shortcuts, never a second opinion.

`_time_ms` answers from caches of validated second prefixes and ".mmmZ"
tails, and a prevhash the codec has itself just computed skips the regex.
Whatever is (or is not) in those caches, the verdict, the reason and the
event must be those of the long way round. `default_id` is uuid5 written out
by hand, and must be exactly `uuid.uuid5`.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custodes import codec
from custodes.timefmt import format_ms, parse_ms

from .examples import example_lines
from .test_codec_properties import mutated_events

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LINES = [raw for _, _, raw in example_lines()]


def _clear_caches() -> None:
    codec._minute_ms.clear()
    codec._second_ms.clear()
    codec._milli_ms.clear()
    codec._recent_hashes.clear()


def _reference_time_ms(text: object) -> int | None:
    """SPEC §2 read literally: a real timestamp in exactly the §2 form, else None."""
    return parse_ms(text) if codec.timestamp_error(text) is None else None  # type: ignore[arg-type]


@st.composite
def timestamps(draw: st.DrawFn) -> Any:
    """Valid timestamps, and valid ones with one or two characters replaced."""
    text = format_ms(draw(st.integers(-62135596800000, 253402300799999)))
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, 23))
        c = draw(st.sampled_from("0123456789:-.TZz \n٣") | st.characters())
        text = text[:i] + c + text[i + 1:]
    return draw(st.sampled_from([text, text[:-1], text + "Z", text.encode(), None, 0])) \
        if draw(st.integers(0, 9)) == 0 else text


@FAST
@given(st.lists(timestamps(), min_size=1, max_size=8))
def test_time_ms_agrees_with_parse_ms_whatever_the_caches_hold(texts: list[Any]) -> None:
    _clear_caches()
    for text in texts * 2:  # the second round is answered from the caches
        assert codec._time_ms(text) == _reference_time_ms(text)


def test_time_ms_leap_day_and_cache_mixing() -> None:
    _clear_caches()
    assert codec._time_ms("2024-02-29T23:59:59.999Z") == parse_ms("2024-02-29T23:59:59.999Z")
    # a cached valid minute with an unseen tail, and a cached tail with an invalid minute
    assert codec._time_ms("2024-02-29T23:59:60.000Z") is None
    assert codec._time_ms("2023-02-29T23:59:59.999Z") is None
    assert codec._time_ms("2024-02-29T23:59:59.999z") is None
    # a cached valid second with an unseen or invalid tail, a cached tail with another second
    assert codec._time_ms("2024-02-29T23:59:59.99xZ") is None
    assert codec._time_ms("2024-02-29T23:59:59,999Z") is None
    assert codec._time_ms("2024-02-29T23:59:58.999Z") == parse_ms("2024-02-29T23:59:58.999Z")
    assert codec._time_ms("2024-02-30T23:59:59.999Z") is None
    assert codec._time_ms("2024-02-29T23:59:59.000Z") == parse_ms("2024-02-29T23:59:59.000Z")


def test_time_ms_when_the_seconds_cache_is_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_caches()
    monkeypatch.setattr(codec, "_CACHED_SECONDS", 3)
    texts = [format_ms(parse_ms("2026-01-05T08:00:00.000Z") + 997 * i) for i in range(20)]
    for text in texts * 2:
        assert codec._time_ms(text) == parse_ms(text)
    assert len(codec._second_ms) <= 3


@FAST
@given(mutated_events(), st.booleans())
def test_decode_is_the_same_with_cold_and_warm_caches(wire: dict[str, Any], warm_first: bool) -> None:
    raw = json.dumps(wire, ensure_ascii=False).encode("utf-8", "surrogatepass")
    _clear_caches()
    if warm_first:
        for line in LINES:  # fills the caches with these events' times and hashes
            codec.decode(line)
    first = codec.decode(raw)
    _clear_caches()
    cold = codec.decode(raw)
    for line in LINES:
        codec.decode(line)
    warm = codec.decode(raw)
    assert first == cold == warm


def test_a_chained_prevhash_is_accepted_from_the_cache_and_a_bad_one_still_rejected() -> None:
    _clear_caches()
    events = [codec.decode(line) for line in LINES]
    assert all(not isinstance(e, codec.Rejection) for e in events)
    for line in LINES:
        wire = json.loads(line)
        wire["prevhash"] = "A" + wire["prevhash"][1:]
        out = codec.decode(json.dumps(wire).encode())
        assert isinstance(out, codec.Rejection) and out.field == "prevhash"


@settings(max_examples=500)
@given(st.text(max_size=40), st.integers(min_value=1, max_value=2**63 - 1))
def test_default_id_is_uuid5(source: str, seq: int) -> None:
    try:
        expected = str(uuid.uuid5(codec.ID_NAMESPACE, f"{source}/{seq}"))
    except UnicodeEncodeError:  # lone surrogates: neither can encode them
        with pytest.raises(UnicodeEncodeError):
            codec.default_id(source, seq)
        return
    assert codec.default_id(source, seq) == expected


# --- the native check of id and prevhash on the canonical scan ---------------
_NATIVE_EVENT = codec._canonical_event_sha256


def _id_or_prevhash(draw: st.DrawFn, text: str) -> Any:
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(text) - 1))
        c = draw(st.sampled_from("0aAfFgG-\u001f\"\\ é") | st.characters())
        text = text[:i] + c + text[i + 1:]
    return draw(st.sampled_from([text, text.upper(), text[:-1], text + "0", 7, None])) \
        if draw(st.integers(0, 5)) == 0 else text


@st.composite
def envelope_variants(draw: st.DrawFn) -> bytes:
    """Canonical event lines (and a few that are not) with the id, prevhash and type varied."""
    wire = orjson.loads(draw(st.sampled_from(LINES)))
    wire["id"] = _id_or_prevhash(draw, wire["id"])
    wire["prevhash"] = _id_or_prevhash(draw, wire["prevhash"])
    # the line's ending picks a type's own decoder (`codec._BY_SUFFIX`): vary the type too
    change = draw(st.sampled_from(["", "", "", "type", "drop", "extension", "nested"]))
    if change == "type":
        wire["type"] = draw(st.sampled_from(sorted(codec._PAYLOADS)))
    elif change == "drop":
        del wire["type"]
    elif change == "extension":
        wire[draw(st.sampled_from(["zz", "typex", "a1"]))] = draw(st.sampled_from([1, "x", wire["type"]]))
    elif change == "nested":
        wire["data"]["zz"] = {"type": wire.pop("type")}
    raw = orjson.dumps(wire, option=orjson.OPT_SORT_KEYS)
    return raw if draw(st.integers(0, 4)) else json.dumps(wire).encode("utf-8", "surrogatepass")


@pytest.mark.skipif(_NATIVE_EVENT is None, reason="the native extension is not in use")
@FAST
@given(envelope_variants())
def test_native_envelope_checks_and_decoders_give_the_pure_python_verdict(raw: bytes) -> None:
    with pytest.MonkeyPatch.context() as m:
        native = codec.decode(raw), list(codec.decode_lines([raw]))
        m.setattr(codec, "_canonical_event_sha256", None)  # no native code at all
        python = codec.decode(raw), list(codec.decode_lines([raw]))
    assert native == python
    assert [type(x) for x in native[1]] == [type(native[0])]
    if isinstance(native[0], codec.Event):
        assert native[0].canonical == python[0].canonical
