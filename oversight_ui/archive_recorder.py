"""`AccessRecorder` that writes `ebsp.oversight.accessed.v1` to the platform chain."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from custodes.events import OversightAccessed
from oversight_ui.access import ACCESSED_TYPE, clean_filters
from oversight_ui.platform_chain import Pending, append, now_ms


class ArchiveAccessRecorder:
    """Appends one platform event per request and commits it at once: the record
    of an access must exist even if rendering the page fails afterwards."""

    def record(self, db: Session, *, user: str, role: str, scope: str, view: str,
               filters: dict[str, Any], result_count: int) -> str:
        data = OversightAccessed(user=user, role=role, scope=scope, view=view,
                                 filters=clean_filters(filters), result_count=max(int(result_count), 0))
        (event,) = append(db, [Pending(ACCESSED_TYPE, data, now_ms())])
        db.commit()
        return event.id
