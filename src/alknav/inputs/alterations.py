"""Alteration strings and structured items -> normalised alterations.

Accepted (contract v1): `ALK G1202R`, `G1202R`, `ALK p.G1202R`, `ALK p.Gly1202Arg`,
`NP_004295.2:p.Gly1202Arg`, `NM_004304.5:c.3604G>A`, `ALK I1151Tins`, `ALK G1202del`,
`ALK G1202R/L1196M`, `ALK G1202R+L1196M`, `ALK p.[G1202R;L1196M]`, `ALK amplification`,
`MET amplification`, `MET exon 14 skipping`, `KRAS G12C`, `EGFR L858R`, `NTRK1 fusion`,
`EML4-ALK`, `SCLC transformation`. Protein changes go through the biocommons `hgvs` parser.
Nothing is dropped: what cannot be read comes back with ``recognized=False`` and a reason.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from alknav.genetic_code import CODONS, THREE_TO_ONE
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.kb.names import normalize_name

ALK_TRANSCRIPT = re.compile(r"^NM_004304(\.\d+)?$")
ALK_PROTEIN = re.compile(r"^NP_004295(\.\d+)?$")
GENE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")

# Words that name an alteration type; these are vocabulary, not clinical facts.
_AMP = re.compile(r"^(amplification|amplified|amp|gain|copy[ _-]?number[ _-]?gain|high[ _-]?copy[ _-]?number)$", re.I)
_CN = re.compile(r"^(?:copy[ _-]?number|cn|gcn)\s*[:=]?\s*(\d+(?:\.\d+)?)$", re.I)
_FUSION = re.compile(r"^(fusion|rearrangement|rearranged|translocation)$", re.I)
_EX14 = re.compile(r"^(exon\s*14\s*skipping|ex14(\s*skipping)?|exon14skipping|ex14del)$", re.I)
_TRANSFORM = re.compile(
    r"^(?P<what>sclc|small[ -]cell(?: lung cancer| carcinoma)?|neuroendocrine|squamous|large[ -]cell neuroendocrine)"
    r"\s+(transformation|transformed)$|^(?:transformation to|transformed to)\s+(?P<what2>.+)$", re.I)


@dataclass
class Alteration:
    """One input alteration after reading. `components` holds ALK protein changes (1-letter)."""

    input: str
    gene: str | None
    normalized: str | None
    kind: str
    recognized: bool
    components: list[str] = field(default_factory=list)
    phase: str | None = None  # cis for a compound on one allele
    copy_number: float | None = None
    partner: str | None = None
    detail: str | None = None
    reason: str | None = None  # why it was not recognised, or a note on how it was read
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"input": self.input, "gene": self.gene, "normalized": self.normalized,
                               "kind": self.kind, "recognized": self.recognized}
        if self.components:
            out["mutations"] = self.components
        for key in ("phase", "copy_number", "partner", "detail", "reason"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.notes:
            out["notes"] = self.notes
        return out


class _Unreadable(ValueError):
    pass


@cache
def _hgvs_parser() -> Any:
    """The biocommons hgvs grammar (offline); built once per process because building costs ~50 ms."""
    import hgvs.parser

    return hgvs.parser.Parser()


_AA = frozenset("ACDEFGHIKLMNPQRSTVWY")
_SUBSTITUTION = re.compile(r"^([A-Z](?:[a-z]{2})?)([1-9]\d*)([A-Z](?:[a-z]{2})?)$")


def _substitution(body: str) -> str | None:
    """'G1202R' / 'Gly1202Arg' read without the hgvs grammar (building it costs more than a whole
    cached run); the same answer as the grammar's (tests/test_alterations.py), None for anything else."""
    match = _SUBSTITUTION.match(body)
    if match is None:
        return None
    ref, pos, alt = match.groups()
    if len(ref) != len(alt):
        return None
    if len(ref) == 3:
        ref, alt = THREE_TO_ONE.get(ref, ""), THREE_TO_ONE.get(alt, "")
    return f"{ref}{pos}{alt}" if ref in _AA and alt in _AA else None


