"""Cross-check alknav's ALK mutation x drug calls against open peer knowledge bases.

Peers (ALK rows only; see PROVENANCE.md in the peer folder for formats, dates and licences):
  civic_alk.tsv                CIViC evidence items, nightly export of about 2021-02 (CC0)
  cgi_alk.tsv                  Cancer Genome Interpreter biomarkers, per-variant file, 2017 release
  moalmanac_alk.tsv            MOAlmanac legacy flat assertions, 2025-12-26 release
  moalmanac_regulatory_alk.tsv MOAlmanac regulatory approvals (fusion level only: counted, never compared)

Each peer row is mapped to an alknav mutation id and drug id, given a direction (sensitive / resistant)
and a disease scope (lung / unspecified / other), then compared with alknav's headline call for that
mutation x drug (the call ``alknav.kb.query.best_call`` picks, i.e. the strongest evidence level).

    outcome    meaning
    agree      same direction
    disagree   alknav sensitive where the peer says resistant (or not sensitive), or the reverse
    partial    alknav calls it intermediate, the peer says sensitive or resistant

Disagreements the team has reviewed are listed in tests/data/peer_kb_known_differences.yaml; the test
tests/test_peer_kbs.py fails on any disagreement not listed there and on any listed one that is gone.

Usage:
    .venv/bin/python scripts/peer_kb_crosscheck.py                  # summary on stdout
    .venv/bin/python scripts/peer_kb_crosscheck.py --json out.json  # every comparison, machine-readable
    .venv/bin/python scripts/peer_kb_crosscheck.py --update-doc     # refresh the generated part of
                                                                    # docs/peer-kb-crosscheck.md
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alknav.errors import LookupFailed
from alknav.kb.loader import KnowledgeBase, load_kb
from alknav.kb.query import best_call, find_drug, find_mutation

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PEER_DIR = Path(os.environ.get("ALKNAV_PEER_KBS", "/work/shared/testdata/peer-kbs"))
KNOWN_DIFFERENCES = REPO / "tests" / "data" / "peer_kb_known_differences.yaml"
DOC = REPO / "docs" / "peer-kb-crosscheck.md"
BEGIN, END = "<!-- BEGIN GENERATED: scripts/peer_kb_crosscheck.py -->", "<!-- END GENERATED -->"

# Names the peers use that drugs.yaml does not (yet) list as aliases. Keep this short: every entry is a
# gap in drugs.yaml (code names) or a misspelling in a peer file.
EXTRA_DRUG_NAMES = {
    "ap26113": "brigatinib",  # brigatinib's code name; not in drugs.yaml aliases (2026-11-25)
    "entrictinib": "entrectinib",  # misspelling in the CGI file
}

# One residue token: F1174L, I1171 (codon only), T1151INST (CIViC insertion spelling), G1202del.
_TOKEN = re.compile(r"^[A-Z]\d{3,4}(?:[A-Z]|INS[A-Z]+|DEL|DUP)?$", re.IGNORECASE)
_FUSION_PREFIX = re.compile(r"^(?:[A-Z0-9]+-ALK|ALK FUSION|ALK)\s+", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)")

LUNG_CGI = {"LUAD", "LUSC", "NSCLC", "SCLC", "L"}


@dataclass
class PeerRow:
    source: str  # civic | cgi | moalmanac | moalmanac_regulatory
    row_id: str  # EID1283 | L6 (line in cgi_alk.tsv, header = line 1) | A110 (MOAlmanac assertion id)
    variant: str  # as written in the peer file
    drug_text: str
    direction: str  # sensitive | resistant | not_sensitive | not_resistant | none
    peer_level: str  # CIViC evidence level, CGI evidence level, MOAlmanac predictive implication
    disease: str
    scope: str  # lung | unspecified | other
    citation: str
    statement: str = ""
    mutation: str | None = None
    drugs: list[str] = field(default_factory=list)
    category: str = ""  # mutation | fusion_or_gene_level | mutation_not_in_alknav | generic
    notes: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    source: str
    row_id: str
    mutation: str
    drug: str
    scope: str
    disease: str
    peer_says: str  # sensitive | resistant
    peer_level: str
    citation: str
    alknav_says: str | None  # headline call, None = no call
    alknav_level: str | None
    alknav_basis: str | None
    outcome: str  # agree | disagree | partial | alknav_no_call
    variant: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.source, self.row_id, self.mutation, self.drug)


# --------------------------------------------------------------------------- reading


def _read_tsv(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; tolerates the extra field of CIViC variant 499 by joining it back."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        out = []
        for lineno, fields in enumerate(reader, start=2):
            if len(fields) > len(header):
                fields = [*fields[: len(header) - 1], "\t".join(fields[len(header) - 1 :])]
            out.append((lineno, dict(zip(header, fields, strict=False))))
        return out


def _split_drugs(text: str) -> list[str]:
    text = text.strip()
    if text in ("", "[]"):
        return []
    return [d.strip() for d in re.split(r"[,;]", text) if d.strip()]


def map_drug(kb: KnowledgeBase, name: str) -> str | None:
    """alknav drug id for a peer drug name (INN, brand or code name), or None if alknav has no such drug."""
    name = re.sub(r"\s*\(.*\)\s*$", "", name.strip())  # CGI: 'Lorlatinib (ALK&ROS1 inhibitor)'
    try:
        return find_drug(kb, name).id
    except LookupFailed:
        key = re.sub(r"[\s\-_.]", "", name).casefold()
        drug_id = EXTRA_DRUG_NAMES.get(key)
        return drug_id if drug_id in kb.drugs else None


def _alknav_token(kb: KnowledgeBase, token: str) -> str:
    """'T1151INST' -> 'T1151Tins'; other tokens unchanged."""
    m = re.fullmatch(r"([A-Z])(\d+)INS([A-Z]+)", token, flags=re.IGNORECASE)
    if m:
        return f"{m.group(1).upper()}{m.group(2)}{m.group(3).upper()}ins"
    return token


def map_mutation(kb: KnowledgeBase, tokens: list[str]) -> str | None:
    """alknav mutation id for one single or compound mutation (all parts together), else None."""
    text = "+".join(_alknav_token(kb, t) for t in tokens)
    try:
        match = find_mutation(kb, text)
    except LookupFailed:
        return None
    return match.mutation.id if match.mutation is not None else None


def parse_civic_variant(kb: KnowledgeBase, variant: str, statement: str = "") -> tuple[str, str | None, list[str]]:
    """(category, alknav mutation id, notes) for a CIViC variant name of the 2021 export.

    'EML4-ALK C1156Y-L1198F' is a compound (one clone); 'ALK FUSION I1171' names a codon only, and the
    substitution is then taken from the evidence statement when it names exactly one.
    """
    body = _FUSION_PREFIX.sub("", " ".join(variant.split()))
    tokens = body.split("-")
    if not all(_TOKEN.match(t) for t in tokens):
        if body.upper() in ("MUTATION", "MUTATIONS"):
            return "generic", None, ["any ALK mutation, no residue named"]
        return "fusion_or_gene_level", None, []
    notes: list[str] = []
    resolved = []
    for tok in tokens:
        if re.fullmatch(r"[A-Z]\d{3,4}", tok, flags=re.IGNORECASE):  # codon only
            found = sorted(set(re.findall(rf"\b{tok}([A-Z])\b", statement)))
            if len(found) != 1:
                return "mutation_not_in_alknav", None, [f"codon-only variant {tok}; statement names {found or 'none'}"]
            notes.append(f"CIViC names codon {tok} only; the evidence statement names {tok}{found[0]}")
            tok = f"{tok}{found[0]}"
        else:
            codon = re.match(r"[A-Z](\d+)", tok, flags=re.IGNORECASE).group(1)  # type: ignore[union-attr]
            others = sorted(set(re.findall(rf"\b[A-Z]{codon}[A-Z]\b", statement)) - {tok.upper()})
            if others and tok.upper() not in statement.upper():
                notes.append(f"variant name says {tok} but the evidence statement names {', '.join(others)}")
        resolved.append(tok)
    mid = map_mutation(kb, resolved)
    if mid is None:
        return "mutation_not_in_alknav", None, [*notes, f"{'+'.join(resolved)} is not an alknav mutation"]
    return "mutation", mid, notes


def _civic_direction(direction: str, significance: str) -> str:
    sig = {"Sensitivity/Response": "sensitive", "Resistance": "resistant"}.get(significance)
    if sig is None:
        return "none"
    if direction == "Supports":
        return sig
    if direction == "Does Not Support":
        return "not_sensitive" if sig == "sensitive" else "not_resistant"
    return "none"


def _civic_scope(disease: str) -> str:
    if "lung" in disease.lower():
        return "lung"
    return "unspecified" if disease.strip() == "Cancer" else "other"


def read_civic(kb: KnowledgeBase, peer_dir: Path) -> list[PeerRow]:
    rows = []
    for _, r in _read_tsv(peer_dir / "civic_alk.tsv"):
        if r["evidence_status"] != "accepted":
            continue
        category, mid, notes = parse_civic_variant(kb, r["variant"], r["evidence_statement"])
        drug_names = _split_drugs(r["drugs"])
        interaction = r["drug_interaction_type"].strip()
        if interaction == "Combination":
            notes.append("combination therapy: not compared with single-agent calls")
            drug_ids: list[str] = []
        else:
            if interaction:
                notes.append(f"drugs given as '{interaction}': each compared on its own")
            drug_ids = [d for d in (map_drug(kb, n) for n in drug_names) if d]
        unmapped = [n for n in drug_names if map_drug(kb, n) is None]
        if unmapped:
            notes.append(f"not an alknav drug: {', '.join(unmapped)}")
        rows.append(PeerRow(
            source="civic", row_id=f"EID{r['evidence_id']}", variant=r["variant"], drug_text=r["drugs"],
            direction=_civic_direction(r["evidence_direction"], r["clinical_significance"]),
            peer_level=f"{r['evidence_level']} ({r['evidence_type']}, {r['evidence_direction']})",
            disease=r["disease"], scope=_civic_scope(r["disease"]),
            citation=f"PMID:{r['citation_id']} ({r['citation']})", statement=r["evidence_statement"],
            mutation=mid, drugs=drug_ids, category=category, notes=notes,
        ))
    return rows


def parse_cgi_alteration(kb: KnowledgeBase, alteration: str, individual: str) -> tuple[str, str | None, list[str]]:
    if individual.startswith("ALK:"):
        tok = individual.split(":", 1)[1]
        mid = map_mutation(kb, [tok]) if _TOKEN.match(tok) else None
        return ("mutation", mid, []) if mid else ("mutation_not_in_alknav", None, [f"{tok} is not an alknav mutation"])
    m = re.search(r"inframe_insertion:\.(\d+)([A-Z]+)\.", alteration)
    if m:
        codon, ins = int(m.group(1)), m.group(2)
        tok = f"{kb.residues.get(codon, 'X')}{codon}{ins}ins"
        mid = map_mutation(kb, [tok])
        note = f"CGI in-frame insertion of {ins} after codon {codon} read as {tok}"
        return ("mutation", mid, [note]) if mid else ("mutation_not_in_alknav", None, [note])
    if alteration == "ALK:.":
        return "generic", None, ["any ALK oncogenic mutation, no residue named"]
    return "fusion_or_gene_level", None, []


def read_cgi(kb: KnowledgeBase, peer_dir: Path) -> list[PeerRow]:
    rows = []
    for lineno, r in _read_tsv(peer_dir / "cgi_alk.tsv"):
        category, mid, notes = parse_cgi_alteration(kb, r["Alteration"], r["individual_mutation"])
        names = _split_drugs(r["Drug"])
        drug_ids = [d for d in (map_drug(kb, n) for n in names) if d]
        if not names:
            notes.append(f"drug class only: {r['Drug full name']}")
        elif len(drug_ids) < len(names):
            notes.append(f"not an alknav drug: {r['Drug']}")
        tumours = set(re.split(r"[;,]", r["Primary Tumor acronym"]))
        direction = {"Responsive": "sensitive", "Resistant": "resistant"}.get(r["Association"], "none")
        rows.append(PeerRow(
            source="cgi", row_id=f"L{lineno}", variant=r["individual_mutation"] or r["Alteration"],
            drug_text=r["Drug full name"], direction=direction, peer_level=r["Evidence level"],
            disease=r["Primary Tumor acronym"], scope="lung" if tumours & LUNG_CGI else "other",
            citation=r["Source"].strip(), statement=r["Biomarker"], mutation=mid, drugs=drug_ids,
            category=category, notes=notes,
        ))
    return rows


def read_moalmanac(kb: KnowledgeBase, peer_dir: Path) -> list[PeerRow]:
    rows = []
    for _, r in _read_tsv(peer_dir / "moalmanac_alk.tsv"):
        if r.get("_deprecated") == "true":
            continue
        notes: list[str] = []
        if r["feature_type"] == "Somatic Variant":
            tok = r["protein_change"].removeprefix("p.")
            mid = map_mutation(kb, [tok])
            category = "mutation" if mid else "mutation_not_in_alknav"
        else:
            mid, category = None, "fusion_or_gene_level"
        drug_ids = [d for d in (map_drug(kb, n) for n in _split_drugs(r["therapy_name"])) if d]
        direction = "none"
        if r["therapy_sensitivity"] == "1":
            direction = "sensitive"
        elif r["therapy_resistance"] == "1":
            direction = "resistant"
        ref = f"PMID:{r['pmid']}" if r["pmid"] else r["citation"][:60]
        rows.append(PeerRow(
            source="moalmanac", row_id=f"A{r['assertion_id']}",
            variant=r["protein_change"] or f"{r['gene1'] or r['gene']}-{r['gene2']} {r['feature_type']}".strip(),
            drug_text=r["therapy_name"], direction=direction, peer_level=r["predictive_implication"],
            disease=r["disease"], scope="lung" if r["oncotree_code"] in ("NSCLC", "LUAD", "LUSC") else "other",
            citation=ref, statement=r["description"], mutation=mid, drugs=drug_ids, category=category, notes=notes,
        ))
    path = peer_dir / "moalmanac_regulatory_alk.tsv"
    if path.exists():
        for _, r in _read_tsv(path):
            rows.append(PeerRow(
                source="moalmanac_regulatory", row_id=f"S{r['statement_id']}", variant=r["alk_biomarkers"],
                drug_text=r["therapy"], direction="sensitive", peer_level=r["strength"], disease=r["disease"],
                scope="lung" if "Lung" in r["disease"] else "other", citation=r["document_id"],
                category="fusion_or_gene_level", notes=["regulatory approval, fusion level (or ALK wild type)"],
            ))
    return rows


def read_peers(kb: KnowledgeBase, peer_dir: Path = DEFAULT_PEER_DIR) -> list[PeerRow]:
    return [*read_civic(kb, peer_dir), *read_cgi(kb, peer_dir), *read_moalmanac(kb, peer_dir)]


# --------------------------------------------------------------------------- comparing

_OPPOSITE = {
    ("sensitive", "resistant"), ("sensitive", "not_sensitive"),
    ("resistant", "sensitive"), ("resistant", "not_resistant"),
}


def _outcome(alknav: str | None, peer: str) -> str:
    if alknav is None:
        return "alknav_no_call"
    if alknav == "intermediate":
        return "partial"
    if (alknav, peer) in _OPPOSITE:
        return "disagree"
    return "agree"


def headline(kb: KnowledgeBase, mutation: str, drug: str) -> Any:
    """alknav's headline call (best_call over the calls that are not 'unknown'), or None."""
    calls = [c for c in kb.mutations[mutation].calls if c.drug == drug and c.call.value != "unknown"]
    return best_call(calls)


