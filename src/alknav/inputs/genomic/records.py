"""The common currency of every genomic reader (VCF, MAF, fusion callers, copy number).

A reader yields one ``GenomicRecord`` per input row/record — never fewer. A record either carries
the alteration text alknav understood (``alteration``, in a notation ``parse_alteration`` reads,
e.g. "ALK p.G1202R", "EML4-ALK fusion V3a", "MET amplification") or says why it could not
(``reason``). Readers raise ``InputFileError`` (file, line, message) only for problems that make the
whole file unreadable (truncated gzip, wrong header, mixed builds, REF contradicting the build).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alknav.errors import AlknavError, printable


class InputFileError(AlknavError):
    """A genomic input file that cannot be read; names the file and, where known, the line."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message = printable(message)
        self.field = f"{file}:{line}" if line else file
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")


@dataclass
class GenomicRecord:
    """One input row, read. ``alteration`` is None when ``reason`` says why nothing was read."""

    file: str
    line: int  # 1-based line (or record number for binary formats)
    sample: str | None
    gene: str | None
    alteration: str | None
    reason: str | None = None
    source: str = ""  # how the protein change was obtained: "VEP CSQ", "SnpEff ANN", "shipped ALK CDS", ...
    build: str | None = None
    detail: dict[str, str] = field(default_factory=dict)  # reader-specific extras (exons, variant, reads)

    @property
    def interpretable(self) -> bool:
        return self.alteration is not None
