"""The rule engine: composes every rule family behind one pure interface.

    engine = Engine(policy, trust)
    engine.ingest(event)      -> outputs decided by that event alone
    engine.advance(clock_ms)  -> outputs the watermark `clock_ms` decides (live)
    engine.finish(horizon_ms) -> outputs decided "as of" the horizon (replay)

Pure: no I/O, no clock, no randomness; state in plain objects; findings are
returned, never raised. Identity (SPEC §7) is checked first: exact duplicates
are ignored, a conflicting duplicate raises INT-1 and goes no further (live,
it is quarantined: `seen()` tells the runner before it ingests). Every other
node event is chain-checked (INT-1) and handed to the rules that want its
type. Each finding id is raised at most once and resolved at most once.

The findings are a function of the event set and the cut alone, whatever the
arrival order across nodes, as long as each node's events come in seq order
and `advance` is only called with a true watermark (`watermark_ms`).
"""
from __future__ import annotations

from typing import Any

from custodes.events import CHECKPOINT_TYPE, Event, FindingRaised, QuerySubmitted, TransferSent
from custodes.parties import US
from custodes.timefmt import MS_PER_DAY, MS_PER_HOUR
from processors.core.agenda import Cut, horizon_cut, live_cut
from processors.core.compact import transfer_record
from processors.core.findings import Output
from processors.core.integrity import Identities, Integrity, Seen
from processors.core.matching import Matching
from processors.core.onward import Onward
from processors.core.policies import Policies, PolicyLike
from processors.core.purpose import Purpose
from processors.core.reciprocity import Reciprocity
from processors.core.remedy import Remedy
from processors.core.retention import Retention
from processors.core.review import Review
from processors.core.rule import Handler, Immediate, Rule, blank
from processors.core.sources import Sources
from processors.core.special import Special
from processors.core.systematic import _FIRED, Bulk, OfficerRate

QUERY = "ebsp.query.submitted.v1"
TRANSFER = "ebsp.transfer.sent.v1"

_NEW = Seen.NEW
_DUPLICATE = Seen.DUPLICATE
_CONFLICT = Seen.CONFLICT
_fromhex = bytes.fromhex
_int = int.from_bytes