def compare(kb: KnowledgeBase, rows: list[PeerRow]) -> list[Comparison]:
    out = []
    for row in rows:
        if row.category != "mutation" or row.mutation is None or row.direction == "none":
            continue
        for drug in row.drugs:
            call = headline(kb, row.mutation, drug)
            peer_says = {"not_sensitive": "resistant", "not_resistant": "sensitive"}.get(row.direction, row.direction)
            notes = list(row.notes)
            if row.direction.startswith("not_"):
                notes.append(f"peer evidence does not support {row.direction[4:]}: counted as {peer_says}")
            others = sorted({c.call.value for c in kb.mutations[row.mutation].calls if c.drug == drug} - {"unknown"})
            if call is not None and len(others) > 1:
                notes.append(f"alknav holds mixed calls for this pair: {', '.join(others)}")
            out.append(Comparison(
                source=row.source, row_id=row.row_id, mutation=row.mutation, drug=drug, scope=row.scope,
                disease=row.disease, peer_says=peer_says, peer_level=row.peer_level, citation=row.citation,
                alknav_says=call.call.value if call else None, alknav_level=call.level if call else None,
                alknav_basis=call.checked.basis.value if call else None,
                outcome=_outcome(call.call.value if call else None, row.direction), variant=row.variant, notes=notes,
            ))
    return out


