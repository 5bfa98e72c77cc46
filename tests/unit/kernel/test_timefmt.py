"""Timestamps of SPEC §2 round-trip through epoch milliseconds, and nothing else parses."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custodes.timefmt import (
    format_ms,
    from_datetime,
    hour_of,
    month_of,
    month_start_ms,
    next_month_start_ms,
    parse_ms,
    to_datetime,
)


@given(st.integers(min_value=0, max_value=253402300799999))  # 1970 .. 9999-12-31
def test_format_then_parse_is_identity(ms: int) -> None:
    assert parse_ms(format_ms(ms)) == ms


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-05T08:00:00.000Z\n",  # trailing newline
        "2026-01-05T08:00:00Z",  # no milliseconds
        "2026-01-05T08:00:00.000+00:00",  # offset instead of Z
        "2026-02-29T00:00:00.000Z",  # not a leap year
        "2026-13-01T00:00:00.000Z",
        "2026-01-05T24:00:00.000Z",
        "\u0662026-01-05T08:00:00.000Z",  # Arabic-Indic digit
    ],
)
def test_malformed_timestamps_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_ms(text)


def test_calendar_helpers_cut_at_utc_boundaries() -> None:
    last_ms_of_2026 = parse_ms("2026-12-31T23:59:59.999Z")
    assert month_of(last_ms_of_2026) == "2026-12"
    assert next_month_start_ms("2026-12") == last_ms_of_2026 + 1
    assert hour_of(parse_ms("2026-01-05T08:59:59.999Z")) == "2026-01-05T08"


def test_month_start_is_the_previous_months_next_start() -> None:
    assert month_start_ms("2026-01") == parse_ms("2026-01-01T00:00:00.000Z")
    assert month_start_ms("2027-01") == next_month_start_ms("2026-12")


@given(st.integers(min_value=-(10**13), max_value=253402300799999))
def test_datetime_conversion_is_exact_both_ways(ms: int) -> None:
    dt = to_datetime(ms)
    assert dt.isoformat(timespec="milliseconds").replace("+00:00", "Z") == format_ms(ms)
    assert from_datetime(dt) == ms


def test_a_null_timestamp_stays_null() -> None:
    assert to_datetime(None) is None
