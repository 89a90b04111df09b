"""Case + knowledge base -> the facts the rules read: drugs received, line, clones of ALK
mutations with their per-drug calls, bypass mechanisms, transformation, CNS disease."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from alknav.errors import CaseError, LookupFailed
from alknav.inputs.alterations import Alteration, parse_alteration
from alknav.inputs.case_model import Case
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.kb.names import normalize_name
from alknav.kb.query import best_call, find_drug, weak_call

if TYPE_CHECKING:
    from alknav.kb import schema as s
else:  # at run time `s` is only read for enums (the schema re-exports them): no pydantic classes
    from alknav.kb import enums as s

_LEVEL_RANK = {"A": 0, "B": 1, "C": 2, "D": 3, "E": 4}
_CALL_RANK = {"sensitive": 0, "intermediate": 1, "unknown": 2, "resistant": 3}


@dataclass
class Clone:
    """ALK mutations believed to sit on one allele (one resistant population)."""

    mutations: list[str]
    source: str
    entry: s.Mutation | None  # the curated entry for exactly these mutations
    parts: list[s.Mutation] = field(default_factory=list)  # curated singles, when the compound is not curated
    # drug -> its call on this clone: rules ask for the same call many times per case
    calls: dict[str, CloneCall] = field(default_factory=dict, repr=False, compare=False)

    @property
    def label(self) -> str:
        return "+".join(self.mutations)


@dataclass
class CloneCall:
    clone: Clone
    call: str  # sensitive | intermediate | resistant | unknown
    basis: list[s.DrugCall]  # the KB calls this rests on (empty when unknown)

    @property
    def level(self) -> str | None:
        levels = [c.level for c in self.basis]
        return max(levels, key=lambda lv: _LEVEL_RANK.get(lv, 9)) if levels else None

    @property
    def weak(self) -> bool:
        """A sensitivity call that rests on the seed review alone, on computation or on extrapolation:
        shown, but it may not lift the option (it counts as no data)."""
        return self.call in ("sensitive", "intermediate") and any(weak_call(b) for b in self.basis)

    @property
    def resensitises(self) -> bool:
        """A curated call (clinical or preclinical) that this clone restores sensitivity to the drug."""
        return self.call == "sensitive" and any(
            b.resensitises and not weak_call(b) for b in self.basis)



@dataclass(frozen=True)
class Toxicity:
    """One history[].toxicity entry read against the toxicity vocabulary."""

    entry: int  # index into history
    drugs: tuple[str, ...]  # the regimen's drug ids
    raw: str
    code: str | None  # vocabulary id, None when unknown
    grade: int | None


@dataclass(frozen=True)
class Medication:
    name: str
    medicine: str | None  # medicines.yaml id, None when unknown
    classes: tuple[str, ...]


@dataclass
class CaseFacts:
    case: Case
    region: str
    alterations: list[Alteration]
    regimens: list[list[str]]  # drug ids of each history entry
    prior_drugs: list[str]
    prior_tkis: list[str]
    current_tki: str | None
    clones: list[Clone]
    unphased: bool
    mechanisms: list[s.Mechanism]
    fusion_variant: str | None
    histology_now: str | None
    comorbidities: set[str]
    variant_mismatch: str | None = None  # why the variant label contradicts its exons
    notes: list[str] = field(default_factory=list)
    toxicities: list[Toxicity] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    unknown_comorbidities: list[str] = field(default_factory=list)
    alk_diagnosis: set[str] = field(default_factory=set)  # caveats: ihc_only, fish_only, plasma_only, ...
    plausibility: set[str] = field(default_factory=set)  # questions about the input (warnings, not refusals)
    failed_drugs: list[str] = field(default_factory=list)  # ALK-directed drugs the tumour progressed on
    failed_regimens: list[frozenset[str]] = field(default_factory=list)  # whole regimens it progressed on

    @property
    def pregnant(self) -> bool:
        return "pregnancy" in self.comorbidities or self.case.clinical.pregnancy_weeks is not None

    @property
    def breastfeeding(self) -> bool:
        return "breastfeeding" in self.comorbidities or bool(self.case.clinical.breastfeeding)

    @property
    def medication_classes(self) -> set[str]:
        return {c for m in self.medications for c in m.classes}

    @property
    def current_toxicity(self) -> Toxicity | None:
        """The toxicity that ended the last regimen, when the decision is about toxicity."""
        if self.case.current.status.value != "toxicity" or not self.case.history:
            return None
        last = len(self.case.history) - 1
        return next((t for t in self.toxicities if t.entry == last), None)

    @property
    def last_tki_completed(self) -> bool:
        """The last ALK TKI was given to completion (e.g. 2 years of adjuvant alectinib), not stopped for
        progression: the tumour has not been shown to resist it, and it is not 'continued'."""
        if self.current_tki is None:
            return False
        for entry, ids in zip(reversed(self.case.history), reversed(self.regimens), strict=True):
            if self.current_tki in ids:
                return entry.stopped_for is not None and entry.stopped_for.value == "completed"
        return False

    @property
    def line(self) -> str:
        return "first" if not self.prior_tkis else "later"

    @property
    def cns(self) -> bool:
        c = self.case.current.cns
        return c.brain_metastases or c.leptomeningeal

    @property
    def normalized(self) -> list[str]:
        return [a.normalized for a in self.alterations if a.recognized and a.normalized]


def resolve_drugs(case: Case, kb: KnowledgeBase) -> list[list[str]]:
    out = []
    for i, entry in enumerate(case.history):
        ids = []
        for j, name in enumerate(entry.regimen):
            try:
                ids.append(find_drug(kb, name).id)
            except LookupFailed as exc:
                key = "unknown_drug_hint" if exc.suggestions else "unknown_drug"
                raise CaseError(f"history[{i}].regimen[{j}]", str(exc), key,
                                {"name": exc.name, "hint": ", ".join(exc.suggestions)}) from None
        out.append(ids)
    return out


def _clone(mutations: list[str], source: str, kb: KnowledgeBase) -> Clone:
    mid = kb.mutation_index.get(frozenset(mutations))
    entry = kb.mutations[mid] if mid else None
    parts = [kb.mutations[m] for m in mutations if m in kb.mutations] if entry is None else []
    return Clone(mutations, source, entry, parts)


def clone_call(clone: Clone, drug: str) -> CloneCall:
    """The call for one drug against one clone (worked out once per clone and drug, and shared)."""
    found = clone.calls.get(drug)
    if found is None:
        found = clone.calls[drug] = _clone_call(clone, drug)
    return found


def _clone_call(clone: Clone, drug: str) -> CloneCall:
    """The call for one drug against one clone. An uncurated compound takes its worst part."""
    if clone.entry is not None:
        best = best_call([c for c in clone.entry.calls if c.drug == drug])
        return CloneCall(clone, best.call.value if best else "unknown", [best] if best else [])
    if len(clone.parts) < len(clone.mutations):
        return CloneCall(clone, "unknown", [])
    calls = [best_call([c for c in p.calls if c.drug == drug]) for p in clone.parts]
    if any(c is None for c in calls):
        return CloneCall(clone, "unknown", [c for c in calls if c is not None])
    known = [c for c in calls if c is not None]
    worst = max(known, key=lambda c: _CALL_RANK[c.call.value])
    return CloneCall(clone, worst.call.value, known)


def coverage(calls: list[CloneCall]) -> str:
    """all_sensitive | some_intermediate | some_resistant | some_unknown | no_mutation."""
    if not calls:
        return "no_mutation"
    kinds = {"unknown" if c.weak else c.call for c in calls}
    if "resistant" in kinds:
        return "some_resistant"
    if "unknown" in kinds:
        return "some_unknown"
    if "intermediate" in kinds:
        return "some_intermediate"
    return "all_sensitive"


def match_mechanisms(alts: list[Alteration], kb: KnowledgeBase) -> list[s.Mechanism]:
    """Bypass, amplification and transformation alterations -> KB mechanisms (by gene and type)."""
    found: dict[str, s.Mechanism] = {}
    for alt in alts:
        if not alt.recognized or alt.kind in ("alk_kinase_domain_mutation", "alk_compound_mutation", "alk_fusion"):
            continue
        words = {
            "alk_amplification": ("amplif", "copy"), "bypass_amplification": ("amplif", "copy"),
            "bypass_mutation": ("mutation", "activation", "pathway", "polymorphism", "deletion"),
            "bypass_fusion": ("fusion", "rearrang"), "met_exon14_skipping": ("exon14", "exon_14", "mutation"),
            "histologic_transformation": (alt.detail or "transformation",),
        }.get(alt.kind, ())
        for mech in kb.mechanisms.values():
            gene_ok = (alt.kind == "histologic_transformation" and mech.gene is None) or (
                mech.gene is not None and alt.gene is not None and mech.gene.upper() in _gene_names(alt.gene))
            if gene_ok and any(w in mech.id.lower() for w in words):
                found.setdefault(mech.id, mech)
                break
    return list(found.values())


def _gene_names(gene: str) -> set[str]:
    synonyms = {"BIM": "BCL2L11", "BCL2L11": "BIM", "IGF-1R": "IGF1R", "IGF1R": "IGF-1R", "C-MET": "MET"}
    return {gene.upper(), synonyms.get(gene.upper(), gene.upper())}


def _variant(case: Case, kb: KnowledgeBase) -> tuple[str | None, str | None]:
    """(variant label, mismatch reason) from e.g. 'V3', 'E6;A20' or 'V3 (E13;A20)'."""
    alk = case.diagnosis.alk
    if alk is None or not alk.variant:
        return None, None
    text = alk.variant.strip()
    label = re.search(r"\bv(?:ariant)?\s*(\d+[ab]?)\b", text, re.I)
    exons = re.search(r"E(\d+)[ab]?\s*[;:]\s*(?:ins\d+)?A(\d+)", text, re.I)
    by_label = [v for v in kb.fusions.variants if label and v.partner == "EML4" and
                v.id.lower().startswith(f"v{label.group(1).lower()}")]
    if exons is not None:
        pair = (int(exons.group(1)), int(exons.group(2)))
        by_exons = [v for v in kb.fusions.variants if v.partner == "EML4" and (v.partner_exon, v.alk_exon) == pair]
        if by_label and not any((v.partner_exon, v.alk_exon) == pair for v in by_label):
            want = ", ".join(f"E{v.partner_exon};A{v.alk_exon}" for v in by_label)
            return f"V{label.group(1).lower()}" if label else None, \
                f"'{text}': {label.group(0) if label else ''} is {want}, not E{pair[0]};A{pair[1]}"
        if label is None and by_exons:
            return by_exons[0].id.upper()[:2], None
    return (f"V{label.group(1).lower()}" if label else text), None


def _check_regimens(case: Case, regimens: list[list[str]], kb: KnowledgeBase) -> None:
    """Refuse histories no clinic could have given: two ALK TKIs at once, or a drug taken for longer
    than it has existed (first approval plus five years of trials, to the knowledge base's date)."""
    for i, ids in enumerate(regimens):
        tkis = [d for d in dict.fromkeys(ids) if kb.drugs[d].drug_class is s.DrugClass.alk_tki]
        if len(tkis) > 1:
            names = " and ".join(kb.drugs[d].inn for d in tkis)
            raise CaseError(f"history[{i}].regimen", f"{names} in one regimen: two ALK TKIs are never given "
                                                     "together; list them as separate lines", "two_tkis",
                            {"names": names, "names_zh": "和".join(kb.drugs[d].name_zh for d in tkis)})
    for i, months, _soft, hard, drug in duration_limits(case, regimens, kb):
        if months > hard:
            first = kb.drugs[drug].first_approved
            raise CaseError(f"history[{i}].months", f"{months:g} months on {kb.drugs[drug].inn} is longer than the "
                                                    f"drug has existed (first approved {first}); check the duration",
                            "longer_than_drug", {"months": f"{months:g}", "drug": kb.drugs[drug].inn,
                                                 "drug_zh": kb.drugs[drug].name_zh, "first": first})


def build_facts(case: Case, kb: KnowledgeBase) -> CaseFacts:
    regimens = resolve_drugs(case, kb)
    _check_regimens(case, regimens, kb)
    prior = [d for reg in regimens for d in reg]
    with_calls = kb.drugs_with_calls()
    tkis = [d for d in prior if kb.drugs[d].drug_class is s.DrugClass.alk_tki or d in with_calls]
    current = None
    for reg in reversed(regimens):
        alk = [d for d in reg if d in tkis]
        if alk:
            current = alk[0]
            break
    alts = [parse_alteration(a, kb) for a in case.current.alterations]
    clones: list[Clone] = []
    for alt in alts:
        if not alt.recognized or alt.gene != "ALK" or not alt.components:
            continue
        if alt.kind == "alk_compound_mutation":
            clones.append(_clone(alt.components, alt.input, kb))
        else:
            clones.extend(_clone([m], alt.input, kb) for m in alt.components)
    singles = [c for c in clones if len(c.mutations) == 1]
    unphased = len(singles) > 1 or (len(singles) >= 1 and len(clones) > len(singles))
    histology = case.current.histology.value if case.current.histology else None
    transformed = [a.detail for a in alts if a.kind == "histologic_transformation" and a.recognized]
    if histology is None and transformed:
        histology = transformed[0]
    variant, mismatch = _variant(case, kb)
    comorbidities, unknown_comorbidities = _comorbidities(case, kb)
    facts = CaseFacts(
        case=case, region=case.patient.region.value, alterations=alts, regimens=regimens, prior_drugs=prior,
        prior_tkis=tkis,
        current_tki=current, clones=clones, unphased=unphased, mechanisms=match_mechanisms(alts, kb),
        fusion_variant=variant, variant_mismatch=mismatch, histology_now=histology,
        comorbidities=comorbidities, unknown_comorbidities=unknown_comorbidities,
        toxicities=_toxicities(case, regimens, kb), medications=_medications(case, kb),
        failed_drugs=_failed(case, regimens, tkis),
        failed_regimens=_failed_regimens(case, regimens),
    )
    facts.alk_diagnosis = alk_diagnosis_caveats(case)
    facts.plausibility = plausibility_questions(facts, kb)
    return facts


def _code(text: str) -> str:
    return text.strip().lower().replace(" ", "_").replace("-", "_")


def _comorbidities(case: Case, kb: KnowledgeBase) -> tuple[set[str], list[str]]:
    """Comorbidity codes, aliases resolved to the vocabulary id; unknown codes are kept (as typed, so
    any rule naming them still fires) and listed, never dropped."""
    index: dict[str, str] = kb.derived.get("comorbidity_index", {})
    known_words = kb.derived.get("rule_comorbidities")
    if known_words is None:
        known_words = {w for r in kb.rules.values() for w in (r.when.comorbidity_any or [])}
        known_words |= {w for lab in kb.safety.values() for p in lab.populations
                        for w in (p.when.comorbidity_any or [])}
        kb.derived["rule_comorbidities"] = known_words
    out: set[str] = set()
    unknown: list[str] = []
    for raw in case.comorbidities:
        code = _code(raw)
        resolved = index.get(normalize_name(raw))
        out.add(code)
        if resolved is not None:
            out.add(resolved)
        elif code not in known_words:
            unknown.append(raw)
    return out, unknown


_GRADE = re.compile(r"^(?P<code>.+?)[\s_-]*(?:g|grade)[\s_-]*(?P<grade>[1-5])$", re.IGNORECASE)


def _toxicities(case: Case, regimens: list[list[str]], kb: KnowledgeBase) -> list[Toxicity]:
    index: dict[str, str] = kb.derived.get("toxicity_index", {})
    out = []
    for i, entry in enumerate(case.history):
        if not entry.toxicity or not entry.toxicity.strip():
            continue
        for raw in re.split(r"[;,]", entry.toxicity):
            raw = raw.strip()
            if not raw:
                continue
            m = _GRADE.match(raw)
            base, grade = (m.group("code"), int(m.group("grade"))) if m else (raw, None)
            code = index.get(normalize_name(base))
            out.append(Toxicity(i, tuple(regimens[i]), raw, code, grade))
    return out


def _medications(case: Case, kb: KnowledgeBase) -> list[Medication]:
    index: dict[str, str] = kb.derived.get("medicine_index", {})
    out = []
    for name in case.concomitant_medications:
        mid = index.get(normalize_name(name))
        if mid is None:  # a combination written with '/' or '+' (e.g. nirmatrelvir/ritonavir)
            parts = [index.get(normalize_name(p)) for p in re.split(r"[/+]", name) if p.strip()]
            classes = tuple(dict.fromkeys(c for p in parts if p for c in kb.medicines[p].classes))
            out.append(Medication(name, parts[0] if classes and parts[0] else None, classes))
            continue
        out.append(Medication(name, mid, tuple(kb.medicines[mid].classes)))
    return out


def _progressed(case: Case) -> list[bool]:
    """Per history entry: did the tumour progress on it? Ended in progression, PD as best response,
    or the current regimen when the decision is about progression."""
    out = []
    last = len(case.history) - 1
    for i, entry in enumerate(case.history):
        stopped = entry.stopped_for.value if entry.stopped_for else None
        progressed = stopped == "progression" or (entry.best_response is not None and entry.best_response.value == "PD")
        if i == last and case.current.status.value == "progression" and stopped in (None, "ongoing", "progression"):
            progressed = True
        out.append(progressed)
    return out


def _failed(case: Case, regimens: list[list[str]], tkis: list[str]) -> list[str]:
    """ALK-directed drugs the tumour progressed on."""
    out: list[str] = []
    for progressed, ids in zip(_progressed(case), regimens, strict=True):
        if progressed:
            out.extend(d for d in ids if d in tkis and d not in out)
    return out


PLATINUM_EQUIVALENT = {"cisplatin": "carboplatin"}  # one platinum doublet whichever platinum was used


def regimen_key(drugs: list[str] | tuple[str, ...]) -> frozenset[str]:
    return frozenset(PLATINUM_EQUIVALENT.get(d, d) for d in drugs)


def _failed_regimens(case: Case, regimens: list[list[str]]) -> list[frozenset[str]]:
    """Whole regimens the tumour progressed on (chemotherapy included), platinum drugs made equivalent."""
    return [regimen_key(ids) for progressed, ids in zip(_progressed(case), regimens, strict=True)
            if progressed and ids]


def alk_diagnosis_caveats(case: Case) -> set[str]:
    """What the ALK diagnosis rests on, when it calls for a caveat or a confirmation test."""
    alk = case.diagnosis.alk
    if alk is None:
        return set()
    out: set[str] = set()
    methods = [(t.method.upper().replace("_", "-"), (t.sample or "").lower(), t.result) for t in alk.tests]
    if not methods and alk.method:
        sample = (case.current.biopsy.sample if case.current.biopsy and not case.history else "") or ""
        methods = [(alk.method.upper(), "", "positive")]
        if sample == "plasma":
            methods = [(alk.method.upper(), "plasma", "positive")]
    positive = [(m, smp) for m, smp, r in methods if r == "positive"]
    negative = [(m, smp) for m, smp, r in methods if r == "negative"]
    if not positive:
        return out

    def kind(method: str) -> str:
        if "IHC" in method:
            return "ihc"
        if "FISH" in method:
            return "fish"
        if "RNA" in method or "RT-PCR" in method or "RTPCR" in method:
            return "rna"
        if "NGS" in method or "DNA" in method or "PCR" in method:
            return "dna"
        return "other"

    pos_kinds = {kind(m) for m, _ in positive}
    neg_kinds = {kind(m) for m, _ in negative}
    intergenic = any("intergenic" in (t.detail or "").lower() for t in alk.tests) or \
        (alk.fusion or "").strip().lower() in ("alk rearrangement", "alk fusion", "rearrangement")
    if pos_kinds == {"dna"} and (neg_kinds & {"rna", "ihc"} or intergenic):
        out.add("dna_only")
    elif neg_kinds:
        out.add("discordant")
    if pos_kinds == {"ihc"}:
        out.add("ihc_only")
    if pos_kinds == {"fish"}:
        out.add("fish_only")
    if all(smp == "plasma" for _, smp in positive):
        out.add("plasma_only")
    return out


def plausibility_questions(facts: CaseFacts, kb: KnowledgeBase) -> set[str]:
    """Input a clinician could meet but should double-check: answered, with a warning."""
    case = facts.case
    out: set[str] = set()
    if facts.line == "first" and facts.clones:
        out.add("mutation_without_prior_tki")
    pattern = case.current.progression_pattern
    if pattern is not None and pattern.value == "cns_only" and not facts.cns:
        out.add("cns_only_without_cns_disease")
    pd_limit = kb.limit(s.LimitId.best_response_pd_max_months)
    for entry in case.history:
        if entry.best_response is not None and entry.best_response.value == "PD" and (entry.months or 0) > pd_limit:
            out.add("response_inconsistent")
    if any(months > soft for _i, months, soft, _hard, _drug in duration_limits(case, facts.regimens, kb)):
        out.add("implausible_duration")
    return out


def kb_reference_month(kb: KnowledgeBase) -> int:
    """Months since year 0 of the knowledge base's date: the engine's fixed 'today' (no clock)."""
    year, month = (int(x) for x in kb.manifest.date.split("-")[:2])
    return year * 12 + month


def duration_limits(case: Case, regimens: list[list[str]],
                    kb: KnowledgeBase) -> list[tuple[int, float, float, float, str]]:
    """(entry, months, soft limit, hard limit, newest drug) for each history entry with a duration and a
    drug of known first approval: the soft limit is the time since that approval to the knowledge
    base's date; the hard one adds five years of trial use before it."""
    out = []
    now = kb_reference_month(kb)
    for i, (entry, ids) in enumerate(zip(case.history, regimens, strict=True)):
        dated = [(d, kb.drugs[d].first_approved) for d in ids if kb.drugs[d].first_approved]
        if entry.months is None or not dated:
            continue
        drug, first = max(dated, key=lambda x: x[1] or "")
        assert first is not None
        soft = float(now - (int(first[:4]) * 12 + (int(first[5:7]) if len(first) >= 7 else 1)))
        out.append((i, entry.months, soft, soft + kb.limit(s.LimitId.trial_use_before_approval_months), drug))
    return out