def alknav_without_peer(kb: KnowledgeBase, comparisons: list[Comparison]) -> list[dict[str, Any]]:
    """alknav headline calls (not 'unknown') that no peer row maps to; scopes a peer has, if only non-lung."""
    seen: dict[tuple[str, str], set[str]] = {}
    for c in comparisons:
        seen.setdefault((c.mutation, c.drug), set()).add(c.scope)
    out = []
    for mid, mut in kb.mutations.items():
        for drug in dict.fromkeys(c.drug for c in mut.calls):
            call = headline(kb, mid, drug)
            if call is None:
                continue
            scopes = seen.get((mid, drug), set())
            if "lung" in scopes:
                continue
            out.append({"mutation": mid, "drug": drug, "call": call.call.value, "level": call.level,
                        "basis": call.checked.basis.value, "peer_scopes": sorted(scopes)})
    return out


def ic50_trace(kb: KnowledgeBase, rows: list[PeerRow]) -> list[dict[str, Any]]:
    """Every alknav IC50 whose call cites a CIViC EID: is the number in that evidence statement?"""
    statements = {r.row_id: r.statement for r in rows if r.source == "civic"}
    out = []
    for mid, mut in kb.mutations.items():
        for c in mut.calls:
            text = " ".join([c.assay, c.note, c.checked.passage])
            eids = list(dict.fromkeys(f"EID{n}" for n in re.findall(r"EID\s*(\d+)", text)))
            if not eids:
                continue
            numbers = {float(n) for e in eids for n in _NUMBER.findall(statements.get(e, ""))}
            for label, value in (("ic50_nm", c.ic50_nm), ("ic50_wt_nm", c.ic50_wt_nm)):
                if value is None:
                    continue
                out.append({"mutation": mid, "drug": c.drug, "field": label, "value": value, "eids": eids,
                            "found": float(value) in numbers, "missing_eids": [e for e in eids if e not in statements]})
    return out