class Engine:
    def __init__(self, policy: PolicyLike, trust: Any | None = None) -> None:
        policies = Policies(policy)
        self._identities = Identities()
        self._integrity = Integrity(trust)
        self.retention = Retention(policies)
        self.onward = Onward(policies)
        self.remedy = Remedy(policies)
        self.matching = Matching()
        self.officer_rate = OfficerRate(policies)
        self._rules: list[Rule] = [
            Purpose(policies), Bulk(), self.officer_rate, self.matching, Sources(policies),
            Special(), self.retention, self.onward, Review(), Reciprocity(policies), self.remedy,
        ]
        self._timed: list[Rule] = [r for r in self._rules if not isinstance(r, Immediate)]
        dispatch: dict[str, list[Handler]] = {}
        for rule in self._rules:
            for type_, handler in rule.handlers().items():
                dispatch.setdefault(type_, []).append(handler)
        # one handler per type: the rules' own, in rule order, except for the two
        # busiest types, whose rules run merged (same outputs, same order)
        self._handle: dict[str, Handler] = {k: v[0] if len(v) == 1 else _chain(tuple(v))
                                            for k, v in dispatch.items()}
        self._handle[QUERY] = _query_handler(policies, *self._rules[:3])  # type: ignore[arg-type]
        self._handle[TRANSFER] = _transfer_handler(
            policies, self.matching, *self._rules[4:7], self._rules[9])  # type: ignore[arg-type]
        # bound once: `ingest` runs per event
        self._admit = self._identities.admit
        self._on_event = self._integrity.on_event
        self._id_index = self._identities._index   # source -> {id key: hash}, for `ingest`
        self._chains = self._integrity._chains     # source -> [seq, hash, time], for `ingest`
        # source -> (its identity index, its chain state): both, once the source is known
        self._sources: dict[str, tuple[dict[int, int], list[Any]]] = {}
        self._raised: set[str] = set()
        self._resolved: set[str] = set()
        self._cut = Cut(-(2**62), -(2**62))
        self.duplicates = 0
        self.conflicts = 0

    @property
    def events_ingested(self) -> int:
        """Node events evaluated: each new one is in the identity index, nothing else is."""
        return len(self._identities)

    # --- input --------------------------------------------------------------
    def seen(self, event: Event) -> Seen:
        """NEW, DUPLICATE (ignore it) or CONFLICT (quarantine it; ingest raises INT-1)."""
        return self._identities.classify(event)

    def ingest(self, event: Event) -> list[Output]:
        """Take one node event; return what it decides on its own (never raises).

        The common case runs inline here, with the identity and chain state of
        `Identities` and `Integrity` bound once: a new event with a UUID id, a
        64-hex-digit hash and an intact link to the previous event of its
        source. Anything else goes through those classes' own methods."""
        if not event.party:  # platform events are outputs, not evidence
            return []
        eid = event.id
        known_source = self._sources.get(event.source)
        try:
            key = _fromhex(eid.replace("-", ""))
            mark = _fromhex(event.hash)
        except ValueError:
            key = mark = b""
        if known_source is None or len(key) != 16 or len(mark) != 32 or len(eid) != 36:
            return self._ingest(event)
        index, chain = known_source
        key_int = _int(key)
        if key_int in index:  # a duplicate or a conflict
            return self._ingest(event)
        index[key_int] = _int(mark)
        out: list[Output] = []
        type_ = event.type
        if (type_ == CHECKPOINT_TYPE or event.seq != chain[0] + 1
                or event.prevhash != chain[1] or event.time_ms < chain[2]):
            self._on_event(event, out)
        else:
            chain[0], chain[1], chain[2] = event.seq, event.hash, event.time_ms
        handler = self._handle.get(type_)
        if handler is not None:
            handler(event, out)
        return self._once(out) if out else out

    def _ingest(self, event: Event) -> list[Output]:
        """`ingest` through `Identities.admit` and `Integrity.on_event`: a source's
        first event, an id that is not a UUID, a hash that is not 64 hex digits, a
        duplicate or a conflict."""
        source = event.source
        status = self._admit(event)
        out: list[Output] = []
        if status is not _NEW:
            if status is _DUPLICATE:
                self.duplicates += 1
                return out
            self.conflicts += 1
            self._integrity.conflict(event, out)
            return self._once(out)
        self._on_event(event, out)
        index, chain = self._id_index.get(source), self._chains.get(source)
        if index is not None and chain is not None:
            self._sources[source] = (index, chain)
        handler = self._handle.get(event.type)
        if handler is not None:
            handler(event, out)
        return self._once(out) if out else out

    # --- time ---------------------------------------------------------------
    def advance(self, clock_ms: int) -> list[Output]:
        """The watermark is now clock_ms: answer every question it decides."""
        return self._advance(live_cut(clock_ms))

    def finish(self, horizon_ms: int) -> list[Output]:
        """Replay's end: events with time <= horizon decided, deadlines < horizon passed."""
        return self._advance(horizon_cut(horizon_ms))

    def _advance(self, cut: Cut) -> list[Output]:
        if cut.events_before < self._cut.events_before:
            cut = Cut(self._cut.events_before, max(cut.deadlines_before,
                                                   self._cut.deadlines_before))
        self._cut = cut
        out: list[Output] = []
        for rule in self._timed:
            rule.advance(cut, out)
        return self._once(out) if out else out

    @property
    def watermark_ms(self) -> int | None:
        """SPEC §5 low watermark over the nodes seen so far (None: nothing is due yet)."""
        return self._integrity.watermark_ms

    # --- bookkeeping --------------------------------------------------------
    def _once(self, out: list[Output]) -> list[Output]:
        kept: list[Output] = []
        for o in out:
            if isinstance(o, FindingRaised):
                if o.finding_id in self._raised:
                    continue
                self._raised.add(o.finding_id)
            else:
                if o.finding_id not in self._raised or o.finding_id in self._resolved:
                    continue
                self._resolved.add(o.finding_id)
            kept.append(o)
        return kept

    def stats(self) -> dict[str, int]:
        """Sizes of the long-lived state, for memory measurements and node health."""
        return {
            "events": self.events_ingested,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "identities": len(self._identities),
            "query_hits": self.matching.index_size(),
            "retention_clocks": self.retention.open_clocks(),
            "onward_requests": self.onward.open_requests(),
            "remedies": self.remedy.open_remedies(),
            "officer_hours": self.officer_rate.open_hours(),
            "findings_raised": len(self._raised),
        }


