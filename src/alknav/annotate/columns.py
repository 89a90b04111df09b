"""alknav's annotation columns for one alteration: what it is, its mechanism class, per-drug
calls, evidence levels and citations. Column names follow oncokb-annotator where the meaning is
the same (HIGHEST_SENSITIVE_LEVEL, HIGHEST_RESISTANCE_LEVEL, TX_CITATIONS; ANNOTATED see below);
the rest are ALKNAV_*. Every value is a string so the columns can be appended to any table.

ANNOTATED is True only when alknav has curated knowledge to add for the record: an ALK mutation
with at least one curated drug call, an ALK fusion (the driver: every ALK TKI applies), or an
alteration matching a curated mechanism (ALK amplification, bypass tracks). It is False for rows
outside alknav's genes, for ALK changes without a curated call, for recognised alterations no
mechanism names, and for rows alknav could not read. oncokb-annotator's README (commit 1cbdfb2b,
"Columns added") defines its ANNOTATED as "Whether the variant is annotated by OncoKB
successfully"; AnnotatorCore.process_oncokb_annotation writes False when no annotation came back
and True otherwise, with curation itself in GENE_IN_ONCOKB / VARIANT_IN_ONCOKB. alknav has no
remote query that can fail, so its ANNOTATED carries the part a reader acts on: whether there is
knowledge in the other columns. ALKNAV_RECOGNIZED says whether the alteration was read at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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


REASON_COLUMN = "ALKNAV_REASON"


def relevant_genes(kb: KnowledgeBase) -> list[str]:
    """ALK plus every gene a curated mechanism names (the only genes whose rows get calls)."""
    genes = {"ALK"} | {m.gene.upper() for m in kb.mechanisms.values() if m.gene}
    return sorted(genes)


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
        return empty_row(alt.reason or "not interpreted")
    row = dict.fromkeys(COLUMNS, "")
    row.update({"ANNOTATED": "False", "ALKNAV_RECOGNIZED": "True", "ALKNAV_ALTERATION": alt.normalized or "",
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
    if alt.gene == "ALK" and alt.components:  # a mutation: knowledge is a curated call for some drug
        knowledge = any(row[c] for c in ("ALKNAV_SENSITIVE", "ALKNAV_INTERMEDIATE", "ALKNAV_RESISTANT"))
    else:  # a fusion is the driver itself; anything else needs a curated mechanism
        knowledge = alt.kind == "alk_fusion" or bool(row["ALKNAV_MECHANISM"])
    row["ANNOTATED"] = str(knowledge)
    return row


@dataclass
class Tally:
    """The end-of-run summary every annotate kind prints, with the same words in the same order:
    every record read is either recognised as ALK-relevant, not interpretable (in alknav's genes,
    or of no gene alknav could tell, and unread; its reason is in ALKNAV_REASON) or outside
    alknav's genes; ``annotated`` counts the records with curated knowledge (ANNOTATED True)."""

    read: int = 0
    recognised: int = 0
    annotated: int = 0
    not_interpretable: int = 0
    outside: int = 0

    def add(self, row: Mapping[str, str], in_scope: bool, n: int = 1) -> None:
        """Count ``n`` records (negative: take back) whose columns are ``row``."""
        self.read += n
        if not in_scope:
            self.outside += n
        elif row["ALKNAV_RECOGNIZED"] == "True":
            self.recognised += n
        else:
            self.not_interpretable += n
        if row["ANNOTATED"] == "True":
            self.annotated += n

    def line(self, name: str) -> str:
        return (f"{name}: records read {self.read} · recognised as ALK-relevant {self.recognised} · "
                f"annotated {self.annotated} · not interpretable {self.not_interpretable} (reasons written to "
                f"column {REASON_COLUMN}) · outside alknav's genes {self.outside}")


def parse_row(joined: str) -> dict[str, str]:
    """The tab-joined COLUMNS values (as the MAF writer holds them) back into a row."""
    return dict(zip(COLUMNS, joined.split("\t"), strict=True))