# --------------------------------------------------------------------------- known differences


def load_known(path: Path = KNOWN_DIFFERENCES) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(data.get("differences", []))


def known_key(entry: dict[str, Any]) -> tuple[str, str, str, str]:
    return (entry["source"], entry["row"], entry["mutation"], entry["drug"])


def check_known(comparisons: list[Comparison], known: list[dict[str, Any]]) -> tuple[list[Comparison], list[dict]]:
    """(disagreements not listed, listed entries that no longer disagree)."""
    disagreements = {c.key: c for c in comparisons if c.outcome == "disagree"}
    listed = {known_key(e): e for e in known}
    unlisted = [c for k, c in disagreements.items() if k not in listed]
    stale = [e for k, e in listed.items() if k not in disagreements]
    return unlisted, stale


# --------------------------------------------------------------------------- reporting


def summarize(rows: list[PeerRow], comparisons: list[Comparison]) -> dict[str, Any]:
    compared_rows = {(c.source, c.row_id) for c in comparisons if c.outcome != "alknav_no_call"}
    mapped_rows = {(c.source, c.row_id) for c in comparisons}
    return {
        "peer_rows": dict(Counter(r.source for r in rows)),
        "peer_rows_by_category": dict(Counter(r.category for r in rows)),
        "peer_rows_mapped": len(mapped_rows),
        "peer_rows_compared": len(compared_rows),
        "comparisons": len(comparisons),
        "outcomes": dict(Counter(c.outcome for c in comparisons)),
        "agree_on_peer_kb_basis": sum(1 for c in comparisons if c.outcome == "agree" and c.alknav_basis == "peer_kb"),
        "outcomes_lung": dict(Counter(c.outcome for c in comparisons if c.scope == "lung")),
        "outcomes_unspecified": dict(Counter(c.outcome for c in comparisons if c.scope == "unspecified")),
        "outcomes_other": dict(Counter(c.outcome for c in comparisons if c.scope == "other")),
    }


