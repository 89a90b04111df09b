"""VCF reader: plain or gzip/bgzip, tabix-indexed or not, single- or multi-sample, VEP/SnpEff-annotated or raw.

One ``GenomicRecord`` per (VCF record x ALT allele x sample carrying it). A record nobody carries still
yields one record (reason "no sample carries the allele"), so no data line is ever dropped. ALK
variants without annotation are translated with the shipped transcript (``alk_genomic``); other genes
are read only through VEP ``CSQ`` / SnpEff ``ANN``.

Library choice: pysam, not cyvcf2. The text of each data line is parsed here, so that every problem
can name its line number, Windows line endings and malformed lines become row-level reasons instead
of htslib warnings on stderr (cyvcf2 exposes neither line numbers nor the raw malformed line), and
one parser serves both paths. pysam supplies what htslib is needed for: ``TabixFile`` to fetch the
raw lines of the ALK region through a .tbi/.csi index, and ``FastaFile`` for an optional reference.
It is imported lazily, so reading without an index or reference does not need it.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from alknav import progress
from alknav.genetic_code import THREE_TO_ONE
from alknav.inputs.alterations import parse_alteration
from alknav.inputs.genomic.alk_genomic import (
    CHROM_ALIASES,
    AlkModel,
    NotTranslated,
    ReferenceCds,
    RefMismatch,
    alk_model,
)
from alknav.inputs.genomic.records import GenomicRecord, InputFileError
from alknav.kb.knowledge_base import KnowledgeBase

FIXED_COLUMNS = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
NO_ANNOTATION = "no annotation for a non-ALK gene; run VEP/SnpEff or pass --reference"
NOBODY = "no sample carries the allele"

# Header evidence for the build. Contig lengths are assembly constants (chr1, chr2, chrX).
_CONTIG_LENGTHS = {
    ("1", 249250621): "GRCh37", ("1", 248956422): "GRCh38",
    ("2", 243199373): "GRCh37", ("2", 242193529): "GRCh38",
    ("X", 155270560): "GRCh37", ("X", 156040895): "GRCh38",
}
_BUILD_WORDS = [
    (re.compile(r"(?<![A-Za-z0-9])(GRCh37|hg19|hs37d5|b37|g1k_v37|NC_000002\.11)(?![0-9])", re.I), "GRCh37"),
    (re.compile(r"(?<![A-Za-z0-9])(GRCh38|hg38|hs38|b38|GCA_000001405\.15|NC_000002\.12)(?![0-9])", re.I), "GRCh38"),
]
_BUILD_ARG = {"grch37": "GRCh37", "hg19": "GRCh37", "b37": "GRCh37", "37": "GRCh37",
              "grch38": "GRCh38", "hg38": "GRCh38", "b38": "GRCh38", "38": "GRCh38"}
_REF_RE = re.compile(r"^[ACGTNacgtn]+$")
_ALT_RE = re.compile(r"^([ACGTNacgtn]+|\*|\.|<[^<>]+>|.*[\[\]].*|[ACGTNacgtn]*\.[ACGTNacgtn]*)$")
_THREE_RE = re.compile("|".join(THREE_TO_ONE))
_IMPACT = {"HIGH": 3, "MODERATE": 2, "LOW": 1, "MODIFIER": 0}
_FORMAT_KEEP = ("GT", "AD", "AF", "DP", "VAF")


# --------------------------------------------------------------------------- reading lines


def _lines(path: Path) -> Generator[tuple[int, str], None, None]:
    """(line number, text without line ending) for a plain or gzip/bgzip file; errors -> InputFileError."""
    name = str(path)
    try:
        with open(path, "rb") as probe:
            magic = probe.read(2)
    except OSError as exc:
        raise InputFileError(name, None, f"cannot open: {exc.strerror or exc}") from exc
    if not magic:
        raise InputFileError(name, None, "empty file: no VCF header")
    n = 0
    bar = progress.task(f"{path.name}: reading", total=path.stat().st_size, unit="bytes")
    try:
        with open(path, "rb") as raw_file:
            stream: Any = gzip.GzipFile(fileobj=raw_file, mode="rb") if magic == b"\x1f\x8b" else raw_file
            for raw in stream:
                n += 1
                if not n % progress.EVERY:  # bytes of the file itself (compressed if it is)
                    bar.to(raw_file.tell())
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                yield n, text.removeprefix("\ufeff") if n == 1 else text  # a UTF-8 byte-order mark
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputFileError(name, n + 1, f"truncated or corrupt gzip data ({exc})") from exc
    except OSError as exc:
        raise InputFileError(name, n + 1, f"read error: {exc}") from exc
    finally:  # also when the reader stops after the header to jump through a tabix index
        bar.done()


# --------------------------------------------------------------------------- header


@dataclass
class Header:
    file: str
    lines: int = 0  # number of header lines
    samples: list[str] = field(default_factory=list)
    has_format: bool = False
    csq_fields: list[str] = field(default_factory=list)
    ann_fields: list[str] = field(default_factory=list)
    evidence: list[tuple[str, int, str]] = field(default_factory=list)  # (build, line, what)
    contigs: list[str] = field(default_factory=list)

    def build(self) -> tuple[str | None, str]:
        builds = {b for b, _, _ in self.evidence}
        if len(builds) > 1:
            by = {b: (ln, what) for b, ln, what in self.evidence}
            (b1, (l1, w1)), (b2, (l2, w2)) = sorted(by.items())
            raise InputFileError(self.file, max(l1, l2), f"header names two builds: {b1} ({w1}, line {l1}) and "
                                                         f"{b2} ({w2}, line {l2})")
        if not builds:
            return None, ""
        b, ln, what = self.evidence[0]
        return b, f"header line {ln}: {what}"


def _meta_fields(text: str) -> dict[str, str]:
    body = text[text.find("<") + 1:text.rfind(">")] if "<" in text else ""
    out: dict[str, str] = {}
    for m in re.finditer(r'([A-Za-z_]+)=("(?:[^"\\]|\\.)*"|[^,]*)', body):
        out[m.group(1)] = m.group(2).strip('"')
    return out


def _read_header(lines: Iterator[tuple[int, str]], name: str) -> tuple[Header, tuple[int, str] | None]:
    """Consume the header; return it and the first data line (or None)."""
    header = Header(name)
    first = True
    for n, text in lines:
        if first and text.strip():
            first = False
            if not (text.startswith("##fileformat=VCF") or text.startswith("#CHROM")):
                raise InputFileError(name, n, f"not a VCF: the first line must be ##fileformat=VCFv4.x "
                                              f"(found {text[:40]!r})")
        if text.startswith("##"):
            _meta_line(header, n, text)
            continue
        if text.startswith("#"):
            cols = text.split("\t")
            if cols[:8] != FIXED_COLUMNS:
                raise InputFileError(name, n, "wrong column header: expected tab-separated "
                                              f"{' '.join(FIXED_COLUMNS)}[ FORMAT samples...], found {text[:80]!r}")
            if len(cols) > 8:
                if cols[8] != "FORMAT":
                    raise InputFileError(name, n, f"column 9 of the header must be FORMAT, found {cols[8]!r}")
                header.has_format = True
                header.samples = cols[9:]
                dupes = {s for s in header.samples if header.samples.count(s) > 1}
                if dupes:
                    raise InputFileError(name, n, f"duplicate sample names: {', '.join(sorted(dupes))}")
            header.lines = n
            for m, t in lines:
                if t.strip():
                    return header, (m, t)
            return header, None
        if not text.strip():
            continue
        raise InputFileError(name, n, "data line before the #CHROM header line")
    if first:
        raise InputFileError(name, None, "empty file: no VCF header")
    raise InputFileError(name, None, "no #CHROM header line")


def _meta_line(header: Header, n: int, text: str) -> None:
    if text.startswith("##INFO=<"):
        meta = _meta_fields(text)
        desc = meta.get("Description", "")
        if meta.get("ID") == "CSQ" and "Format:" in desc:
            header.csq_fields = [f.strip() for f in desc.split("Format:", 1)[1].strip().split("|")]
        elif meta.get("ID") == "ANN":
            body = desc.split(":", 1)[1] if ":" in desc else desc
            header.ann_fields = [f.strip().strip("'").strip() for f in body.strip().strip("'").split("|")]
    elif text.startswith("##contig=<"):
        meta = _meta_fields(text)
        cid = meta.get("ID", "")
        header.contigs.append(cid)
        short = cid[3:] if cid.lower().startswith("chr") else cid
        length = meta.get("length", "")
        if length.isdigit() and (short, int(length)) in _CONTIG_LENGTHS:
            header.evidence.append((_CONTIG_LENGTHS[(short, int(length))], n, f"##contig {cid} length={length}"))
        for key in ("assembly", "ID"):
            value = meta.get(key, "")
            for rx, build in _BUILD_WORDS:
                if rx.search(value):
                    header.evidence.append((build, n, f"##contig {key}={value}"))
    elif text.startswith(("##reference=", "##assembly=", "##VEP=", "##SnpEffCmd=", "##SnpEffVersion=")):
        key = text[2:text.index("=")]
        value = text[text.index("=") + 1:]
        if key == "VEP":
            m = re.search(r'assembly="([^"]+)"', value)
            value = m.group(1) if m else ""
        for rx, build in _BUILD_WORDS:
            m2 = rx.search(value)
            if m2:
                header.evidence.append((build, n, f"##{key} names {m2.group(1)}"))
                break


# --------------------------------------------------------------------------- annotations


def protein_1letter(hgvsp: str) -> str:
    """'ENSP..:p.Gly1202Arg' / 'p.(Ser60%3D)' -> 'p.G1202R' / 'p.S60='."""
    text = unquote(hgvsp.strip())
    if ":" in text:
        text = text.split(":", 1)[1]
    if text.startswith("p.(") and text.endswith(")"):
        text = "p." + text[3:-1]
    return _THREE_RE.sub(lambda m: THREE_TO_ONE[m.group(0)], text)


@dataclass
class Consequence:
    source: str  # "VEP CSQ" | "SnpEff ANN"
    gene: str
    feature: str
    hgvsc: str
    hgvsp: str
    consequence: str
    biotype: str
    impact: str
    mane: bool
    canonical: bool
    pick: bool


def _blocks(info: str, key: str) -> list[str]:
    for item in info.split(";"):
        if item.startswith(key + "="):
            return item[len(key) + 1:].split(",")
    return []


def _vep_allele(ref: str, alts: list[str], alt: str) -> str:
    """The Allele string VEP writes for ``alt``: shared first base removed for indels, '-' if nothing left."""
    alleles = [ref, *alts]
    if all(_REF_RE.match(a) for a in alleles) and len({a[0].upper() for a in alleles}) == 1 and \
            any(len(a) != len(ref) for a in alts):
        return alt[1:] or "-"
    return alt


def consequences(header: Header, info: str, ref: str, alts: list[str], index: int) -> list[Consequence]:
    """The CSQ/ANN blocks of ALT number ``index`` (1-based)."""
    alt = alts[index - 1]
    out: list[Consequence] = []
    if header.csq_fields:
        f = {name: i for i, name in enumerate(header.csq_fields)}
        vep_alt = _vep_allele(ref, alts, alt)
        for block in _blocks(info, "CSQ"):
            v = block.split("|")

            def get(key: str, v: list[str] = v) -> str:
                i = f.get(key)
                return v[i] if i is not None and i < len(v) else ""
            num = get("ALLELE_NUM")
            if num.isdigit():
                if int(num) != index:
                    continue
            elif get("Allele") not in (alt, vep_alt):
                continue
            out.append(Consequence("VEP CSQ", get("SYMBOL"), get("Feature"), get("HGVSc"), get("HGVSp"),
                                   get("Consequence"), get("BIOTYPE"), get("IMPACT"),
                                   bool(get("MANE_SELECT") or get("MANE")), get("CANONICAL") == "YES",
                                   get("PICK") == "1"))
    if header.ann_fields:
        f = {name: i for i, name in enumerate(header.ann_fields)}
        for block in _blocks(info, "ANN"):
            v = [x.strip() for x in block.split("|")]

            def get(key: str, v: list[str] = v) -> str:
                i = f.get(key)
                return v[i] if i is not None and i < len(v) else ""
            allele = get("Allele")
            if allele != alt and allele.split("-")[0] != alt:
                continue
            out.append(Consequence("SnpEff ANN", get("Gene_Name"), get("Feature_ID"), get("HGVS.c"), get("HGVS.p"),
                                   get("Annotation"), get("Transcript_BioType"), get("Annotation_Impact"),
                                   False, False, False))
    return out


def _is_alk_transcript(feature: str, model: AlkModel) -> bool:
    base = feature.split(".")[0]
    return base in (model.refseq.split(".")[0], model.transcript.split(".")[0])


def pick(cons: list[Consequence], model: AlkModel, genes: set[str] | None) -> Consequence | None:
    """ALK's MANE transcript first; otherwise the MANE/canonical/picked consequence with the most impact."""
    if genes is not None:
        cons = [c for c in cons if c.gene.upper() in genes]
    if not cons:
        return None
    alk = [c for c in cons if c.gene == model.gene or _is_alk_transcript(c.feature, model)]
    if alk:
        cons = alk

    def rank(c: Consequence) -> tuple[int, ...]:
        return (_is_alk_transcript(c.feature, model), c.pick, c.mane, c.canonical, bool(c.gene),
                c.biotype == "protein_coding", bool(c.hgvsp), _IMPACT.get(c.impact, 0))
    return max(cons, key=rank)