def _protein_change(text: str) -> str:
    """'p.Gly1202Arg' / 'G1202R' / 'T1151_L1152insT' / 'T1151dup' -> 1-letter id ('T1151Tins')."""
    body = text.strip()
    body = re.sub(r"^p\.", "", body)
    if body.startswith("(") and body.endswith(")"):
        body = body[1:-1]
    literature = re.match(r"^([A-Z])(\d+)([A-Z]+)ins$", body)  # e.g. T1151Tins: insertion after residue
    if literature:
        return body
    if not re.match(r"^[A-Z][a-z]{0,2}\d", body):
        raise _Unreadable(f"'{text}' is not a protein change")
    simple = _substitution(body)
    if simple is not None:
        return simple
    try:
        posedit = _hgvs_parser().parse_p_posedit(body)
    except Exception as exc:  # the hgvs grammar raises several exception types for bad input
        raise _Unreadable(f"'{text}' is not a valid HGVS protein change") from exc
    if posedit is None or posedit.pos is None:
        raise _Unreadable(f"'{text}' is not a protein change")
    start = posedit.pos.start
    ref, pos = THREE_TO_ONE.get(start.aa, start.aa), int(start.pos)
    edit = posedit.edit
    kind = type(edit).__name__
    if kind == "AASub":
        return f"{ref}{pos}{THREE_TO_ONE.get(edit.alt, edit.alt)}"
    if kind == "Dup" and posedit.pos.end is not None and posedit.pos.end.pos == start.pos:
        return f"{ref}{pos}{ref}ins"  # a one-residue duplication is the literature's "T1151Tins"
    if kind == "AARefAlt":
        end, etype, alt = posedit.pos.end, getattr(edit, "type", ""), edit.alt or ""
        single = end is None or end.pos == start.pos
        if etype == "del":
            return f"{ref}{pos}del" if single else f"{ref}{pos}_{THREE_TO_ONE.get(end.aa, end.aa)}{end.pos}del"
        if etype == "ins" and end is not None and end.pos == start.pos + 1:
            return f"{ref}{pos}{alt}ins"
        if etype == "delins" and single:
            return f"{ref}{pos}delins{alt}"
    if kind == "AAFs":
        return f"{ref}{pos}fs"
    raise _Unreadable(f"'{text}' is a protein change alknav does not interpret ({posedit})")


def _codon_change(text: str, kb: KnowledgeBase) -> tuple[str, str]:
    """'c.3604G>A' on NM_004304.5 -> ('G1202R', note), translated with the shipped kinase CDS."""
    body = re.sub(r"^c\.", "", text.strip())
    try:
        posedit = _hgvs_parser().parse_c_posedit(body)
    except Exception as exc:
        raise _Unreadable(f"'{text}' is not a valid HGVS coding change") from exc
    edit = posedit.edit
    start, end = posedit.pos.start, posedit.pos.end
    if type(edit).__name__ != "NARefAlt" or edit.ref is None or edit.alt is None or start.offset or \
            (end is not None and end.base != start.base + len(edit.ref) - 1):
        raise _Unreadable(f"'{text}': only substitutions in the coding sequence are translated")
    cds = kb.transcript.kinase_cds
    c_start, c_end, seq = int(cds["c_start"]), int(cds["c_end"]), str(cds["sequence"]).upper()
    first, last = int(start.base), int(start.base) + len(edit.ref) - 1
    if first < c_start or last > c_end:
        raise _Unreadable(f"'{text}' lies outside c.{c_start}-{c_end}, the ALK sequence alknav ships; "
                          "give the protein change (p.) instead")
    found = seq[first - c_start:last - c_start + 1]
    if found != edit.ref.upper():
        raise _Unreadable(f"'{text}': NM_004304.5 has {found} at c.{first}, not {edit.ref}")
    codon_no = (first - 1) // 3 + 1
    if (last - 1) // 3 + 1 != codon_no:
        raise _Unreadable(f"'{text}' spans two codons; give the protein change instead")
    codon_first_c = (codon_no - 1) * 3 + 1
    codon = seq[codon_first_c - c_start:codon_first_c - c_start + 3]
    offset = first - codon_first_c
    mutant = codon[:offset] + edit.alt.upper() + codon[offset + len(edit.ref):]
    ref_aa, alt_aa = CODONS[codon], CODONS.get(mutant, "?")
    if ref_aa == alt_aa:
        raise _Unreadable(f"'{text}' is synonymous (p.{ref_aa}{codon_no}=)")
    return f"{ref_aa}{codon_no}{alt_aa}", f"translated c.{first}{edit.ref}>{edit.alt} with NM_004304.5 (shipped CDS)"


