"""Cross-file checks: dangling references, unknown drugs or mutations, duplicates, and facts
that contradict the ALK reference sequence. Every issue names file, line and field."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from alknav.errors import Issue
from alknav.genetic_code import CODONS
from alknav.kb.files import Loc, walk

if TYPE_CHECKING:
    from alknav.kb.loader import KnowledgeBase, RawFile

SINGLE_MUTATION = re.compile(r"^(?P<ref>[A-Z])(?P<codon>\d{1,4})(?P<alt>[A-Z]|del|[A-Z]?ins|[A-Z]*fs)$")

# Words a frequency's `after` may use besides a drug id.
AFTER_GROUPS = frozenset({
    "any_alk_tki", "first_generation", "second_generation", "third_generation", "fourth_generation",
    "sequential_tkis", "treatment_naive", "untreated", "chemotherapy", "any",
})


_READ_FOR_BASIS = {
    "primary_full_text": {"full_text"},
    "primary_abstract": {"full_text", "abstract"},
    "drug_label": {"label", "full_text", "abstract"},
}

_CLINICAL_LEVELS = {"A", "B", "C"}


def reference_protein_residues(kb: KnowledgeBase) -> dict[int, str]:
    """Codon -> amino acid from the shipped kinase-domain CDS (codons 1059-1388) and hotspot list."""
    cds = kb.transcript.kinase_cds
    seq = str(cds["sequence"])
    first_codon = int(cds["first_full_codon"])
    offset = (int(cds["c_start"]) - 1) % 3  # bases of the partial first codon to skip
    offset = (3 - offset) % 3
    residues: dict[int, str] = {}
    for i in range(offset, len(seq) - 2, 3):
        residues[first_codon + (i - offset) // 3] = CODONS.get(seq[i : i + 3].upper(), "X")
    for codon, aa in kb.transcript.hotspot_ref_aa.items():
        residues.setdefault(int(codon), aa)
    return residues


def cross_check(kb: KnowledgeBase) -> list[Issue]:
    issues: list[Issue] = []
    cited: Counter[str] = Counter()
    ids = _namespaces(kb)
    levels = {lv.id for lv in kb.evidence.levels}
    read_level = {rid: ref.read.value for rid, ref in kb.references.items()}
    residues = reference_protein_residues(kb)
    kb.residues = residues

    for kind, files in kb.raw.items():
        for raw in files:
            if raw.data is None:
                continue
            for loc, key, value in walk(raw.data):
                _check_entry(raw, kind, loc, key, value, kb, ids, levels, cited, issues)
                if key == "checked" and isinstance(value, dict):
                    _check_basis(raw, loc, value, read_level, issues)
                if key == "calls" and isinstance(value, list):
                    _check_call_levels(raw, loc, value, issues)

    _check_references(kb, cited, issues)
    _check_drug_names(kb, issues)
    _check_mutations(kb, residues, issues)
    _check_trials(kb, issues)
    return issues


def _namespaces(kb: KnowledgeBase) -> dict[str, set[str]]:
    return {
        "drug": set(kb.drugs),
        "trial": set(kb.trials),
        "mutation": set(kb.mutations),
        "mechanism": set(kb.mechanisms),
        "strategy": set(kb.strategies),
        "fusion": {v.id for v in kb.fusions.variants},
        "reference": set(kb.references),
        "erratum": set(kb.errata),
        "regimen": set(kb.regimens),
        "rule": set(kb.rules),
        "result": {f"{t.id}.{r.id}" for t in kb.trials.values() for r in t.results}
        | {r.id for t in kb.trials.values() for r in t.results},
    }


def _check_entry(
    raw: RawFile, kind: str, loc: Loc, key: str, value: Any, kb: KnowledgeBase,
    ids: dict[str, set[str]], levels: set[str], cited: Counter[str], issues: list[Issue],
) -> None:
    here = (*loc, key)
    if key == "refs" and isinstance(value, list):
        for i, ref in enumerate(value):
            cited[str(ref)] += 1
            if ref not in ids["reference"]:
                issues.append(raw.issue((*here, i), f"unknown reference '{ref}'"))
    elif key == "drug" and isinstance(value, str) and value not in ids["drug"]:
        issues.append(raw.issue(here, f"unknown drug '{value}'"))
    elif key in ("regimen", "last_tki_in", "prior_drug_any", "candidate_drug_any") or \
            (key == "drugs" and kind == "regimens"):
        for i, drug in enumerate(value if isinstance(value, list) else []):
            if drug not in ids["drug"]:
                issues.append(raw.issue((*here, i), f"unknown drug '{drug}'"))
    elif key == "offer" and isinstance(value, list):
        for i, reg in enumerate(value):
            if reg not in ids["regimen"]:
                issues.append(raw.issue((*here, i), f"unknown regimen '{reg}'"))
    elif key == "trials" and kind in ("regimens", "strategies") and isinstance(value, list):
        for i, spec in enumerate(value):  # 'trial' or (regimens only) 'trial.arm'
            trial, _, arm = str(spec).partition(".")
            if trial not in ids["trial"]:
                issues.append(raw.issue((*here, i), f"unknown trial '{trial}'"))
            elif arm and arm not in {a.id for a in kb.trials[trial].arms}:
                issues.append(raw.issue((*here, i), f"trial '{trial}' has no arm '{arm}'"))
    elif key == "level" and isinstance(value, str) and kind in ("mutations", "strategies", "rules", "regimens") \
            and value not in levels and not (kind == "rules" and value == "calls"):
        issues.append(raw.issue(here, f"unknown evidence level '{value}' (known: {', '.join(sorted(levels))})"))
    elif key == "components" and isinstance(value, list):
        for i, comp in enumerate(value):
            if comp not in ids["mutation"]:
                issues.append(raw.issue((*here, i), f"unknown mutation '{comp}' (add it as a single mutation)"))
    elif key == "variants" and kind == "fusions" and loc and loc[0] == "findings" and isinstance(value, list):
        for i, var in enumerate(value):
            if var not in ids["fusion"]:
                issues.append(raw.issue((*here, i), f"unknown fusion variant '{var}'"))
    elif key == "after" and isinstance(value, str):
        parts = [p.strip() for p in re.split(r"[+,]", value)]
        unknown = [p for p in parts if p not in ids["drug"] and p not in AFTER_GROUPS]
        if unknown:
            issues.append(raw.issue(here, f"unknown drug or group '{unknown[0]}' in 'after' "
                                          f"(groups: {', '.join(sorted(AFTER_GROUPS))})"))
    elif key == "kb_fields" and isinstance(value, list):
        known = set().union(*ids.values())
        for i, target in enumerate(value):
            name = str(target).split(":", 1)[-1]
            if name not in known:
                issues.append(raw.issue((*here, i), f"'{target}' names no id in the knowledge base"))


def _check_basis(raw: RawFile, loc: Loc, checked: dict[str, Any], read_level: dict[str, str],
                 issues: list[Issue]) -> None:
    """A claim said to be read in the primary source should cite a reference marked as read."""
    needed = _READ_FOR_BASIS.get(str(checked.get("basis")))
    if not needed:
        return
    parent = raw.data
    for part in loc:
        parent = parent[part]
    refs = parent.get("refs", []) if isinstance(parent, dict) else []
    if refs and not any(read_level.get(r) in needed for r in refs):
        issues.append(raw.issue((*loc, "checked", "basis"),
                                f"basis '{checked.get('basis')}' but no cited reference is marked as read "
                                f"({', '.join(sorted(needed))})", "warning"))


def _check_call_levels(raw: RawFile, loc: Loc, calls: list[Any], issues: list[Issue]) -> None:
    """Preclinical evidence may not carry a clinical level, and the reverse."""
    for i, call in enumerate(calls):
        if not isinstance(call, dict):
            continue
        etype, level = call.get("evidence_type"), call.get("level")
        if etype == "clinical" and level not in _CLINICAL_LEVELS:
            issues.append(raw.issue((*loc, "calls", i, "level"),
                                    f"clinical evidence with non-clinical level '{level}'"))
        if etype in ("preclinical", "computational") and level in _CLINICAL_LEVELS:
            issues.append(raw.issue((*loc, "calls", i, "level"), f"{etype} evidence with clinical level '{level}'"))


def _locate(kb: KnowledgeBase, kind: str, attr: str, item_id: str) -> tuple[RawFile, Loc] | None:
    for raw in kb.raw.get(kind, []):
        items = raw.data.get(attr) if isinstance(raw.data, dict) else None
        for index, item in enumerate(items or []):
            if isinstance(item, dict) and item.get("id") == item_id:
                return raw, (attr, index)
    return None


def _issue_at(kb: KnowledgeBase, kind: str, attr: str, item_id: str, field: Loc, message: str,
              severity: str = "error") -> Issue:
    found = _locate(kb, kind, attr, item_id)
    if found is None:
        return Issue(kind, None, item_id, message, severity)
    raw, loc = found
    return raw.issue((*loc, *field), message, severity)


def _check_references(kb: KnowledgeBase, cited: Counter[str], issues: list[Issue]) -> None:
    seen: dict[str, str] = {}
    for rid, ref in kb.references.items():
        for label, key in (("DOI", ref.doi.lower() if ref.doi else None), ("PMID", ref.pmid)):
            if key is None:
                continue
            tag = f"{label}:{key}"
            if tag in seen:
                issues.append(_issue_at(kb, "references", "references", rid, (label.lower(),),
                                        f"{label} {key} already used by reference '{seen[tag]}'"))
            seen.setdefault(tag, rid)
        if cited[rid] == 0 and not ref.seed_ref_nos:
            issues.append(_issue_at(kb, "references", "references", rid, ("id",),
                                    "reference is never cited", "warning"))


def drug_names(drug: Any) -> list[str]:
    return [drug.id, drug.inn, drug.name_zh, *drug.aliases]


def _check_drug_names(kb: KnowledgeBase, issues: list[Issue]) -> None:
    owner: dict[str, str] = {}
    for did, drug in kb.drugs.items():
        for name in drug_names(drug):
            key = normalize_name(name)
            if key in owner and owner[key] != did:
                issues.append(_issue_at(kb, "drugs", "drugs", did, ("aliases",),
                                        f"name '{name}' also names drug '{owner[key]}'"))
            owner.setdefault(key, did)
    kb.drug_index = owner


def normalize_name(name: str) -> str:
    """Case-, space- and hyphen-insensitive key: 'PF-06463922' == 'pf06463922'."""
    return re.sub(r"[\s\-_.®™]", "", name).casefold()


def _check_mutations(kb: KnowledgeBase, residues: dict[int, str], issues: list[Issue]) -> None:
    by_parts: dict[frozenset[str], str] = {}
    for mid, mut in kb.mutations.items():
        parts = frozenset(mut.components) if mut.components else frozenset({mid})
        if parts in by_parts:
            issues.append(_issue_at(kb, "mutations", "mutations", mid, ("components",),
                                    f"same mutation(s) as '{by_parts[parts]}'"))
        by_parts.setdefault(parts, mid)
        for comp in mut.components:
            part = kb.mutations.get(comp)
            if part is not None and part.components:
                issues.append(_issue_at(kb, "mutations", "mutations", mid, ("components",),
                                        f"component '{comp}' is itself a compound"))
        if mut.components:
            continue
        m = SINGLE_MUTATION.match(mid)
        if m is None:
            issues.append(_issue_at(kb, "mutations", "mutations", mid, ("id",),
                                    "id is not a protein change such as G1202R, G1202del or T1151Tins"))
            continue
        codon, ref = int(m["codon"]), m["ref"]
        if mut.codon is not None and mut.codon != codon:
            issues.append(_issue_at(kb, "mutations", "mutations", mid, ("codon",),
                                    f"codon {mut.codon} != id's {codon}"))
        if mut.ref_aa is not None and mut.ref_aa != ref:
            issues.append(_issue_at(kb, "mutations", "mutations", mid, ("ref_aa",),
                                    f"ref_aa {mut.ref_aa} != id's {ref}"))
        expected = residues.get(codon)
        if expected is not None and expected != ref:
            issues.append(_issue_at(kb, "mutations", "mutations", mid, ("id",),
                                    f"ALK residue {codon} is {expected} in NM_004304.5, not {ref}"))
    kb.mutation_index = by_parts
    aliases: dict[str, str] = {}
    for mid, mut in kb.mutations.items():
        for alias in mut.aliases:
            key = normalize_name(alias)
            if aliases.get(key, mid) != mid:
                issues.append(_issue_at(kb, "mutations", "mutations", mid, ("aliases",),
                                        f"alias '{alias}' also names mutation '{aliases[key]}'"))
            aliases.setdefault(key, mid)
    kb.mutation_aliases = aliases


def _check_trials(kb: KnowledgeBase, issues: list[Issue]) -> None:
    all_results = {r.id for t in kb.trials.values() for r in t.results}
    for tid, trial in kb.trials.items():
        arms = {a.id for a in trial.arms}
        seen: set[str] = set()
        for index, res in enumerate(trial.results):
            where = ("results", index)
            if res.id in seen:
                issues.append(_issue_at(kb, "trials", "trials", tid, (*where, "id"), f"duplicate result id '{res.id}'"))
            seen.add(res.id)
            for field, value in (("arm", res.arm), ("comparator_arm", res.comparator_arm)):
                if value is not None and value not in arms:
                    issues.append(_issue_at(kb, "trials", "trials", tid, (*where, field),
                                            f"unknown arm '{value}' (arms: {', '.join(sorted(arms))})"))
            if res.update_of is not None and res.update_of not in all_results:
                issues.append(_issue_at(kb, "trials", "trials", tid, (*where, "update_of"),
                                        f"updates unknown result '{res.update_of}'"))
