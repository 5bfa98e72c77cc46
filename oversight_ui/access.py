"""Recording of `ebsp.oversight.accessed.v1`: who looked at what, in which
scope, with which filters, and how many rows they were shown.

`AccessRecorder` is the port; the app is given one implementation at
construction. `ArchiveAccessRecorder` appends a platform event to the archive
through the store.
Filters are reduced to JSON without floats (SPEC §2) before they are written.
"""
from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

ACCESSED_TYPE = "ebsp.oversight.accessed.v1"


def clean_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values and turn anything that is not str/int/bool/list into text:
    the event payload must survive the codec (no floats, no objects of unknown shape)."""
    out: dict[str, Any] = {}
    for key, value in sorted(filters.items()):
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, (bool, int, str)):
            out[str(key)] = value
        elif isinstance(value, (list, tuple)):
            out[str(key)] = [v if isinstance(v, (str, int)) and not isinstance(v, bool) else str(v) for v in value]
        else:
            out[str(key)] = str(value)
    return out


class AccessRecorder(Protocol):
    def record(self, db: Session, *, user: str, role: str, scope: str, view: str,
               filters: dict[str, Any], result_count: int) -> str:
        """Write the access event within `db`'s transaction and commit; return its id."""
        ...

