"""Look-ups over a loaded knowledge base: drugs by any name, mutations in any common notation,
the mutation x drug matrix, trial results, and flat tables for export."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alknav.errors import LookupFailed
from alknav.genetic_code import THREE_TO_ONE
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.kb.names import normalize_name

if TYPE_CHECKING:
    from alknav.kb import schema as s

_THREE = re.compile("|".join(THREE_TO_ONE))
_LEVEL_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3, "E": 4}


# How a citation names a source that is not a journal article ("news: https://...").
SOURCE_KIND_LABELS = {
    "review": "review", "abstract": "congress abstract", "case_report": "case report", "label": "label",
    "registry": "registry", "regulator": "regulator", "guideline": "guideline", "preprint": "preprint",
    "news": "news", "web": "web page", "reference_data": "reference data",
}
# Strongest first: what a clinician should see first when a fact cites several sources.
SOURCE_STRENGTH = ("label", "regulator", "article", "guideline", "abstract", "registry", "review", "case_report",
                   "preprint", "reference_data", "web", "news")


def locator(kb: KnowledgeBase, ref_id: str) -> str:
    """'doi:10.x/y' (or pmid:/nct:/url) for one reference id, the most durable locator first."""
    ref = kb.references[ref_id]
    if ref.doi:
        return f"doi:{ref.doi}"
    if ref.pmid:
        return f"pmid:{ref.pmid}"
    if ref.nct:
        return f"nct:{ref.nct}"
    return ref.url or ref_id


def cite(kb: KnowledgeBase, ref_id: str) -> str:
    """The locator of one reference, prefixed by its source kind unless it is a journal article:
    'doi:10.x/y', 'review: doi:10.x/y', 'news: https://...', 'web page: https://...'."""
    label = SOURCE_KIND_LABELS.get(kb.references[ref_id].kind)
    return f"{label}: {locator(kb, ref_id)}" if label else locator(kb, ref_id)


def split_cite(text: str) -> tuple[str, str]:
    """'news: https://x' -> ('news', 'https://x'); 'doi:10.1/x' -> ('', 'doi:10.1/x')."""
    for label in SOURCE_KIND_LABELS.values():
        if text.startswith(label + ": "):
            return label, text[len(label) + 2:]
    return "", text


def by_strength(kb: KnowledgeBase, refs: list[str]) -> list[str]:
    """Reference ids strongest source first (label, regulator, article, ...; news last), stable otherwise."""
    rank = {kind: i for i, kind in enumerate(SOURCE_STRENGTH)}

    def key(ref_id: str) -> tuple[int, int]:
        ref = kb.references.get(ref_id)
        if ref is None:
            return (len(rank), 0)
        depth = {"full_text": 0, "label": 0, "registry": 0, "abstract": 1, "title_only": 2, "not_read": 3}
        return (rank.get(ref.kind, len(rank)), depth.get(ref.read.value, 3))

    return sorted(refs, key=key)


def short_ref(kb: KnowledgeBase, ref_id: str) -> str:
    ref = kb.references[ref_id]
    return f"{ref.first_author.split()[0]} {ref.year}"


# --------------------------------------------------------------------------- drugs


def find_drug(kb: KnowledgeBase, name: str) -> s.Drug:
    key = normalize_name(name)
    drug_id = kb.drug_index.get(key)
    if drug_id is None:
        close = difflib.get_close_matches(key, list(kb.drug_index), n=3, cutoff=0.75)
        raise LookupFailed("drug", name, sorted({kb.drugs[kb.drug_index[c]].id for c in close}))
    return kb.drugs[drug_id]


# --------------------------------------------------------------------------- mutations


def normalize_mutation(text: str) -> list[str]:
    """'ALK p.Gly1202Arg/Leu1196Met' -> ['G1202R', 'L1196M']; parts are not checked against the KB."""
    body = text.strip()
    body = re.sub(r"^(EML4-)?ALK\s*", "", body, flags=re.IGNORECASE)
    body = re.sub(r"^(NP_004295(\.\d+)?:)", "", body)
    parts = [p for p in re.split(r"\s*[/+,;&]\s*|\s+and\s+|\s+", body) if p]
    out = []
    for part in parts:
        part = re.sub(r"^p\.\(?", "", part).rstrip(")")
        part = _THREE.sub(lambda m: THREE_TO_ONE[m.group(0)], part)
        part = re.sub(r"(?i)(del|ins|fs)$", lambda m: m.group(1).lower(), part)
        out.append(part[:1].upper() + part[1:] if part else part)
    return out


@dataclass(frozen=True)
class MutationMatch:
    query: str
    parts: list[str]
    mutation: s.Mutation | None  # the curated entry for exactly this (compound) mutation
    components: list[s.Mutation]  # curated single components, when the compound itself is not curated
    unknown_parts: list[str]


def find_mutation(kb: KnowledgeBase, text: str) -> MutationMatch:
    parts = normalize_mutation(text)
    if not parts:
        raise LookupFailed("mutation", text)
    whole = kb.mutation_aliases.get(normalize_name(text.strip()))  # e.g. "G1202R/L1196M" as written
    if whole is not None:
        return MutationMatch(text, parts, kb.mutations[whole], [], [])
    parts = [p if p in kb.mutations else kb.mutation_aliases.get(normalize_name(p), p) for p in parts]
    exact = kb.mutation_index.get(frozenset(parts))
    unknown = [p for p in parts if p not in kb.mutations]
    components = [kb.mutations[p] for p in parts if p in kb.mutations] if len(parts) > 1 else []
    if exact is None and (len(parts) == 1 or len(unknown) == len(parts)):
        names = [m for m in kb.mutations if "+" not in m]
        close = difflib.get_close_matches(parts[0], names, n=3, cutoff=0.6)
        raise LookupFailed("mutation", text, close)
    return MutationMatch(text, parts, kb.mutations[exact] if exact else None, components, unknown)


def best_call(calls: list[s.DrugCall]) -> s.DrugCall | None:
    """The call resting on the strongest evidence: measured before inferred (a call resting on the
    seed alone, on computation or on extrapolation comes last), then A before D; ties keep file order."""
    return min(calls, key=lambda c: (weak_call(c), _LEVEL_ORDER.get(c.level, 9))) if calls else None


def weak_call(call: s.DrugCall) -> bool:
    """Inferred rather than measured for this pair: it is shown but may not lift an option."""
    return call.extrapolated or call.evidence_type.value == "computational" or call.checked.basis.value == "seed_review"


def calls_by_drug(mutation: s.Mutation) -> dict[str, list[s.DrugCall]]:
    out: dict[str, list[s.DrugCall]] = {}
    for call in mutation.calls:
        out.setdefault(call.drug, []).append(call)
    return out


# --------------------------------------------------------------------------- matrix


def matrix_drugs(kb: KnowledgeBase) -> list[str]:
    """ALK TKIs that have at least one call, by generation then name."""
    used = {c.drug for m in kb.mutations.values() for c in m.calls}
    drugs = [d for d in kb.drugs.values() if d.id in used]
    return [d.id for d in sorted(drugs, key=lambda d: (d.generation or 9, d.id))]


def matrix(kb: KnowledgeBase, drugs: list[str] | None = None) -> dict[str, dict[str, s.DrugCall | None]]:
    cols = drugs or matrix_drugs(kb)
    table: dict[str, dict[str, s.DrugCall | None]] = {}
    for mid, mut in sorted(kb.mutations.items(), key=lambda kv: (len(kv[1].components), kv[1].codon or 0, kv[0])):
        by_drug = calls_by_drug(mut)
        table[mid] = {d: best_call(by_drug.get(d, [])) for d in cols}
    return table


# --------------------------------------------------------------------------- trials


def trials_for(kb: KnowledgeBase, drug: str | None = None) -> list[s.Trial]:
    trials = list(kb.trials.values())
    if drug is not None:
        drug_id = find_drug(kb, drug).id
        trials = [t for t in trials if any(drug_id in a.regimen for a in t.arms)]
    return trials


# --------------------------------------------------------------------------- export


def export_document(kb: KnowledgeBase) -> dict[str, Any]:
    """The whole knowledge base as one JSON-ready document."""
    return {
        "knowledge_version": kb.version,
        "manifest": kb.manifest.model_dump(mode="json"),
        "evidence_levels": kb.evidence.model_dump(mode="json"),
        "references": [r.model_dump(mode="json", exclude_none=True) for r in kb.references.values()],
        "drugs": [d.model_dump(mode="json", exclude_none=True) for d in kb.drugs.values()],
        "trials": [t.model_dump(mode="json", exclude_none=True) for t in kb.trials.values()],
        "mutations": [m.model_dump(mode="json", exclude_none=True) for m in kb.mutations.values()],
        "fusions": kb.fusions.model_dump(mode="json", exclude_none=True),
        "mechanisms": [m.model_dump(mode="json", exclude_none=True) for m in kb.mechanisms.values()],
        "strategies": [x.model_dump(mode="json", exclude_none=True) for x in kb.strategies.values()],
        "errata": [e.model_dump(mode="json", exclude_none=True) for e in kb.errata.values()],
    }


def _cites(kb: KnowledgeBase, refs: list[str]) -> str:
    return ";".join(cite(kb, r) for r in by_strength(kb, refs))


def export_tables(kb: KnowledgeBase) -> dict[str, list[dict[str, Any]]]:
    """Flat tables (one row per fact) for TSV export."""
    calls = [
        {"mutation": m.id, "drug": c.drug, "call": c.call.value, "evidence_type": c.evidence_type.value,
         "level": c.level, "ic50_nm": c.ic50_nm, "ic50_wt_nm": c.ic50_wt_nm, "assay": c.assay,
         "basis": c.checked.basis.value, "citations": _cites(kb, c.refs)}
        for m in kb.mutations.values() for c in m.calls
    ]
    results = [
        {"trial": t.id, "trial_name": t.name, "result": r.id, "arm": r.arm, "endpoint": r.endpoint.value,
         "value": r.value if r.value is not None else r.value_text, "unit": r.unit.value, "ci_low": r.ci_low,
         "ci_high": r.ci_high if r.ci_high is not None else r.ci_high_text, "assessor": r.assessor,
         "population": r.population, "hazard_ratio": r.hazard_ratio, "seed_value": r.seed_value,
         "update_of": r.update_of, "basis": r.checked.basis.value, "citations": _cites(kb, r.refs)}
        for t in kb.trials.values() for r in t.results
    ]
    drugs = [
        {"id": d.id, "inn": d.inn, "name_zh": d.name_zh, "class": d.drug_class.value, "generation": d.generation,
         "aliases": ";".join(d.aliases), "investigational": d.investigational,
         **{f"approval_{a.region.value}": f"{a.status.value}{' ' + a.date if a.date else ''}" for a in d.approvals},
         "citations": _cites(kb, d.refs)}
        for d in kb.drugs.values()
    ]
    references = [
        {"id": r.id, "doi": r.doi, "pmid": r.pmid, "first_author": r.first_author, "year": r.year,
         "journal": r.journal, "title": r.title, "kind": r.kind, "seed_ref_nos": ";".join(map(str, r.seed_ref_nos)),
         "read": r.read.value}
        for r in kb.references.values()
    ]
    errata = [
        {"id": e.id, "location": e.location, "category": e.category, "seed_says": e.seed_says,
         "correction": e.correction, "citations": _cites(kb, e.refs)}
        for e in kb.errata.values()
    ]
    return {"calls": calls, "results": results, "drugs": drugs, "references": references, "errata": errata}