# --------------------------------------------------------------------------- the reader


@dataclass
class _Context:
    path: Path
    name: str
    kb: KnowledgeBase
    model: AlkModel
    header: Header
    build: str | None
    build_source: str
    reference: Path | None
    genes: set[str] | None
    sample: str | None
    access: str
    references: dict[str, ReferenceCds] = field(default_factory=dict)
    parsed: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # text -> (normalized, reason)

    def understood(self, text: str) -> tuple[str | None, str | None]:
        """parse_alteration, once per distinct text: (normalized, None) or (None, why not)."""
        if text not in self.parsed:
            alt = parse_alteration(text, self.kb)
            self.parsed[text] = (alt.normalized or text, None) if alt.recognized else (None, alt.reason)
        return self.parsed[text]

    @property
    def alk_only(self) -> bool:
        return self.genes is not None and self.genes <= {self.model.gene}


def _normal_build(value: str, name: str) -> str:
    b = _BUILD_ARG.get(value.strip().lower())
    if b is None:
        raise InputFileError(name, None, f"unknown build {value!r}: use GRCh37 (hg19) or GRCh38 (hg38)")
    return b


def read_vcf(path: Path, kb: KnowledgeBase, *, build: str | None = None, reference: Path | None = None,
             genes: set[str] | None = None, sample: str | None = None) -> Iterator[GenomicRecord]:
    """Read a VCF (plain or gzip/bgzip) into GenomicRecords.

    ``build``: GRCh37/hg19 or GRCh38/hg38; otherwise taken from the header (##contig lengths, ##reference,
    assembly names) or, failing that, from the first ALK REF that fits one build's kinase CDS.
    ``reference``: a FASTA of that build; ALK outside c.3173-4164 is then translated from it.
    ``genes``: read only these genes. For ALK alone, a .tbi/.csi index next to the file is used to jump to
    the ALK span; records read that way carry line 0 (unknown). Otherwise the file is scanned.
    ``sample``: report only this sample column. Every record's ``detail["access"]`` says how it was read.
    """
    path = Path(path)
    name = str(path)
    model = alk_model(kb)
    declared = _normal_build(build, name) if build else None
    lines = _lines(path)
    header, first = _read_header(lines, name)
    detected, how = header.build()
    if declared and detected and declared != detected:
        raise InputFileError(name, None, f"build={declared} was passed but the header says {detected} ({how})")
    if sample is not None and sample not in header.samples:
        raise InputFileError(name, header.lines or None, f"sample {sample!r} is not in the file (samples: "
                                                         f"{', '.join(header.samples) or 'none'})")
    wanted = {g.upper() for g in genes} if genes is not None else None
    ctx = _Context(path, name, kb, model, header, declared or detected,
                   "build= argument" if declared else how, reference, wanted, sample, "full scan")
    data = _index_lines(ctx)
    if data is not None:
        lines.close()
    else:
        if wanted is not None and not ctx.alk_only:
            ctx.access = f"full scan (no span table for {', '.join(sorted(wanted - {model.gene}))})"
        elif wanted is not None:
            ctx.access = "full scan (no tabix index)" if ctx.access == "full scan" else ctx.access
        data = _chain(first, lines)
    for n, text in data:
        if text.strip():
            yield from _records(ctx, n, text)


