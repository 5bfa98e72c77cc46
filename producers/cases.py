"""Case scripts: one query and everything that follows from it, scheduled at once.

When a query arrives, its whole future is decided: the answer, a transfer
after a hit, the recipient's assessments, onward requests, decisions and the
deletion before the recipient's retention deadline. Each step is pushed on
the world's schedule at its own event time, so the engine emits events of
all nodes in global time order. Injected violations change one step of a
script and record the finding SPEC §6 must raise; everything else in the
script stays compliant, so an injection never causes a second finding.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from custodes.parties import EU_PARTIES, PARTIES, US
from custodes.policy import PURPOSES, PartyPolicy
from custodes.signing import time_text
from custodes.timefmt import MS_PER_DAY, MS_PER_HOUR, format_ms, hour_of
from producers.config import InjectionRates, SimConfig
from producers.guards import OfficerRoster
from producers.truth import violation
from producers.world import K_BURST, K_EMIT, World

QUERY = "ebsp.query.submitted.v1"
ANSWER = "ebsp.query.answered.v1"
TRANSFER = "ebsp.transfer.sent.v1"
ASSESSED = "ebsp.retention.assessed.v1"
DELETED = "ebsp.deletion.performed.v1"
ONWARD_REQ = "ebsp.onward.requested.v1"
ONWARD_DEC = "ebsp.onward.decided.v1"
ONWARD_EXE = "ebsp.onward.executed.v1"
REVIEW = "ebsp.review.completed.v1"
DECISION = "ebsp.decision.recorded.v1"
REMEDY_REQ = "ebsp.remedy.requested.v1"
REMEDY_EXT = "ebsp.remedy.extended.v1"
REMEDY_RES = "ebsp.remedy.resolved.v1"

MINUTE = 60_000
# (encounter, purpose it normally serves, adverse outcome)
ENCOUNTERS: tuple[tuple[str, str, str], ...] = (
    ("border_crossing", "border_screening", "entry_refused"),
    ("travel_authorisation", "border_screening", "travel_authorisation_denied"),
    ("visa_application", "identity_verification", "visa_refused"),
    ("immigration_benefit", "immigration_benefit", "other"),
)
ADVERSE_OF = {e: o for e, _, o in ENCOUNTERS}
JUSTIFICATIONS = (
    "traveller referred at primary inspection",
    "document and biometrics mismatch at the border",
    "ESTA application flagged for identity verification",
    "visa applicant's identity could not be established",
    "prior immigration violation suspected for this traveller",
    "fingerprint match to a watch-list entry requires confirmation",
)
SPECIAL = ("racial_or_ethnic_origin", "health", "religious_beliefs", "genetic")
SPECIAL_JUSTIFICATIONS = (
    "health data necessary to assess the risk of the encounter",
    "strictly necessary for identification of the individual",
)
RATIONALES = (
    "match confirmed by examiner against the transferred record",
    "officer interview corroborated the biometric match",
)


def national_db(party: str) -> str:
    return "US-IDENT" if party == US else f"{party}-AFIS"


def legal_basis(req: str, to: str) -> str:
    return f"EBSP framework agreement; implementing arrangement {min(req, to)}-{max(req, to)}"


class Cases:
    """Writes case scripts into the world's schedule."""

    def __init__(
        self, world: World, cfg: SimConfig, policy: Callable[[str], PartyPolicy],
        rates: InjectionRates, nodes: tuple[str, ...], scale: float,
    ) -> None:
        self.w = world
        self.rng = world.rng
        self.cfg = cfg
        self.pol = policy
        self.rates = rates
        self.nodes = nodes
        self.eu_nodes = tuple(p for p in EU_PARTIES if p in nodes)
        self.eu_weights = [cfg.traffic.weights[p] for p in self.eu_nodes]
        self.scale = scale
        self.purposes = self._purposes(nodes)
        self._random, self._bits = world.rng.random, world.rng.getrandbits
        # (rule, party) -> (the world's draw-count row, rate): `draw` without lookups.
        self._cells: dict[tuple[str, str], tuple[list[int], float]] = {}
        self._db = {p: national_db(p) for p in PARTIES}
        self._basis: dict[tuple[str, str], str] = {}

    def _purposes(self, nodes: tuple[str, ...]) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
        """Per party: (allowed purposes, prohibited purposes), sorted, for drawing by index.

        Also checks, once for every simulated party, that the policy leaves
        compliant queries possible; a ValueError names every party it does not.
        """
        out, problems = {}, []
        for party in nodes:
            pol = self.pol(party)
            if pol.max_queries_per_officer_hour < 1:
                problems.append(f"{party}: systematic.max_queries_per_officer_hour is "
                                f"{pol.max_queries_per_officer_hour}, no officer may query")
            if not pol.purposes_allowed:
                problems.append(f"{party}: purposes.allowed is empty, no query is lawful")
            out[party] = (tuple(sorted(pol.purposes_allowed)),
                          tuple(sorted(PURPOSES - pol.purposes_allowed)))
        if problems:
            raise ValueError("the policy leaves nothing compliant to simulate for "
                             + "; ".join(problems))
        return out

    # --- helpers ------------------------------------------------------------
    def u(self, lo_s: float, hi_s: float) -> int:
        """A uniform duration in ms between lo and hi seconds (at least 1 ms)."""
        return max(1, int((lo_s + (hi_s - lo_s) * self.rng.random()) * 1000))

    def days(self, lo: float, hi: float) -> int:
        """A uniform duration in ms between lo and hi days."""
        return int(MS_PER_DAY * (lo + (hi - lo) * self.rng.random()))

    def frac(self, start: int, end: int, lo: float, hi: float) -> int:
        """A time at a uniform fraction in [lo, hi] of the span start..end."""
        return start + int((end - start) * (lo + (hi - lo) * self.rng.random()))

    def below(self, n: int) -> int:
        """`rng.randrange(n)` (same draws, same result) without its argument checks."""
        bits, k = self._bits, n.bit_length()
        r = bits(k)
        while r >= n:
            r = bits(k)
        return r

    def draw(self, rule: str, party: str) -> bool:
        """`World.draw(rule, party, rate)`: one opportunity counted, True if injected."""
        cell = self._cells.get((rule, party))
        if cell is None:
            row = self.w.draws.setdefault(rule, {}).setdefault(party, [0, 0])
            cell = self._cells[(rule, party)] = (row, self.rates.rate(rule, party))
        row, rate = cell
        row[0] += 1
        if rate <= 0.0:
            return False
        if self._random() < rate:
            row[1] += 1
            return True
        return False

    def emit(self, t: int, party: str, type_: str, data: dict[str, Any], marks: list[Any] | None = None) -> None:
        self.w.push(t, K_EMIT, (party, type_, data, marks))

    def roster(self, party: str) -> OfficerRoster:
        r = self.w.rosters.get(party)
        if r is None:
            t = self.cfg.traffic
            per_day = t.us_queries_per_day if party == US else (
                t.eu_queries_per_day * t.weights[party] / sum(t.weights[p] for p in EU_PARTIES))
            pool = max(t.min_officers, int(per_day * self.scale / 1000 * t.officers_per_1000_daily_queries))
            r = self.w.rosters[party] = OfficerRoster(party, pool)
        return r

    def pick_eu(self) -> str | None:
        if not self.eu_nodes:
            return None
        return self.rng.choices(self.eu_nodes, self.eu_weights)[0]

    def subject(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"

    # --- queries ------------------------------------------------------------
    def query(self, t: int, req: str, to: str, officer: str | None = None,
              burst: str | None = None) -> None:
        """A query from `req` to `to` at `t`, and its answer, transfer and aftermath."""
        w, rng, pol, below = self.w, self.rng, self.pol(req), self.below
        n = w.next_id(req, "Q")
        qid = f"Q-{req}-{n:08d}"
        case_id = f"{req}-{time_text(t)[:4]}-{n:07d}"
        w.last_case[req] = case_id
        pur1, sys1, int1 = self.draw("PUR-1", req), self.draw("SYS-1", req), self.draw("INT-1", req)
        if officer is None:
            roster = w.rosters.get(req) or self.roster(req)
            officer = roster.assign(t, pol.max_queries_per_officer_hour, rng)
        encounter, purpose, _ = ENCOUNTERS[below(len(ENCOUNTERS))]
        allowed, bad = self.purposes[req]
        if purpose not in pol.purposes_allowed:
            purpose = allowed[below(len(allowed))]
        marks: list[Any] = []
        if pur1 and bad:
            purpose = bad[below(len(bad))]
            marks.append(("truth", violation("PUR-1", qid, req, case_id, t)))
        records, justification = 1, JUSTIFICATIONS[below(len(JUSTIFICATIONS))]
        if sys1:
            if rng.random() < 0.5:
                records = rng.randint(2, 500)
            else:
                justification = ("", " ", "\t ")[rng.randrange(3)]
            marks.append(("truth", violation("SYS-1", qid, req, case_id, t)))
        if int1 and not marks:
            marks.append(("tamper",))
        if burst is not None:
            marks.append(("burst", burst))
        subject = f"{self._bits(256):064x}"
        nationality = to if to != US else req
        basis = self._basis.get((req, to))
        if basis is None:
            basis = self._basis[(req, to)] = legal_basis(req, to)
        self.w.push(t, K_EMIT, (req, QUERY, {
            "query_id": qid, "case_id": case_id, "requesting_party": req, "requested_party": to,
            "officer_ref": officer, "purpose": purpose, "legal_basis": basis,
            "modalities": ["fingerprint", "face"] if self._random() < 0.3 else ["fingerprint"],
            "subject_ref": subject, "subject_nationality": nationality,
            "target_databases": [self._db[to]], "records_requested": records,
            "individual_justification": justification, "encounter": encounter,
        }, marks or None))
        self.answer(t, req, to, qid, case_id, subject, encounter)

    def answer(self, t: int, req: str, to: str, qid: str, case_id: str, subject: str,
               encounter: str) -> None:
        """The requested node answers; after a hit it sends the data (unless reciprocity withholds)."""
        rng, tc = self.rng, self.cfg.traffic
        ta = t + self.u(*tc.answer_delay_s)
        hit_rate = tc.us_hit_rate if req == US else tc.eu_hit_rate
        x = self._random()
        result = "error" if x < tc.error_rate else ("hit" if x < tc.error_rate + hit_rate else "no_hit")
        mat1 = self.draw("MAT-1", to)
        send = result == "hit" and rng.random() < self.cfg.transfers.after_hit
        if mat1:
            result, send = "no_hit", True
        tt = ta + self.u(*tc.transfer_delay_s)
        if send:
            send = self.reciprocity_allows(to, req, tt)
        self.w.push(ta, K_EMIT, (to, ANSWER, {
            "query_id": qid, "case_id": case_id, "responding_party": to, "result": result,
            "matched_databases": [self._db[to]] if result == "hit" else [],
            "candidate_count": 1 + (rng.random() < 0.1) if result == "hit" else 0,
            "automated": True,
        }, None))
        if send:
            self.transfer(tt, to, req, qid, case_id, subject, encounter, mat1)

    def reciprocity_allows(self, sender: str, recipient: str, tt: int) -> bool:
        eu = recipient if sender == US else sender
        ledger = self.w.ledger
        entry = ledger.entry(eu, time_text(tt)[:7], lambda: self.draw("REC-1", eu), self.rng)
        p = self.pol(eu)
        side = "a" if sender == eu else "b"
        return ledger.allow(entry, side, p.reciprocity_min_volume, p.reciprocity_min_ratio_permille)

    # --- transfers and what the recipient does with them --------------------
    def transfer(self, tt: int, sender: str, rcpt: str, qid: str, case_id: str, subject: str,
                 encounter: str, mat1: bool) -> None:
        rng, ps = self.rng, self.pol(sender)
        tid = self.w.ref(sender, "T")
        src1, spc1 = self.draw("SRC-1", sender), self.draw("SPC-1", sender)
        marks: list[Any] = []
        if mat1:
            marks.append(("truth", violation("MAT-1", tid, sender, case_id, tt)))
        special: list[str] = []
        justification = None
        if spc1 or rng.random() < self.cfg.transfers.special_category_share:
            special = [SPECIAL[rng.randrange(len(SPECIAL))]]
            if spc1:
                justification = (None, "", "  ")[rng.randrange(3)]
                marks.append(("truth", violation("SPC-1", tid, sender, case_id, tt)))
            else:
                justification = SPECIAL_JUSTIFICATIONS[rng.randrange(len(SPECIAL_JUSTIFICATIONS))]
        sources = [national_db(sender)]
        if src1:
            prohibited = sorted(ps.sources_prohibited)
            if prohibited:
                sources.append(prohibited[rng.randrange(len(prohibited))])
                marks.append(("truth", violation("SRC-1", tid, sender, case_id, tt)))
        categories = ["fingerprint", "biographic"]
        if rng.random() < 0.3:
            categories.append("face")
        if rng.random() < 0.2:
            categories.append("criminal_record")
        marks.extend(self.recipient(tt, rcpt, sender, tid, case_id, subject, encounter, bool(special)))
        self.emit(tt, sender, TRANSFER, {
            "transfer_id": tid, "query_id": qid, "case_id": case_id, "sender": sender,
            "recipient": rcpt, "subject_ref": subject, "data_categories": categories,
            "special_categories": special, "special_category_justification": justification,
            "source_databases": sources, "records": 1,
        }, marks or None)

    def recipient(self, tt: int, rcpt: str, sender: str, tid: str, case_id: str, subject: str,
                  encounter: str, special: bool) -> list[Any]:
        """Schedule the recipient's handling; returns marks for the transfer event (RET-1 truth)."""
        rng, pr, cr = self.rng, self.pol(rcpt), self.cfg.retention
        days = pr.retention_special_category_days if special else pr.retention_default_days
        deadline = tt + days * MS_PER_DAY
        lo, hi = self.cfg.transfers.delete_at_fraction
        if rng.random() < self.cfg.decisions.share:
            self.decision(tt, rcpt, case_id, subject, tid, encounter)
        if self.draw("RET-1", rcpt):
            if rng.random() < 0.3:  # only a partial deletion: still a violation
                self.deletion(self.frac(tt, deadline, lo, hi), rcpt, tid, case_id, "partial", False)
            return [("truth", violation("RET-1", tid, rcpt, case_id, deadline))]
        effective, reason = deadline, "retention_expired"
        x = rng.random()
        max_review = pr.retention_max_review_days * MS_PER_DAY
        if x < cr.risk_share and max_review > MS_PER_HOUR:
            at = self.frac(tt, deadline, 0.2, 0.8)
            review_by = deadline + self.days(*cr.review_extra_days)
            review_by = min(review_by, at + max_review - MS_PER_HOUR)
            if review_by > at:
                effective = review_by
                self.assessment(at, rcpt, tid, case_id, True, review_by)
        elif x < cr.risk_share + cr.no_risk_share:
            at = self.frac(tt, deadline, 0.05, 0.5)
            self.assessment(at, rcpt, tid, case_id, False, None)
            reason = "no_continuing_risk"
        executed = None
        if rng.random() < self.cfg.onward.share:
            executed = self.onward(tt, rcpt, sender, tid, case_id)
        when = self.frac(tt, effective, lo, hi)
        if executed is not None and executed + MINUTE < effective:
            when = max(when, executed + MINUTE)
        self.deletion(when, rcpt, tid, case_id, "full", executed is not None, reason)
        return []

    def deletion(self, t: int, party: str, tid: str, case_id: str, scope: str, notified: bool,
                 reason: str = "retention_expired") -> None:
        self.emit(t, party, DELETED, {
            "deletion_id": self.w.ref(party, "D"), "transfer_id": tid,
            "case_id": case_id, "party": party, "scope": scope, "reason": reason,
            "onward_recipients_notified": notified,
        })

    def assessment(self, t: int, party: str, tid: str, case_id: str, risk: bool,
                   review_by: int | None) -> None:
        self.emit(t, party, ASSESSED, {
            "assessment_id": self.w.ref(party, "RA"), "transfer_id": tid,
            "case_id": case_id, "party": party, "continuing_risk": risk,
            "evidence_ref": self.w.ref(party, "EV") if risk else None,
            "assessed_by": f"{party}-DPO-{self.rng.randrange(1, 9):02d}",
            "review_by": format_ms(review_by) if review_by is not None else None,
        })

    # --- onward transfers ---------------------------------------------------
    def onward(self, tt: int, holder: str, origin: str, tid: str, case_id: str) -> int | None:
        """Onward request by the holder, decision by the originator; returns execution time."""
        rng, co = self.rng, self.cfg.onward
        rid = self.w.ref(holder, "OR")
        tr = tt + self.u(*co.request_after_s)
        country = co.third_countries[rng.randrange(len(co.third_countries))]
        po = self.pol(origin)
        decide_max = po.onward_decision_days * MS_PER_DAY - MS_PER_HOUR
        if decide_max <= 10 * MINUTE:
            return None  # no time to decide compliantly: the holder does not ask
        onw1 = self.draw("ONW-1", holder)
        onw2 = self.draw("ONW-2", origin) and not onw1
        marks = None
        if onw2:
            due = tr + po.onward_decision_days * MS_PER_DAY
            marks = [("truth", violation("ONW-2", rid, origin, case_id, due))]
        self.emit(tr, holder, ONWARD_REQ, {
            "request_id": rid, "transfer_id": tid, "case_id": case_id, "requesting_party": holder,
            "originating_party": origin, "third_country": country,
            "recipient_authority": f"{country} border agency",
            "purpose": "border_screening", "justification": "traveller's onward journey to " + country,
        }, marks)
        if marks is not None:
            return None
        td = tr + min(self.days(*co.decide_after_days), decide_max)
        td = max(td, tr + 5 * MINUTE)
        if onw1:
            variant = rng.randrange(3)
            if variant == 0:   # executed before any decision; granted afterwards
                te = tr + 1 + (td - tr) // 2
                self.decide(td, origin, rid, case_id, "granted")
                return self.execute(te, holder, rid, tid, case_id, country, "violation")
            if variant == 1:   # refused, executed anyway
                self.decide(td, origin, rid, case_id, "refused")
                return self.execute(td + self.u(*co.execute_after_s), holder, rid, tid, case_id,
                                    country, "critical")
            other = [c for c in co.third_countries if c != country] or ["ZZ"]
            self.decide(td, origin, rid, case_id, "granted")
            return self.execute(td + self.u(*co.execute_after_s), holder, rid, tid, case_id,
                                other[rng.randrange(len(other))], "violation")
        granted = rng.random() < co.grant_share
        self.decide(td, origin, rid, case_id, "granted" if granted else "refused")
        if not granted:
            return None
        return self.execute(td + self.u(*co.execute_after_s), holder, rid, tid, case_id, country, None)

    def decide(self, t: int, origin: str, rid: str, case_id: str, decision: str) -> None:
        self.emit(t, origin, ONWARD_DEC, {
            "request_id": rid, "case_id": case_id, "originating_party": origin,
            "decision": decision,
            "conditions": "no further onward transfer" if decision == "granted" else None,
            "decided_by": f"{origin}-NCP-{self.rng.randrange(1, 5):02d}",
        })

    def execute(self, t: int, holder: str, rid: str, tid: str, case_id: str, country: str,
                violation_severity: str | None) -> int:
        marks = None
        if violation_severity is not None:
            marks = [("truth", violation("ONW-1", rid, holder, case_id, t, violation_severity))]
        self.emit(t, holder, ONWARD_EXE, {
            "request_id": rid, "transfer_id": tid, "case_id": case_id, "party": holder,
            "third_country": country,
        }, marks)
        return t

    # --- decisions ----------------------------------------------------------
    def decision(self, tt: int, party: str, case_id: str, subject: str, tid: str,
                 encounter: str) -> None:
        rng, cd = self.rng, self.cfg.decisions
        did = self.w.ref(party, "DEC")
        t = tt + self.u(*cd.review_after_s)
        data = {
            "decision_id": did, "case_id": case_id, "party": party, "subject_ref": subject,
            "outcome": "admitted", "adverse": False, "significant": False, "automated": False,
            "human_review_id": None, "basis": [tid],
        }
        if rng.random() >= cd.adverse_share:
            self.emit(t, party, DECISION, data)
            return
        data.update(outcome=ADVERSE_OF[encounter], adverse=True, significant=True)
        if self.draw("HRV-1", party):
            automated = rng.random() < 0.5
            data["automated"] = automated
            sev = "critical" if automated else "violation"
            self.emit(t, party, DECISION, data,
                      [("truth", violation("HRV-1", did, party, case_id, t, sev))])
            return
        rvid = self.w.ref(party, "RV")
        self.emit(t, party, REVIEW, {
            "review_id": rvid, "case_id": case_id, "party": party,
            "reviewer_ref": f"{party}-SUP-{rng.randrange(1, 30):03d}",
            "reviewer_role": "supervisory officer", "outcome": "confirmed",
            "rationale": RATIONALES[rng.randrange(len(RATIONALES))],
        })
        data["human_review_id"] = rvid
        self.emit(t + self.u(*cd.decide_after_review_s), party, DECISION, data)

    # --- remedies -----------------------------------------------------------
    def remedy(self, t: int, lodged: str) -> None:
        rng, cr, p = self.rng, self.cfg.remedies, self.pol(lodged)
        mid = self.w.ref(lodged, "RM")
        deadline = t + p.remedy_deadline_days * MS_PER_DAY
        extended_deadline = deadline + p.remedy_extension_days * MS_PER_DAY
        rmd1 = self.draw("RMD-1", lodged)
        extend = rng.random() < cr.extension_share
        case_id = self.w.last_case.get(lodged) if rng.random() < cr.case_share else None
        concerns = US if lodged != US else (self.pick_eu() or EU_PARTIES[0])
        marks = None
        if rmd1:
            due = extended_deadline if extend else deadline
            marks = [("truth", violation("RMD-1", mid, lodged, case_id, due))]
        self.emit(t, lodged, REMEDY_REQ, {
            "remedy_id": mid, "case_id": case_id, "subject_ref": self.subject(),
            "kind": ("access", "rectification", "erasure", "complaint", "redress")[rng.randrange(5)],
            "lodged_with": lodged, "concerns_party": concerns,
        }, marks)
        if extend:
            self.emit(self.frac(t, deadline, 0.3, 0.9), lodged, REMEDY_EXT, {
                "remedy_id": mid, "party": lodged, "reason": "consultation of the other party pending",
            })
        if rmd1:
            return
        when = (self.frac(deadline, extended_deadline, 0.05, 0.95) if extend
                else self.frac(t, deadline, 0.05, 0.95))
        self.emit(when, lodged, REMEDY_RES, {
            "remedy_id": mid, "party": lodged,
            "outcome": ("granted", "partially_granted", "refused", "forwarded")[rng.randrange(4)],
        })

    # --- SYS-2 bursts ---------------------------------------------------------
    def plan_day(self, t: int) -> None:
        """At the start of a (simulated) day: maybe an officer burst per node (SYS-2)."""
        rng = self.rng
        day0 = t - t % MS_PER_DAY
        first_hour = -(-(t - day0) // MS_PER_HOUR)
        for party in self.nodes:
            if not self.draw("SYS-2", party):
                continue
            partner = US if party != US else self.pick_eu()
            if partner is None or partner not in self.nodes or first_hour >= 24:
                continue
            limit = self.pol(party).max_queries_per_officer_hour
            h0 = day0 + rng.randrange(first_hour, 24) * MS_PER_HOUR
            n = limit + 1 + rng.randrange(3)
            nb = self.w.next_id(party, "B")
            bid, officer = f"{party}-B{nb:05d}", f"{party}-OFF-X{nb:05d}"
            times = sorted(h0 + rng.randrange(1000, MS_PER_HOUR - 1000) for _ in range(n))
            key = f"{party}/{officer}/{hour_of(h0)}"
            self.w.bursts[bid] = [0, limit + 1, violation("SYS-2", key, party, None, times[limit])]
            for tq in times:
                self.w.push(tq, K_BURST, (party, partner, officer, bid))

