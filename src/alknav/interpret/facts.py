"""Case + knowledge base -> the facts the rules read: drugs received, line, clones of ALK
mutations with their per-drug calls, bypass mechanisms, transformation, CNS disease."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from alknav.errors import CaseError, LookupFailed
from alknav.inputs.alterations import Alteration, parse_alteration
from alknav.inputs.case_model import Case
from alknav.kb import schema as s
from alknav.kb.loader import KnowledgeBase
from alknav.kb.query import best_call, find_drug

_LEVEL_RANK = {"A": 0, "B": 1, "C": 2, "D": 3, "E": 4}
_CALL_RANK = {"sensitive": 0, "intermediate": 1, "unknown": 2, "resistant": 3}


@dataclass
class Clone:
    """ALK mutations believed to sit on one allele (one resistant population)."""

    mutations: list[str]
    source: str
    entry: s.Mutation | None  # the curated entry for exactly these mutations
    parts: list[s.Mutation] = field(default_factory=list)  # curated singles, when the compound is not curated

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
                raise CaseError(f"history[{i}].regimen[{j}]", str(exc)) from None
        out.append(ids)
    return out


def _clone(mutations: list[str], source: str, kb: KnowledgeBase) -> Clone:
    mid = kb.mutation_index.get(frozenset(mutations))
    entry = kb.mutations[mid] if mid else None
    parts = [kb.mutations[m] for m in mutations if m in kb.mutations] if entry is None else []
    return Clone(mutations, source, entry, parts)


def clone_call(clone: Clone, drug: str) -> CloneCall:
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
    kinds = {c.call for c in calls}
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


def build_facts(case: Case, kb: KnowledgeBase) -> CaseFacts:
    regimens = resolve_drugs(case, kb)
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
    return CaseFacts(
        case=case, region=case.patient.region.value, alterations=alts, regimens=regimens, prior_drugs=prior,
        prior_tkis=tkis,
        current_tki=current, clones=clones, unphased=unphased, mechanisms=match_mechanisms(alts, kb),
        fusion_variant=variant, variant_mismatch=mismatch, histology_now=histology,
        comorbidities={c.strip().lower().replace(" ", "_").replace("-", "_") for c in case.comorbidities},
    )
