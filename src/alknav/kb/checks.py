"""Cross-file checks: dangling references, unknown drugs or mutations, duplicates, and facts
that contradict the ALK reference sequence. Every issue names file, line and field."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from alknav.errors import Issue
from alknav.genetic_code import CODONS
from alknav.kb.dates import check_dates
from alknav.kb.enums import LimitId
from alknav.kb.files import Loc, walk
from alknav.kb.knowledge_base import KnowledgeBase, RawFile
from alknav.kb.names import normalize_name as normalize_name

SINGLE_MUTATION = re.compile(r"^(?P<ref>[A-Z])(?P<codon>\d{1,4})(?P<alt>[A-Z]|del|[A-Z]?ins|[A-Z]*fs)$")

# Words a frequency's `after` may use besides a drug id.
AFTER_GROUPS = frozenset({
    "any_alk_tki", "first_generation", "second_generation", "third_generation", "fourth_generation",
    "sequential_tkis", "treatment_naive", "untreated", "chemotherapy", "any",
})


# --------------------------------------------------------------------------- provenance honesty
# What one cited reference must be (kind) and how deeply it must have been read (read) for it to
# support a basis. A basis absent here (peer_kb, seed_review, reference_data) is not checked against
# the reference list: the passage says which row or section was read.
PRIMARY_KINDS = frozenset({"article", "abstract", "case_report", "preprint", "guideline"})  # not review/web/news
NEWS_KINDS = frozenset({"news", "web"})
_READ_ANY = frozenset({"full_text", "abstract", "label", "registry"})  # read beyond the title
_SUPPORT: dict[str, tuple[frozenset[str] | None, frozenset[str], str]] = {
    # basis: (kinds allowed or None for any, read levels allowed, what is missing in words)
    "primary_full_text": (PRIMARY_KINDS, frozenset({"full_text"}),
                          "a primary source (article, congress abstract, case report, preprint, guideline) read in "
                          "full text"),
    "primary_abstract": (PRIMARY_KINDS, frozenset({"full_text", "abstract"}),
                         "a primary source (article, congress abstract, case report, preprint, guideline) read at "
                         "least to its abstract"),
    "drug_label": (frozenset({"label"}), frozenset({"label"}), "a label (kind: label) read as a label"),
    "regulatory_record": (frozenset({"regulator", "label"}), frozenset({"label", "full_text", "abstract"}),
                          "a regulator notice/database (kind: regulator) or a label that was read"),
    "trial_registry": (frozenset({"registry"}), frozenset({"registry", "full_text", "abstract"}),
                       "a registry record (kind: registry) that was read"),
    "secondary_review": (None, _READ_ANY, "a source other than the seed read beyond its title"),
    "news_or_web": (NEWS_KINDS, _READ_ANY, "a news item or web page (kind: news or web) that was read"),
}
# Bases a news item or web page may carry (peer_kb / reference_data: a knowledge-base row or data file
# published as a web page).
_NEWS_BASES = {"news": frozenset({"secondary_review", "news_or_web"}),
               "web": frozenset({"secondary_review", "news_or_web", "peer_kb", "reference_data"})}
_TABLE = re.compile(r"\b(?:Table|Tab\.)\s*S?\d+", re.IGNORECASE)

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
    seed_ids = seed_reference_ids(kb)
    residues = reference_protein_residues(kb)
    kb.residues = residues

    for kind, files in kb.raw.items():
        for raw in files:
            if raw.data is None:
                continue
            for loc, key, value in walk(raw.data):
                _check_entry(raw, kind, loc, key, value, kb, ids, levels, cited, issues)
                if key == "checked" and isinstance(value, dict):
                    _check_basis(raw, loc, value, kb.references, seed_ids, issues)
                if key == "calls" and isinstance(value, list):
                    _check_call_levels(raw, loc, value, issues)

    _check_references(kb, cited, issues)
    _check_drug_names(kb, issues)
    _check_mutations(kb, residues, issues)
    _check_trials(kb, issues)
    _check_safety(kb, issues)
    check_dates(kb, issues)
    return issues


def _check_safety(kb: KnowledgeBase, issues: list[Issue]) -> None:
    """Labels name known interaction classes and toxicity codes; medicine and vocabulary names are
    unique. Builds the name indexes the engine reads (medicines, toxicity codes, comorbidities)."""
    for did, label in kb.safety.items():
        for i, item in enumerate(label.interactions):
            if item.interaction_class not in kb.interaction_classes:
                issues.append(_issue_at(kb, "safety", "labels", did, ("interactions", i, "interaction_class"),
                                        f"unknown interaction class '{item.interaction_class}'", id_key="drug"))
        for i, tox in enumerate(label.toxicities):
            if tox.toxicity not in kb.toxicity_codes:
                issues.append(_issue_at(kb, "safety", "labels", did, ("toxicities", i, "toxicity"),
                                        f"unknown toxicity code '{tox.toxicity}'", id_key="drug"))
    for missing in sorted(set(LimitId) - set(kb.limits)):
        issues.append(Issue("safety/limits.yaml", None, "limits", f"limit '{missing.value}' is missing"))
    for did, entry in kb.drug_classes.items():
        if did not in kb.drugs:
            issues.append(_issue_at(kb, "medicines", "drug_classes", did, ("drug",), f"unknown drug '{did}'",
                                    id_key="drug"))
        for j, cls in enumerate(entry.classes):
            if cls not in kb.interaction_classes:
                issues.append(_issue_at(kb, "medicines", "drug_classes", did, ("classes", j),
                                        f"unknown interaction class '{cls}'", id_key="drug"))
    meds: dict[str, str] = {}
    for mid, med in kb.medicines.items():
        for j, cls in enumerate(med.classes):
            if cls not in kb.interaction_classes:
                issues.append(_issue_at(kb, "medicines", "medicines", mid, ("classes", j),
                                        f"unknown interaction class '{cls}'"))
        for name in (mid, *med.names):
            key = normalize_name(name)
            if key in meds and meds[key] != mid:
                issues.append(_issue_at(kb, "medicines", "medicines", mid, ("names",),
                                        f"name '{name}' also names medicine '{meds[key]}'"))
            meds.setdefault(key, mid)
    kb.derived["medicine_index"] = meds
    for kind, table in (("toxicity_index", kb.toxicity_codes), ("comorbidity_index", kb.comorbidity_codes)):
        index: dict[str, str] = {}
        for cid, code in table.items():
            for name in (cid, *code.aliases):
                index.setdefault(normalize_name(name), cid)
        kb.derived[kind] = index


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
    elif key in ("regimen", "last_tki_in", "prior_drug_any", "prior_drug_none", "candidate_drug_any") or \
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


def seed_reference_ids(kb: KnowledgeBase) -> frozenset[str]:
    """Ids of the reference(s) that are the seed review named in the manifest (matched by DOI)."""
    seed = kb.manifest.seed.lower()
    return frozenset(rid for rid, ref in kb.references.items() if ref.doi and ref.doi.lower() in seed)


def supports(basis: str, ref: Any, seed_ids: frozenset[str] = frozenset()) -> bool:
    """Whether one reference, as recorded (kind, read), can carry this basis on its own."""
    rule = _SUPPORT.get(basis)
    if rule is None:
        return True
    kinds, reads, _ = rule
    if basis == "secondary_review" and ref.id in seed_ids:
        return False  # resting on the seed alone is seed_review
    return (kinds is None or ref.kind in kinds) and ref.read.value in reads


def _describe(refs: list[str], references: dict[str, Any]) -> str:
    return ", ".join(f"{r} ({references[r].kind}, read {references[r].read.value})" for r in refs if r in references)


def _check_basis(raw: RawFile, loc: Loc, checked: dict[str, Any], references: dict[str, Any],
                 seed_ids: frozenset[str], issues: list[Issue]) -> None:
    """Provenance honesty: the basis must be one the cited references, as read, can carry.

    - a basis needs at least one cited reference of the right kind read deeply enough (`_SUPPORT`);
    - a passage naming a table of a reference needs that reference read in full text (or as a label);
    - a news item or web page supports only secondary_review / news_or_web; a fact that mixes one with
      a stronger source records it in `checked.sources` with its own basis;
    - each entry of `checked.sources` names a reference of the fact that carries the entry's basis,
      and the fact's basis is one of the entries' bases.
    """
    parent: Any = raw.data
    for part in loc:
        parent = parent[part]
    refs = [str(r) for r in (parent.get("refs", []) if isinstance(parent, dict) else []) if isinstance(r, str)]
    known = [r for r in refs if r in references]
    basis = str(checked.get("basis"))
    where = (*loc, "checked")
    sources = checked.get("sources") if isinstance(checked.get("sources"), list) else []

    rule = _SUPPORT.get(basis)
    if rule is not None and known and not any(supports(basis, references[r], seed_ids) for r in known):
        issues.append(raw.issue((*where, "basis"), f"basis '{basis}' needs {rule[2]}; cited: "
                                                   f"{_describe(known, references)}"))

    _check_tables(raw, where, str(checked.get("passage", "")), known, references, seed_ids, issues)

    source_bases: dict[str, set[str]] = {}
    for i, src in enumerate(sources or []):
        if not isinstance(src, dict):
            continue
        ref, sbasis = str(src.get("ref")), str(src.get("basis"))
        here = (*where, "sources", i)
        if ref not in references:
            issues.append(raw.issue((*here, "ref"), f"unknown reference '{ref}'"))
            continue
        if ref not in refs and ref not in seed_ids:  # the seed stands behind every seed_review fact
            issues.append(raw.issue((*here, "ref"), f"source '{ref}' is not among the fact's refs"))
        source_bases.setdefault(ref, set()).add(sbasis)
        srule = _SUPPORT.get(sbasis)
        if srule is not None and not supports(sbasis, references[ref], seed_ids):
            issues.append(raw.issue((*here, "basis"), f"basis '{sbasis}' needs {srule[2]}; '{ref}' is "
                                                      f"{_describe([ref], references)}"))
        _check_tables(raw, here, str(src.get("passage", "")), [ref], references, seed_ids, issues)
    if sources and basis not in {str(src.get("basis")) for src in sources if isinstance(src, dict)}:
        issues.append(raw.issue((*where, "basis"), f"basis '{basis}' is not the basis of any of checked.sources"))

    _check_news_only(raw, where, basis, known, references, issues)

    for r in known:
        kind = references[r].kind
        allowed = _NEWS_BASES.get(kind)
        if allowed is None or basis in allowed or source_bases.get(r, set()) & allowed:
            continue
        issues.append(raw.issue((*where, "basis"),
                                f"cites {'news item' if kind == 'news' else 'web page'} '{r}' under basis "
                                f"'{basis}': a {kind} source supports only {' or '.join(sorted(allowed))}; "
                                f"relabel the fact or record '{r}' in checked.sources with its own basis"))


def _check_news_only(raw: RawFile, where: Loc, basis: str, known: list[str], references: dict[str, Any],
                     issues: list[Issue]) -> None:
    """A fact labelled secondary_review whose only sources read beyond the title are news items rests on
    news: it must say news_or_web."""
    if basis != "secondary_review" or not known:
        return
    read = [r for r in known if references[r].read.value in _READ_ANY]
    if read and all(references[r].kind == "news" for r in read):
        issues.append(raw.issue((*where, "basis"), f"basis 'secondary_review' but the only sources read are news "
                                                   f"items ({', '.join(read)}): label it news_or_web"))


def _check_tables(raw: RawFile, where: Loc, passage: str, refs: list[str], references: dict[str, Any],
                  seed_ids: frozenset[str], issues: list[Issue]) -> None:
    """A passage that names 'Table N' of a cited reference claims that reference was read beyond the abstract."""
    for match in _TABLE.finditer(passage):
        before = passage[max(0, match.start() - 60):match.start()]
        owner = _table_owner(before, refs, references, seed_ids)
        if owner is None:
            continue
        ref = references[owner]
        if ref.read.value not in ("full_text", "label"):
            issues.append(raw.issue((*where, "passage"),
                                    f"passage cites '{match.group(0)}' of '{owner}', which is recorded as read "
                                    f"'{ref.read.value}' (a table needs read: full_text)"))


def _table_owner(before: str, refs: list[str], references: dict[str, Any], seed_ids: frozenset[str]) -> str | None:
    """The cited reference a 'Table N' belongs to: the last one named (id, or surname + year) just before it."""
    text = before.lower()
    if re.search(r"seed\W*(review\W*)?('s\W*)?$", text):
        return None  # the seed review was read in full
    best: tuple[int, str] | None = None
    for rid in refs:
        ref = references[rid]
        surname = re.split(r"[\s,]", ref.first_author.strip())[0].lower()
        for pattern in (re.escape(rid.lower()), rf"{re.escape(surname)}\W+(?:et al\.?\W+)?\(?{ref.year}"):
            for m in re.finditer(pattern, text):
                if best is None or m.end() > best[0]:
                    best = (m.end(), rid)
    if best is None or text[best[0]:].count(";") or len(text) - best[0] > 25:
        return None
    return best[1]


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


def _locate(kb: KnowledgeBase, kind: str, attr: str, item_id: str, id_key: str = "id") -> tuple[RawFile, Loc] | None:
    for raw in kb.raw.get(kind, []):
        items = raw.data.get(attr) if isinstance(raw.data, dict) else None
        for index, item in enumerate(items or []):
            if isinstance(item, dict) and item.get(id_key) == item_id:
                return raw, (attr, index)
    return None


def _issue_at(kb: KnowledgeBase, kind: str, attr: str, item_id: str, field: Loc, message: str,
              severity: str = "error", id_key: str = "id") -> Issue:
    found = _locate(kb, kind, attr, item_id, id_key)
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