def _chain(first: tuple[int, str] | None, rest: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    if first is not None:
        yield first
    yield from rest


def _index_lines(ctx: _Context) -> Iterator[tuple[int, str]] | None:
    """Lines of the ALK region through a .tbi/.csi index, or None to scan (ctx.access says why)."""
    if not ctx.alk_only:
        return None
    index = next((p for p in (Path(f"{ctx.path}.tbi"), Path(f"{ctx.path}.csi")) if p.exists()), None)
    if index is None:
        return None
    try:
        if index.stat().st_mtime < ctx.path.stat().st_mtime - 1:
            ctx.access = f"full scan ({index.name} is older than the VCF)"
            return None
        with open(ctx.path, "rb") as fh:
            block = fh.read(16)
        if block[:4] != b"\x1f\x8b\x08\x04" or block[12:14] != b"BC":
            ctx.access = f"full scan (not bgzip-compressed, so {index.name} cannot be used)"
            return None
        import pysam

        tbx: Any = pysam.TabixFile(str(ctx.path), index=str(index))
    except (OSError, ValueError, NotImplementedError) as exc:
        ctx.access = f"full scan ({index.name} unusable: {exc})"
        return None
    builds = [ctx.build] if ctx.build else sorted(ctx.model.builds)
    spans = [ctx.model.span(b) for b in builds]
    start, end = min(s[1] for s in spans), max(s[2] for s in spans)
    contigs = [c for c in tbx.contigs if CHROM_ALIASES.get(c) == spans[0][0]]
    ctx.access = (f"tabix index {index.name}: {', '.join(contigs) or 'chromosome 2 absent'}:{start}-{end}"
                  " (line numbers not known)")
    return _fetch(ctx, tbx, contigs, start, end)


def _fetch(ctx: _Context, tbx: Any, contigs: list[str], start: int, end: int) -> Iterator[tuple[int, str]]:
    try:
        for contig in contigs:
            for text in tbx.fetch(contig, start - 1, end):
                yield 0, text.rstrip("\r\n")
    except (OSError, ValueError, NotImplementedError) as exc:
        raise InputFileError(ctx.name, None, f"reading through the tabix index failed: {exc}") from exc
    finally:
        tbx.close()


def _malformed(ctx: _Context, n: int, why: str) -> GenomicRecord:
    where = f"line {n}" if n else "a line read through the index"
    return GenomicRecord(ctx.name, n, None, None, None, reason=f"{where}: malformed VCF data line: {why}",
                         build=ctx.build, detail={"access": ctx.access})


def _records(ctx: _Context, n: int, text: str) -> Iterator[GenomicRecord]:
    cols = text.split("\t")
    if len(cols) < 8:
        yield _malformed(ctx, n, f"expected at least 8 tab-separated columns, found {len(cols)}")
        return
    chrom, pos_text, vid, ref, alt_text, _qual, filt, info = cols[:8]
    norm = CHROM_ALIASES.get(chrom)
    if not (pos_text.isascii() and pos_text.isdigit()):
        yield _malformed(ctx, n, f"POS {pos_text[:20]!r} is not a whole number")
        return
    pos = int(pos_text)
    if ctx.alk_only and not (norm is not None and _near_alk(ctx, pos)):
        return  # outside the ALK span: not part of the requested selection
    if not _REF_RE.match(ref):
        yield _malformed(ctx, n, f"REF {ref[:20]!r} is not a DNA sequence")
        return
    alts = alt_text.split(",")
    bad = [a for a in alts if not a or not _ALT_RE.match(a)]
    if bad:
        yield _malformed(ctx, n, f"ALT {bad[0][:20]!r} is not an allele")
        return
    nsamples = len(ctx.header.samples)
    expected = 9 + nsamples if ctx.header.has_format else 8
    if len(cols) != expected and not (len(cols) == 8 and not nsamples):
        yield _malformed(ctx, n, f"expected {expected} columns (header), found {len(cols)}")
        return
    base = {"chrom": chrom, "pos": pos_text, "ref": ref, "access": ctx.access}
    if vid != ".":
        base["id"] = vid
    if filt not in ("PASS", "."):
        base["filter"] = filt
    results = [_allele(ctx, n, chrom, norm, pos, ref, alts, i, info) for i in range(1, len(alts) + 1)]
    if not (ctx.header.has_format and nsamples):
        for i, res in enumerate(results):
            if not genes_skip(ctx, res):
                yield _record(ctx, n, None, res, {**base, "alt": alts[i]})
        return
    keys = cols[8].split(":")
    gt_at = keys.index("GT") if "GT" in keys else None
    names = [ctx.sample] if ctx.sample else ctx.header.samples
    carried = False
    for i, res in enumerate(results):
        if genes_skip(ctx, res):
            continue
        for s in names:
            values = cols[9 + ctx.header.samples.index(s)].split(":")
            if gt_at is not None:
                gt = values[gt_at] if gt_at < len(values) else "."
                if str(i + 1) not in re.split(r"[/|]", gt):
                    continue
            carried = True
            fmt = {f"FORMAT/{k}": v for k, v in zip(keys, values, strict=False) if k in _FORMAT_KEEP}
            if gt_at is None:
                fmt["genotype"] = "no GT in FORMAT: reported for every sample"
            yield _record(ctx, n, s, res, {**base, "alt": alts[i], **fmt})
    if not carried:
        why = f"sample {ctx.sample} does not carry the allele" if ctx.sample else NOBODY
        for i, res in enumerate(results):
            if genes_skip(ctx, res):
                continue
            extra = {"alteration_if_carried": res.alteration} if res.alteration else {}
            blank = _Allele(res.gene, None, why if not res.reason else f"{why}; {res.reason}", res.source,
                            {**res.detail, **extra})
            yield _record(ctx, n, ctx.sample, blank, {**base, "alt": alts[i]})


def genes_skip(ctx: _Context, res: _Allele) -> bool:
    """Records outside ``genes`` are not part of the selection; an unannotated record of unknown gene is kept."""
    if ctx.genes is None:
        return False
    if res.gene is None:
        return "annotation" in res.detail  # annotated, but in no gene (intergenic, regulatory)
    return res.gene.upper() not in ctx.genes


def _near_alk(ctx: _Context, pos: int) -> bool:
    builds = [ctx.build] if ctx.build else list(ctx.model.builds)
    return any(ctx.model.in_span(b, pos) for b in builds)


@dataclass
class _Allele:
    gene: str | None
    alteration: str | None
    reason: str | None
    source: str
    detail: dict[str, str]


def _record(ctx: _Context, n: int, sample: str | None, res: _Allele, detail: dict[str, str]) -> GenomicRecord:
    return GenomicRecord(ctx.name, n, sample, res.gene, res.alteration, reason=res.reason, source=res.source,
                         build=ctx.build, detail={**detail, **res.detail})


def _allele(ctx: _Context, n: int, chrom: str, norm: str | None, pos: int, ref: str, alts: list[str], index: int,
            info: str) -> _Allele:
    alt = alts[index - 1]
    if norm is not None:
        if ctx.build is None:
            _infer_build(ctx, n, chrom, pos, ref)
        _check_other_build(ctx, n, chrom, pos, ref)
    cons = consequences(ctx.header, info, ref, alts, index) if (ctx.header.csq_fields or ctx.header.ann_fields) \
        else []
    chosen = None
    if cons:
        chosen = (pick(cons, ctx.model, ctx.genes) if ctx.genes else None) or pick(cons, ctx.model, None)
    in_alk = norm is not None and _in_alk(ctx, pos)
    if alt == ".":
        return _Allele(None, None, "no ALT allele (reference-only record)", "", {})
    if alt == "*":
        return _Allele(None, None, "'*' allele: a deletion described on another record", "", {})
    if chosen is not None:
        annotated = _from_annotation(ctx, chosen)
        if chosen.gene == ctx.model.gene or in_alk:
            own = _alk(ctx, n, chrom, pos, ref, alt) if _REF_RE.match(alt) else None
            if annotated.alteration is None and own is not None and own.alteration is not None:
                own.detail["note"] = f"{chosen.source} gave no protein change; translated here"
                return own
            if own is not None and own.alteration and annotated.alteration and own.alteration != annotated.alteration:
                annotated.detail["check"] = f"{own.source} gives {own.alteration}"
        return annotated
    if in_alk:
        if not _REF_RE.match(alt):
            return _Allele("ALK", None, f"symbolic or breakend allele {alt[:30]} in ALK: read fusions with a fusion "
                                        "caller's output", "", {})
        return _alk(ctx, n, chrom, pos, ref, alt)
    if ctx.build is None and norm is not None and _in_alk_any(ctx, pos):
        return _Allele("ALK", None, "genome build unknown (no ##contig/##reference line): pass build=GRCh37 or "
                                    "GRCh38", "", {})
    if ctx.reference is not None:
        return _Allele(None, None, "no annotation for a non-ALK gene; run VEP/SnpEff (a reference FASTA serves "
                                   "ALK only)", "", {})
    return _Allele(None, None, NO_ANNOTATION, "", {})


def _in_alk(ctx: _Context, pos: int) -> bool:
    if ctx.build is None:
        return False
    return ctx.model.in_span(ctx.build, pos)


def _in_alk_any(ctx: _Context, pos: int) -> bool:
    return any(ctx.model.in_span(b, pos) for b in ctx.model.builds)


def _infer_build(ctx: _Context, n: int, chrom: str, pos: int, ref: str) -> None:
    """No build declared or in the header: a REF matching ALK's kinase CDS on exactly one build decides it."""
    fits = [b for b in ctx.model.builds if ctx.model.in_kinase(b, pos) and ctx.model.ref_matches(b, pos, ref)]
    if len(fits) == 1:
        ctx.build = fits[0]
        where = f"line {n}" if n else "a record"
        ctx.build_source = f"inferred: REF at {chrom}:{pos} ({where}) matches ALK on {fits[0]}"


def _check_other_build(ctx: _Context, n: int, chrom: str, pos: int, ref: str) -> None:
    """A REF that matches ALK only on the other build means the file mixes builds (or is mislabelled)."""
    if ctx.build is None:
        return
    for other in ctx.model.builds:
        if other == ctx.build or not ctx.model.in_kinase(other, pos):
            continue
        if ctx.model.ref_matches(other, pos, ref) and not ctx.model.ref_matches(ctx.build, pos, ref):
            raise InputFileError(ctx.name, n or None,
                                 f"{chrom}:{pos} REF {ref} matches ALK only on {other}, but the file is {ctx.build} "
                                 f"({ctx.build_source}): mixed builds in one file?")


def _from_annotation(ctx: _Context, c: Consequence) -> _Allele:
    detail = {"annotation": c.source, "transcript": c.feature, "consequence": c.consequence}
    if c.hgvsc:
        detail["hgvs_c"] = c.hgvsc.split(":", 1)[-1]
    gene = c.gene or None
    if c.gene == ctx.model.gene and c.feature and not _is_alk_transcript(c.feature, ctx.model):
        detail["note"] = f"HGVSp from {c.feature}, not the ALK MANE transcript {ctx.model.refseq}"
    if not c.hgvsp:
        what = c.consequence.replace("&", ", ") or "no consequence"
        return _Allele(gene, None, f"{what} in {c.gene or 'no gene'}: the annotation gives no protein change",
                       c.source, detail)
    p = protein_1letter(c.hgvsp)
    detail["hgvs_p"] = p
    if p.endswith("="):
        return _Allele(gene, None, f"synonymous: {c.gene} {p} does not change the protein", c.source, detail)
    text = f"{c.gene} {p}"
    normalized, why = ctx.understood(text)
    if normalized is None:
        return _Allele(gene, None, f"{c.source} gives {text}, which alknav does not read: {why}", c.source, detail)
    return _Allele(gene, normalized, None, c.source, detail)


def _alk(ctx: _Context, n: int, chrom: str, pos: int, ref: str, alt: str) -> _Allele:
    build = ctx.build
    if build is None:
        return _Allele("ALK", None, "genome build unknown: pass build=GRCh37 or GRCh38", "", {})
    reference = _reference(ctx, build)
    try:
        change = ctx.model.translate(build, pos, ref, alt, reference)
    except NotTranslated as exc:
        return _Allele("ALK", None, str(exc), "", {})
    except RefMismatch as exc:
        raise InputFileError(ctx.name, n or None, f"{chrom}:{pos} {exc} ({ctx.build_source})") from exc
    detail = {"hgvs_c": change.hgvs_c, "hgvs_p": change.hgvs_p, "transcript": ctx.model.refseq,
              "build_from": ctx.build_source}
    if not change.nonsynonymous:
        return _Allele("ALK", None, f"synonymous: ALK {change.hgvs_p} does not change the protein", change.source,
                       detail)
    text = f"ALK p.{change.nonsynonymous[0]}" if len(change.nonsynonymous) == 1 else \
        f"ALK p.[{';'.join(change.nonsynonymous)}]"
    normalized, why = ctx.understood(text)
    if normalized is None:
        return _Allele("ALK", None, f"translated to {text}, which alknav does not read: {why}", change.source, detail)
    return _Allele("ALK", normalized, None, change.source, detail)


def _reference(ctx: _Context, build: str) -> ReferenceCds | None:
    if ctx.reference is None:
        return None
    if build not in ctx.references:
        try:
            ctx.references[build] = ReferenceCds(ctx.reference, ctx.model, build)
        except (OSError, ValueError) as exc:
            raise InputFileError(str(ctx.reference), None, f"reference FASTA unusable for {build}: {exc}") from exc
    return ctx.references[build]


__all__ = ["Header", "consequences", "pick", "protein_1letter", "read_vcf"]