def _md_table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        return str(v if v is not None else "-").replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def render_generated(kb: KnowledgeBase, rows: list[PeerRow], comparisons: list[Comparison],
                     known: list[dict[str, Any]]) -> str:
    s = summarize(rows, comparisons)
    known_by_key = {known_key(e): e for e in known}
    parts = [BEGIN, "", f"Generated from alknav knowledge version {kb.version} and the peer files; "
             "do not edit between the markers, run `scripts/peer_kb_crosscheck.py --update-doc`.", ""]
    parts.append(_md_table(["", "count"], [
        ["peer rows read (CIViC / CGI / MOAlmanac / MOAlmanac regulatory)",
         " / ".join(str(s["peer_rows"].get(k, 0)) for k in ("civic", "cgi", "moalmanac", "moalmanac_regulatory"))],
        ["peer rows naming an ALK residue change that alknav holds, with an alknav drug (mapped)",
         s["peer_rows_mapped"]],
        ["mapped rows that alknav has a call for (compared)", s["peer_rows_compared"]],
        ["mutation x drug comparisons (a sequential-therapy row gives one per drug)", s["comparisons"]],
        *[[f"comparisons: {k}", v] for k, v in sorted(s["outcomes"].items())],
        ["agreements where alknav's headline call itself rests on a peer-KB row (basis peer_kb; not independent)",
         s["agree_on_peer_kb_basis"]],
        *[[f"lung only: {k}", v] for k, v in sorted(s["outcomes_lung"].items())],
    ]))
    order = {"disagree": 0, "partial": 1, "agree": 2, "alknav_no_call": 3}
    for scope, title in (("lung", "Lung (NSCLC / lung adenocarcinoma) rows"),
                         ("unspecified", "Rows filed under disease 'Cancer' (CIViC; Ba/F3 models of EML4-ALK or "
                                         "NPM-ALK)"),
                         ("other", "Other diseases (neuroblastoma, IMT, glioma, AML, ...)")):
        sel = sorted((c for c in comparisons if c.scope == scope),
                     key=lambda c: (order[c.outcome], c.mutation, c.drug, c.source, c.row_id))
        parts += ["", f"### {title}", ""]
        parts.append(_md_table(
            ["outcome", "mutation", "drug", "peer row", "peer says (level)", "disease", "citation",
             "alknav (level, basis)", "known difference"],
            [[c.outcome, c.mutation, c.drug, f"{c.source} {c.row_id}", f"{c.peer_says} ({c.peer_level})", c.disease,
              c.citation, f"{c.alknav_says} ({c.alknav_level}, {c.alknav_basis})" if c.alknav_says else "no call",
              "listed" if c.key in known_by_key else ""] for c in sel]))
    notes = [[f"{c.source} {c.row_id}", c.mutation, c.drug, "; ".join(c.notes)] for c in comparisons if c.notes]
    if notes:
        parts += ["", "### Mapping notes", "", _md_table(["peer row", "mutation", "drug", "note"], notes)]
    lacking = [r for r in rows if r.category == "mutation_not_in_alknav"]
    lacking += [r for r in rows if r.category == "mutation" and not r.drugs and r.direction != "none"]
    parts += ["", "### Peer rows alknav lacks", "",
              "Residue changes alknav does not hold, and rows on alknav mutations whose drug alknav does not hold "
              "(tool compounds, HSP90 inhibitors, drug classes). Calls alknav holds no call for are the "
              "`alknav_no_call` rows in the tables above.", ""]
    header = ["peer row", "variant", "drug", "peer says", "disease", "level", "citation", "why not compared"]
    parts.append(_md_table(header,
                           [[f"{r.source} {r.row_id}", r.variant, r.drug_text, r.direction, r.disease, r.peer_level,
                             r.citation, "; ".join(r.notes) or r.category] for r in lacking]))
    no_call = sorted({(c.mutation, c.drug) for c in comparisons if c.outcome == "alknav_no_call"})
    if no_call:
        parts += ["", "alknav mutation x drug pairs with a peer row but no alknav call: "
                  + ", ".join(f"{m} x {d}" for m, d in no_call) + "."]
    without = alknav_without_peer(kb, comparisons)
    n_none = sum(1 for w in without if not w["peer_scopes"])
    parts += ["", "### alknav calls no lung peer row has", "",
              f"{len(without)} mutation x drug headline calls (excluding 'unknown'): {n_none} with no peer row at all, "
              f"{len(without) - n_none} with peer rows only outside lung (`peer scopes`).", ""]
    parts.append(_md_table(["mutation", "drug", "alknav call", "level", "basis", "peer scopes"],
                           [[w["mutation"], w["drug"], w["call"], w["level"], w["basis"],
                             ", ".join(w["peer_scopes"]) or "none"] for w in without]))
    trace = ic50_trace(kb, rows)
    bad = [t for t in trace if not t["found"]]
    parts += ["", "### IC50 values alknav attributes to CIViC rows", "",
              f"{len(trace)} values checked against the evidence statements of the CIViC rows their calls cite; "
              f"{len(bad)} not found there."]
    if bad:
        parts += ["", _md_table(["mutation", "drug", "field", "value", "cited rows"],
                                [[t["mutation"], t["drug"], t["field"], t["value"], ", ".join(t["eids"])]
                                 for t in bad])]
    other = Counter(r.category for r in rows if r.category in ("fusion_or_gene_level", "generic"))
    parts += ["", f"Not compared (no residue named): {other.get('fusion_or_gene_level', 0)} fusion-, gene- or "
              f"exon-level rows (ALK fusions, partner fusions, EML4-ALK variants, amplification, ALK-ATI, "
              f"regulatory approvals, ALK wild type) and {other.get('generic', 0)} rows on 'any ALK mutation'.",
              "", END]
    return "\n".join(parts)


