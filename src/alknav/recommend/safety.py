"""How to give each option safely, selected from the label data (knowledge/safety, medicines.yaml).

For one option and one case this returns the label items that apply (dose for the region, dose
levels, monitoring, interactions with the patient's medicines, special populations, what earlier
toxicity means for re-challenge) and what they do to the option: exclude it (a contraindication,
a toxicity that forbids re-challenge), lower it (the label says avoid), or warn. The clinical
content is all data; this module only matches and renders it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from alknav.interpret.facts import CaseFacts
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.recommend import result as r

if TYPE_CHECKING:
    from alknav.kb import schema as s
else:  # at run time `s` is only read for enums (the schema re-exports them): no pydantic classes
    from alknav.kb import enums as s

Cites = Callable[[list[str]], list[str]]  # reference ids -> citation strings

# How much a label finding moves an option. An order of options, not a probability: "avoid" must
# put a drug below an equivalent one without the problem; a dose change only breaks ties; a label
# with no dose for this population ranks below one that states a safe dose.
_ACTION_SCORE = {s.Action.avoid: s.LimitId.score_avoid, s.Action.reduce_dose: s.LimitId.score_reduce_dose,
                 s.Action.no_data: s.LimitId.score_no_data}  # weights in safety/limits.yaml
_ACTION_SEVERITY = {s.Action.contraindicated: "contraindication", s.Action.avoid: "warning",
                    s.Action.reduce_dose: "caution", s.Action.monitor: "caution", s.Action.caution: "caution",
                    s.Action.no_data: "caution", s.Action.no_adjustment: "info"}
# A population finding is reported under the warning code a clinician looks for.
_POPULATION_CODE = {"child_pugh_in": "hepatic_impairment", "creatinine_clearance_below": "renal_impairment",
                    "pregnancy": "pregnancy", "breastfeeding": "breastfeeding", "age_at_least": "elderly",
                    "heart_rate_below": "bradycardia", "ecog_at_least": "poor_performance_status"}


@dataclass
class SafetyNote:
    code: str
    severity: str
    message: r.Msg
    citations: list[str]


@dataclass
class OptionSafety:
    items: list[r.AdminItem] = field(default_factory=list)
    excluded: list[r.Fact] = field(default_factory=list)
    score: int = 0
    facts: list[r.Fact] = field(default_factory=list)
    warnings: list[SafetyNote] = field(default_factory=list)


def _population_applies(when: s.PopulationWhen, facts: CaseFacts) -> bool:
    case = facts.case
    c = case.clinical
    checks: list[bool] = []
    if when.child_pugh_in is not None:
        checks.append(c.child_pugh is not None and c.child_pugh.value in when.child_pugh_in)
    if when.creatinine_clearance_below is not None:
        checks.append(c.creatinine_clearance is not None and c.creatinine_clearance < when.creatinine_clearance_below)
    if when.pregnancy is not None:
        checks.append(facts.pregnant == when.pregnancy)
    if when.breastfeeding is not None:
        checks.append(facts.breastfeeding == when.breastfeeding)
    if when.sex_in is not None:
        checks.append(case.patient.sex is not None and case.patient.sex.value in when.sex_in)
    if when.age_at_least is not None:
        checks.append(case.patient.age is not None and case.patient.age >= when.age_at_least)
    if when.ecog_at_least is not None:
        checks.append(case.patient.ecog is not None and case.patient.ecog >= when.ecog_at_least)
    if when.heart_rate_below is not None:
        checks.append(c.heart_rate is not None and c.heart_rate < when.heart_rate_below)
    if when.comorbidity_any is not None:
        checks.append(bool(set(when.comorbidity_any) & facts.comorbidities))
    if when.region_in is not None:  # narrows the conditions above to one region's label
        checks.append(any(facts.region == r.value for r in when.region_in))
    return bool(checks) and all(checks)


def _population_code(when: s.PopulationWhen) -> str:
    for key in _POPULATION_CODE:
        if getattr(when, key) is not None:
            return _POPULATION_CODE[key]
    words = when.comorbidity_any or []
    return words[0] if words else "special_population"


def option_safety(kb: KnowledgeBase, facts: CaseFacts, drugs: list[str], cites: Cites,
                  memo: dict[str, OptionSafety] | None = None) -> OptionSafety:
    """The label items for every drug of one option, and their effect on it. A drug's part depends
    on the drug and the case only: with `memo` (one per case) it is worked out once per drug and
    shared by every option holding that drug (the lists are joined in the drugs' order, as before)."""
    if memo is None:
        memo = {}
    out = OptionSafety()
    for drug_id in drugs:
        part = memo.get(drug_id)
        if part is None:
            part = memo[drug_id] = _drug_safety(kb, facts, drug_id, cites)
        out.items += part.items
        out.excluded += part.excluded
        out.score += part.score
        out.facts += part.facts
        out.warnings += part.warnings
    _within_regimen(kb, drugs, cites, out)
    return out


def _within_regimen(kb: KnowledgeBase, drugs: list[str], cites: Cites, out: OptionSafety) -> None:
    """Interactions between the drugs of one option: each drug's label interaction items applied to the
    other drugs, as to a co-medication, where the other drug's own label puts it in that class
    (medicines.yaml drug_classes, e.g. lorlatinib a moderate CYP3A inducer). No replacement is offered:
    the partner is the point of the regimen. A drug with no classes recorded adds nothing (not read)."""
    for victim in drugs:
        label = kb.safety.get(victim)
        if label is None:
            continue
        for partner in drugs:
            classed = kb.drug_classes.get(partner)
            if partner == victim or classed is None:
                continue
            for inter in label.interactions:
                if inter.interaction_class not in classed.classes:
                    continue
                cls = inter.interaction_class
                message = r.msg("t:adm_regimen_interaction_text", drug=r.msg(f"drug:{victim}"),
                                message=r.msg(f"label.interaction:{victim}:{cls}"),
                                partner=r.msg(f"drug:{partner}"), cls=r.msg(f"class:{cls}"))
                citations = list(dict.fromkeys(cites(inter.refs) + cites(classed.refs)))
                out.items.append(r.AdminItem(drug=victim, kind="interaction", code=cls, text=message,
                                             action=inter.action.value, citations=citations))
                out.warnings.append(SafetyNote(f"interaction_{cls}", _ACTION_SEVERITY[inter.action], message,
                                               citations))
                if inter.action is s.Action.avoid:  # a smaller step: the partner cannot be replaced
                    out.score += int(kb.limit(s.LimitId.score_avoid_within_regimen))
                    out.facts.append(r.Fact(text=message, citations=citations))
                else:
                    _apply(kb, out, inter.action, message, citations)


def _drug_safety(kb: KnowledgeBase, facts: CaseFacts, drug_id: str, cites: Cites) -> OptionSafety:
    """The label items of one drug for this case, and their effect on an option holding it."""
    out = OptionSafety()
    region = facts.region
    meds_by_class: dict[str, list[str]] = {}
    for med in facts.medications:
        for cls in med.classes:
            meds_by_class.setdefault(cls, []).append(med.name)
    label = kb.safety.get(drug_id)
    if label is not None:
        name = r.msg(f"drug:{drug_id}")
        out.items.extend(_label_items(kb, label, drug_id, region, cites))
        for inter in label.interactions:
            names = meds_by_class.get(inter.interaction_class)
            if not names:
                continue
            message = r.msg("t:adm_interaction_text", drug=name,
                            message=r.msg(f"label.interaction:{drug_id}:{inter.interaction_class}"),
                            medicines=r.joined(list(names)), cls=r.msg(f"class:{inter.interaction_class}"))
            citations = cites(inter.refs)
            action = inter.action
            switch = (_substitutes(kb, facts, inter.interaction_class)
                      if action in _SWITCH_STEP_DOWN else None)
            if switch:
                # the combination is the problem, not the cancer drug: every interacting medicine can usually be
                # replaced (e.g. phenytoin by a non-inducing antiepileptic, clarithromycin by azithromycin), so
                # the option stays, switch first, and the label's action is taken one step down
                subs: list[r.Msg | str] = list(switch)
                template = ("t:adm_interaction_switch_text" if action is s.Action.contraindicated
                            else "t:adm_interaction_switch_avoid_text")
                message = r.msg(template, interaction=message, substitutes=r.joined(subs))
                out.items.append(r.AdminItem(drug=drug_id, kind="interaction", code=inter.interaction_class,
                                             text=message, action=SWITCH_FIRST, citations=citations))
                out.warnings.append(SafetyNote(f"interaction_{inter.interaction_class}", "warning", message,
                                               citations))
                _apply(kb, out, _SWITCH_STEP_DOWN[action], message, citations)
                continue
            out.items.append(r.AdminItem(drug=drug_id, kind="interaction", code=inter.interaction_class,
                                         text=message, action=action.value, citations=citations))
            out.warnings.append(SafetyNote(f"interaction_{inter.interaction_class}",
                                           _ACTION_SEVERITY[action], message, citations))
            _apply(kb, out, action, message, citations)
        for pop in label.populations:
            if not _population_applies(pop.when, facts):
                continue
            message = r.msg("t:adm_drug_text", drug=name, message=r.msg(f"label.population:{drug_id}:{pop.id}"))
            citations = cites(pop.refs)
            out.items.append(r.AdminItem(drug=drug_id, kind="population", code=pop.id, text=message,
                                         action=pop.action.value, citations=citations))
            if pop.action is not s.Action.no_adjustment:
                out.warnings.append(SafetyNote(_population_code(pop.when), _ACTION_SEVERITY[pop.action], message,
                                               citations))
            _apply(kb, out, pop.action, message, citations)
        _toxicity_items(kb, facts, label, drug_id, cites, out)
    return out


def _label_items(kb: KnowledgeBase, label: s.DrugSafety, drug_id: str, region: str,
                 cites: Cites) -> tuple[r.AdminItem, ...]:
    """Dose, dose levels and monitoring: the same for every patient in a region, so they are built
    once per knowledge base (kb.derived) and shared; AdminItem is frozen, so sharing is safe."""
    memo: dict[tuple[str, str], tuple[r.AdminItem, ...]] = kb.derived.setdefault("label_items", {})
    found = memo.get((drug_id, region))
    if found is not None:
        return found
    items: list[r.AdminItem] = []
    doses = [i for i, d in enumerate(label.doses) if s.Region(region) in d.regions]
    for i in doses or range(len(label.doses)):
        dose = label.doses[i]
        # no dose for this region: every region's dose is shown with the regions it applies to
        items.append(r.AdminItem(drug=drug_id, kind="dose", text=r.msg(f"label.dose:{drug_id}:{i}"),
                                 regions=[] if doses else [x.value for x in dose.regions],
                                 citations=cites(dose.refs)))
    here = {label.doses[i].text.en for i in doses}
    for i, dose in enumerate(label.doses):  # the other regions' doses, when they differ (e.g. Japan)
        if doses and i not in doses and dose.text.en not in here:
            items.append(r.AdminItem(drug=drug_id, kind="dose_other_region", text=r.msg(f"label.dose:{drug_id}:{i}"),
                                     regions=[x.value for x in dose.regions], citations=cites(dose.refs)))
    if label.dose_levels is not None:
        items.append(r.AdminItem(drug=drug_id, kind="dose_levels", text=r.msg(f"label.dose_levels:{drug_id}"),
                                 citations=cites(label.dose_levels.refs)))
    for mon in label.monitoring:
        items.append(r.AdminItem(drug=drug_id, kind="monitoring", code=mon.id,
                                 text=r.msg(f"label.monitoring:{drug_id}:{mon.id}"),
                                 schedule=r.msg(f"label.schedule:{drug_id}:{mon.id}"), citations=cites(mon.refs)))
    memo[(drug_id, region)] = found = tuple(items)
    label_item_ids(kb).update(id(item) for item in found)
    return found


def label_item_ids(kb: KnowledgeBase) -> set[int]:
    """The ids of the shared label items of this knowledge base (they live as long as it does, so an
    id here always names one of them: a renderer may key a cache on it)."""
    ids: set[int] = kb.derived.setdefault("label_item_ids", set())
    return ids


# A label action on an interaction whose medicines can all be replaced, taken one step down: a
# contraindicated combination ranks the drug as "avoid"; an "avoid" combination ranks it as a caution
# (once the medicine is replaced there is no interaction, and a label that says "avoid" for a drug class
# gives the dose for unavoidable co-use, e.g. lorlatinib 75 mg with a strong CYP3A inhibitor), so a
# replaceable antibiotic does not push the standard ALK TKI below chemotherapy. The warning stays.
_SWITCH_STEP_DOWN = {s.Action.contraindicated: s.Action.avoid, s.Action.avoid: s.Action.caution}
SWITCH_FIRST = "switch_medicine_first"  # an interaction item's action: replace the co-medication, then give


def _substitutes(kb: KnowledgeBase, facts: CaseFacts, interaction_class: str) -> list[r.Msg] | None:
    """What replaces each of the patient's medicines in this class, or None when any of them (or an
    unknown one) has no usual substitute."""
    found = [m for m in facts.medications if interaction_class in m.classes]
    out: list[r.Msg] = []
    for med in found:
        entry = kb.medicines.get(med.medicine) if med.medicine else None
        if entry is None or entry.substitute is None:
            return None
        out.append(r.msg(f"medicine.substitute:{entry.id}"))
    return out or None


def _apply(kb: KnowledgeBase, out: OptionSafety, action: s.Action, message: r.Msg, citations: list[str]) -> None:
    if action is s.Action.contraindicated:
        out.excluded.append(r.Fact(text=message, citations=citations))
    else:
        weight = _ACTION_SCORE.get(action)
        delta = int(kb.limit(weight)) if weight is not None else 0
        out.score += delta
        if delta:
            out.facts.append(r.Fact(text=message, citations=citations))


def _toxicity_items(kb: KnowledgeBase, facts: CaseFacts, label: s.DrugSafety, drug_id: str, cites: Cites,
                    out: OptionSafety) -> None:
    """Earlier toxicity on this drug: forbidden re-challenge excludes it; otherwise the label's
    dose-modification advice is shown."""
    for tox in facts.toxicities:
        if tox.code is None or drug_id not in tox.drugs:
            continue
        grade = tox.grade or int(kb.limit(s.LimitId.assumed_toxicity_grade))
        advice = [(i, a) for i, a in enumerate(label.toxicities) if a.toxicity == tox.code and a.min_grade <= grade]
        if not advice:
            continue
        index, worst = max(advice, key=lambda ia: ia[1].min_grade)
        message = r.msg("t:adm_toxicity_text", drug=r.msg(f"drug:{drug_id}"),
                        message=r.msg(f"label.toxicity:{drug_id}:{index}"), toxicity=tox.raw)
        citations = cites(worst.refs)
        out.items.append(r.AdminItem(drug=drug_id, kind="toxicity", code=tox.code, text=message,
                                     action=worst.rechallenge.value, citations=citations))
        if worst.rechallenge is s.Rechallenge.forbidden:
            out.excluded.append(r.Fact(text=message, citations=citations))
            out.warnings.append(SafetyNote("toxicity_no_rechallenge", "contraindication", message, citations))
        elif worst.rechallenge is s.Rechallenge.reduced_dose:
            text = message
            if label.dose_levels:
                text = r.msg("t:adm_then_levels", message=message, levels=r.msg(f"label.dose_levels:{drug_id}"))
            out.warnings.append(SafetyNote("toxicity_dose_modification", "caution", text,
                                           citations + (cites(label.dose_levels.refs) if label.dose_levels else [])))
