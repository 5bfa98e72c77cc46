"""Tables owned by the oversight dashboard: users, sessions, sign-in attempts
and supervisors' actions on findings.

They live apart from the event archive and the projections (which the
dashboard only reads) and have their own metadata so that the store's models
never depend on the UI. Times here are wall-clock `timestamptz`: they concern
people signing in, not the event time the rules reason about.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UIBase(DeclarativeBase):
    """Declarative base of the dashboard's own tables."""


class UIUser(UIBase):
    __tablename__ = "ui_users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    # argon2id PHC string; never the password.
    password_hash: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UISession(UIBase):
    """A signed-in session. The cookie carries a random token; only its
    SHA-256 is stored, so a read of this table does not yield usable cookies."""

    __tablename__ = "ui_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ui_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    client_addr: Mapped[str | None] = mapped_column(String(64), nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class UILoginAttempt(UIBase):
    """Every sign-in attempt, kept for the rate limit and for the record."""

    __tablename__ = "ui_login_attempts"
    __table_args__ = (
        Index("ix_ui_login_attempts_user_at", "username", "at"),
        Index("ix_ui_login_attempts_addr_at", "client_addr", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    client_addr: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    success: Mapped[bool] = mapped_column(Boolean)


class UIFindingAction(UIBase):
    """A supervisor's acknowledgement or closure of a finding, with the id of
    the platform event that records it in the archive."""

    __tablename__ = "ui_finding_actions"
    __table_args__ = (Index("ix_ui_finding_actions_finding", "finding_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    finding_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))  # "acknowledged" | "closed"
    comment: Mapped[str] = mapped_column(Text)
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    event_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class UIFindingState(UIBase):
    """Per finding: the parties involved (its responsible party plus the parties of
    its evidence events, for scope filtering without joining the archive on every
    page) and the supervisors' status (acknowledged or closed), which the
    dashboard overlays on the store's `findings.status`."""

    __tablename__ = "ui_finding_state"
    __table_args__ = (Index("ix_ui_finding_state_parties", "parties", postgresql_using="gin"),)

    finding_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    parties: Mapped[list[str]] = mapped_column(ARRAY(Text))
    ui_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    ui_status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UIFindingCount(UIBase):
    """Signed deltas of the number of findings per (rule, severity, responsible party,
    displayed status, involved parties), written by database triggers on `findings`
    and `ui_finding_state` (migration 0102_ui_perf) and folded into one row per key
    by `ui_fold_finding_counts()`. The sum of `n` per key is exact at any time; the
    dashboard's counts read it instead of counting the findings."""

    __tablename__ = "ui_finding_counts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    rule: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    party: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16))
    parties: Mapped[list[str]] = mapped_column(ARRAY(Text))
    n: Mapped[int] = mapped_column(BigInteger)
