"""The platform's clock as the processors last published it (SPEC §5)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import ProcessorState


def current(db: Session) -> datetime | None:
    """Low watermark of the live processors; None while undefined (nothing is due yet)."""
    return db.scalar(select(func.max(ProcessorState.watermark)))
