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

from custodes.events import CHECKPOINT_TYPE, Event, FindingRaised
from processors.core.agenda import Cut, horizon_cut, live_cut
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
from processors.core.rule import Handler, Immediate, Rule
from processors.core.sources import Sources
from processors.core.special import Special
from processors.core.systematic import Bulk, OfficerRate

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
        self._dispatch = {k: tuple(v) for k, v in dispatch.items()}
        # bound once: `ingest` runs per event
        self._admit = self._identities.admit
        self._on_event = self._integrity.on_event
        self._id_index = self._identities._index   # source -> {id key: hash}, for `ingest`
        self._chains = self._integrity._chains     # source -> [seq, hash, time], for `ingest`
        self._raised: set[str] = set()
        self._resolved: set[str] = set()
        self._cut = Cut(-(2**62), -(2**62))
        self.events_ingested = 0
        self.duplicates = 0
        self.conflicts = 0

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
        source = event.source
        if not event.party:  # platform events are outputs, not evidence
            return []
        eid = event.id
        index = self._id_index.get(source)
        try:
            key = _fromhex(eid.replace("-", ""))
            mark = _fromhex(event.hash)
        except ValueError:
            key = mark = b""
        if index is None or len(key) != 16 or len(mark) != 32 or len(eid) != 36:
            status = self._admit(event)
        else:
            key_int = _int(key)
            known = index.get(key_int)
            if known is None:
                index[key_int] = _int(mark)
                status = _NEW
            else:
                status = _DUPLICATE if known == _int(mark) else _CONFLICT
        out: list[Output] = []
        if status is not _NEW:
            if status is _DUPLICATE:
                self.duplicates += 1
                return out
            self.conflicts += 1
            self._integrity.conflict(event, out)
            return self._once(out)
        self.events_ingested += 1
        type_ = event.type
        chain = self._chains.get(source)
        if (chain is None or type_ == CHECKPOINT_TYPE or event.seq != chain[0] + 1
                or event.prevhash != chain[1] or event.time_ms < chain[2]):
            self._on_event(event, out)
        else:
            chain[0], chain[1], chain[2] = event.seq, event.hash, event.time_ms
        handlers = self._dispatch.get(type_)
        if handlers is not None:
            for handler in handlers:
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
