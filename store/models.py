"""Tables of the live store: the event archive, the SPEC §8 projections, the
quarantine, the platform's own findings chain (an outbox) and consumer positions.

The models are the schema's documentation and what the dashboard reads with
SQLAlchemy; the live processor writes them with Core/COPY (no ORM on the hot
path). The schema itself is created by the Alembic migrations in
`store/migrations`, which also add what models cannot express (the archive's
append-only trigger, roles, views). Event times are kept both as `timestamptz`
(for people and SQL) and, where exact ordering matters, as epoch milliseconds.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the live store (the dashboard's tables have their own)."""


class ArchivedEvent(Base):
    """Every event the platform accepted, in the order it was ingested; append-only.

    `canonical` holds the exact canonical bytes (§2): the hash can be recomputed
    and exports reproduce the event byte for byte. `disposition` is `accepted`,
    or `conflict` for an event that reused a (source, id) with other content: it
    is quarantined and raised INT-1, and kept here too so a replay of the
    archive sees exactly what the live engine saw.
    """

    __tablename__ = "archive_events"
    __table_args__ = (
        UniqueConstraint("source", "id", "hash", name="uq_archive_source_id_hash"),
        Index("ix_archive_source_seq", "source", "seq"),
        Index("ix_archive_time", "time_ms"),
        Index("ix_archive_case", "case_id"),
        Index("ix_archive_parties", "parties", postgresql_using="gin"),
    )

    ingest_no: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    topic: Mapped[str] = mapped_column(Text)
    partition: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text)
    party: Mapped[str] = mapped_column(String(2))
    seq: Mapped[int] = mapped_column(BigInteger)
    id: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    time_ms: Mapped[int] = mapped_column(BigInteger)
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hash: Mapped[str] = mapped_column(String(64))
    prevhash: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    parties: Mapped[list[str]] = mapped_column(ARRAY(Text))
    disposition: Mapped[str] = mapped_column(String(16), server_default="accepted")
    canonical: Mapped[bytes] = mapped_column(LargeBinary)
    archived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ConsumerPosition(Base):
    """Next offset to read per (consumer, topic, partition), committed with the rows it produced."""

    __tablename__ = "consumer_positions"

    consumer: Mapped[str] = mapped_column(Text, primary_key=True)
    topic: Mapped[str] = mapped_column(Text, primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_offset: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProcessorState(Base):
    """One row per processor: its low watermark and counters, for node-health and lag views."""

    __tablename__ = "processor_state"

    consumer: Mapped[str] = mapped_column(Text, primary_key=True)
    watermark_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    watermark: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    events_ingested: Mapped[int] = mapped_column(BigInteger, server_default="0")
    quarantined: Mapped[int] = mapped_column(BigInteger, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PlatformEvent(Base):
    """The platform's own chain (source urn:ebsp:platform): findings raised and resolved.

    Written in the same transaction as the rows that caused them, then published
    to ebsp.findings.v1 by the outbox publisher; the chain continues after a
    restart from the last stored seq and hash.
    """

    __tablename__ = "platform_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(Text, unique=True)
    type: Mapped[str] = mapped_column(Text)
    time_ms: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    prevhash: Mapped[str] = mapped_column(String(64))
    finding_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    canonical: Mapped[bytes] = mapped_column(LargeBinary)


class OutboxPosition(Base):
    """How far each outbox (findings, quarantine) has been published to Kafka."""

    __tablename__ = "outbox_positions"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    published_through: Mapped[int] = mapped_column(BigInteger, server_default="0")


class Finding(Base):
    """The findings register (§8). `status`: open, resolved, acknowledged, closed."""

    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_party_status", "party", "status"),
        Index("ix_findings_rule", "rule"),
        Index("ix_findings_case", "case_id"),
        Index("ix_findings_ret1_open_key", "key",
              postgresql_where=text("rule = 'RET-1' AND resolved_at IS NULL")),
    )

    finding_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    rule: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    party: Mapped[str] = mapped_column(String(2))
    case_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    key: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[str]] = mapped_column(ARRAY(Text))
    due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), server_default="open")
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolution_evidence: Mapped[list[str] | None] = mapped_column(ARRAY(Text), nullable=True)
    platform_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    raised_wall: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ExchangeVolume(Base):
    """Queries, hits and transfers per (day, from party, to party); hit rate = hits / queries.

    Queries and hits count under the query's day and (requesting, requested)
    pair; transfers under the transfer's day and (sender, recipient).
    """

    __tablename__ = "exchange_volumes"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    from_party: Mapped[str] = mapped_column(String(2), primary_key=True)
    to_party: Mapped[str] = mapped_column(String(2), primary_key=True)
    queries: Mapped[int] = mapped_column(BigInteger, server_default="0")
    hits: Mapped[int] = mapped_column(BigInteger, server_default="0")
    transfers: Mapped[int] = mapped_column(BigInteger, server_default="0")