def _chain(handlers: tuple[Handler, ...]) -> Handler:
    def handle(event: Event, out: list[Output]) -> None:
        for handler in handlers:
            handler(event, out)
    return handle


def _query_handler(policies: Policies, purpose: Purpose, bulk: Bulk,
                   rate: OfficerRate) -> Handler:
    """PUR-1, SYS-1 and SYS-2 for a query in one call: their common cases inline
    (nothing to report, an officer-hour's first or next query), the rules' own
    methods otherwise (they check again and report)."""
    hours = rate._hours
    on_purpose, on_bulk, on_rate, check = purpose.on_query, bulk.on_query, rate.on_query, rate.check

    def on_query(event: Event, out: list[Output]) -> None:
        q: QuerySubmitted = event.data  # type: ignore[assignment]
        party = q.requesting_party
        view = policies[party]
        if q.purpose not in view.purposes_allowed:
            on_purpose(event, out)
        text = q.individual_justification
        if q.records_requested > 1 or not text or text.isspace():
            on_bulk(event, out)
        time_ms = event.time_ms
        slots = hours.get(time_ms - time_ms % MS_PER_HOUR)
        if slots is None:
            on_rate(event, out)
            return
        slot = (party, q.officer_ref)
        ids = slots.get(slot)
        if ids is None:
            if view.max_queries_per_officer_hour < 1:
                on_rate(event, out)
            else:
                slots[slot] = event.id
        elif ids is _FIRED:
            return
        elif type(ids) is str:
            ids = slots[slot] = [ids, event.id]
            check(event, q, time_ms - time_ms % MS_PER_HOUR, slots, ids, out)
        else:
            ids.append(event.id)  # type: ignore[union-attr]
            check(event, q, time_ms - time_ms % MS_PER_HOUR, slots, ids, out)  # type: ignore[arg-type]

    return on_query


def _transfer_handler(policies: Policies, matching: Matching, sources: Sources,
                      special: Special, retention: Retention,
                      reciprocity: Reciprocity) -> Handler:
    """MAT-1, SRC-1, SPC-1, RET-1 and REC-1 for a transfer in one call. Only SRC-1
    and SPC-1 report on ingest (in that order); the common cases of the others
    (a hit already known, a new retention clock in its lane, a month already
    open) run inline, anything else through the rules' own methods."""
    hits = matching._hits
    clocks, ret_lanes = retention._clocks, retention._lanes._lanes
    months = reciprocity._months
    on_sources, on_special = sources.on_transfer, special.on_transfer
    on_matching, on_retention, on_reciprocity = (
        matching.on_transfer, retention.on_transfer, reciprocity.on_transfer)

    def on_transfer(event: Event, out: list[Output]) -> None:
        t: TransferSent = event.data  # type: ignore[assignment]
        sender, recipient, time_ms = t.sender, t.recipient, event.time_ms
        if not policies[sender].sources_prohibited.isdisjoint(t.source_databases):
            on_sources(event, out)
        specials = t.special_categories
        if specials and blank(t.special_category_justification):
            on_special(event, out)
        # MAT-1: settled on ingest when the sender's hit is known no later
        hit = hits.get(sender + t.query_id)
        if hit is None or hit > time_ms:
            on_matching(event, out)
        # RET-1: a new clock is the transfer's record, its deadline in a lane
        tid = t.transfer_id
        rec = None if tid in clocks else transfer_record(event)
        if rec is None:
            on_retention(event, out)
        else:
            is_special = bool(specials)
            view = policies[recipient]
            deadline = time_ms + (view.retention_special_category_days if is_special
                                  else view.retention_default_days) * MS_PER_DAY
            lane = ret_lanes.get((event.source, recipient, is_special))
            times = lane[0] if lane is not None else None
            if times is not None and (not times or times[-1] <= deadline) \
                    and deadline < _I64:
                clocks[tid] = rec
                times.append(deadline)
                lane[1].append(tid)  # type: ignore[index]
            else:
                on_retention(event, out)
        # REC-1: the month's lists, when the month is open already
        if recipient == US:
            if sender == US:
                return
            party, side = sender, 0
        elif sender == US:
            party, side = recipient, 1
        else:
            return
        start, nxt, label = reciprocity._window
        counts = months.get((party, label)) if start <= time_ms < nxt else None
        if counts is None:
            on_reciprocity(event, out)
        else:
            counts[side].append(event.id)

    return on_transfer


_I64 = 2**63
