"""The event vocabulary of SPEC §3: one frozen struct per `data` payload.

Wire JSON is turned into these by `custodes.codec` (which validates and names
the exact field and reason on rejection). The structs are msgspec Structs:
frozen, typed, and fast to build. Field constraints here are the ones §1–§3
state; cross-field checks (e.g. timestamps that must be real dates) live in
the codec.

Textual formats (hex hashes, country codes, database ids, base64, timestamps)
are declared with `Pattern`, a marker msgspec itself ignores: a regular
expression run from inside msgspec costs ~0.4 µs a field, so the codec checks
these strings itself (with caches of values already seen valid) and only
builds msgspec's own regex-checking twins of these structs to explain a
rejection (see `custodes.codec`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, Union

import msgspec
import orjson
from msgspec import Meta

from custodes.parties import Party


# --- value types -----------------------------------------------------------
@dataclass(frozen=True)
class Pattern:
    """The regular expression a string field must match (checked by the codec)."""

    regex: str


# Patterns use [0-9] (not \d, which matches any Unicode digit) and \Z (not $,
# which also matches before a trailing newline): "DE\n" is not a party code.
NonEmpty = Annotated[str, Meta(min_length=1)]
Alpha2 = Annotated[str, Pattern(r"^[A-Z]{2}\Z")]
Hex64 = Annotated[str, Pattern(r"^[0-9a-f]{64}\Z")]
Hex32 = Annotated[str, Pattern(r"^[0-9a-f]{32}\Z")]
Timestamp = Annotated[
    str, Pattern(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\Z")
]
DatabaseId = Annotated[str, Pattern(r"^[A-Z0-9][A-Z0-9_.-]*\Z")]
INT64_MAX = 2**63 - 1  # wire integers must fit PostgreSQL bigint and every JSON stack
Count = Annotated[int, Meta(ge=0, le=INT64_MAX)]
Base64 = Annotated[str, Pattern(r"^[A-Za-z0-9+/]+={0,2}\Z")]

Purpose = Literal[
    "border_screening", "identity_verification", "immigration_benefit",
    "law_enforcement", "intelligence", "other",
]
Modality = Literal["fingerprint", "face", "iris", "dna", "biographic"]
Encounter = Literal[
    "border_crossing", "travel_authorisation", "visa_application",
    "immigration_benefit", "investigation",
]
QueryResult = Literal["hit", "no_hit", "error"]
DataCategory = Literal[
    "fingerprint", "face", "iris", "dna", "biographic", "document", "criminal_record",
]
SpecialCategory = Literal[
    "racial_or_ethnic_origin", "political_opinions", "religious_beliefs",
    "trade_union", "health", "sex_life_or_orientation", "genetic",
]
DeletionScope = Literal["full", "partial"]
DeletionReason = Literal[
    "retention_expired", "no_continuing_risk", "remedy", "rectification", "other",
]
OnwardDecision = Literal["granted", "refused"]
ReviewOutcome = Literal["confirmed", "overturned", "modified"]
DecisionOutcome = Literal[
    "admitted", "entry_refused", "travel_authorisation_denied", "visa_refused",
    "secondary_inspection", "removal_ordered", "other",
]
RemedyKind = Literal["access", "rectification", "erasure", "complaint", "redress"]
RemedyOutcome = Literal["granted", "partially_granted", "refused", "forwarded"]
Severity = Literal["info", "warning", "violation", "critical"]


class _Data(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, gc=False):
    """Base of every payload: frozen, no unknown fields (subclasses repeat `frozen=True`,
    which they inherit anyway, because mypy's dataclass view of msgspec needs it)."""


# --- node events (§3) ------------------------------------------------------
class QuerySubmitted(_Data, frozen=True):
    query_id: NonEmpty
    case_id: NonEmpty
    requesting_party: Party
    requested_party: Party
    officer_ref: NonEmpty
    purpose: Purpose
    legal_basis: str
    modalities: list[Modality]
    subject_ref: Hex64
    subject_nationality: Alpha2
    target_databases: list[DatabaseId]
    records_requested: Annotated[int, Meta(ge=1, le=INT64_MAX)]
    individual_justification: str
    encounter: Encounter


class QueryAnswered(_Data, frozen=True):
    query_id: NonEmpty
    case_id: NonEmpty
    responding_party: Party
    result: QueryResult
    matched_databases: list[DatabaseId]
    candidate_count: Count
    automated: bool


class TransferSent(_Data, frozen=True):
    transfer_id: NonEmpty
    query_id: NonEmpty
    case_id: NonEmpty
    sender: Party
    recipient: Party
    subject_ref: Hex64
    data_categories: list[DataCategory]
    special_categories: list[SpecialCategory]
    special_category_justification: str | None
    source_databases: list[DatabaseId]
    records: Count


class RetentionAssessed(_Data, frozen=True):
    assessment_id: NonEmpty
    transfer_id: NonEmpty
    case_id: NonEmpty
    party: Party
    continuing_risk: bool
    evidence_ref: str | None
    assessed_by: NonEmpty
    review_by: Timestamp | None


class DeletionPerformed(_Data, frozen=True):
    deletion_id: NonEmpty
    transfer_id: NonEmpty
    case_id: NonEmpty
    party: Party
    scope: DeletionScope
    reason: DeletionReason
    onward_recipients_notified: bool


class OnwardRequested(_Data, frozen=True):
    request_id: NonEmpty
    transfer_id: NonEmpty
    case_id: NonEmpty
    requesting_party: Party
    originating_party: Party
    third_country: Alpha2
    recipient_authority: NonEmpty
    purpose: Purpose
    justification: str


class OnwardDecided(_Data, frozen=True):
    request_id: NonEmpty
    case_id: NonEmpty
    originating_party: Party
    decision: OnwardDecision
    conditions: str | None
    decided_by: NonEmpty


class OnwardExecuted(_Data, frozen=True):
    request_id: NonEmpty
    transfer_id: NonEmpty
    case_id: NonEmpty
    party: Party
    third_country: Alpha2


class ReviewCompleted(_Data, frozen=True):
    review_id: NonEmpty
    case_id: NonEmpty
    party: Party
    reviewer_ref: NonEmpty
    reviewer_role: NonEmpty
    outcome: ReviewOutcome
    rationale: str


class DecisionRecorded(_Data, frozen=True):
    decision_id: NonEmpty
    case_id: NonEmpty
    party: Party
    subject_ref: Hex64
    outcome: DecisionOutcome
    adverse: bool
    significant: bool
    automated: bool
    human_review_id: str | None
    basis: list[NonEmpty]


class RemedyRequested(_Data, frozen=True):
    remedy_id: NonEmpty
    case_id: NonEmpty | None
    subject_ref: Hex64
    kind: RemedyKind
    lodged_with: Party
    concerns_party: Party


class RemedyExtended(_Data, frozen=True):
    remedy_id: NonEmpty
    party: Party
    reason: str


class RemedyResolved(_Data, frozen=True):
    remedy_id: NonEmpty
    party: Party
    outcome: RemedyOutcome


class NodeCheckpoint(_Data, frozen=True):
    head_seq: Count
    head_hash: Hex64
    key_id: NonEmpty
    signature: Base64


# --- platform events (§3) --------------------------------------------------
class FindingRaised(_Data, frozen=True):
    finding_id: Hex32
    rule: NonEmpty
    severity: Severity
    party: Party
    case_id: str | None
    key: NonEmpty
    evidence: list[str]
    due: Timestamp | None
    observed_at: Timestamp
    summary: str


class FindingResolved(_Data, frozen=True):
    finding_id: Hex32
    rule: NonEmpty
    evidence: list[str]
    observed_at: Timestamp


class OversightAccessed(_Data, frozen=True):
    user: NonEmpty
    role: NonEmpty
    scope: str
    view: NonEmpty
    filters: dict[str, object]
    result_count: Count


class FindingReviewed(_Data, frozen=True):
    """A supervisor acknowledged or closed a finding in the dashboard (platform type
    of the dashboard, see docs/decisions.md); a closure is followed by
    `ebsp.finding.resolved.v1` whose evidence names this event."""

    finding_id: Hex32
    rule: NonEmpty
    action: Literal["acknowledged", "closed"]
    user: NonEmpty
    role: NonEmpty
    comment: str
    observed_at: Timestamp


NodeData = Union[
    QuerySubmitted, QueryAnswered, TransferSent, RetentionAssessed, DeletionPerformed,
    OnwardRequested, OnwardDecided, OnwardExecuted, ReviewCompleted, DecisionRecorded,
    RemedyRequested, RemedyExtended, RemedyResolved, NodeCheckpoint,
]
PlatformData = Union[FindingRaised, FindingResolved, OversightAccessed, FindingReviewed]

# type string -> payload struct, exactly the type strings of §3.
NODE_TYPES: dict[str, type[_Data]] = {
    "ebsp.query.submitted.v1": QuerySubmitted,
    "ebsp.query.answered.v1": QueryAnswered,
    "ebsp.transfer.sent.v1": TransferSent,
    "ebsp.retention.assessed.v1": RetentionAssessed,
    "ebsp.deletion.performed.v1": DeletionPerformed,
    "ebsp.onward.requested.v1": OnwardRequested,
    "ebsp.onward.decided.v1": OnwardDecided,
    "ebsp.onward.executed.v1": OnwardExecuted,
    "ebsp.review.completed.v1": ReviewCompleted,
    "ebsp.decision.recorded.v1": DecisionRecorded,
    "ebsp.remedy.requested.v1": RemedyRequested,
    "ebsp.remedy.extended.v1": RemedyExtended,
    "ebsp.remedy.resolved.v1": RemedyResolved,
    "ebsp.node.checkpoint.v1": NodeCheckpoint,
}
PLATFORM_TYPES: dict[str, type[_Data]] = {
    "ebsp.finding.raised.v1": FindingRaised,
    "ebsp.finding.resolved.v1": FindingResolved,
    "ebsp.oversight.accessed.v1": OversightAccessed,
    "ebsp.finding.reviewed.v1": FindingReviewed,
}
TYPE_OF: dict[type[_Data], str] = {v: k for k, v in {**NODE_TYPES, **PLATFORM_TYPES}.items()}
CHECKPOINT_TYPE = "ebsp.node.checkpoint.v1"


class Event(msgspec.Struct, frozen=True, gc=False):
    """A validated event: the §2 envelope, its typed payload, and derived facts.

    `time_ms` is `time` in epoch milliseconds, `hash` the hex SHA-256 of the
    event's canonical bytes (§2), `party` the party code of `source` ("" for
    the platform). `canonical` is those canonical bytes (what the archive and
    exports store, `codec.encode`), and `raw` the event as a wire dict, parsed
    from them on demand: most events are never asked for it, and a dict costs
    ~1.5 µs to build and several times the memory of its bytes.
    """

    id: str
    source: str
    type: str
    time: str
    time_ms: int
    seq: int
    prevhash: str
    hash: str
    party: str
    data: NodeData | PlatformData
    canonical: bytes

    @property
    def raw(self) -> dict[str, object]:
        """The event as a wire dict (a fresh one each time: changing it changes nothing)."""
        return orjson.loads(self.canonical)  # type: ignore[no-any-return]