def _check_alk_residue(change: str, kb: KnowledgeBase) -> None:
    m = re.match(r"^([A-Z])(\d+)", change)
    if m is None:
        return
    ref, codon = m.group(1), int(m.group(2))
    if codon > kb.transcript.protein_length:
        raise _Unreadable(f"ALK has {kb.transcript.protein_length} residues; there is no residue {codon}")
    expected = kb.residues.get(codon)
    if expected is not None and expected != ref:
        raise _Unreadable(f"ALK residue {codon} is {expected} in NM_004304.5, not {ref}")


def _alk_changes(parts: list[str], kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    out, notes = [], []
    for part in parts:
        if part in kb.mutations and not kb.mutations[part].components:
            out.append(part)
            continue
        alias = kb.mutation_aliases.get(normalize_name(part))
        if alias is not None and "+" not in alias:
            if alias != part:
                notes.append(f"'{part}' read as {alias} (a name used in the literature)")
            out.append(alias)
            continue
        if re.match(r"^(c\.|\d)", part):
            change, note = _codon_change(part, kb)
            notes.append(note)
        else:
            change = _protein_change(part)
        _check_alk_residue(change, kb)
        out.append(change)
    return out, notes


def _order(changes: list[str]) -> list[str]:
    def pos(change: str) -> int:
        m = re.search(r"\d+", change)
        return int(m.group(0)) if m else 0

    return sorted(dict.fromkeys(changes), key=lambda c: (pos(c), c))


def alk_normalized(changes: list[str]) -> str:
    changes = _order(changes)
    return f"ALK p.{changes[0]}" if len(changes) == 1 else f"ALK p.[{';'.join(changes)}]"


def _mutation(inp: str, parts: list[str], kb: KnowledgeBase, phase: str | None) -> Alteration:
    changes, notes = _alk_changes(parts, kb)
    changes = _order(changes)
    compound = len(changes) > 1
    return Alteration(inp, "ALK", alk_normalized(changes),
                      "alk_compound_mutation" if compound else "alk_kinase_domain_mutation", True,
                      components=changes, phase=("cis" if compound else phase), notes=notes)


def _split_changes(body: str) -> list[str]:
    body = body.strip()
    if body.startswith("p.[") and body.endswith("]"):
        body = body[3:-1]
    elif body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    return [p for p in re.split(r"\s*[/+;]\s*|\s*,\s*|\s+and\s+", body) if p]


def _mechanism_genes(kb: KnowledgeBase) -> frozenset[str]:
    if "mechanism_genes" not in kb.derived:
        genes = {m.gene.upper() for m in kb.mechanisms.values() if m.gene}
        kb.derived["mechanism_genes"] = frozenset(genes | {"BCL2L11" if "BIM" in genes else "", "NRAS", "BRAF"})
    return kb.derived["mechanism_genes"]  # type: ignore[no-any-return]


def _other_gene(inp: str, gene: str, rest: str, kb: KnowledgeBase) -> Alteration:
    rest = rest.strip()
    if not rest:
        return Alteration(inp, gene, None, "unknown", False, reason=f"no alteration given for {gene}")
    if _EX14.match(rest):
        return Alteration(inp, gene, f"{gene} exon 14 skipping", "met_exon14_skipping" if gene == "MET"
                          else "bypass_mutation", True)
    cn = _CN.match(rest)
    if _AMP.match(rest) or cn:
        return Alteration(inp, gene, f"{gene} amplification", "bypass_amplification", True,
                          copy_number=float(cn.group(1)) if cn else None)
    if _FUSION.match(rest) or re.match(r"^[A-Z0-9]+-[A-Z0-9]+( fusion)?$", rest):
        kind = "bypass_fusion" if gene in _mechanism_genes(kb) else "other_fusion"
        return Alteration(inp, gene, f"{gene} fusion", kind, True, detail=rest)
    if re.match(r"^(deletion polymorphism|deletion|loss|del)$", rest, re.I):
        return Alteration(inp, gene, f"{gene} {rest.lower()}", "bypass_mutation", True)
    try:
        change = _protein_change(rest)
    except _Unreadable as exc:
        return Alteration(inp, gene, None, "unknown", False, reason=str(exc))
    problem = _residue_problem(gene, change, kb)
    if problem:
        return Alteration(inp, gene, None, "unknown", False, reason=problem)
    kind = "bypass_mutation" if gene in _mechanism_genes(kb) else "other_mutation"
    return Alteration(inp, gene, f"{gene} p.{change}", kind, True, components=[change])


def _residue_problem(gene: str, change: str, kb: KnowledgeBase) -> str | None:
    """A residue the protein does not have, or an ALK mutation written against the fusion partner."""
    info = kb.genes.get(gene)
    number = re.search(r"\d+", change)
    if info is None or number is None:
        return None
    partner = gene in {p.gene for p in kb.fusions.partners}
    if partner and change in kb.mutations:
        return f"{change} is an ALK residue written against the fusion partner {gene}; write ALK {change}"
    if int(number.group(0)) > info.protein_length:
        return f"{gene} has {info.protein_length} residues; there is no residue {number.group(0)}"
    return None


MAX_ALTERATION = 300  # the longest notation alknav reads (a compound, an HGVS delins) is far shorter


def parse_alteration(item: Any, kb: KnowledgeBase) -> Alteration:
    """One alteration string or structured item from a case file."""
    if isinstance(item, dict) or hasattr(item, "model_dump"):
        return _structured(item if isinstance(item, dict) else item.model_dump(), kb)
    inp = str(item)
    if len(inp) > MAX_ALTERATION:
        # bounded work per cell whatever the reader: the grammar is never run on a megabyte
        return Alteration(inp, None, None, "unknown", False,
                          reason=f"{len(inp)} characters: longer than any alteration alknav reads "
                                 f"({MAX_ALTERATION}); not read")
    # Parsing is pure for a given knowledge base, and the same notations recur (the HGVS grammar
    # costs ~0.3 ms a call), so results are memoised per KB; callers get their own copy.
    cache: dict[str, Alteration] = kb.derived.setdefault("alteration_cache", {})
    hit = cache.get(inp)
    if hit is not None:
        return copy.deepcopy(hit)
    result = _parse_string(inp, kb)
    if len(cache) < 10_000:
        cache[inp] = copy.deepcopy(result)
    return result


def _parse_string(inp: str, kb: KnowledgeBase) -> Alteration:
    text = " ".join(inp.split())
    if not text:
        return Alteration(inp, None, None, "unknown", False, reason="empty alteration")
    try:
        return _parse_text(inp, text, kb)
    except _Unreadable as exc:
        return Alteration(inp, "ALK" if "ALK" in text.upper() or _looks_alk(text) else None, None, "unknown",
                          False, reason=str(exc))


def _looks_alk(text: str) -> bool:
    return bool(re.match(r"^(p\.)?[A-Z][a-z]{0,2}\d{4}", text))


def _parse_text(inp: str, text: str, kb: KnowledgeBase) -> Alteration:
    transform = _TRANSFORM.match(text)
    if transform:
        what = (transform.group("what") or transform.group("what2") or "").lower()
        label = "sclc" if ("small" in what or "sclc" in what or "neuroendocrine" in what) else \
            "squamous" if "squamous" in what else what
        return Alteration(inp, None, f"{label} transformation", "histologic_transformation", True, detail=label)
    # genomic HGVS on chromosome 2 (GRCh37 NC_000002.11, GRCh38 NC_000002.12): translated in ALK
    g = re.match(r"^NC_000002\.(?P<v>11|12):g\.(?P<pos>\d+)(?P<ref>[ACGT]+)>(?P<alt>[ACGT]+)$", text, re.I)
    if g:
        return _genomic_alk(inp, "GRCh37" if g["v"] == "11" else "GRCh38", int(g["pos"]), g["ref"], g["alt"], kb)
    # accession forms
    m = re.match(r"^(?P<acc>N[MP]_\d+(?:\.\d+)?)\s*:\s*(?P<body>.+)$", text)
    if m:
        acc, body = m.group("acc"), m.group("body")
        if ALK_PROTEIN.match(acc) or ALK_TRANSCRIPT.match(acc):
            return _mutation(inp, _split_changes(body), kb, None)
        raise _Unreadable(f"accession {acc} is not ALK (NM_004304 / NP_004295); give the gene symbol instead")
    # fusion notation, e.g. EML4-ALK, EML4::ALK, "EML4-ALK fusion", "ALK fusion"
    fm = re.match(r"^(?P<a>[A-Z0-9]+)(?:-|::)(?P<b>[A-Z0-9]+)(?:\s+(?:fusion|rearrangement))?(?:\s+(?P<var>.+))?$",
                  text, re.I)
    if fm and GENE.match(fm.group("a").upper()) and GENE.match(fm.group("b").upper()):
        a, b = fm.group("a").upper(), fm.group("b").upper()
        if "ALK" in (a, b):
            partner = b if a == "ALK" else a
            return Alteration(inp, "ALK", f"{a}-{b} fusion", "alk_fusion", True, partner=partner,
                              detail=fm.group("var"))
        genes = _mechanism_genes(kb)
        kind = "bypass_fusion" if a in genes or b in genes else "other_fusion"
        return Alteration(inp, b if b in genes or a not in genes else a, f"{a}-{b} fusion", kind, True, partner=a)
    tokens = text.split(" ", 1)
    head = tokens[0].upper()
    rest = tokens[1] if len(tokens) > 1 else ""
    if head == "ALK":
        if not rest:
            raise _Unreadable("'ALK' alone names no alteration")
        cn = _CN.match(rest)
        if _AMP.match(rest) or cn:
            return Alteration(inp, "ALK", "ALK amplification", "alk_amplification", True,
                              copy_number=float(cn.group(1)) if cn else None)
        if _FUSION.match(rest):
            return Alteration(inp, "ALK", "ALK fusion", "alk_fusion", True)
        return _mutation(inp, _split_changes(rest), kb, None)
    if GENE.match(head) and not _looks_alk(tokens[0]) and (rest or head.isupper()):
        return _other_gene(inp, head, rest, kb)
    # no gene: ALK implied
    return _mutation(inp, _split_changes(text), kb, None)


def _genomic_alk(inp: str, build: str, pos: int, ref: str, alt: str, kb: KnowledgeBase) -> Alteration:
    """A g. substitution on chromosome 2, translated when it falls in the ALK coding sequence alknav has."""
    from alknav.inputs.genomic.alk_genomic import NotTranslated, RefMismatch, alk_model

    model = alk_model(kb)
    if not model.in_span(build, pos):
        raise _Unreadable(f"{build} chr2:{pos} is not in ALK; give the gene and protein change instead")
    try:
        change = model.translate(build, pos, ref, alt)
    except RefMismatch as exc:
        raise _Unreadable(f"{build} chr2:{pos}: {exc}") from None
    except NotTranslated as exc:
        raise _Unreadable(f"{build} chr2:{pos}: {exc}") from None
    changes = change.nonsynonymous
    if not changes:
        raise _Unreadable(f"{build} chr2:{pos}: synonymous ({change.hgvs_p})")
    alteration = _mutation(inp, changes, kb, None)
    alteration.notes.append(f"translated {build} {change.hgvs_c} with {change.source}")
    return alteration


def _structured(item: dict[str, Any], kb: KnowledgeBase) -> Alteration:
    gene = str(item.get("gene") or "ALK").upper()
    muts = [str(m) for m in item.get("mutations") or []]
    phase = item.get("phase")
    inp = ", ".join(f"{k}: {v}" for k, v in item.items() if v not in (None, [], ""))
    if gene != "ALK":
        text = item.get("alteration") or " ".join(muts)
        try:
            return _other_gene(inp, gene, str(text), kb)
        except _Unreadable as exc:
            return Alteration(inp, gene, None, "unknown", False, reason=str(exc))
    if item.get("alteration") and not muts:
        return parse_alteration(f"ALK {item['alteration']}", kb)
    if not muts:
        return Alteration(inp, "ALK", None, "unknown", False, reason="structured ALK item without mutations")
    try:
        if len(muts) > 1 and phase == "cis":
            return _mutation(inp, muts, kb, "cis")
        if len(muts) == 1:
            return _mutation(inp, muts, kb, phase)
    except _Unreadable as exc:
        return Alteration(inp, "ALK", None, "unknown", False, reason=str(exc))
    # several mutations without cis phase: possibly different clones, reported as one item each
    alt = Alteration(inp, "ALK", None, "alk_mutations_unphased", True, phase=phase or "unknown")
    try:
        changes, notes = _alk_changes(muts, kb)
    except _Unreadable as exc:
        return Alteration(inp, "ALK", None, "unknown", False, reason=str(exc))
    alt.components, alt.notes = _order(changes), notes
    alt.normalized = "; ".join(alk_normalized([c]) for c in alt.components)
    alt.kind = "alk_kinase_domain_mutation"
    alt.notes.append("several mutations without phase: read as possibly different clones")
    return alt
