"""Properties of the codec: it never raises, it never loses input, and its canonical
bytes are exactly the stdlib definition of SPEC §2 for every event it accepts."""
from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custodes import codec
from custodes.canonical import canonical_bytes_reference
from custodes.codec import Rejection
from custodes.events import Event, QuerySubmitted
from custodes.parties import PARTIES

from .examples import example_lines

WIRE = [orjson.loads(raw) for _, _, raw in example_lines()]
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def assert_well_behaved(raw: bytes | str, out: Event | Rejection) -> None:
    """The codec's contract for any input."""
    if isinstance(out, Rejection):
        expected = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
        assert out.raw == expected
        assert out.reason
    else:
        assert isinstance(out, Event)
        assert codec.encode(out) == canonical_bytes_reference(out.raw)
        assert out.hash == hashlib.sha256(canonical_bytes_reference(out.raw)).hexdigest()


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_give_an_event_or_a_rejection_that_keeps_them(raw: bytes) -> None:
    assert_well_behaved(raw, codec.decode(raw))


@FAST
@given(st.text(max_size=200))
def test_any_text_even_with_lone_surrogates(raw: str) -> None:
    assert_well_behaved(raw, codec.decode(raw))


@FAST
@given(json_values)
def test_any_json_value(value: Any) -> None:
    raw = json.dumps(value).encode()
    assert_well_behaved(raw, codec.decode(raw))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    wire = json.loads(json.dumps(draw(st.sampled_from(WIRE))))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(wire)[1:]))
        parent = wire
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(json_values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(json_values)
        else:
            parent.append(draw(json_values))
    return wire


@FAST
@given(mutated_events())
def test_mutations_of_valid_events(wire: dict[str, Any]) -> None:
    raw = json.dumps(wire, ensure_ascii=False).encode("utf-8", "surrogatepass")
    out = codec.decode(raw)
    assert_well_behaved(raw, out)
    if isinstance(out, Event):
        assert codec.decode(codec.encode(out)) == out
    dict_out = codec.decode_dict(wire)
    assert isinstance(dict_out, type(out))  # decode_dict agrees with decode on the verdict


@FAST
@given(st.dictionaries(st.text(max_size=5) | st.integers(), json_values | st.tuples(st.integers())))
def test_decode_dict_never_raises_even_on_non_json_python_values(d: dict[Any, Any]) -> None:
    assert isinstance(codec.decode_dict(d), (Event, Rejection))


# Any text without lone surrogates: control characters, quotes, backslashes, U+2028, astral.
_NOT_SURROGATES = st.characters(blacklist_categories=("Cs",))  # type: ignore[arg-type]
any_text = st.text(
    alphabet=_NOT_SURROGATES | st.sampled_from('"\\\x00\x1f\x7f\u2028\u2029/'), max_size=30,
)
hex64 = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@st.composite
def valid_queries(draw: st.DrawFn) -> Event:
    party = draw(st.sampled_from(PARTIES))
    data = QuerySubmitted(
        query_id=draw(any_text.filter(bool)), case_id=draw(any_text.filter(bool)),
        requesting_party=party, requested_party=draw(st.sampled_from(PARTIES)),  # type: ignore[arg-type]
        officer_ref=draw(any_text.filter(bool)),
        purpose=draw(st.sampled_from(["border_screening", "law_enforcement", "other"])),
        legal_basis=draw(any_text), modalities=draw(st.lists(st.sampled_from(["face", "iris"]))),
        subject_ref=draw(hex64), subject_nationality=draw(st.sampled_from(["FR", "CA", "ZZ"])),
        target_databases=draw(st.lists(st.from_regex(r"[A-Z0-9][A-Z0-9_.-]{0,8}", fullmatch=True))),
        records_requested=draw(st.integers(1, 2**63 - 1)),
        individual_justification=draw(any_text), encounter="border_crossing",
    )
    return codec.build(
        source=f"urn:ebsp:node:{party}", type="ebsp.query.submitted.v1",
        time_ms=draw(st.integers(0, 253402300799999)), seq=draw(st.integers(1, 2**63 - 1)),
        prevhash=draw(hex64), data=data,
    )


@FAST
@given(valid_queries())
def test_canonical_bytes_equal_the_stdlib_reference_for_generated_events(event: Event) -> None:
    reference = canonical_bytes_reference(event.raw)
    assert codec.encode(event) == reference
    assert event.hash == hashlib.sha256(reference).hexdigest()
    assert codec.decode(reference) == event
    assert codec.decode(json.dumps(event.raw, indent=1).encode()) == event  # layout is irrelevant

