"""Copy-number tables: discrete GISTIC-style matrices (gene x sample, -2..2) and long tables
(sample, gene, value) whose value is a discrete call, a word (Amplification, Gain, Deletion,
Loss) or an absolute copy number.

A high-level gain (GISTIC 2, "Amplification", or an absolute copy number at or above
``min_copies``) becomes "<GENE> amplification"; a deep deletion (-2, "Deletion") becomes
"<GENE> deletion". Low-level changes (1, -1, Gain, Loss) keep a reason instead of an alteration.
``min_copies`` is a pipeline parameter the user sets for the assay; alknav does not claim a
universal amplification threshold.
"""

from __future__ import annotations

import gzip
import io
import math
from collections.abc import Iterator
from pathlib import Path

from alknav.errors import AlknavError, printable
from alknav.inputs.genomic.records import GenomicRecord, InputFileError

MATRIX_GENE = ("Hugo_Symbol", "Gene Symbol", "Gene_Symbol", "gene")
MATRIX_SKIP = {"Entrez_Gene_Id", "Locus ID", "Cytoband", "Locus_ID"}
LONG_SAMPLE = ("Tumor_Sample_Barcode", "SAMPLE_ID", "sample")
LONG_GENE = ("Hugo_Symbol", "HUGO_SYMBOL", "gene")
LONG_VALUE = ("Copy_Number_Alteration", "CNA", "value")  # discrete calls (-2..2) or words
ABSOLUTE_VALUE = ("copy_number", "Copy_Number", "total_cn", "CN")  # absolute copy numbers
WORDS = {"amplification": 2, "amp": 2, "gain": 1, "loss": -1, "deletion": -2, "homdel": -2,
         "deep_deletion": -2, "hetloss": -1, "neutral": 0, "diploid": 0}
DEFAULT_MIN_COPIES = 6.0
GAIN_COPIES = 3.0
MAX_CELL = 100  # characters; a copy-number cell is a short number or word


def check_min_copies(value: float) -> float:
    """The amplification threshold must be a finite copy number above the gain level."""
    if not math.isfinite(value) or value < GAIN_COPIES:
        raise AlknavError(f"--min-copies must be a finite copy number of at least {GAIN_COPIES:g} "
                         f"(the gain level), not {value:g}")
    return value


def _lines(path: Path) -> list[str]:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                raw = fh.read()
        else:
            raw = path.read_bytes()
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        raise InputFileError(str(path), None, f"truncated or corrupt file ({exc})") from None
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = [ln for ln in io.StringIO(text, newline=None).read().split("\n")]
    if not any(ln.strip() and not ln.startswith("#") for ln in lines):
        raise InputFileError(str(path), None, "empty file: no header line")
    return lines


def _first(columns: list[str], names: tuple[str, ...]) -> str | None:
    return next((c for c in names if c in columns), None)


def _call(value: str, min_copies: float, absolute: bool = False) -> tuple[int | None, str | None]:
    """Discrete level (-2..2) of one cell, or a reason it has none. Absolute copy numbers are
    compared with `min_copies` (amplification), 3 (gain) and 0.5 (deep deletion)."""
    text = value.strip()
    if len(text) > MAX_CELL:
        return None, f"unreadable copy-number value ({len(text)} characters)"
    if text == "" or text.upper() in ("NA", "NAN", "."):
        return None, "no value"
    word = WORDS.get(text.lower())
    if word is not None:
        return word, None
    try:
        number = float(text)
    except ValueError:
        return None, f"unreadable copy-number value '{printable(text, 60)}'"
    if not math.isfinite(number):
        return None, f"copy-number value must be a finite number, not '{printable(text, 60)}'"
    if not absolute:
        if number.is_integer() and -2 <= number <= 2:
            return int(number), None
        return None, f"discrete copy-number call must be -2..2, not '{printable(text, 60)}'"
    if number < 0:
        return None, f"a copy number cannot be negative ('{printable(text, 60)}')"
    if number >= min_copies:
        return 2, None
    if number >= GAIN_COPIES:
        return 1, None
    if number <= 0.5:
        return -2, None
    return 0, None


def _record(path: Path, line: int, sample: str | None, gene: str, level: int | None, reason: str | None,
            value: str) -> GenomicRecord:
    gene = gene.strip().upper()
    if level == 2:
        return GenomicRecord(str(path), line, sample, gene, f"{gene} amplification", source="copy number",
                             detail={"value": value})
    if level == -2:
        return GenomicRecord(str(path), line, sample, gene, f"{gene} deletion", source="copy number",
                             detail={"value": value})
    why = reason or {1: "low-level gain, not called amplification", -1: "shallow loss, not called deletion",
                     0: "no copy-number change"}.get(level or 0, "no copy-number change")
    return GenomicRecord(str(path), line, sample, gene, None, reason=why, source="copy number",
                         detail={"value": value})


def _check_width(path: Path, number: int, row: list[str], header: list[str]) -> None:
    if len(row) != len(header):
        raise InputFileError(str(path), number, f"malformed row: {len(row)} fields, header has {len(header)}")


def read_cna(path: Path, *, min_copies: float = DEFAULT_MIN_COPIES, sample: str | None = None,
             keep_neutral: bool = False) -> Iterator[GenomicRecord]:
    """One record per non-neutral (gene, sample) cell; a gene row with no change in any sample
    still yields one record saying so, so no input row disappears. Cells are split on tabs only: a
    quote is a character, never the start of a field that swallows the rows after it."""
    check_min_copies(min_copies)
    lines = _lines(path)
    start = next(i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#"))
    header = lines[start].split("\t")
    rows = (line.split("\t") if line else [] for line in lines[start + 1:])
    long_gene, long_sample = _first(header, LONG_GENE), _first(header, LONG_SAMPLE)
    long_value = _first(header, LONG_VALUE) or _first(header, ABSOLUTE_VALUE)
    absolute = long_value in ABSOLUTE_VALUE
    if long_gene and long_sample and long_value:
        gi, si, vi = header.index(long_gene), header.index(long_sample), header.index(long_value)
        for offset, row in enumerate(rows):
            number = start + 2 + offset
            if not row or not any(cell.strip() for cell in row):
                continue
            _check_width(path, number, row, header)
            if sample is not None and row[si] != sample:
                continue
            level, reason = _call(row[vi], min_copies, absolute)
            yield _record(path, number, row[si], row[gi], level, reason, row[vi])
        return
    gene_col = _first(header, MATRIX_GENE)
    if gene_col is None:
        raise InputFileError(str(path), start + 1, "not a copy-number table: need Hugo_Symbol/Gene Symbol "
                                                   "(matrix) or Tumor_Sample_Barcode + Hugo_Symbol + "
                                                   "Copy_Number_Alteration (long)")
    gi = header.index(gene_col)
    samples = [(i, name) for i, name in enumerate(header) if i != gi and name not in MATRIX_SKIP]
    names = [name for _, name in samples]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise InputFileError(str(path), start + 1, f"sample column(s) appear more than once: {', '.join(twice)}")
    for offset, row in enumerate(rows):
        number = start + 2 + offset
        if not row or not any(cell.strip() for cell in row):
            continue
        _check_width(path, number, row, header)
        produced = False
        for i, name in samples:
            if sample is not None and name != sample:
                continue
            level, reason = _call(row[i], min_copies)
            if level == 0 and not keep_neutral and reason is None:
                continue
            produced = True
            yield _record(path, number, name, row[gi], level, reason, row[i])
        if not produced:
            yield GenomicRecord(str(path), number, sample, row[gi].strip().upper(), None,
                                reason="no copy-number change in any sample", source="copy number")
