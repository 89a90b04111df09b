"""alknav's annotation columns for one alteration: what it is, its mechanism class, per-drug
calls, evidence levels and citations. Column names follow oncokb-annotator where the meaning is
the same (ANNOTATED, HIGHEST_SENSITIVE_LEVEL, HIGHEST_RESISTANCE_LEVEL, TX_CITATIONS); the rest
are ALKNAV_*. Every value is a string so the columns can be appended to any table."""

from __future__ import annotations

from alknav.inputs.alterations import Alteration, parse_alteration
from alknav.interpret.facts import Clone, clone_call, match_mechanisms
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.kb.query import cite

COLUMNS = [
    "ANNOTATED", "ALKNAV_RECOGNIZED", "ALKNAV_ALTERATION", "ALKNAV_KIND", "ALKNAV_MECHANISM",
    "ALKNAV_SENSITIVE", "ALKNAV_INTERMEDIATE", "ALKNAV_RESISTANT", "ALKNAV_CALLS",
    "HIGHEST_SENSITIVE_LEVEL", "HIGHEST_RESISTANCE_LEVEL", "TX_CITATIONS", "ALKNAV_REASON",
]
_RANK = {"A": 0, "B": 1, "C": 2, "D": 3, "E": 4}


def empty_row(reason: str) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    row.update({"ANNOTATED": "False", "ALKNAV_RECOGNIZED": "False", "ALKNAV_REASON": reason})
    return row


def _best(levels: list[str]) -> str:
    return min(levels, key=lambda lv: _RANK.get(lv, 9)) if levels else ""


def annotate_alteration(text: str | None, kb: KnowledgeBase, reason: str | None = None) -> dict[str, str]:
    """Columns for one alteration text (as a reader produced it), or for a reason it has none."""
    if text is None:
        return empty_row(reason or "no alteration read")
    alt = parse_alteration(text, kb)
    return annotate(alt, kb)


def annotate(alt: Alteration, kb: KnowledgeBase) -> dict[str, str]:
    if not alt.recognized:
        row = empty_row(alt.reason or "not interpreted")
        row["ANNOTATED"] = "True"
        return row
    row = dict.fromkeys(COLUMNS, "")
    row.update({"ANNOTATED": "True", "ALKNAV_RECOGNIZED": "True", "ALKNAV_ALTERATION": alt.normalized or "",
                "ALKNAV_KIND": alt.kind})
    refs: list[str] = []
    if alt.gene == "ALK" and alt.components:
        row["ALKNAV_MECHANISM"] = "alk_dependent:kinase_domain_mutation"
        mutations = [alt.components] if alt.kind == "alk_compound_mutation" else [[m] for m in alt.components]
        by_call: dict[str, list[str]] = {"sensitive": [], "intermediate": [], "resistant": [], "unknown": []}
        sens_levels: list[str] = []
        res_levels: list[str] = []
        calls_text = []
        for muts in mutations:
            mid = kb.mutation_index.get(frozenset(muts))
            entry = kb.mutations[mid] if mid else None
            parts = [kb.mutations[m] for m in muts if m in kb.mutations] if entry is None else []
            clone = Clone(muts, alt.input, entry, parts)
            for drug in sorted(kb.drugs_with_calls()):
                call = clone_call(clone, drug)
                if call.call == "unknown" and not call.basis:
                    continue
                by_call[call.call].append(drug)
                level = call.level or ""
                calls_text.append(f"{'+'.join(muts)}>{drug}:{call.call}:{level}")
                for basis in call.basis:
                    refs += basis.refs
                if call.call == "sensitive" and level:
                    sens_levels.append(level)
                if call.call == "resistant" and level:
                    res_levels.append(level)
        row.update({
            "ALKNAV_SENSITIVE": ";".join(dict.fromkeys(by_call["sensitive"])),
            "ALKNAV_INTERMEDIATE": ";".join(dict.fromkeys(by_call["intermediate"])),
            "ALKNAV_RESISTANT": ";".join(dict.fromkeys(by_call["resistant"])),
            "ALKNAV_CALLS": ";".join(calls_text),
            "HIGHEST_SENSITIVE_LEVEL": _best(sens_levels),
            "HIGHEST_RESISTANCE_LEVEL": _best(res_levels),
        })
        if not calls_text:
            row["ALKNAV_REASON"] = "ALK change with no curated drug calls"
    elif alt.kind == "alk_fusion":
        row["ALKNAV_MECHANISM"] = "driver:alk_fusion"
        variant = next((v for v in kb.fusions.variants if alt.detail and alt.detail.lower() in
                        {a.lower() for a in [v.id, v.name, *v.aliases]}), None)
        if variant is not None:
            refs += variant.refs
    else:
        mechanisms = match_mechanisms([alt], kb)
        if mechanisms:
            row["ALKNAV_MECHANISM"] = ";".join(f"{m.mechanism_class.value}:{m.id}" for m in mechanisms)
            for m in mechanisms:
                refs += m.refs
            if alt.kind == "bypass_mutation" and alt.components:
                row["ALKNAV_REASON"] = "gene-level match: whether this variant activates the pathway is not assessed"
        else:
            row["ALKNAV_REASON"] = "recognised, but no ALK resistance mechanism is curated for it"
    row["TX_CITATIONS"] = ";".join(dict.fromkeys(cite(kb, r) for r in refs if r in kb.references))
    return row
