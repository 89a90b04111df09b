"""A MAF row with more fields than the header keeps its fields and gets alknav's columns right after
them, unpadded (the pad length was computed on an unsigned count and wrapped, adding a header's
worth of empty fields); a short row is padded up to the header."""

from __future__ import annotations

from pathlib import Path

from alknav.annotate.columns import COLUMNS
from alknav.inputs.genomic.maf import annotate_maf
from alknav.kb.loader import KnowledgeBase


def test_long_row_is_not_padded_and_short_row_is(kb: KnowledgeBase, tmp_path: Path) -> None:
    src, out = tmp_path / "in.maf", tmp_path / "out.maf"
    src.write_text("Hugo_Symbol\tTumor_Sample_Barcode\tHGVSp_Short\nALK\tS1\tp.G1202R\n"
                   "EGFR\tS2\tp.L858R\textra\nALK\tS3\n", encoding="utf-8")
    annotate_maf(src, out, kb)
    header, good, long, short = out.read_text(encoding="utf-8").splitlines()
    width = 3 + len(COLUMNS)
    assert len(header.split("\t")) == width and len(good.split("\t")) == width
    assert len(long.split("\t")) == width + 1 and long.startswith("EGFR\tS2\tp.L858R\textra\t")
    assert long.split("\t")[4] != "" and "malformed row" in long
    assert len(short.split("\t")) == width and short.startswith("ALK\tS3\t\t") and "malformed row" in short