def update_doc(text: str, generated: str) -> str:
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        return head + generated + tail
    return text.rstrip("\n") + "\n\n" + generated + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer-dir", type=Path, default=DEFAULT_PEER_DIR)
    ap.add_argument("--json", type=Path, help="write every peer row and comparison as JSON")
    ap.add_argument("--update-doc", action="store_true", help=f"refresh the generated section of {DOC.name}")
    args = ap.parse_args(argv)
    if not args.peer_dir.is_dir():
        print(f"peer folder not found: {args.peer_dir}", file=sys.stderr)
        return 2
    kb = load_kb()
    rows = read_peers(kb, args.peer_dir)
    comparisons = compare(kb, rows)
    known = load_known() if KNOWN_DIFFERENCES.exists() else []
    unlisted, stale = check_known(comparisons, known)
    print(json.dumps(summarize(rows, comparisons), indent=1))
    for c in comparisons:
        if c.outcome in ("disagree", "partial"):
            print(f"{c.outcome:9} {c.scope:11} {c.mutation:>14} x {c.drug:<11} {c.source} {c.row_id}: "
                  f"peer {c.peer_says}, alknav {c.alknav_says} ({c.alknav_level}, {c.alknav_basis})")
    for c in unlisted:
        print(f"UNLISTED disagreement: {c.key}")
    for e in stale:
        print(f"STALE known difference: {known_key(e)}")
    if args.json:
        args.json.write_text(json.dumps({"rows": [asdict(r) for r in rows],
                                         "comparisons": [asdict(c) for c in comparisons]}, indent=1))
    if args.update_doc:
        text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Peer knowledge-base cross-check\n"
        DOC.write_text(update_doc(text, render_generated(kb, rows, comparisons, known)), encoding="utf-8")
        print(f"updated {DOC}")
    return 1 if unlisted or stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
