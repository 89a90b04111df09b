"""Evaluating rule conditions. Each predicate is a small, named test; the rules themselves
(which predicates, which weights, which citations) are data in knowledge/rules.yaml."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import TYPE_CHECKING, Any

from alknav.interpret.facts import CaseFacts, clone_call, coverage
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.recommend.candidates import Candidate
from alknav.recommend.result import Msg, joined, msg

if TYPE_CHECKING:
    from alknav.kb import schema as s
else:  # at run time `s` is only read for enums (the schema re-exports them): no pydantic classes
    from alknav.kb import enums as s

CaseTest = Callable[[Any, CaseFacts, KnowledgeBase], bool]
CandidateTest = Callable[[Any, Candidate, CaseFacts, KnowledgeBase], bool]


def _approved_in_region(kb: KnowledgeBase, drug_id: str, region: str, line: str | None = None) -> str:
    """The drug's approval status in `region`; "off_label_line" when it is approved there only for the
    other line (`line`: first = no prior ALK TKI, later = after one; None = line not considered)."""
    drug = kb.drugs[drug_id]
    if drug.investigational:
        return "investigational"
    for a in drug.approvals:
        if a.region.value == region:
            if (a.status is s.ApprovalStatus.approved and a.line_only is not None and line is not None
                    and line != a.line_only):
                return "off_label_line"
            return a.status.value
    return "unknown"


def _first_tki_months(facts: CaseFacts, kb: KnowledgeBase, limit: float) -> bool:
    """The first ALK TKI had progression as best response, or ended in progression within `limit` months."""
    pd_limit = kb.limit(s.LimitId.best_response_pd_max_months)
    for entry, ids in zip(facts.case.history, facts.regimens, strict=True):
        if not set(ids) & set(facts.prior_tkis):
            continue
        if entry.best_response is not None and entry.best_response.value == "PD":
            # PD "best response" over years on the drug contradicts itself (flagged as response_inconsistent);
            # it is not evidence that the TKI never worked
            return entry.months is None or entry.months <= pd_limit
        stopped = entry.stopped_for.value if entry.stopped_for else None
        return stopped == "progression" and entry.months is not None and entry.months <= limit
    return False


def _cns_level(drug: s.Drug) -> str:
    return drug.cns_penetration.level.value if drug.cns_penetration is not None else "unknown"


def _no_tki_covers(facts: CaseFacts, kb: KnowledgeBase) -> bool:
    """Every approved ALK TKI with curated (not inferred) data on the clones found is called resistant
    to at least one of them, and at least one has such data. A TKI with no data is left out rather than
    read as resistant; when no TKI has data (an uncurated variant) this is false, so missing data
    never raises chemotherapy above the standard next TKI."""
    if not facts.clones:
        return False
    with_data = 0
    for d in kb.drugs.values():
        if d.drug_class is not s.DrugClass.alk_tki or d.investigational:
            continue
        calls = [clone_call(c, d.id) for c in facts.clones]
        if all(c.call == "unknown" or c.weak for c in calls):
            continue
        with_data += 1
        if coverage(calls) != "some_resistant":
            return False
    return with_data > 0


def _none_known_to_cover(facts: CaseFacts, kb: KnowledgeBase) -> bool:
    """No approved ALK TKI is known (curated, not inferred) to cover every clone found."""
    if not facts.clones:
        return False
    return not any(coverage([clone_call(c, d.id) for c in facts.clones]) in ("all_sensitive", "some_intermediate")
                   for d in kb.drugs.values() if d.drug_class is s.DrugClass.alk_tki and not d.investigational)


_STAGE = re.compile(r"^(?:STAGE\s*)?(IV|III|II|I|4|3|2|1)(?:[ABC]\d?)?$")
_STAGE_GROUP = {"I": "early", "1": "early", "II": "early", "2": "early", "III": "locally_advanced",
                "3": "locally_advanced", "IV": "metastatic", "4": "metastatic"}


def stage_group(stage: str | None) -> str | None:
    """'IIIA', 'stage 3a', 'IVB' -> early | locally_advanced | metastatic; None when absent or unreadable
    (an unreadable stage must not switch on a stage-specific warning)."""
    if not stage:
        return None
    m = _STAGE.match(re.sub(r"\s+", " ", stage.strip().upper()).replace("STAGE ", "STAGE"))
    return _STAGE_GROUP[m.group(1)] if m else None


CASE_TESTS: dict[str, CaseTest] = {
    "status_in": lambda v, f, kb: f.case.current.status.value in v,
    "line": lambda v, f, kb: f.line == v,
    "last_tki_in": lambda v, f, kb: f.current_tki in v,
    "last_tki_completed": lambda v, f, kb: f.last_tki_completed == v,
    "last_tki_generation_in": lambda v, f, kb: f.current_tki is not None and kb.drugs[f.current_tki].generation in v,
    "prior_drug_any": lambda v, f, kb: bool(set(v) & set(f.prior_drugs)),
    "prior_drug_none": lambda v, f, kb: not set(v) & set(f.prior_drugs),
    "prior_ici": lambda v, f, kb: (f.case.prior_immune_checkpoint_inhibitor or any(
        kb.drugs[d].drug_class is s.DrugClass.immune_checkpoint_inhibitor for d in f.prior_drugs)) == v,
    "cns": lambda v, f, kb: f.cns == v,
    "leptomeningeal": lambda v, f, kb: f.case.current.cns.leptomeningeal == v,
    "cns_symptomatic": lambda v, f, kb: f.case.current.cns.symptomatic == v,
    "stage_group_in": lambda v, f, kb: stage_group(f.case.diagnosis.stage) in v,
    "transformed": lambda v, f, kb: (f.histology_now is not None) == v,
    "prior_toxicity_any": lambda v, f, kb: any(
        word in (entry.toxicity or "").lower() for entry in f.case.history for word in v),
    "pattern_in": lambda v, f, kb: f.case.current.progression_pattern is not None
    and f.case.current.progression_pattern.value in v,
    "comorbidity_any": lambda v, f, kb: bool(set(v) & f.comorbidities),
    "alteration_any": lambda v, f, kb: any(fnmatch(n.lower(), p.lower()) for n in f.normalized for p in v),
    "alk_mutation": lambda v, f, kb: bool(f.clones) == v,
    "unphased_alk_mutations": lambda v, f, kb: f.unphased == v,
    "compound_mutation": lambda v, f, kb: any(len(c.mutations) > 1 for c in f.clones) == v,
    "unrecognized_alteration": lambda v, f, kb: any(not a.recognized for a in f.alterations) == v,
    "mechanism_found": lambda v, f, kb: bool(f.clones or f.mechanisms or f.histology_now) == v,
    "histology_now_in": lambda v, f, kb: f.histology_now in v,
    "histology_any_in": lambda v, f, kb: (f.histology_now or (
        f.case.diagnosis.histology.value if f.case.diagnosis.histology else None)) in v,
    "fusion_variant_in": lambda v, f, kb: f.fusion_variant is not None and f.fusion_variant.lower() in
    {x.lower() for x in v},
    "variant_label_mismatch": lambda v, f, kb: (f.variant_mismatch is not None) == v,
    "ecog_at_least": lambda v, f, kb: f.case.patient.ecog is not None and f.case.patient.ecog >= v,
    "first_tki_progressed_within_months": lambda v, f, kb: _first_tki_months(f, kb, float(v)),
    "biopsy_sample_in": lambda v, f, kb: f.case.current.biopsy is not None and f.case.current.biopsy.sample in v,
    "region_in": lambda v, f, kb: f.region in v,
    "no_approved_tki_covers_all_clones": lambda v, f, kb: _no_tki_covers(f, kb) == v,
    "no_approved_tki_known_to_cover": lambda v, f, kb: _none_known_to_cover(f, kb) == v,
    "pregnant": lambda v, f, kb: f.pregnant == v,
    "breastfeeding": lambda v, f, kb: f.breastfeeding == v,
    "child_pugh_in": lambda v, f, kb: f.case.clinical.child_pugh is not None and f.case.clinical.child_pugh.value in v,
    "creatinine_clearance_below": lambda v, f, kb: f.case.clinical.creatinine_clearance is not None
    and f.case.clinical.creatinine_clearance < v,
    "heart_rate_below": lambda v, f, kb: f.case.clinical.heart_rate is not None and f.case.clinical.heart_rate < v,
    "age_at_least": lambda v, f, kb: f.case.patient.age is not None and f.case.patient.age >= v,
    "medication_class_any": lambda v, f, kb: bool(set(v) & f.medication_classes),
    "unknown_medication": lambda v, f, kb: any(not m.classes for m in f.medications) == v,
    "unknown_comorbidity": lambda v, f, kb: bool(f.unknown_comorbidities) == v,
    "unknown_toxicity": lambda v, f, kb: any(t.code is None for t in f.toxicities) == v,
    "alk_diagnosis_any": lambda v, f, kb: bool(set(v) & f.alk_diagnosis),
    "plausibility_any": lambda v, f, kb: bool(set(v) & f.plausibility),
    "current_toxicity_any": lambda v, f, kb: f.current_toxicity is not None and f.current_toxicity.code in v,
    "current_toxicity_class_shared": lambda v, f, kb: (
        f.current_toxicity is not None and f.current_toxicity.code is not None
        and kb.toxicity_codes[f.current_toxicity.code].class_shared) == v,
}

_EVIDENCE_RANK = {"clinical": 0, "preclinical": 1, "computational": 2}


def _weakest_call_evidence(cand: Candidate) -> str | None:
    types = [b.evidence_type.value for call in cand.calls for b in call.basis]
    return max(types, key=lambda t: _EVIDENCE_RANK.get(t, 3)) if types else None


def _not_earlier_generation(cand: Candidate, facts: CaseFacts, kb: KnowledgeBase) -> bool:
    """No ALK TKI in the option is of an earlier generation than the last one the tumour met (data on,
    say, brigatinib's intracranial activity come from patients who had not yet had lorlatinib)."""
    last = kb.drugs[facts.current_tki].generation if facts.current_tki is not None else None
    if last is None:
        return True
    gens = [kb.drugs[d].generation for d in cand.drugs if kb.drugs[d].drug_class is s.DrugClass.alk_tki]
    return all(g is None or g >= last for g in gens)


CANDIDATE_TESTS: dict[str, CandidateTest] = {
    "candidate_call_evidence_in": lambda v, c, f, kb: _weakest_call_evidence(c) in v,
    "candidate_drug_any": lambda v, c, f, kb: bool(set(v) & set(c.drugs)),
    "candidate_category_in": lambda v, c, f, kb: c.category in v,
    "candidate_generation_in": lambda v, c, f, kb: any(kb.drugs[d].generation in v for d in c.drugs),
    "candidate_not_earlier_generation": lambda v, c, f, kb: _not_earlier_generation(c, f, kb) == v,
    "candidate_coverage_in": lambda v, c, f, kb: c.coverage in v,
    "candidate_cns_in": lambda v, c, f, kb: any(
        _cns_level(kb.drugs[d]) in v
        for d in c.drugs if kb.drugs[d].drug_class is s.DrugClass.alk_tki or c.category == "clinical_trial"),
    # an approval limited to the other line (Approval.line_only, e.g. US ensartinib for ALK-inhibitor-naive
    # patients) counts as not approved for this patient: off-label use weighs like no approval
    "candidate_approved_in_region": lambda v, c, f, kb: all(
        _approved_in_region(kb, d, f.region, f.line) == "approved" for d in c.drugs) == v,
    "candidate_investigational": lambda v, c, f, kb: (c.category == "clinical_trial") == v,
    "candidate_received_before": lambda v, c, f, kb: (
        any(d in f.prior_tkis for d in c.drugs) and c.category in ("alk_tki", "clinical_trial")) == v,
    "candidate_is_current_tki": lambda v, c, f, kb: (c.drugs == [f.current_tki]) == v,
    "candidate_failed_before": lambda v, c, f, kb: (
        c.category in ("alk_tki", "clinical_trial") and any(d in f.failed_drugs for d in c.drugs)) == v,
    "candidate_class_any": lambda v, c, f, kb: any(kb.drugs[d].drug_class.value in v for d in c.drugs),
    "candidate_continues_current_tki": lambda v, c, f, kb: (f.current_tki is not None and f.current_tki in c.drugs
                                                            and c.category != "clinical_trial") == v,
}


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its conditions resolved to test functions once per knowledge base."""

    rule: s.Rule
    case_tests: tuple[tuple[CaseTest, Any], ...]
    candidate_tests: tuple[tuple[CandidateTest, Any], ...]

    @property
    def per_candidate(self) -> bool:
        return bool(self.candidate_tests)

    def case_matches(self, facts: CaseFacts, kb: KnowledgeBase) -> bool:
        return all(test(value, facts, kb) for test, value in self.case_tests)

    def candidate_matches(self, cand: Candidate, facts: CaseFacts, kb: KnowledgeBase) -> bool:
        return all(test(value, cand, facts, kb) for test, value in self.candidate_tests)


def compiled_rules(kb: KnowledgeBase) -> list[CompiledRule]:
    if "rules" not in kb.derived:
        out = []
        for rule in kb.rules.values():
            given = rule.when.model_dump(mode="json", exclude_none=True)
            # list conditions become frozensets of plain strings/ints once, for fast membership tests
            values = {k: frozenset(v) if isinstance(v, list) else v for k, v in given.items()}
            out.append(CompiledRule(
                rule,
                tuple((CASE_TESTS[k], values[k]) for k in given if k in CASE_TESTS),
                tuple((CANDIDATE_TESTS[k], values[k]) for k in given if k in CANDIDATE_TESTS),
            ))
        kb.derived["rules"] = out
    return kb.derived["rules"]  # type: ignore[no-any-return]


def _regional_approval(kb: KnowledgeBase, drug_id: str, region: str) -> s.Approval | None:
    return next((a for a in kb.drugs[drug_id].approvals if a.region.value == region), None)


def _outside_indication(kb: KnowledgeBase, drug_id: str, region: str, alterations: Sequence[str]) -> list[str]:
    """The alterations the drug's approval in `region` is indicated for, when the tumour has none of them
    (e.g. capmatinib, approved for MET exon 14 skipping, given for MET amplification); [] when the
    indication needs no alteration beyond the ALK rearrangement, or the tumour has one it names."""
    approval = _regional_approval(kb, drug_id, region)
    if approval is None or approval.status is not s.ApprovalStatus.approved or not approval.indication_alterations:
        return []
    wanted = approval.indication_alterations
    if any(fnmatch(a.lower(), p.lower()) for a in alterations for p in wanted):
        return []
    return list(wanted)


def _excludes_alk(kb: KnowledgeBase, cand: Candidate, region: str) -> bool:
    """An approval in `region` of the option's regimen as a whole, or of one of its drugs, whose indication
    leaves out ALK-positive tumours (`indication_excludes_alk`)."""
    approvals = list(cand.regimen.approvals) if cand.regimen is not None else []
    approvals += [a for d in cand.drugs if (a := _regional_approval(kb, d, region)) is not None]
    return any(a.region.value == region and a.status is s.ApprovalStatus.approved and a.indication_excludes_alk
               for a in approvals)


def combination_approved(kb: KnowledgeBase, cand: Candidate, region: str) -> bool:
    """An option joining an ALK TKI to other drugs is approved only where its regimen records an approval of
    the combination itself; one with no ALK TKI, or a single drug, is judged by its drugs' approvals."""
    tkis = [d for d in cand.drugs if kb.drugs[d].drug_class is s.DrugClass.alk_tki]
    if not tkis or len(cand.drugs) < 2:
        return True
    reg = cand.regimen
    return reg is not None and any(
        a.region.value == region and a.status is s.ApprovalStatus.approved for a in reg.approvals)


def availability(kb: KnowledgeBase, cand: Candidate, region: str, line: str | None = None,
                 alterations: Sequence[str] = ()) -> tuple[str, Msg | None]:
    """The option's regulatory status in `region`: approved, off_label (every drug approved there, or
    some not recorded, but the use is outside the labelled indication: a combination no label indicates,
    a label whose indication leaves out ALK-positive tumours, or a drug approved for an alteration the tumour
    does not have), not_approved, unknown, investigational.
    `alterations` are the case's normalised alterations."""
    if cand.category == "clinical_trial":
        return "investigational", msg("t:avail_trial_only")
    if cand.category == "local_therapy" and not cand.drugs:
        return "approved", msg("t:avail_local")
    statuses = {d: _approved_in_region(kb, d, region, line) for d in cand.drugs}
    off_label = [d for d, v in statuses.items() if v == "off_label_line"]
    if off_label and line is not None:
        # approved in this region, but the label covers only the other line (e.g. US ensartinib: ALK-TKI-naive only)
        other = "first" if line == "later" else "later"
        names: list[Msg | str] = [msg(f"drug:{d}") for d in off_label]
        return "not_approved", msg("t:avail_line_only", region=msg(f"t:region_{region}"),
                                   who=msg(f"t:avail_line_{other}"), drugs=joined(names))
    where = msg(f"t:region_{region}")
    reasons: list[Msg | str] = []
    if not combination_approved(kb, cand, region):
        reasons.append(msg("t:avail_combination", drugs=joined([msg(f"drug:{d}") for d in cand.drugs])))
    if _excludes_alk(kb, cand, region):
        reasons.append(msg("t:avail_excludes_alk"))
    for d, v in statuses.items():
        wanted = _outside_indication(kb, d, region, alterations) if v == "approved" else []
        if wanted:
            # each alteration by name in the reader's language (t:indication_alt_<pattern>, outputs.i18n)
            reasons.append(msg("t:avail_indication", drug=msg(f"drug:{d}"), region=where,
                               alterations=joined([msg(f"t:indication_alt_{a}") for a in wanted], "or")))
    missing: list[Msg | str] = [msg(f"drug:{d}") for d, v in statuses.items() if v != "approved"]
    if any(v == "not_approved" for v in statuses.values()):
        return "not_approved", msg("t:avail_missing", region=where, drugs=joined(missing))
    if reasons:
        if missing:
            reasons.append(msg("t:avail_missing", region=where, drugs=joined(missing)))
        return "off_label", msg("t:avail_off_label_detail", region=where, reasons=joined(reasons, "semi"))
    if not missing:
        return "approved", None
    return "unknown", msg("t:avail_missing", region=where, drugs=joined(missing))
