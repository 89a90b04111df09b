"""Generated cases over the case contract (hypothesis strategies) and the clinical invariants every
answer must satisfy. Used by tests/test_invariants.py (a few thousand cases) and by
scripts/invariants_run.py (hundreds of thousands). hypothesis is a test dependency; this module is
imported only by them."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from alknav.interpret.facts import build_facts, clone_call, regimen_key
from alknav.kb import schema as s
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.recommend.result import Result
from alknav.recommend.safety import SWITCH_FIRST

TKI_SEQUENCES = [
    ["crizotinib"], ["alectinib"], ["brigatinib"], ["lorlatinib"], ["ensartinib"], ["ceritinib"], ["iruplinalkib"],
    ["crizotinib", "alectinib"], ["crizotinib", "brigatinib"], ["crizotinib", "ceritinib"],
    ["alectinib", "lorlatinib"], ["brigatinib", "lorlatinib"], ["crizotinib", "alectinib", "lorlatinib"],
    ["crizotinib", "ceritinib", "lorlatinib"], ["lorlatinib", "alectinib"], ["ensartinib", "lorlatinib"],
]
OTHER_LINES = [["carboplatin", "pemetrexed"], ["cisplatin", "pemetrexed", "lorlatinib"],
               ["carboplatin", "pemetrexed", "alectinib"], ["pembrolizumab"], ["tislelizumab"], ["sintilimab"],
               ["camrelizumab"], ["toripalimab"], ["carboplatin", "pemetrexed", "pembrolizumab"],
               ["docetaxel"], ["atezolizumab", "bevacizumab", "carboplatin", "paclitaxel"]]
EXTRA_ALTERATIONS = ["MET amplification", "ALK amplification", "KRAS G12C", "EGFR L858R", "MET exon 14 skipping",
                     "BRAF V600E",
                     "ALK A1200V", "TP53 R273H", "TP53 R400H", "NTRK1 fusion", "ALK X9999Q", "not a variant"]
TOXICITIES = ["hepatotoxicity_g3", "ild_g2", "ild", "hys_law_hepatotoxicity", "bradycardia_g2", "cns_effects_g2",
              "hyperlipidemia_g3", "cpk_elevation_g3", "gi_toxicity_g2", "strange_rash_x"]
UNKNOWN_WORD = "zz_unlisted"


def _names(kb: KnowledgeBase, table: dict[str, Any]) -> list[str]:
    return sorted(table)


@st.composite
def cases(draw: st.DrawFn, kb: KnowledgeBase) -> dict[str, Any]:
    """One contract-v1.1 case, consistent enough to be answered (the refusals are tested apart)."""
    known_drugs = set(kb.drugs)
    sex = draw(st.sampled_from(["F", "M", "other"]))
    age = draw(st.integers(min_value=25, max_value=90))
    naive = draw(st.booleans())
    history: list[dict[str, Any]] = []
    if not naive:
        seq = draw(st.sampled_from(TKI_SEQUENCES))
        lines = [[d] for d in seq]
        if draw(st.booleans()):
            other = [d for d in draw(st.sampled_from(OTHER_LINES)) if d in known_drugs]
            if other:
                lines.insert(draw(st.integers(0, len(lines))), other)
        for i, regimen in enumerate(lines):
            last = i == len(lines) - 1
            stopped = draw(st.sampled_from(["progression", "toxicity", "other"])) if last else "progression"
            entry: dict[str, Any] = {
                "regimen": regimen,
                "best_response": draw(st.sampled_from(["CR", "PR", "SD", "PD", None])),
                "months": draw(st.one_of(st.none(), st.integers(1, 30))),
                "stopped_for": stopped,
            }
            if stopped == "toxicity" or draw(st.integers(0, 5)) == 0:
                entry["toxicity"] = draw(st.sampled_from(TOXICITIES))
            history.append(entry)
    status = "treatment_naive" if naive else (
        "toxicity" if history[-1]["stopped_for"] == "toxicity" else "progression")
    if status == "progression" and history[-1]["stopped_for"] != "progression":
        history[-1]["stopped_for"] = "progression"
    singles = sorted(m for m, v in kb.mutations.items() if not v.components)
    compounds = sorted(m for m, v in kb.mutations.items() if v.components)
    alterations: list[Any] = []
    if not naive or draw(st.integers(0, 4)) == 0:
        for _ in range(draw(st.integers(0, 2))):
            kind = draw(st.integers(0, 2))
            if kind == 0:
                alterations.append(f"ALK {draw(st.sampled_from(singles))}")
            elif kind == 1 and compounds:
                parts = kb.mutations[draw(st.sampled_from(compounds))].components
                alterations.append({"gene": "ALK", "mutations": list(parts), "phase": "cis"})
            else:
                alterations.append(draw(st.sampled_from(EXTRA_ALTERATIONS)))
    comorbid_pool = [*sorted(kb.comorbidity_codes), UNKNOWN_WORD]
    comorbidities = draw(st.lists(st.sampled_from(comorbid_pool), max_size=3, unique=True))
    if sex == "M" or age > 55:
        comorbidities = [c for c in comorbidities if c not in ("pregnancy", "breastfeeding")]
    clinical: dict[str, Any] = {}
    if draw(st.booleans()):
        clinical["child_pugh"] = draw(st.sampled_from(["A", "B", "C"]))
    if draw(st.booleans()):
        clinical["creatinine_clearance"] = draw(st.integers(10, 120))
    if draw(st.booleans()):
        clinical["heart_rate"] = draw(st.integers(40, 110))
    if sex == "F" and age <= 45 and draw(st.integers(0, 3)) == 0:
        clinical["pregnancy_weeks"] = draw(st.integers(4, 38))
    meds_pool = [*sorted(kb.medicines), UNKNOWN_WORD]
    meds = draw(st.lists(st.sampled_from(meds_pool), max_size=3, unique=True))
    cns_brain = draw(st.booleans())
    return {
        "case_format": 1,
        "id": "generated",
        "patient": {"age": age, "sex": sex, "ecog": draw(st.integers(0, 4)),
                    "region": draw(st.sampled_from(["US", "CN", "EU", "JP"]))},
        "diagnosis": {"histology": "adenocarcinoma", "stage": "IVB",
                      "alk": {"method": "NGS", "fusion": "EML4-ALK"}},
        "history": history,
        "current": {
            "status": status,
            "progression_pattern": draw(st.sampled_from(["systemic", "cns_only", "oligoprogression", None]))
            if status == "progression" else None,
            "biopsy": {"sample": draw(st.sampled_from(["plasma", "tissue"])), "method": "NGS"},
            "alterations": alterations,
            "cns": {"brain_metastases": cns_brain, "leptomeningeal": draw(st.booleans()) if cns_brain else False,
                    "symptomatic": False},
        },
        "comorbidities": comorbidities,
        "clinical": clinical,
        "concomitant_medications": meds,
        "prior_immune_checkpoint_inhibitor": draw(st.booleans()),
    }


def violations(case_data: dict[str, Any], result: Result, kb: KnowledgeBase, again: Result | None = None) -> list[str]:
    """Every clinical invariant the answer breaks (empty = safe)."""
    from alknav.inputs.case_reader import parse_case_data

    out: list[str] = []
    case = parse_case_data(case_data)
    facts = build_facts(case, kb)
    options = result.options
    if again is not None and again.model_dump() != result.model_dump():
        out.append("not deterministic: two runs differ")
    if not options:
        return [*out, "no option at all"]
    top = options[0]
    classes = {d: kb.drugs[d].drug_class for o in options for d in o.drugs}
    # 1. never first a drug called resistant for any clone
    if "resistant" in top.clone_calls.values():
        out.append(f"rank 1 {top.drugs} is called resistant for a clone: {top.clone_calls}")
    # 2. never an immune checkpoint inhibitor combined with an ALK TKI
    for o in options:
        kinds = {classes[d] for d in o.drugs}
        if s.DrugClass.immune_checkpoint_inhibitor in kinds and s.DrugClass.alk_tki in kinds:
            out.append(f"{o.drugs}: checkpoint inhibitor combined with an ALK TKI")
    # 3. never first what the case contraindicates
    if facts.pregnant and any(classes[d] in (s.DrugClass.immune_checkpoint_inhibitor, s.DrugClass.antiangiogenic)
                              for d in top.drugs):
        out.append(f"pregnant, rank 1 {top.drugs} holds a checkpoint inhibitor or anti-angiogenic")
    if "strong_cyp3a_inducer" in facts.medication_classes and "lorlatinib" in top.drugs:
        # allowed only as "replace the inducer first" (every inducer taken has a usual substitute), and then
        # the option must say so
        switch = [a for a in top.administration if a.drug == "lorlatinib" and a.code == "strong_cyp3a_inducer"
                  and a.action == SWITCH_FIRST]
        if not switch:
            out.append("strong CYP3A inducer taken, rank 1 holds lorlatinib without asking to replace the inducer")
    for o in options:
        for item in o.administration:
            if item.kind in ("interaction", "population") and item.action == "contraindicated":
                out.append(f"{o.drugs} offered although contraindicated: {item.text}")
            if item.kind == "toxicity" and item.action == "forbidden":
                out.append(f"{o.drugs} offered although re-challenge is forbidden: {item.text}")
    # 4. a failed drug is never first without a re-sensitisation call
    if top.category in ("alk_tki", "clinical_trial") and any(d in facts.failed_drugs for d in top.drugs):
        calls = [clone_call(c, top.drugs[-1]) for c in facts.clones]
        if not calls or not all(c.resensitises for c in calls):
            out.append(f"rank 1 {top.drugs} already failed, no re-sensitisation call")
    # 5. an investigational agent is never first while an approved option covers every clone clinically
    if top.category == "clinical_trial":
        for o in options[1:]:
            if o.category == "alk_tki" and o.evidence.clinical and o.drugs[0] not in facts.failed_drugs \
                    and facts.clones and all(_clinical_sensitive(c, o.drugs[0]) for c in facts.clones):
                out.append(f"trial first although {o.drugs} covers every clone with clinical evidence")
                break
    # 4b. a regimen the tumour progressed on is not offered again first (local therapy aside)
    if top.category not in ("alk_tki", "local_therapy") and top.drugs and any(
            regimen_key(top.drugs) <= f for f in facts.failed_regimens):
        out.append(f"rank 1 {top.drugs} repeats a regimen the tumour progressed on")
    # 6. weak evidence never above clinical evidence (failed drugs and regimens, and TKIs called
    # resistant to a clone, sit below both)
    failed = [o for o in options if (o.category in ("alk_tki", "clinical_trial")
              and any(d in facts.failed_drugs for d in o.drugs))
              or (o.category in ("alk_tki", "alk_tki_combination", "local_therapy")
                  and "resistant" in o.clone_calls.values())
              or (o.category not in ("alk_tki", "local_therapy") and o.drugs
                  and any(regimen_key(o.drugs) <= f for f in facts.failed_regimens))]
    ranked = [o for o in options if o not in failed]
    for i, o in enumerate(ranked):
        if not o.evidence.clinical and any(x.evidence.clinical for x in ranked[i + 1:]):
            out.append(f"{o.drugs} (level {o.evidence.level}) ranked above an option with clinical evidence")
            break
    # 7. every option and every warning carries a citation
    for o in options:
        if not o.evidence.citations:
            out.append(f"{o.drugs}: no citation")
    for w in result.warnings:
        if not w.citations and w.code != "input_not_mapped":
            out.append(f"warning {w.code}: no citation")
    # 8. the top option says how to give it
    for d in top.drugs:
        if d in kb.safety and kb.safety[d].monitoring and not any(
                a.kind == "monitoring" and a.drug == d for a in top.administration):
            out.append(f"rank 1 {d}: no monitoring shown")
    # 9. unknown vocabulary is reported, never dropped
    codes = {w.code for w in result.warnings}
    if facts.unknown_comorbidities and "unknown_comorbidity" not in codes:
        out.append("unknown comorbidity not reported")
    if any(not m.classes for m in facts.medications) and "unknown_medication" not in codes:
        out.append("unknown medication not reported")
    if any(t.code is None for t in facts.toxicities) and "unknown_toxicity_code" not in codes:
        out.append("unknown toxicity not reported")
    # 10. investigational agents only as trials
    for o in options:
        if o.category != "clinical_trial" and any(kb.drugs[d].investigational for d in o.drugs):
            out.append(f"{o.drugs}: investigational agent outside a trial")
    # 11. an ALK TKI combined with a targeted drug is never plain "approved" unless the knowledge base
    # records an approval of that combination in the region (the single drugs' approvals do not cover it)
    for o in options:
        kinds = {classes[d] for d in o.drugs}
        if s.DrugClass.alk_tki in kinds and kinds & _TARGETED and o.availability.status == "approved" and not any(
                set(reg.drugs) <= set(o.drugs) and any(a.region.value == o.availability.region
                                                       and a.status is s.ApprovalStatus.approved
                                                       for a in reg.approvals)
                for reg in kb.regimens.values()):
            out.append(f"{o.drugs}: ALK TKI + targeted combination shown as approved in "
                       f"{o.availability.region} with no approval of the combination recorded")
    # 12. an option whose regimen's label in the region leaves out ALK-positive tumours is never "approved" there
    for o in options:
        if o.availability.status == "approved" and any(
                set(reg.drugs) == set(o.drugs) and any(a.region.value == o.availability.region
                                                       and a.status is s.ApprovalStatus.approved
                                                       and a.indication_excludes_alk for a in reg.approvals)
                for reg in kb.regimens.values()):
            out.append(f"{o.drugs}: shown as approved in {o.availability.region}, whose label of the regimen "
                       f"leaves out ALK-positive tumours")
    return out


_TARGETED = {s.DrugClass.met_inhibitor, s.DrugClass.other_kinase_inhibitor, s.DrugClass.cdk46_inhibitor,
             s.DrugClass.trk_inhibitor, s.DrugClass.other}


def _clinical_sensitive(clone: Any, drug: str) -> bool:
    call = clone_call(clone, drug)
    return call.call == "sensitive" and not call.weak and any(b.evidence_type.value == "clinical" for b in call.basis)
