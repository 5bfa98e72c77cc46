"""Each kind of bad input of SPEC §7 is rejected with the exact field and a usable reason.

Every case starts from a valid event, breaks one thing, and checks that the
rejection names that thing, keeps the bytes as received, and still tells who
sent it (source, id, seq) when the envelope is readable.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from custodes import codec
from custodes.codec import Rejection

from .examples import first_query_line

VALID = first_query_line()
SOURCE, ID = "urn:ebsp:node:US", "01ddf78c-72e8-595a-b89e-815cb4faaa18"


def broken(change: Callable[[dict[str, Any]], object]) -> bytes:
    wire = json.loads(VALID)
    change(wire)
    return json.dumps(wire, ensure_ascii=False).encode()


def rejected(raw: bytes) -> Rejection:
    out = codec.decode(raw)
    assert isinstance(out, Rejection), f"accepted: {raw[:200]!r}"
    assert out.raw == raw
    return out


def test_not_json() -> None:
    r = rejected(b'{"specversion": "1.0", ')
    assert r.field is None and r.reason.startswith("not valid JSON")


def test_invalid_utf8_is_not_json_and_the_bytes_are_kept() -> None:
    raw = VALID.replace(b"officer-1", b"officer-\xff")
    r = rejected(raw)
    assert r.field is None and "UTF-8" in r.reason
    assert (r.source, r.id) == (None, None)  # the stdlib cannot read it either


def test_not_an_object() -> None:
    assert rejected(b"[1, 2]").reason == "not a JSON object: got array"
    assert rejected(b'"event"').field is None


def test_missing_envelope_attribute() -> None:
    r = rejected(broken(lambda w: w.pop("prevhash")))
    assert r.field == "prevhash" and "missing" in r.reason
    assert (r.source, r.id, r.seq) == (SOURCE, ID, 1)


def test_wrong_specversion() -> None:
    r = rejected(broken(lambda w: w.update(specversion="0.3")))
    assert r.field == "specversion" and "0.3" in r.reason


def test_wrong_datacontenttype() -> None:
    r = rejected(broken(lambda w: w.update(datacontenttype="text/plain")))
    assert r.field == "datacontenttype"


def test_unknown_type() -> None:
    r = rejected(broken(lambda w: w.update(type="ebsp.query.deleted.v1")))
    assert r.field == "type" and "unknown event type" in r.reason


def test_a_node_cannot_emit_platform_findings() -> None:
    r = rejected(broken(lambda w: w.update(type="ebsp.finding.raised.v1")))
    assert r.field == "type" and "urn:ebsp:platform" in r.reason


def test_the_platform_cannot_emit_node_events() -> None:
    r = rejected(broken(lambda w: w.update(source="urn:ebsp:platform")))
    assert r.field == "type" and "node event" in r.reason


@pytest.mark.parametrize("source", ["urn:ebsp:node:BG", "urn:ebsp:node:us", "urn:ebsp:DE", "", 7])
def test_bad_source(source: object) -> None:
    r = rejected(broken(lambda w: w.update(source=source)))
    assert r.field == "source"


def test_bg_is_not_a_party_in_data() -> None:
    r = rejected(broken(lambda w: w["data"].update(requested_party="BG")))
    assert r.field == "data.requested_party"
    assert "BG" in r.reason and "not a party" in r.reason


def test_float_in_data() -> None:
    r = rejected(broken(lambda w: w["data"].update(records_requested=1.0)))
    assert r.field == "data.records_requested"
    assert r.reason == "data.records_requested: Expected `int`, got `float`"


def test_float_in_an_extension_attribute() -> None:
    r = rejected(broken(lambda w: w.update(score=0.5)))
    assert r.field == "score" and "floating-point" in r.reason


def test_float_deep_inside_free_form_filters() -> None:
    wire: dict[str, Any] = {
        "specversion": "1.0", "id": ID, "source": "urn:ebsp:platform",
        "type": "ebsp.oversight.accessed.v1", "time": "2026-01-05T08:00:00.000Z",
        "datacontenttype": "application/json", "seq": 1, "prevhash": "0" * 64,
        "data": {"user": "u", "role": "edps", "scope": "EU", "view": "findings",
                 "filters": {"party": ["DE", {"min": 5}]}, "result_count": 3},
    }
    assert not isinstance(codec.decode_dict(json.loads(json.dumps(wire))), Rejection)
    wire["data"]["filters"] = {"party": ["DE", {"min": 0.5}]}
    r = codec.decode(json.dumps(wire).encode())
    assert isinstance(r, Rejection) and r.field == "data.filters.party[1].min"


def test_unknown_data_field() -> None:
    r = rejected(broken(lambda w: w["data"].update(name="Jane Doe")))
    assert r.field == "data.name" and "unknown field" in r.reason


def test_missing_data_field() -> None:
    r = rejected(broken(lambda w: w["data"].pop("purpose")))
    assert r.field == "data.purpose" and "missing" in r.reason


def test_value_outside_an_enumeration_names_the_allowed_values() -> None:
    r = rejected(broken(lambda w: w["data"].update(modalities=["fingerprint", "gait"])))
    assert r.field == "data.modalities[1]" and "iris" in r.reason


def test_data_that_is_not_an_object() -> None:
    assert rejected(broken(lambda w: w.update(data=[]))).field == "data"


@pytest.mark.parametrize("time", [
    "2026-02-30T00:00:00.000Z",           # no such day
    "2026-01-05T24:00:00.000Z",           # no such hour
    "2026-01-05T08:00:60.000Z",           # no leap seconds
    "2026-01-05T08:00:00Z",               # no milliseconds
    "2026-01-05T08:00:00.000+00:00",      # not Z
    "2026-01-05T08:00:00.000Z\n",         # trailing newline
    "٢٠٢٦-01-05T08:00:00.000Z",           # non-ASCII digits
    "2026-01-05T08:00:+1.000Z",
    1767600000000,
])
def test_bad_event_time(time: object) -> None:
    r = rejected(broken(lambda w: w.update(time=time)))
    assert r.field == "time"


def test_bad_timestamp_inside_data() -> None:
    wire: dict[str, Any] = {
        "specversion": "1.0", "id": ID, "source": "urn:ebsp:node:US",
        "type": "ebsp.retention.assessed.v1", "time": "2026-01-05T08:00:00.000Z",
        "datacontenttype": "application/json", "seq": 4, "prevhash": "a" * 64,
        "data": {"assessment_id": "A-1", "transfer_id": "T-1", "case_id": "US-C-1",
                 "party": "US", "continuing_risk": True, "evidence_ref": None,
                 "assessed_by": "analyst-7", "review_by": "2026-02-30T00:00:00.000Z"},
    }
    r = codec.decode(json.dumps(wire).encode())
    assert isinstance(r, Rejection) and r.field == "data.review_by"
    assert (r.source, r.seq) == ("urn:ebsp:node:US", 4)
    wire["data"]["review_by"] = "2026-02-28T00:00:00.000Z"
    assert not isinstance(codec.decode(json.dumps(wire).encode()), Rejection)


def test_bool_for_int() -> None:
    r = rejected(broken(lambda w: w["data"].update(records_requested=True)))
    assert r.field == "data.records_requested" and "bool" in r.reason
    assert rejected(broken(lambda w: w.update(seq=True))).field == "seq"


def test_huge_int_in_data() -> None:
    raw = VALID.replace(b'"records_requested": 1', b'"records_requested": 123456789012345678901234567890')
    r = rejected(raw)
    assert r.field == "data.records_requested" and "64-bit" in r.reason


def test_huge_int_as_seq_keeps_the_sender_readable() -> None:
    raw = VALID.replace(b'"seq": 1', b'"seq": 1' + b"0" * 5000)
    r = rejected(raw)
    assert r.field == "seq" and "64-bit" in r.reason
    assert (r.source, r.id, r.seq) == (SOURCE, ID, None)


def test_unsigned_64_bit_ints_are_still_out_of_range() -> None:
    r = rejected(broken(lambda w: w["data"].update(records_requested=2**63)))
    assert r.field == "data.records_requested"


@pytest.mark.parametrize("seq", [0, -1, "1", None])
def test_seq_must_be_a_positive_integer(seq: object) -> None:
    assert rejected(broken(lambda w: w.update(seq=seq))).field == "seq"


@pytest.mark.parametrize("prevhash", ["0" * 63, "A" * 64, "g" * 64, "0" * 64 + "\n", None])
def test_prevhash_must_be_64_lowercase_hex(prevhash: object) -> None:
    assert rejected(broken(lambda w: w.update(prevhash=prevhash))).field == "prevhash"


@pytest.mark.parametrize("id_", ["", "Q-1", "01ddf78c72e8595ab89e815cb4faaa18", 7,
                                 "01ddf78c-72e8-595a-b89e-815cb4faaa1g"])
def test_id_must_be_a_uuid(id_: object) -> None:
    assert rejected(broken(lambda w: w.update(id=id_))).field == "id"


def test_any_rfc4122_uuid_text_is_accepted_including_upper_case() -> None:
    assert not isinstance(codec.decode(broken(lambda w: w.update(id=ID.upper()))), Rejection)


def test_extension_attributes_are_allowed_when_cloudevents_allows_them() -> None:
    ok = codec.decode(broken(lambda w: w.update(traceparent="00-ab-cd-01", partition=3, test=True)))
    assert not isinstance(ok, Rejection)
    assert ok.raw["partition"] == 3
    bad_attributes: list[dict[str, Any]] = [
        {"TraceParent": "x"}, {"trace_parent": "x"}, {"nested": {"a": 1}}, {"n": None},
    ]
    for bad in bad_attributes:
        wire = json.loads(VALID)
        wire.update(bad)
        r = rejected(json.dumps(wire).encode())
        assert r.field == next(iter(bad))


def test_a_pattern_field_with_a_trailing_newline_is_rejected() -> None:
    r = rejected(broken(lambda w: w["data"].update(subject_nationality="FR\n")))
    assert r.field == "data.subject_nationality" and "alpha-2" in r.reason


TRICKY_TIMES = [
    "2026-01-05T08:00:00.000Z", "2024-02-29T23:59:59.999Z", "2025-02-29T00:00:00.000Z",
    "2026-13-01T00:00:00.000Z", "2026-00-10T00:00:00.000Z", "2026-01-00T00:00:00.000Z",
    "2026-01-05T08:60:00.000Z", "2026-01-05T08:00:59.999Z", "2026-01-05T08:00:5a.000Z",
    "2026-01-05T08:00:00,000Z", "2026-01-05 08:00:00.000Z", "2026-01-05T08:00:00.000z",
    "+026-01-05T08:00:00.000Z", "2026-01-05T08:00:00.-00Z", "2026-01-05T08:00:00.0000",
    "0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z",
]


@pytest.mark.parametrize("text", TRICKY_TIMES)
def test_event_time_and_data_timestamps_are_judged_alike(text: str) -> None:
    """`time` (hot path, cached per minute) and data timestamps are checked by different code."""
    wire: dict[str, Any] = {
        "specversion": "1.0", "id": ID, "source": "urn:ebsp:node:US",
        "type": "ebsp.retention.assessed.v1", "time": text,
        "datacontenttype": "application/json", "seq": 4, "prevhash": "a" * 64,
        "data": {"assessment_id": "A-1", "transfer_id": "T-1", "case_id": "US-C-1",
                 "party": "US", "continuing_risk": True, "evidence_ref": None,
                 "assessed_by": "analyst-7", "review_by": None},
    }
    for place in ("time", "review_by"):
        if place == "review_by":
            wire["time"], wire["data"]["review_by"] = "2026-01-05T08:00:00.000Z", text
        out = codec.decode(json.dumps(wire).encode())
        assert isinstance(out, Rejection) == (text in TRICKY_TIMES[2:7] + TRICKY_TIMES[8:15])
        if isinstance(out, Rejection):
            assert out.field == ("time" if place == "time" else "data.review_by")


def test_free_form_filters_hold_no_unsigned_64_bit_integers_either() -> None:
    wire: dict[str, Any] = {
        "specversion": "1.0", "id": ID, "source": "urn:ebsp:platform",
        "type": "ebsp.oversight.accessed.v1", "time": "2026-01-05T08:00:00.000Z",
        "datacontenttype": "application/json", "seq": 1, "prevhash": "0" * 64,
        "data": {"user": "u", "role": "edps", "scope": "EU", "view": "findings",
                 "filters": {"limit": [2**63]}, "result_count": 3},
    }
    r = codec.decode(json.dumps(wire).encode())
    assert isinstance(r, Rejection) and r.field == "data.filters.limit[0]" and "64-bit" in r.reason


def test_decode_dict_accepts_mapping_subclasses_and_rejects_other_values() -> None:
    from collections import OrderedDict
    assert not isinstance(codec.decode_dict(OrderedDict(json.loads(VALID))), Rejection)
    for value in (None, [], "x", 3):
        r = codec.decode_dict(value)  # type: ignore[arg-type]
        assert isinstance(r, Rejection) and r.field is None


@pytest.mark.parametrize("value", [None, 12, 1.5, ["a"], object()])
def test_decode_of_something_that_is_not_bytes_or_text(value: object) -> None:
    r = codec.decode(value)  # type: ignore[arg-type]
    assert isinstance(r, Rejection) and r.raw == b"" and "not bytes or text" in r.reason


def test_bytearray_and_memoryview_are_bytes() -> None:
    assert codec.decode(bytearray(VALID)) == codec.decode(memoryview(VALID)) == codec.decode(VALID)
