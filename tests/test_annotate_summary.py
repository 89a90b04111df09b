"""ANNOTATED (True only where alknav has curated knowledge for the record) and the end-of-run summary
line, the same words and order for every kind of annotate input (MAF, VCF, fusions, CNA)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alknav.annotate.columns import COLUMNS, Tally, annotate_alteration, empty_row, parse_row
from alknav.cli import app
from alknav.kb.loader import KnowledgeBase

runner = CliRunner()
DATA = Path(__file__).parent / "data"
SUMMARY = re.compile(r"^alknav: (?P<file>\S+): records read (?P<read>\d+) · recognised as ALK-relevant (?P<rec>\d+) · "
                     r"annotated (?P<ann>\d+) · not interpretable (?P<bad>\d+) \(reasons written to column "
                     r"ALKNAV_REASON\) · outside alknav's genes (?P<out>\d+)$", re.M)


@pytest.mark.parametrize(("text", "annotated", "recognised"), [
    ("ALK p.G1202R", True, True),  # curated calls
    ("ALK p.A1000T", False, True),  # an ALK change with no curated call
    ("EML4-ALK fusion", True, True),  # the driver
    ("ALK amplification", True, True),  # a curated mechanism
    ("MET amplification", True, True),  # a curated bypass mechanism
    ("ERBB2 amplification", False, True),  # recognised, no mechanism curated
    ("TP53 p.R273H", False, True),
    ("ALK p.Q9999Z", False, False),  # not read at all (was ANNOTATED True before)
    (None, False, False),
])
def test_annotated_means_curated_knowledge(text: str | None, annotated: bool, recognised: bool,
                                           kb: KnowledgeBase) -> None:
    row = annotate_alteration(text, kb, None if text else "no protein change")
    assert row["ANNOTATED"] == str(annotated) and row["ALKNAV_RECOGNIZED"] == str(recognised), row


def test_tally_adds_and_takes_back() -> None:
    tally = Tally()
    good = dict.fromkeys(COLUMNS, "") | {"ANNOTATED": "True", "ALKNAV_RECOGNIZED": "True"}
    tally.add(good, in_scope=True, n=3)
    tally.add(empty_row("gene outside alknav scope"), in_scope=False, n=2)
    tally.add(good, in_scope=True, n=-1)
    tally.add(empty_row("malformed row"), in_scope=True)
    assert (tally.read, tally.recognised, tally.annotated, tally.not_interpretable, tally.outside) == (5, 2, 2, 1, 2)
    assert parse_row("\t".join(good.values())) == good


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"))


KINDS = {
    "maf": (["--maf", str(DATA / "cohort" / "cohort.maf")], (8, 5, 5, 1, 2)),
    "vcf": (["--vcf", str(DATA / "vcf" / "alk_grch37.vcf")], (6, 3, 3, 3, 0)),
    "fusions": (["--fusions", str(DATA / "fusions" / "arriba_alk_synthetic.grch37.tsv")], (6, 5, 5, 0, 1)),
    "cna": (["--cna", str(DATA / "cohort" / "cna.tsv")], (2, 1, 1, 1, 0)),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_summary_line_same_for_every_kind(kind: str, tmp_path: Path) -> None:
    args, expected = KINDS[kind]
    out = tmp_path / "out.tsv"
    result = runner.invoke(app, ["annotate", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    found = SUMMARY.search(result.stderr)
    assert found, result.stderr
    assert found["file"] == Path(args[1]).name
    numbers = tuple(int(found[k]) for k in ("read", "rec", "ann", "bad", "out"))
    assert numbers == expected
    # the line agrees with the file written: one row per record, ANNOTATED counted, parts add up
    rows = _rows(out)
    assert len(rows) == numbers[0] == numbers[1] + numbers[3] + numbers[4]
    assert sum(r["ANNOTATED"] == "True" for r in rows) == numbers[2]
    assert sum(r["ALKNAV_RECOGNIZED"] == "True" for r in rows) >= numbers[1]
    assert all(r["ALKNAV_REASON"] for r in rows if r["ALKNAV_RECOGNIZED"] != "True")


def test_summary_counts_malformed_maf_rows_as_written(tmp_path: Path) -> None:
    """A row whose field count is wrong is written as malformed: the summary counts it so, not as
    what its first fields looked like in the column pass."""
    maf = tmp_path / "short.maf"
    maf.write_text("Hugo_Symbol\tTumor_Sample_Barcode\tHGVSp_Short\nALK\tS1\tp.G1202R\nALK\tS2\n"
                   "ALK\tS3\tp.L1196M\textra\nTTN\tS4\tp.A100V\textra\n")
    out = tmp_path / "out.maf"
    result = runner.invoke(app, ["annotate", "--maf", str(maf), "-o", str(out)])
    assert result.exit_code == 0, result.output
    found = SUMMARY.search(result.stderr)
    assert found, result.stderr
    assert tuple(int(found[k]) for k in ("read", "rec", "ann", "bad", "out")) == (4, 1, 1, 3, 0)
    assert sum("malformed row" in line for line in out.read_text().splitlines()) == 3
