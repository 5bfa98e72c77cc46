"""Shared pieces of the query layer: filters, paging, results, scope clauses."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import ColumnElement, and_, false, or_, true

from custodes.events import Severity
from custodes.timefmt import format_ms
from custodes.timefmt import from_datetime as ms_of
from oversight_ui.scope import Scope

PartyCode = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO alpha-2 party code of SPEC §1")


class ViewFilters(BaseModel):
    """Query parameters common to the views; each view uses those that apply.

    Dates are UTC calendar days, `since` and `until` both inclusive.
    """

    model_config = ConfigDict(extra="forbid")

    party: str | None = PartyCode
    rule: str | None = Field(default=None, pattern=r"^[A-Z]{3}-[0-9]$")
    severity: Severity | None = None
    status: str | None = Field(default=None, pattern=r"^[a-z_]{1,16}$")
    since: date | None = None
    until: date | None = None
    page: int = Field(default=1, ge=1, le=100000)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any, info: ValidationInfo) -> Any:
        """An empty form field (`?rule=&party=`) means "no filter", not an invalid value."""
        if isinstance(value, str) and not value.strip():
            return 1 if info.field_name == "page" else None
        return value

    def as_record(self) -> dict[str, Any]:
        """The filters for the access event (page included: it says which rows were seen)."""
        return {k: (v.isoformat() if isinstance(v, date) else v)
                for k, v in self.model_dump().items() if v is not None}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | time | day | pct | party | link


@dataclass
class TableResult:
    view: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    total: int
    page: int = 1
    page_size: int = 50
    aggregated: bool = False
    note: str | None = None
    empty: str = "Nothing to show for these filters."
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size)) if self.page_size else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "view": self.view, "title": self.title, "aggregated": self.aggregated,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [{c.key: cell_json(c, r.get(c.key)) for c in self.columns} for r in self.rows],
            "total": self.total, "page": self.page, "page_size": self.page_size, "pages": self.pages,
            "note": self.note,
        }


def cell_json(col: Column, value: Any) -> Any:
    """A cell for the API: ratios as integer numerator/denominator (no floats)."""
    if col.kind == "pct" and isinstance(value, (list, tuple)):
        return {"numerator": int(value[0]), "denominator": int(value[1])}
    return jsonable(value)


def cell_text(col: Column, value: Any) -> str:
    """A cell for CSV and screen: UTC times, percentages with one decimal."""
    if value is None:
        return ""
    if col.kind == "pct" and isinstance(value, (list, tuple)):
        num, den = int(value[0]), int(value[1])
        if not den:
            return ""
        tenths = (num * 1000 + den // 2) // den
        return f"{tenths // 10}.{tenths % 10} %"
    if isinstance(value, (datetime, date)):
        return str(jsonable(value))
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection);
# node-supplied text (purposes, reasons, keys) may start with any of them.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(col: Column, value: Any) -> str:
    """`cell_text` for a CSV file: a text cell that a spreadsheet would read as a
    formula gets a leading `'`; numbers (a negative balance) stay numbers."""
    text = cell_text(col, value)
    if isinstance(value, (str, list, tuple)) and col.kind != "pct" and text.startswith(FORMULA_START):
        return "'" + text
    return text


def csv_text(columns: list[Column], rows: list[dict[str, Any]]) -> str:
    """The CSV of a table: a header of labels, then one line per row."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([c.label for c in columns])
    for row in rows:
        w.writerow([csv_cell(c, row.get(c.key)) for c in columns])
    return buf.getvalue()


def jsonable(value: Any) -> Any:
    """Datetimes and dates as SPEC §2 text (UTC, Z); everything else as is."""
    if isinstance(value, datetime):
        return format_ms(ms_of(value))
    if isinstance(value, date):
        return value.isoformat()
    return value


def day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=UTC)


def period_clause(column: Any, f: ViewFilters) -> ColumnElement[bool]:
    """`since` ≤ column < day after `until`, for timestamptz columns."""
    parts: list[ColumnElement[bool]] = []
    if f.since:
        parts.append(column >= day_start(f.since))
    if f.until:
        parts.append(column < day_start(f.until + timedelta(days=1)))
    return and_(true(), *parts)


def any_party_in(scope: Scope, *columns: Any) -> ColumnElement[bool]:
    """Row visible when any of the party columns is one of the scope's parties."""
    parties = scope.party_list()
    if parties is None:
        return true()
    if not columns:
        return false()
    return or_(*(c.in_(parties) for c in columns))


def party_filter(party: str | None, *columns: Any) -> ColumnElement[bool]:
    """The user's `party` filter: rows where that party is involved."""
    if not party:
        return true()
    return or_(*(c == party for c in columns))


def in_scope(scope: Scope, f: ViewFilters, *party_columns: Any) -> ColumnElement[bool]:
    """Rows the scope may see that also match the user's `party` filter, both judged on
    the same party columns."""
    return and_(any_party_in(scope, *party_columns), party_filter(f.party, *party_columns))


def offset_of(f: ViewFilters, page_size: int) -> int:
    return (f.page - 1) * page_size