class RetentionClock(Base):
    """One retention clock per transfer: `open` until a full deletion by the recipient.

    `deadline` is for display; the verdict is RET-1. The view
    `retention_clocks_status` calls a clock overdue when an open RET-1 finding
    names it (rule 'RET-1', key = transfer_id), due soon against the watermark.
    """

    __tablename__ = "retention_clocks"
    __table_args__ = (Index("ix_retention_recipient_status", "recipient", "status", "deadline"),)

    transfer_id: Mapped[str] = mapped_column(Text, primary_key=True)
    case_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    sender: Mapped[str | None] = mapped_column(String(2), nullable=True)
    recipient: Mapped[str | None] = mapped_column(String(2), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(16), server_default="open")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_by: Mapped[str | None] = mapped_column(String(2), nullable=True)


class RetentionEarlyMove(Base):
    """A deadline move (continuing-risk assessment) read before its transfer: it waits here
    until the batch that stores the transfer applies it (migration 0103_live_perf)."""

    __tablename__ = "retention_early_moves"
    __table_args__ = (Index("ix_retention_early_moves_transfer", "transfer_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    transfer_id: Mapped[str] = mapped_column(Text)
    party: Mapped[str] = mapped_column(String(2))
    assessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Reciprocity(Base):
    """Per EU party and UTC month: a = transfers P→US, b = transfers US→P (REC-1's inputs)."""

    __tablename__ = "reciprocity"

    party: Mapped[str] = mapped_column(String(2), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    a: Mapped[int] = mapped_column(BigInteger, server_default="0")
    b: Mapped[int] = mapped_column(BigInteger, server_default="0")


class ReviewCompliance(Base):
    """Per deciding party: adverse+significant decisions, with and without a named review."""

    __tablename__ = "review_compliance"

    party: Mapped[str] = mapped_column(String(2), primary_key=True)
    decisions: Mapped[int] = mapped_column(BigInteger, server_default="0")
    adverse_significant: Mapped[int] = mapped_column(BigInteger, server_default="0")
    with_review: Mapped[int] = mapped_column(BigInteger, server_default="0")
    without_review: Mapped[int] = mapped_column(BigInteger, server_default="0")
    automated: Mapped[int] = mapped_column(BigInteger, server_default="0")
    hrv1_findings: Mapped[int] = mapped_column(BigInteger, server_default="0")


class OnwardTransfer(Base):
    """The onward-transfer register: one row per request, filled in as events arrive."""

    __tablename__ = "onward_register"

    request_id: Mapped[str] = mapped_column(Text, primary_key=True)
    transfer_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    case_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    requesting_party: Mapped[str | None] = mapped_column(String(2), nullable=True)
    originating_party: Mapped[str | None] = mapped_column(String(2), nullable=True)
    third_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    recipient_authority: Mapped[str | None] = mapped_column(Text, nullable=True)
    purpose: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    executed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    executed_by: Mapped[str | None] = mapped_column(String(2), nullable=True)
    executed_third_country: Mapped[str | None] = mapped_column(String(2), nullable=True)


class Remedy(Base):
    """Remedy requests and their deadlines (RMD-1's inputs)."""

    __tablename__ = "remedies"

    remedy_id: Mapped[str] = mapped_column(Text, primary_key=True)
    case_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    lodged_with: Mapped[str | None] = mapped_column(String(2), nullable=True)
    concerns_party: Mapped[str | None] = mapped_column(String(2), nullable=True)
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    extended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(24), nullable=True)


class NodeHealth(Base):
    """Per node: last seq and checkpoint, and chain status (`ok`, or `broken` since an INT-1)."""

    __tablename__ = "node_health"

    party: Mapped[str] = mapped_column(String(2), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    last_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    last_event_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_checkpoint_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_checkpoint_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    events: Mapped[int] = mapped_column(BigInteger, server_default="0")
    chain_status: Mapped[str] = mapped_column(String(8), server_default="ok")
    last_int1_finding_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_int1_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    int1_count: Mapped[int] = mapped_column(BigInteger, server_default="0")


class QuarantinedMessage(Base):
    """A message that is not a valid event (§7), with its original bytes and coordinates."""

    __tablename__ = "quarantine"
    __table_args__ = (
        UniqueConstraint("topic", "partition", "offset", "kind", name="uq_quarantine_coords"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(Text)
    partition: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(BigInteger)
    key: Mapped[str | None] = mapped_column(Text, nullable=True)
    raw_b64: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(24))  # invalid | conflicting_duplicate
    reason: Mapped[str] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    event_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    details: Mapped[dict[str, object] | None] = mapped_column(JSONB, nullable=True)
