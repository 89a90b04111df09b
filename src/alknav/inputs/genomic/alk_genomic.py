"""Genomic position (GRCh37/GRCh38, + strand) -> ALK c./p. with the shipped transcript model.

Everything comes from ``kb.transcript`` (exon tables with cds_start/cds_end/c_first/c_last per build
and the kinase-domain CDS c.3173-4164). ALK is on the minus strand: c. numbers run from the highest
coordinate down, and REF/ALT are complemented. Outside the shipped sequence a ``ReferenceCds``
built from a FASTA (pysam.FastaFile) can supply the whole 4863-nt CDS.

The only "span table" here is ALK's own gene span, derived from the exon table, used to jump to ALK
through a tabix index and to tell an unannotated record in ALK from one elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from alknav.genetic_code import CODONS
from alknav.kb.knowledge_base import KnowledgeBase

_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")
CHROM_ALIASES = {"2": "2", "chr2": "2", "CHR2": "2", "Chr2": "2", "NC_000002.11": "2", "NC_000002.12": "2"}


def revcomp(seq: str) -> str:
    return seq.translate(_COMPLEMENT)[::-1]


def complement(seq: str) -> str:
    return seq.translate(_COMPLEMENT)


class RefMismatch(Exception):
    """REF disagrees with the transcript sequence of ``build`` at ``pos`` (c. ``c``)."""

    def __init__(self, build: str, pos: int, c: int | None, expected_plus: str, found_plus: str, source: str,
                 c_end: int | None = None) -> None:
        self.build, self.pos, self.c = build, pos, c
        self.expected_plus, self.found_plus, self.source = expected_plus, found_plus, source
        where = "this position" if c is None else f"c.{c}" if c_end in (None, c) else f"c.{c}_{c_end}"
        super().__init__(f"REF {found_plus} contradicts {build}: {source} has {expected_plus} (plus strand) at "
                         f"{where}")


@dataclass(frozen=True)
class CodingExon:
    exon: int
    start: int  # genomic exon start (+ strand)
    end: int
    cds_start: int
    cds_end: int
    c_first: int  # c. at cds_end (minus strand: 5' end of the exon)
    c_last: int  # c. at cds_start


@dataclass(frozen=True)
class AlkBuild:
    build: str
    chrom: str
    exons: tuple[CodingExon, ...]
    span_start: int
    span_end: int


@dataclass
class AlkChange:
    """A translated ALK substitution."""

    hgvs_c: str  # e.g. c.3604G>A
    changes: list[str]  # 1-letter protein changes, e.g. ["G1202R"]; synonymous codons give "L1152="
    source: str

    @property
    def nonsynonymous(self) -> list[str]:
        return [c for c in self.changes if not c.endswith("=")]

    @property
    def hgvs_p(self) -> str:
        return "p." + self.changes[0] if len(self.changes) == 1 else "p.[" + ";".join(self.changes) + "]"


class NotTranslated(Exception):
    """A reason why an ALK variant was not translated (becomes the record's reason)."""


class ReferenceCds:
    """The full ALK CDS of one build, read from a reference FASTA along the exon table."""

    def __init__(self, fasta: Path, model: AlkModel, build: str) -> None:
        import pysam  # lazily: only needed when a reference is passed

        self.path = fasta
        self.build = build
        self._fa: Any = pysam.FastaFile(str(fasta))
        names = set(self._fa.references)
        contig = next((n for n in names if CHROM_ALIASES.get(n) == model.builds[build].chrom), None)
        if contig is None:
            raise ValueError(f"no chromosome 2 (2/chr2) in {fasta.name}")
        self.contig: str = contig
        parts = [revcomp(self._fa.fetch(contig, e.cds_start - 1, e.cds_end).upper())
                 for e in model.builds[build].exons]
        cds = "".join(parts)
        if len(cds) != model.cds_length:
            raise ValueError(f"ALK CDS from {fasta.name} on {build} is {len(cds)} nt, not {model.cds_length}")
        protein = "".join(CODONS.get(cds[i:i + 3], "X") for i in range(0, len(cds), 3))
        if protein[-1] != "*" or len(protein) - 1 != model.protein_length or "*" in protein[:-1]:
            raise ValueError(f"ALK CDS from {fasta.name} does not translate to {model.protein_length} aa and a stop "
                             f"on {build} (wrong build or wrong reference?)")
        shipped = model.kinase_seq
        if cds[model.kinase_start - 1:model.kinase_end] != shipped:
            raise ValueError(f"{fasta.name} disagrees with the shipped ALK kinase CDS on {build} (wrong build?)")
        self.cds = cds

    def plus_bases(self, start: int, end: int) -> str:
        return str(self._fa.fetch(self.contig, start - 1, end)).upper()


class AlkModel:
    """ALK exon tables and the shipped kinase CDS, per build, from ``kb.transcript``."""

    def __init__(self, kb: KnowledgeBase) -> None:
        t = kb.transcript
        self.gene = t.gene
        self.refseq = t.refseq
        self.transcript = t.transcript
        self.cds_length = t.cds_length
        self.protein_length = t.protein_length
        self.kinase_start = int(t.kinase_cds["c_start"])
        self.kinase_end = int(t.kinase_cds["c_end"])
        self.kinase_seq = str(t.kinase_cds["sequence"]).upper()
        self.builds: dict[str, AlkBuild] = {}
        for b in t.builds:
            exons = tuple(
                CodingExon(e.exon, e.start, e.end, int(e.cds_start), int(e.cds_end), int(e.c_first), int(e.c_last))
                for e in sorted(b.exons, key=lambda x: x.exon)
                if e.cds_start is not None and e.cds_end is not None and e.c_first is not None and e.c_last is not None
            )
            self.builds[b.build] = AlkBuild(b.build, b.chrom, exons, min(e.start for e in b.exons),
                                            max(e.end for e in b.exons))

    # ---------------------------------------------------------------- positions
    def span(self, build: str) -> tuple[str, int, int]:
        b = self.builds[build]
        return b.chrom, b.span_start, b.span_end

    def in_span(self, build: str, pos: int) -> bool:
        b = self.builds[build]
        return b.span_start <= pos <= b.span_end

    def c_of(self, build: str, pos: int) -> int | None:
        for e in self.builds[build].exons:
            if e.cds_start <= pos <= e.cds_end:
                return e.c_first + (e.cds_end - pos)
        return None

    def in_kinase(self, build: str, pos: int) -> bool:
        c = self.c_of(build, pos)
        return c is not None and self.kinase_start <= c <= self.kinase_end

    def where(self, build: str, pos: int) -> str:
        """Where a non-coding position lies: 'intron 19', "5' UTR (exon 1)", 'outside ALK'."""
        b = self.builds[build]
        if not self.in_span(build, pos):
            return "outside ALK"
        exons = sorted(b.exons, key=lambda e: e.exon)
        for e in exons:
            if e.start <= pos <= e.end and not e.cds_start <= pos <= e.cds_end:
                side = "5'" if pos > e.cds_end else "3'"
                return f"{side} UTR (exon {e.exon})"
        for left, right in pairwise(exons):
            if right.end < pos < left.start:
                return f"intron {left.exon}"
        return "ALK"

    # ---------------------------------------------------------------- sequences
    def shipped(self, c_from: int, c_to: int) -> str | None:
        if c_from < self.kinase_start or c_to > self.kinase_end:
            return None
        return self.kinase_seq[c_from - self.kinase_start:c_to - self.kinase_start + 1]

    def ref_matches(self, build: str, pos: int, ref: str) -> bool | None:
        """Does the + strand REF agree with the shipped CDS of ``build``? None when not coding/shipped."""
        cs = [self.c_of(build, p) for p in range(pos, pos + len(ref))]
        if any(c is None for c in cs):
            return None
        bases = [self.shipped(c, c) for c in cs if c is not None]
        if any(b is None for b in bases):
            return None
        return complement(ref.upper()) == "".join(b for b in bases if b is not None)

    # ---------------------------------------------------------------- translation
    def translate(self, build: str, pos: int, ref: str, alt: str, reference: ReferenceCds | None = None) -> AlkChange:
        """Translate a substitution (SNV or same-length MNV) at ``pos``; raise NotTranslated or RefMismatch."""
        ref, alt = ref.upper(), alt.upper()
        if reference is not None:
            genomic = reference.plus_bases(pos, pos + len(ref) - 1)
            if len(genomic) != len(ref) or any(g not in ("N", r) for g, r in zip(genomic, ref, strict=True)):
                raise RefMismatch(build, pos, self.c_of(build, pos), genomic, ref, f"reference {reference.path.name}")
        if len(ref) != len(alt):
            if reference is None and self.ref_matches(build, pos, ref) is False:
                c0 = self.c_of(build, pos + len(ref) - 1)
                c1 = self.c_of(build, pos)
                shipped = self.shipped(c0, c1) if c0 is not None and c1 is not None else None
                raise RefMismatch(build, pos, c0, revcomp(shipped or "?"), ref, "shipped ALK CDS", c1)
            return self._inframe_indel(build, pos, ref, alt, reference)
        # trim shared bases
        while ref and alt and ref[0] == alt[0]:
            ref, alt, pos = ref[1:], alt[1:], pos + 1
        while ref and alt and ref[-1] == alt[-1]:
            ref, alt = ref[:-1], alt[:-1]
        if not ref:
            raise NotTranslated("ALT equals REF")
        positions = list(range(pos, pos + len(ref)))
        cs = [self.c_of(build, p) for p in positions]
        if all(c is None for c in cs):
            raise NotTranslated(f"ALK {self.where(build, pos)} (not coding): no protein change to translate")
        if any(c is None for c in cs):
            raise NotTranslated("the substitution crosses an ALK exon boundary")
        coding = [c for c in cs if c is not None]
        c_lo, c_hi = min(coding), max(coding)
        if c_hi - c_lo + 1 != len(coding):
            raise NotTranslated("the substitution crosses an ALK exon boundary")
        ref_c, alt_c = revcomp(ref), revcomp(alt)  # coding-strand order, c_lo first
        codon_lo, codon_hi = (c_lo - 1) // 3 + 1, (c_hi - 1) // 3 + 1
        need_from, need_to = (codon_lo - 1) * 3 + 1, codon_hi * 3
        seq = self.shipped(need_from, need_to)
        source = f"shipped ALK CDS (c.{self.kinase_start}-{self.kinase_end})"
        if seq is None and reference is not None:
            seq, source = reference.cds[need_from - 1:need_to], f"reference FASTA {reference.path.name}"
        if seq is None:
            raise NotTranslated(f"c.{c_lo} is outside c.{self.kinase_start}-{self.kinase_end}, the ALK sequence "
                                "alknav ships; annotate with VEP/SnpEff or pass a reference FASTA")
        found = seq[c_lo - need_from:c_hi - need_from + 1]
        if found != ref_c:
            raise RefMismatch(build, pos, c_lo, revcomp(found), ref, source, c_hi)
        mutant = seq[:c_lo - need_from] + alt_c + seq[c_hi - need_from + 1:]
        changes = []
        for i in range(0, len(seq), 3):
            codon_no = codon_lo + i // 3
            a, b = CODONS.get(seq[i:i + 3], "X"), CODONS.get(mutant[i:i + 3], "X")
            if seq[i:i + 3] != mutant[i:i + 3]:
                changes.append(f"{a}{codon_no}{'=' if a == b else b}")
        hgvs_c = f"c.{c_lo}{ref_c}>{alt_c}" if len(ref_c) == 1 else f"c.{c_lo}_{c_hi}delins{alt_c}"
        return AlkChange(hgvs_c, changes, source)


    def _inframe_indel(self, build: str, pos: int, ref: str, alt: str, reference: ReferenceCds | None) -> AlkChange:
        """An in-frame insertion or deletion inside the sequence alknav has, named the way the
        literature writes ALK changes (G1202del, T1151Tins); anything else stays untranslated."""
        generic = NotTranslated("an ALK insertion/deletion alknav cannot name without VEP/SnpEff annotation "
                                "(frameshift, complex, or outside the sequence it has)")
        if not ref or not alt or ref[0] != alt[0] or (len(ref) - len(alt)) % 3:
            raise generic
        start = pos + 1  # first base after the VCF anchor (plus strand)
        if len(ref) > len(alt):  # deletion of ref[1:]
            deleted_end = pos + len(ref) - 1
            c_hi, c_lo = self.c_of(build, start), self.c_of(build, deleted_end)
            if c_lo is None or c_hi is None or c_hi - c_lo != deleted_end - start:
                raise generic
            c_after = c_hi  # the deletion removes c_lo..c_hi
            window_from = ((c_lo - 1) // 3) * 3 + 1 - 3
            window_to = ((c_hi - 1) // 3 + 1) * 3 + 3
            seq = self.shipped(window_from, window_to) or (reference.cds[window_from - 1:window_to] if reference
                                                           else None)
            if seq is None:
                raise generic
            if seq[c_lo - window_from:c_hi - window_from + 1] != revcomp(ref[1:]):
                raise RefMismatch(build, pos, c_lo, revcomp(seq[c_lo - window_from:c_hi - window_from + 1]),
                                  ref[1:], "shipped ALK CDS", c_hi)
            mutant = seq[:c_lo - window_from] + seq[c_after - window_from + 1:]
            hgvs_c = f"c.{c_lo}_{c_hi}del"
        else:  # insertion of alt[1:] between pos and pos+1 (plus strand) = after c.(c_of(pos+1))
            c_before = self.c_of(build, start)  # coding base 5' of the insertion on the coding strand
            if c_before is None or self.c_of(build, pos) is None:
                raise generic
            window_from = ((c_before - 1) // 3) * 3 + 1 - 3
            window_to = ((c_before - 1) // 3 + 1) * 3 + 3
            seq = self.shipped(window_from, window_to) or (reference.cds[window_from - 1:window_to] if reference
                                                           else None)
            if seq is None:
                raise generic
            cut = c_before - window_from + 1
            mutant = seq[:cut] + revcomp(alt[1:]) + seq[cut:]
            hgvs_c = f"c.{c_before}_{c_before + 1}ins{revcomp(alt[1:])}"
        first_codon = (window_from - 1) // 3 + 1
        before = "".join(CODONS.get(seq[i:i + 3], "X") for i in range(0, len(seq) - 2, 3))
        after = "".join(CODONS.get(mutant[i:i + 3], "X") for i in range(0, len(mutant) - 2, 3))
        k = 0
        while k < min(len(before), len(after)) and before[k] == after[k]:
            k += 1
        tail = 0
        while tail < min(len(before), len(after)) - k and before[-1 - tail] == after[-1 - tail]:
            tail += 1
        removed, added = before[k:len(before) - tail], after[k:len(after) - tail]
        if removed and not added:
            first = f"{removed[0]}{first_codon + k}"
            last = f"{removed[-1]}{first_codon + k + len(removed) - 1}"
            name = f"{first}del" if len(removed) == 1 else f"{first}_{last}del"
        elif added and not removed and k > 0:
            name = f"{before[k - 1]}{first_codon + k - 1}{added}ins"
        else:
            raise generic
        source = f"shipped ALK CDS (c.{self.kinase_start}-{self.kinase_end})"
        return AlkChange(hgvs_c, [name], source)


def alk_model(kb: KnowledgeBase) -> AlkModel:
    """The ALK model for this knowledge base, built once and kept in ``kb.derived``."""
    model = kb.derived.get("alk_genomic_model")
    if not isinstance(model, AlkModel):
        model = AlkModel(kb)
        kb.derived["alk_genomic_model"] = model
    return model
