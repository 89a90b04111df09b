"""The MAF writer's fast byte path (maf._write_bytes) writes exactly what the polars path writes,
for every kind of line, across chunk boundaries; every row in, one row out, in order."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from alknav.inputs.genomic import maf
from alknav.kb.loader import KnowledgeBase

HEADER = ["Hugo_Symbol", "Entrez_Gene_Id", "NCBI_Build", "Variant_Classification", "Tumor_Sample_Barcode",
          "HGVSp_Short", "t_depth"]
ROWS = [
    "ALK\t238\tGRCh38\tMissense_Mutation\tS1\tp.G1202R\t80",
    "KRAS\t3845\tGRCh38\tMissense_Mutation\tS2\tp.G12C\t50",
    "MET\t4233\tGRCh38\tSilent\tS3\tp.Y1003=\t40",
    "TP53\t7157\tGRCh38\tMissense_Mutation\tS4\tp.R273H\t99",
    "TTN\t7273\tGRCh38\tSilent\tS5\t\t12",
    "ALK\t238\tGRCh38\tMissense_Mutation\tS6\tp.L1196M",  # short: padded, malformed
    "EGFR\t1956\tGRCh38\tMissense_Mutation\tS7\tp.L858R\t30\textra",  # long: malformed
    "",  # blank line: a row polars reads as null
    "#a comment line inside the body",
    "CUL1\t8454\tGRCh38\tMissense_Mutation\tS8 é\tp.R12Q\t7",
]


def _write(path: Path, rows: list[str], end: str = "\n") -> None:
    path.write_text("#version gdc-1.0.0\n" + "\t".join(HEADER) + "\n" + "\n".join(rows) + end, encoding="utf-8")


def _both(kb: KnowledgeBase, src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    fast, slow = tmp_path / "fast.maf", tmp_path / "slow.maf"
    calls: list[bool] = []
    real = maf._write_bytes

    def spy(*args: object) -> bool:
        calls.append(real(*args))  # type: ignore[arg-type]
        return calls[-1]

    monkeypatch.setattr(maf, "_write_bytes", spy)
    maf.annotate_maf(src, fast, kb)
    assert calls == [True], "the fast path must have been taken"
    monkeypatch.setattr(maf, "_write_bytes", lambda *args: False)
    maf.annotate_maf(src, slow, kb)
    return fast.read_bytes(), slow.read_bytes()


@pytest.mark.parametrize("chunk", [1 << 25, 64, 7])
@pytest.mark.parametrize("end", ["\n", ""])
def test_fast_path_equals_polars_path(kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      chunk: int, end: str) -> None:
    monkeypatch.setattr(maf, "_CHUNK", chunk)  # small chunks: every line crosses a chunk boundary
    src = tmp_path / "in.maf"
    _write(src, ROWS * 3, end)
    fast, slow = _both(kb, src, tmp_path, monkeypatch)
    assert fast == slow
    lines = fast.decode().split("\n")
    assert lines[-1] == "" and len(lines) - 2 == len(ROWS * 3) - 3  # header + every row; comments dropped
    assert "ALK p.G1202R" in lines[1] and "malformed row" in lines[6] and "malformed row" in lines[7]
    assert lines[1].startswith(ROWS[0] + "\t") and lines[4].startswith(ROWS[3] + "\t")


def test_fast_path_random_mix(kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(11)
    rows = [rng.choice(ROWS) for _ in range(5000)]
    monkeypatch.setattr(maf, "_CHUNK", 4096)
    src = tmp_path / "mix.maf"
    _write(src, rows)
    fast, slow = _both(kb, src, tmp_path, monkeypatch)
    assert fast == slow
    assert fast.count(b"\n") == 1 + sum(not r.startswith("#") for r in rows)


def test_row_count_disagreeing_with_pass_one_is_reported(tmp_path: Path) -> None:
    """When the lines the byte path counts as rows are not as many as polars read in pass 1, it says
    so (annotate_maf then writes the whole output again through polars), never misaligning rows."""
    import polars as pl

    src, out = tmp_path / "in.maf", tmp_path / "out.maf"
    _write(src, ROWS)
    rows = len(ROWS) - 1  # the comment line is not a row
    header = "\t".join(HEADER)
    for count, agrees in ((rows, True), (rows + 1, False), (rows - 1, False)):
        series = pl.Series("a", [None] * count, dtype=pl.String)
        assert maf._write_bytes(src, 1, out, header, series, len(HEADER), "x") is agrees
