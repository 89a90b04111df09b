"""Fusion-caller outputs -> GenomicRecords, one per input row.

Formats (detected from the header, or named with ``fmt=``): Arriba ``fusions.tsv``, STAR-Fusion
``*.abridged.tsv`` (old and new layouts), PCGR's RNA-fusion input table, cBioPortal structural-variant
files (``data_sv.txt``) and the oncokb-annotator SV and fusion formats. Breakpoints on ALK and its
partners become exon numbers and, for EML4-ALK, the curated variant id (see ``breakpoints``).

The genome build comes from ``build=``, from the file (cBioPortal ``NCBI_Build``), or, for RNA callers
whose breakpoints sit on exon boundaries, from the build on which the breakpoints hit boundaries.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from alknav.inputs.alterations import GENE, parse_alteration
from alknav.inputs.genomic.breakpoints import (
    BUILDS,
    Side,
    at_exon_boundary,
    classify_breakpoint,
    has_exon_table,
    normalize_build,
    normalize_chrom,
    variant_for_exons,
)
from alknav.inputs.genomic.records import GenomicRecord, InputFileError
from alknav.kb.knowledge_base import KnowledgeBase


@dataclass(frozen=True)
class _Format:
    name: str
    label: str
    required: tuple[str, ...]  # lower-case header names that identify the format
    rna: bool  # breakpoints are splice junctions (exon boundaries): the build can be detected
    ordered: bool  # the first gene is the 5' gene


_FORMATS = (
    _Format("star-fusion", "STAR-Fusion", ("fusionname", "leftbreakpoint", "rightbreakpoint"), True, True),
    _Format("pcgr", "PCGR fusion table", ("fusiongene", "leftbreakpoint", "rightbreakpoint"), True, True),
    _Format("arriba", "Arriba", ("gene1", "gene2", "breakpoint1", "breakpoint2"), True, True),
    _Format("cbioportal-sv", "cBioPortal SV", ("site1_hugo_symbol", "site2_hugo_symbol"), False, True),
    _Format("oncokb-sv", "oncokb-annotator SV", ("genea", "geneb"), False, False),
    _Format("oncokb-fusion", "oncokb-annotator fusion", ("fusion",), False, False),
)
_FMT_ALIASES = {"starfusion": "star-fusion", "star_fusion": "star-fusion", "cbioportal": "cbioportal-sv",
                "sv": "cbioportal-sv", "cbioportal_sv": "cbioportal-sv", "oncokb_sv": "oncokb-sv",
                "oncokb_fusion": "oncokb-fusion", "oncokb-fusions": "oncokb-fusion"}
_SAMPLE_COLUMNS = ("tumor_sample_barcode", "sample_id", "sample")
_GENE_COLUMNS = {"arriba": ("gene1", "gene2"), "star-fusion": ("leftgene", "rightgene"),
                 "cbioportal-sv": ("site1_hugo_symbol", "site2_hugo_symbol"), "oncokb-sv": ("genea", "geneb")}


class _RowError(ValueError):
    pass


@dataclass
class _Call:
    line: int
    sample: str | None
    raw5: str
    raw3: str
    gene5: str | None
    gene3: str | None
    bp5: tuple[str, int] | None = None
    bp3: tuple[str, int] | None = None
    region5: tuple[str, int] | None = None  # ('exon'|'intron', N) stated by the file (cBioPortal)
    region3: tuple[str, int] | None = None
    row_build: str | None = None
    intragenic: bool = False
    detail: dict[str, str] = field(default_factory=dict)
    error: str | None = None


# --------------------------------------------------------------------------- reading


def _read_lines(path: Path) -> list[str]:
    name = str(path)
    raw: list[bytes] = []
    try:
        with path.open("rb") as probe:
            gz = probe.read(2) == b"\x1f\x8b"
        if gz:
            with gzip.open(path, "rb") as fh:
                try:
                    for chunk in fh:
                        raw.append(chunk)
                except (EOFError, OSError, zlib.error) as exc:
                    raise InputFileError(name, len(raw) + 1, f"gzip stream is truncated or corrupt after line "
                                                             f"{len(raw)} ({exc}); re-copy or re-compress the file") \
                        from exc
        else:
            with path.open("rb") as fh:
                raw = fh.readlines()
    except OSError as exc:
        raise InputFileError(name, None, f"cannot read the file ({exc.strerror or exc})") from exc
    lines = []
    for number, chunk in enumerate(raw, start=1):
        try:
            lines.append(chunk.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n").rstrip("\r"))
        except UnicodeDecodeError as exc:
            raise InputFileError(name, number, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return lines


def _header_keys(line: str) -> list[str]:
    fields = line.split("\t")
    fields[0] = fields[0].lstrip("#")
    return [f.strip().lower() for f in fields]


def _format_of(keys: list[str]) -> _Format | None:
    present = set(keys)
    return next((f for f in _FORMATS if set(f.required) <= present), None)


def _find_header(name: str, lines: list[str], fmt: str | None) -> tuple[int, _Format]:
    wanted: _Format | None = None
    if fmt is not None:
        key = _FMT_ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
        wanted = next((f for f in _FORMATS if f.name == key), None)
        if wanted is None:
            raise InputFileError(name, None, f"unknown fusion format '{fmt}'; use one of "
                                             f"{', '.join(f.name for f in _FORMATS)}")
    if not any(line.strip() for line in lines):
        raise InputFileError(name, None, "the file is empty: expected a header line of a fusion table")
    expected = "; ".join(f"{f.label}: {', '.join(f.required)}" for f in _FORMATS)
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        keys = _header_keys(line)
        found = _format_of(keys)
        if wanted is not None:
            missing = [c for c in wanted.required if c not in keys]
            if not missing:
                return index, wanted
            if not line.startswith("#"):
                got = f" (it looks like {found.label})" if found else ""
                raise InputFileError(name, index + 1, f"header lacks the {wanted.label} column(s) "
                                                      f"{', '.join(missing)}{got}")
            continue
        if found is not None:
            return index, found
        if not line.startswith("#"):
            raise InputFileError(name, index + 1, f"header not recognised as a fusion table (columns "
                                                  f"{', '.join(keys[:6])}...); expected the columns of {expected}")
    raise InputFileError(name, None, f"no header line found; expected the columns of {expected}")


# --------------------------------------------------------------------------- one row


def _clean_gene(raw: str) -> str | None:
    text = raw.strip().split("^")[0].strip()
    if not text or text in (".", "NA", "-"):
        return None
    upper = text.upper()
    return upper if GENE.match(upper) else None


def _breakpoint(text: str, what: str) -> tuple[str, int] | None:
    value = text.strip()
    if value in ("", ".", "NA"):
        return None
    parts = value.split(":")
    if len(parts) not in (2, 3) or not parts[0].strip() or not re.fullmatch(r"\d+", parts[1].strip()) \
            or int(parts[1]) < 1:
        raise _RowError(f"{what} '{value}' is not chromosome:position")
    return normalize_chrom(parts[0]), int(parts[1])


def _position(chrom: str, pos: str, what: str) -> tuple[str, int] | None:
    if chrom.strip() in ("", "NA", ".") and pos.strip() in ("", "NA", "."):
        return None
    return _breakpoint(f"{chrom.strip()}:{pos.strip()}", what)


def _count(value: str, what: str) -> str:
    text = value.strip()
    if text in ("", ".", "NA"):
        return ""
    try:
        number = float(text)
    except ValueError as exc:
        raise _RowError(f"{what} '{text}' is not a number") from exc
    return str(int(number)) if number.is_integer() else text


def _pair(text: str) -> tuple[str, str]:
    body = re.sub(r"\s+(fusion|rearrangement)$", "", text.strip(), flags=re.I)
    for sep in ("::", "--", "-"):
        if sep in body:
            parts = body.split(sep)
            if len(parts) == 2:
                return parts[0].strip(), parts[1].strip()
            raise _RowError(f"fusion '{text}' does not split into two genes at '{sep}'")
    raise _RowError(f"fusion '{text}' names no gene pair (expected GENE1-GENE2)")


def _region(kind: str, number: str) -> tuple[str, int] | None:
    k, n = kind.strip().lower(), number.strip()
    if k in ("exon", "intron") and n.isdigit():
        return k, int(n)
    return None


def _parse_row(fmt: _Format, row: dict[str, str], line: int, sample: str | None) -> _Call:
    get = row.get
    row_sample = next((row[c].strip() for c in _SAMPLE_COLUMNS if row.get(c, "").strip()), None) or sample
    detail: dict[str, str] = {"format": fmt.name}
    if fmt.name == "arriba":
        raw5, raw3 = get("gene1", ""), get("gene2", "")
        call = _Call(line, row_sample, raw5, raw3, _clean_gene(raw5), _clean_gene(raw3))
        call.bp5, call.bp3 = _breakpoint(get("breakpoint1", ""), "breakpoint1"), \
            _breakpoint(get("breakpoint2", ""), "breakpoint2")
        s1, s2 = _count(get("split_reads1", ""), "split_reads1"), _count(get("split_reads2", ""), "split_reads2")
        if s1 and s2 and s1.isdigit() and s2.isdigit():
            detail["split_reads"] = str(int(s1) + int(s2))
        detail.update({"split_reads1": s1, "split_reads2": s2,
                       "spanning_reads": _count(get("discordant_mates", ""), "discordant_mates")})
        for key in ("confidence", "reading_frame", "type", "site1", "site2"):
            if get(key, "").strip() not in ("", "."):
                detail[key] = row[key].strip()
    elif fmt.name in ("star-fusion", "pcgr"):
        name_col = "fusionname" if fmt.name == "star-fusion" else "fusiongene"
        left, right = _pair(get(name_col, "")) if get(name_col, "").strip() else ("", "")
        raw5 = get("leftgene", "").split("^")[0] or left
        raw3 = get("rightgene", "").split("^")[0] or right
        call = _Call(line, row_sample, raw5, raw3, _clean_gene(raw5), _clean_gene(raw3))
        call.bp5 = _breakpoint(get("leftbreakpoint", ""), "LeftBreakpoint")
        call.bp3 = _breakpoint(get("rightbreakpoint", ""), "RightBreakpoint")
        if fmt.name == "star-fusion":
            detail["split_reads"] = _count(get("junctionreadcount", ""), "JunctionReadCount")
            detail["spanning_reads"] = _count(get("spanningfragcount", ""), "SpanningFragCount")
            for key, out in (("splicetype", "splice_type"), ("ffpm", "ffpm"), ("largeanchorsupport", "large_anchor")):
                if get(key, "").strip():
                    detail[out] = row[key].strip()
        else:
            detail["split_reads"] = _count(get("splitreads", ""), "SplitReads")
    elif fmt.name == "cbioportal-sv":
        raw5, raw3 = get("site1_hugo_symbol", ""), get("site2_hugo_symbol", "")
        call = _Call(line, row_sample, raw5, raw3, _clean_gene(raw5), _clean_gene(raw3))
        call.bp5 = _position(get("site1_chromosome", ""), get("site1_position", ""), "Site1 position")
        call.bp3 = _position(get("site2_chromosome", ""), get("site2_position", ""), "Site2 position")
        call.region5 = _region(get("site1_region", ""), get("site1_region_number", ""))
        call.region3 = _region(get("site2_region", ""), get("site2_region_number", ""))
        stated = get("ncbi_build", "").strip()
        if stated and stated.upper() != "NA":
            call.row_build = normalize_build(stated)
            if call.row_build is None:
                raise _RowError(f"NCBI_Build '{stated}' is neither GRCh37 nor GRCh38")
        detail["split_reads"] = _count(get("tumor_split_read_count", ""), "Tumor_Split_Read_Count")
        detail["spanning_reads"] = _count(get("tumor_paired_end_read_count", ""), "Tumor_Paired_End_Read_Count")
        for key in ("class", "event_info", "sv_status", "site2_effect_on_frame", "connection_type"):
            if get(key, "").strip():
                detail[key] = row[key].strip()
    elif fmt.name == "oncokb-sv":
        raw5, raw3 = get("genea", ""), get("geneb", "")
        call = _Call(line, row_sample, raw5, raw3, _clean_gene(raw5), _clean_gene(raw3))
        if get("sv_type", "").strip():
            detail["sv_type"] = row["sv_type"].strip()
    else:
        text = get("fusion", "")
        raw5, raw3 = _pair(text)
        call = _Call(line, row_sample, raw5, raw3, _clean_gene(raw5), _clean_gene(raw3))
        call.intragenic = raw3.lower() == "intragenic"
        detail["input_name"] = text.strip()
    call.intragenic = call.intragenic or (call.gene5 is not None and call.gene5 == call.gene3)
    call.detail = {k: v for k, v in detail.items() if v != ""}
    return call


def _rows(name: str, fmt: _Format, lines: list[str], start: int, sample: str | None) -> list[_Call]:
    header = _header_keys(lines[start])
    calls: list[_Call] = []
    for index in range(start + 1, len(lines)):
        text = lines[index]
        line = index + 1
        if not text.strip():
            continue
        fields = text.split("\t")
        if len(fields) > len(header):
            calls.append(_Call(line, sample, "", "", None, None, error=f"line {line}: {len(fields)} fields, "
                                                                      f"but the header has {len(header)}"))
            continue
        row = dict(zip(header, fields + [""] * (len(header) - len(fields)), strict=True))
        try:
            calls.append(_parse_row(fmt, row, line, sample))
        except _RowError as exc:
            raw5, raw3 = (row.get(k, "") for k in _GENE_COLUMNS.get(fmt.name, ("", "")))
            calls.append(_Call(line, sample, raw5, raw3, _clean_gene(raw5), _clean_gene(raw3),
                               error=f"line {line}: {exc}"))
    return calls


# --------------------------------------------------------------------------- build


def _sides(call: _Call) -> list[tuple[str, tuple[str, int]]]:
    return [(g, bp) for g, bp in ((call.gene5, call.bp5), (call.gene3, call.bp3)) if g and bp]


def _votes(call: _Call, kb: KnowledgeBase) -> str | None:
    """The build on which more of this row's breakpoints sit on exon boundaries, if one does."""
    hits = {b: sum(at_exon_boundary(kb, g, bp[0], bp[1], b) for g, bp in _sides(call)) for b in BUILDS}
    best = max(hits.values())
    winners = [b for b, n in hits.items() if n == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def _needs_build(call: _Call, kb: KnowledgeBase) -> bool:
    return call.error is None and any(has_exon_table(kb, g) for g, _ in _sides(call))


def _resolve_build(name: str, fmt: _Format, calls: list[_Call], kb: KnowledgeBase,
                   build: str | None) -> tuple[str | None, str]:
    if build is not None:
        given = normalize_build(build)
        if given is None:
            raise InputFileError(name, None, f"unknown build '{build}'; use GRCh37 or GRCh38")
        stated = {c.row_build for c in calls if c.row_build and c.row_build != given}
        if stated:
            line = next(c.line for c in calls if c.row_build in stated)
            raise InputFileError(name, line, f"NCBI_Build says {stated.pop()}, but the build given is {given}")
        return given, "given"
    stated_builds = {c.row_build: c.line for c in calls if c.row_build}
    if len(stated_builds) > 1:
        (b1, l1), (b2, l2) = sorted(stated_builds.items())[:2]
        raise InputFileError(name, max(l1, l2), f"rows name different builds: line {l1} {b1}, line {l2} {b2}")
    if stated_builds:
        return next(iter(stated_builds)), "NCBI_Build column"
    needs = [c for c in calls if _needs_build(c, kb)]
    if not needs:
        return None, "not needed (no breakpoint on ALK or a partner with an exon table)"
    if fmt.rna:
        votes: dict[str, list[int]] = {}
        for call in needs:
            vote = _votes(call, kb)
            if vote is not None:
                votes.setdefault(vote, []).append(call.line)
        if len(votes) > 1:
            l37, l38 = votes["GRCh37"][0], votes["GRCh38"][0]
            raise InputFileError(name, max(l37, l38), f"rows fit different builds: line {l37} fits GRCh37 exon "
                                                      f"boundaries, line {l38} fits GRCh38; check the file, or "
                                                      "give --build if you know it")
        if votes:
            return next(iter(votes)), "detected: breakpoints on exon boundaries"
    raise InputFileError(name, needs[0].line, "cannot tell whether the coordinates are GRCh37 or GRCh38 (no "
                                              "breakpoint sits on an exon boundary of one build only); "
                                              "give the build with --build GRCh37 or --build GRCh38")


# --------------------------------------------------------------------------- records


def _exon(kb: KnowledgeBase, gene: str, bp: tuple[str, int] | None, region: tuple[str, int] | None,
          build: str | None, side: Side, detail: dict[str, str], key: str) -> int | None:
    if bp is not None and build is not None:
        found = classify_breakpoint(kb, gene, bp[0], bp[1], build, side=side)
        if found is not None:
            detail[f"{key}_region"] = "exon" if found[1] else "intron"
            return found[0]
        if has_exon_table(kb, gene):
            detail[f"{key}_note"] = f"breakpoint {bp[0]}:{bp[1]} is outside {gene} on {build}"
        else:
            detail[f"{key}_note"] = f"no exon table for {gene}"
    if region is not None:
        kind, number = region
        detail[f"{key}_region"] = kind
        return number + 1 if kind == "intron" and side == "3p" else number
    return None


def _alteration(text: str, kb: KnowledgeBase) -> tuple[str | None, str | None, str | None]:
    """(alteration, gene, reason): the text only if parse_alteration reads it."""
    alt = parse_alteration(text, kb)
    if alt.recognized:
        return text, alt.gene, None
    return None, alt.gene, alt.reason or f"'{text}' is not an alteration alknav reads"


def _record(call: _Call, kb: KnowledgeBase, name: str, fmt: _Format, build: str | None, how: str) -> GenomicRecord:
    detail = dict(call.detail)
    rec = GenomicRecord(file=name, line=call.line, sample=call.sample, gene=None, alteration=None,
                        source=fmt.label, build=build, detail=detail)
    alk = kb.transcript.gene.upper()
    if call.error is not None:
        genes = [g for g in (call.gene5, call.gene3) if g]
        rec.gene = alk if alk in genes else (genes[0] if genes else None)
        rec.reason = call.error
        return rec
    if call.bp5:
        detail["breakpoint5"] = f"{call.bp5[0]}:{call.bp5[1]}"
    if call.bp3:
        detail["breakpoint3"] = f"{call.bp3[0]}:{call.bp3[1]}"
    if build is not None:
        detail["build"] = build
        detail["build_source"] = how
        vote = _votes(call, kb) if fmt.rna else None
        if vote is not None and vote != build:
            detail["build_warning"] = f"breakpoints sit on {vote} exon boundaries, not {build}"
    genes = [g for g in (call.gene5, call.gene3) if g]
    if not genes:
        rec.reason = f"line {call.line}: no gene symbol alknav can read ('{call.raw5}', '{call.raw3}')"
        return rec
    if call.intragenic:
        rec.gene = genes[0]
        rec.reason = (f"line {call.line}: intragenic rearrangement within {genes[0]}"
                      f"{' (' + detail['sv_type'] + ')' if 'sv_type' in detail else ''}; alknav has no notation for it")
        return rec
    gene5, gene3, bp5, bp3, region5, region3 = call.gene5, call.gene3, call.bp5, call.bp3, call.region5, call.region3
    if not fmt.ordered and gene5 == alk and gene3 is not None:
        gene5, gene3 = gene3, gene5
        detail["orientation"] = f"not stated in the input ('{call.raw5}-{call.raw3}'); written partner-{alk}"
    for raw, clean, key in ((call.raw5, gene5, "gene5_input"), (call.raw3, gene3, "gene3_input")):
        if raw.strip() and clean is None:
            detail[key] = raw.strip()
    if alk in (gene5, gene3):
        alk_3p = gene3 == alk
        partner = gene5 if alk_3p else gene3
        side_alk: Side = "3p" if alk_3p else "5p"
        side_partner: Side = "5p" if alk_3p else "3p"
        alk_exon = _exon(kb, alk, bp3 if alk_3p else bp5, region3 if alk_3p else region5, build, side_alk,
                         detail, "alk_breakpoint")
        if alk_exon is not None:
            detail["alk_exon"] = str(alk_exon)
        text = f"{alk} fusion"
        if partner is not None:
            detail["partner"] = partner
            partner_exon = _exon(kb, partner, bp5 if alk_3p else bp3, region5 if alk_3p else region3, build,
                                 side_partner, detail, "partner_breakpoint")
            if partner_exon is not None:
                detail["partner_exon"] = str(partner_exon)
            text = f"{partner}-{alk} fusion" if alk_3p else f"{alk}-{partner} fusion"
            if alk_3p and partner_exon is not None and alk_exon is not None:
                variant = variant_for_exons(kb, partner, partner_exon, alk_exon)
                if variant is not None:
                    detail["variant"] = variant
                    labelled = f"{text} {variant}"
                    if parse_alteration(labelled, kb).recognized:
                        text = labelled
        if not alk_3p:
            detail["alk_position"] = "5' (ALK is the 5' gene of this call)"
        rec.alteration, rec.gene, rec.reason = _alteration(text, kb)
        rec.gene = rec.gene or alk
        return rec
    text = f"{gene5}-{gene3} fusion" if gene5 and gene3 else f"{genes[0]} fusion"
    rec.alteration, rec.gene, rec.reason = _alteration(text, kb)
    if rec.reason is not None:
        rec.reason = f"line {call.line}: {rec.reason}"
    return rec


def read_fusions(path: Path, kb: KnowledgeBase, *, fmt: str | None = None, build: str | None = None,
                 sample: str | None = None) -> Iterator[GenomicRecord]:
    """One GenomicRecord per data row of a fusion table; InputFileError for an unreadable file."""
    path = Path(path)
    name = str(path)
    lines = _read_lines(path)
    start, found = _find_header(name, lines, fmt)
    calls = _rows(name, found, lines, start, sample)
    used, how = _resolve_build(name, found, calls, kb, build)
    for call in calls:
        yield _record(call, kb, name, found, used, how)
