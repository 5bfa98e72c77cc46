"""Each rule of SPEC §6 in words a supervisor reads in the finding drill-down:
what it checks, why (the legal basis, from docs/notes legal-background), and
what usually remedies it. Kept as data so the page, the API and the audit
bundle show the same text; tests check every rule id of §6 is present.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleText:
    rule: str
    title: str
    checks: str
    legal_basis: str
    responsible: str


RULES: dict[str, RuleText] = {r.rule: r for r in (
    RuleText("PUR-1", "Purpose not allowed",
             "A query was submitted for a purpose outside the purposes the framework and the "
             "requesting party's implementing arrangement allow (policy `purposes.allowed`).",
             "Purpose limitation: the Council negotiating mandate (16 Dec 2025) allows subsequent "
             "use only where strictly necessary and duly authorised; PCSC agreements Art. 13 require "
             "the transmitting party's prior consent for any other purpose; LED Art. 4(1)(b).",
             "the requesting party"),
    RuleText("SYS-1", "Query not case-by-case",
             "A query asked for more than one record, or carried no individual justification.",
             "Case-by-case exchange only, no bulk access: Regulation (EU) 2019/817 Art. 22(1) "
             "(reasonable grounds in a specific case); PCSC AT-US Art. 4(1) (individual cases only); "
             "LED Art. 25 (logs must let the justification be established).",
             "the requesting party"),
    RuleText("SYS-2", "Systematic querying by one officer",
             "One officer submitted more queries within one UTC clock hour than the policy allows "
             "(`systematic.max_queries_per_officer_hour`).",
             "The mandate's ban on continuous and systematic transfers; self-monitoring of logs "
             "under LED Art. 25(2).",
             "the requesting party"),
    RuleText("MAT-1", "Transfer without a hit",
             "Data were transferred for a query that the sender had not answered with a hit before "
             "the transfer.",
             "Two-step exchange: a hit/no-hit reply first, personal data only after a hit "
             "(Regulation (EU) 2019/817 Art. 22; PCSC Arts. 4 and 8; Prüm II).",
             "the sender"),
    RuleText("SRC-1", "Data from a prohibited EU system",
             "A transfer lists a source database whose data must never leave for a third country "
             "(policy `sources.prohibited`, by default EURODAC, ECRIS-TCN and EES).",
             "Eurodac Regulation (EU) 2024/1358 Art. 49; EES Regulation (EU) 2017/2226 Art. 41(1); "
             "ECRIS-TCN Regulation (EU) 2019/816 Arts. 17-18; the mandate excludes the EU's "
             "large-scale IT systems.",
             "the sender"),
    RuleText("SPC-1", "Special categories without justification",
             "A transfer contains special categories of personal data but no justification for them.",
             "LED Art. 10 (only where strictly necessary, with appropriate safeguards); the draft "
             "agreement requires an additional justification; CJEU Opinion 1/15.",
             "the sender"),
    RuleText("RET-1", "Data kept beyond the retention deadline",
             "The recipient did not confirm a full deletion before the retention deadline "
             "(default days, shorter for special categories, extended only by an assessment of "
             "continuing risk with evidence).",
             "Storage limitation: CJEU C-817/19 (Ligue des droits humains) and Opinion 1/15 "
             "(no retention without objective evidence of continuing risk); Umbrella Agreement "
             "Art. 12; LED Art. 5.",
             "the recipient"),
    RuleText("ONW-1", "Onward transfer without consent",
             "Data were passed on to a third country without the originating party's prior "
             "consent for that request, or to another country than the one consented to.",
             "LED Art. 35(1)(c) (prior authorisation of the originating Member State); Umbrella "
             "Agreement Art. 7; the draft agreement requires explicit consent.",
             "the party that executed the onward transfer"),
    RuleText("ONW-2", "Onward-transfer request left undecided",
             "The originating party did not decide on an onward-transfer request within "
             "`onward.decision_days`.",
             "LED Art. 35(1)(c); good administration of consent requests under Umbrella Art. 7.",
             "the originating party"),
    RuleText("HRV-1", "Adverse decision without human review",
             "An adverse and significant decision was recorded without a completed human review "
             "of the same case before it.",
             "LED Art. 11 (no decision based solely on automated processing producing adverse "
             "legal effects; right to human intervention); Umbrella Agreement Art. 15; EU-US PNR "
             "2012 (a human must be involved before adverse decisions).",
             "the deciding party"),
    RuleText("REC-1", "Exchange not reciprocal",
             "In a past calendar month the exchange between an EU party and the US was enough in "
             "volume but out of balance beyond `reciprocity.min_ratio_permille`.",
             "Reciprocity of the framework (EPRS briefing 2026; Member States may revoke access); "
             "Umbrella Agreement Art. 26 (suspension).",
             "the side that sent fewer transfers"),
    RuleText("RMD-1", "Remedy request not answered in time",
             "A data subject's request (access, rectification, erasure, complaint, redress) was not "
             "resolved within `remedy.deadline_days` (plus `extension_days` if extended in time).",
             "GDPR Art. 12(3) and Regulation (EU) 2019/817 Art. 48 (deadlines for data subject "
             "requests); Umbrella Agreement Arts. 16-19; US Judicial Redress Act 2015.",
             "the party the request was lodged with"),
    RuleText("INT-1", "Broken log integrity",
             "A node's hash chain is broken: a gap or repeat in seq, a prevhash that does not "
             "match, time going backwards, or a checkpoint whose signature or head does not verify.",
             "Integrity and tamper evidence of logs: LED Art. 25 and 29; Regulation (EU) 2019/817 "
             "Art. 16 (logs protected against unauthorised modification).",
             "the node's party"),
)}


def rule_text(rule: str) -> RuleText | None:
    return RULES.get(rule)
