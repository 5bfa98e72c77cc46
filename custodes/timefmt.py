"""Timestamps of SPEC §2: RFC 3339, UTC, `Z`, millisecond precision.

Inside Custodes a time is an integer count of milliseconds since the Unix
epoch: comparisons and deadline arithmetic are then exact and cheap.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import overload

MS_PER_DAY = 86_400_000
MS_PER_HOUR = 3_600_000
# [0-9], not \d (any Unicode digit); fullmatch, so a trailing newline is refused.
_PATTERN = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{3})Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _days_from_civil(y: int, m: int, d: int) -> int:
    # Howard Hinnant's algorithm: days since 1970-01-01 of a proleptic Gregorian date.
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def parse_ms(text: str) -> int:
    """Milliseconds since the epoch of a §2 timestamp; ValueError names what is wrong."""
    m = _PATTERN.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"not an RFC 3339 UTC timestamp with milliseconds and Z: {text!r}")
    y, mo, d, h, mi, s, ms = (int(g) for g in m.groups())
    if not 1 <= mo <= 12:
        raise ValueError(f"month out of range in {text!r}")
    dim = 29 if mo == 2 and _is_leap(y) else _DAYS_IN_MONTH[mo - 1]
    if not 1 <= d <= dim or h > 23 or mi > 59 or s > 59:
        raise ValueError(f"date or time out of range in {text!r}")
    return (((_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + s) * 1000 + ms


def format_ms(ms: int) -> str:
    """The §2 text of a millisecond timestamp."""
    days, rem = divmod(ms, MS_PER_DAY)
    # civil_from_days
    z = days + 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    y += m <= 2
    secs, milli = divmod(rem, 1000)
    hh, secs = divmod(secs, 3600)
    mm, ss = divmod(secs, 60)
    return f"{y:04d}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}.{milli:03d}Z"


def month_of(ms: int) -> str:
    """`YYYY-MM` of the UTC calendar month containing ms."""
    return format_ms(ms)[:7]


def month_start_ms(month: str) -> int:
    """First instant of the month `YYYY-MM`."""
    return _days_from_civil(int(month[:4]), int(month[5:7]), 1) * MS_PER_DAY


def day_start_ms(day: date) -> int:
    """First instant of the UTC calendar day `day`."""
    return _days_from_civil(day.year, day.month, day.day) * MS_PER_DAY


def next_month_start_ms(month: str) -> int:
    """First instant of the month after `YYYY-MM`."""
    y, m = int(month[:4]), int(month[5:7])
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return _days_from_civil(y, m, 1) * MS_PER_DAY


def hour_of(ms: int) -> str:
    """`YYYY-MM-DDTHH` of the UTC clock hour containing ms."""
    return format_ms(ms)[:13]


@overload
def to_datetime(ms: int) -> datetime: ...
@overload
def to_datetime(ms: None) -> None: ...
def to_datetime(ms: int | None) -> datetime | None:
    """The aware UTC datetime of epoch ms, exactly (timedelta, no float); None stays None
    (nullable timestamp columns)."""
    return None if ms is None else _EPOCH + timedelta(milliseconds=ms)


def from_datetime(dt: datetime) -> int:
    """Epoch ms of an aware datetime, exactly (integer arithmetic, sub-ms truncated)."""
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
