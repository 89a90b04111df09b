"""Genomic breakpoint -> gene exon, and (partner exon, ALK exon) -> EML4-ALK variant id.

Exon tables come from the knowledge base (``kb.transcript``: ALK per build, and the partner tables
in ``kb.transcript.partners``); variant ids from ``kb.fusions.variants``. Conventions follow
shared/reference: coordinates 1-based and closed; a breakpoint inside an exon or on its boundary
names that exon; on the 5' gene an intronic breakpoint after exon N keeps exon N; on the 3' gene
(ALK in an oncogenic fusion) a breakpoint in intron N joins at exon N+1.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from alknav.kb.knowledge_base import KnowledgeBase

Side = Literal["5p", "3p"]
BUILDS = ("GRCh37", "GRCh38")
_BUILD_ALIASES = {
    "grch37": "GRCh37", "hg19": "GRCh37", "37": "GRCh37", "b37": "GRCh37", "hs37d5": "GRCh37",
    "grch38": "GRCh38", "hg38": "GRCh38", "38": "GRCh38", "b38": "GRCh38",
}


@dataclass(frozen=True)
class GeneModel:
    """Exons of one gene on one build, in exon-number (transcript) order."""

    gene: str
    build: str
    chrom: str | None  # None when the knowledge base does not give the partner's chromosome
    strand: str
    exons: tuple[tuple[int, int, int], ...]  # (exon number, start, end)

    @property
    def span(self) -> tuple[int, int]:
        return min(e[1] for e in self.exons), max(e[2] for e in self.exons)


def normalize_build(text: str) -> str | None:
    """'hg19' / '37' / 'GRCh37.p13' -> 'GRCh37'; None when the text names no known build."""
    key = text.strip().lower().split(".")[0]
    return _BUILD_ALIASES.get(key)


def normalize_chrom(chrom: str) -> str:
    """'chr2' / 'Chr2' / '2' -> '2'."""
    text = chrom.strip()
    return text[3:] if text.lower().startswith("chr") else text


def _models(kb: KnowledgeBase) -> dict[tuple[str, str], GeneModel]:
    cached = kb.derived.get("fusion_gene_models")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    models: dict[tuple[str, str], GeneModel] = {}
    for partner in kb.transcript.partners:
        chrom = partner.chrom
        for build, exons in partner.builds.items():
            rows = tuple(sorted((e.exon, e.start, e.end) for e in exons))
            if rows:
                models[(partner.gene.upper(), build)] = GeneModel(
                    partner.gene.upper(), build, normalize_chrom(str(chrom)) if chrom else None, partner.strand, rows)
    alk = kb.transcript.gene.upper()
    for bm in kb.transcript.builds:
        rows = tuple(sorted((e.exon, e.start, e.end) for e in bm.exons))
        models[(alk, bm.build)] = GeneModel(alk, bm.build, normalize_chrom(bm.chrom), bm.strand, rows)
    kb.derived["fusion_gene_models"] = models
    return models


def gene_model(kb: KnowledgeBase, gene: str, build: str) -> GeneModel | None:
    return _models(kb).get((gene.upper(), build))


def has_exon_table(kb: KnowledgeBase, gene: str) -> bool:
    return any(gene_model(kb, gene, b) is not None for b in BUILDS)


def _chrom_ok(model: GeneModel, chrom: str) -> bool:
    return model.chrom is None or normalize_chrom(chrom) == model.chrom


def locate(model: GeneModel, pos: int) -> tuple[str, int] | None:
    """('exon', N) or ('intron', N) for intron N (between exons N and N+1); None outside the gene."""
    exons = model.exons
    for number, start, end in exons:
        if start <= pos <= end:
            return "exon", number
    for (n_a, s_a, e_a), (_, s_b, e_b) in pairwise(exons):
        if min(e_a, e_b) < pos < max(s_a, s_b):
            return "intron", n_a
    return None


def classify_breakpoint(kb: KnowledgeBase, gene: str, chrom: str, pos: int, build: str,
                        *, side: Side | None = None) -> tuple[int, bool] | None:
    """(exon the fusion keeps or joins at, breakpoint lies in that exon) for one breakpoint.

    ``side`` is the gene's place in the fusion; by default ALK is the 3' gene and any other gene
    the 5' gene. None when the gene has no exon table for the build or the position is outside it.
    """
    model = gene_model(kb, gene, build)
    if model is None or not _chrom_ok(model, chrom):
        return None
    where = locate(model, pos)
    if where is None:
        return None
    kind, number = where
    if kind == "exon":
        return number, True
    if side is None:
        side = "3p" if gene.upper() == kb.transcript.gene.upper() else "5p"
    return (number + 1, False) if side == "3p" else (number, False)


def at_exon_boundary(kb: KnowledgeBase, gene: str, chrom: str, pos: int, build: str) -> bool:
    """The position is the first or last base of one of the gene's exons on this build."""
    model = gene_model(kb, gene, build)
    if model is None or not _chrom_ok(model, chrom):
        return False
    return any(pos in (start, end) for _, start, end in model.exons)


def variants_for_exons(kb: KnowledgeBase, partner: str, partner_exon: int, alk_exon: int) -> list[str]:
    """Every curated variant id with this exon pair (v3a and v3b share E6;A20)."""
    return [v.id for v in kb.fusions.variants
            if v.partner.upper() == partner.upper() and v.partner_exon == partner_exon and v.alk_exon == alk_exon]


def variant_for_exons(kb: KnowledgeBase, partner: str, partner_exon: int | str, alk_exon: int | str) -> str | None:
    """'v1' for EML4 13 / ALK 20; 'v3a/v3b' when the exon pair cannot separate variants; None if none."""
    try:
        ids = variants_for_exons(kb, partner, int(partner_exon), int(alk_exon))
    except (TypeError, ValueError):
        return None
    return "/".join(ids) if ids else None
