"""MAF annotation (streamed), copy-number and clinical tables: every row kept, errors located."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alknav.annotate.columns import COLUMNS
from alknav.inputs.genomic.clinical import read_clinical
from alknav.inputs.genomic.cna import read_cna
from alknav.inputs.genomic.maf import annotate_maf, read_maf
from alknav.inputs.genomic.records import InputFileError
from alknav.kb.loader import KnowledgeBase
from tests.conftest import SHARED

DATA = Path(__file__).parent / "data" / "cohort"
ONCOKB = SHARED / "testdata" / "oncokb-annotator-examples"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        lines = [ln for ln in fh if not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def test_annotate_keeps_every_row_in_order(kb: KnowledgeBase, tmp_path: Path) -> None:
    out = tmp_path / "out.maf"
    annotate_maf(DATA / "cohort.maf", out, kb)
    source, annotated = _rows(DATA / "cohort.maf"), _rows(out)
    assert len(annotated) == len(source)
    assert [r["Hugo_Symbol"] for r in annotated] == [r["Hugo_Symbol"] for r in source]
    assert set(COLUMNS) <= set(annotated[0])
    g1202r = annotated[0]
    assert g1202r["ALKNAV_ALTERATION"] == "ALK p.G1202R" and "lorlatinib" in g1202r["ALKNAV_SENSITIVE"]
    assert "crizotinib" in g1202r["ALKNAV_RESISTANT"] and g1202r["TX_CITATIONS"].startswith(("doi:", "pmid:"))
    assert g1202r["ANNOTATED"] == "True"  # curated calls: alknav has knowledge to add
    tp53 = annotated[1]
    assert tp53["ANNOTATED"] == "False" and "outside" in tp53["ALKNAV_REASON"]
    silent = next(r for r in annotated if r["Variant_Classification"] == "Silent")
    assert silent["ALKNAV_RECOGNIZED"] == "False" and "synonymous" in silent["ALKNAV_REASON"]
    assert silent["ANNOTATED"] == "False"  # an ALK row alknav could not read has nothing to add
    kras = next(r for r in annotated if r["Hugo_Symbol"] == "KRAS")
    assert kras["ANNOTATED"] == "True" and kras["ALKNAV_MECHANISM"]  # a curated bypass mechanism


def test_annotated_false_for_alk_changes_without_curated_calls(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "m.maf"
    path.write_text("Hugo_Symbol\tHGVSp_Short\nALK\tp.A1000T\nALK\tp.Q9999Z\nALK\tp.G1202R\nERBB2\tp.S310F\n")
    tally = annotate_maf(path, tmp_path / "out.maf", kb)
    rows = _rows(tmp_path / "out.maf")
    assert [r["ANNOTATED"] for r in rows] == ["False", "False", "True", "False"]
    assert [r["ALKNAV_RECOGNIZED"] for r in rows[:3]] == ["True", "False", "True"]
    assert rows[0]["ALKNAV_REASON"] == "ALK change with no curated drug calls"
    assert (tally.read, tally.recognised, tally.annotated, tally.not_interpretable) == (4, 2, 1, 1)
    assert tally.outside == 1


def test_cna_annotated_for_curated_amplification(kb: KnowledgeBase, tmp_path: Path) -> None:
    from alknav.annotate.records_tsv import write_records

    path = tmp_path / "cna.tsv"
    path.write_text("Hugo_Symbol\tS1\tS2\nMET\t2\t1\nERBB2\t2\t0\nALK\t2\t0\n")
    tally = write_records(read_cna(path), kb, tmp_path / "out.tsv")
    rows = _rows(tmp_path / "out.tsv")
    got = {(r["SAMPLE"], r["GENE"]): r["ANNOTATED"] for r in rows}
    assert got == {("S1", "MET"): "True", ("S2", "MET"): "False", ("S1", "ERBB2"): "False", ("S1", "ALK"): "True"}
    assert (tally.read, tally.recognised, tally.annotated, tally.not_interpretable, tally.outside) == (4, 2, 2, 1, 1)


@pytest.mark.skipif(not ONCOKB.exists(), reason="../shared not present")
def test_annotate_oncokb_example_maf(kb: KnowledgeBase, tmp_path: Path) -> None:
    out = tmp_path / "out.maf"
    annotate_maf(ONCOKB / "example_maf.txt", out, kb)
    rows = _rows(out)
    assert len(rows) == len(_rows(ONCOKB / "example_maf.txt"))
    kras = [r for r in rows if r["Hugo_Symbol"] == "KRAS"]
    assert kras and all(r["ALKNAV_KIND"] == "bypass_mutation" for r in kras)
    assert all(r["ALKNAV_MECHANISM"].startswith("alk_independent") for r in kras)


def test_gzip_and_crlf_maf(kb: KnowledgeBase, tmp_path: Path) -> None:
    text = (DATA / "cohort.maf").read_text().replace("\n", "\r\n")
    crlf = tmp_path / "crlf.maf"
    crlf.write_text(text, newline="")
    out = tmp_path / "a.maf"
    annotate_maf(crlf, out, kb)
    rows = _rows(out)
    assert rows[0]["NCBI_Build"] == "GRCh38" and rows[0]["ALKNAV_ALTERATION"] == "ALK p.G1202R"
    gz = tmp_path / "c.maf.gz"
    gz.write_bytes(gzip.compress((DATA / "cohort.maf").read_bytes()))
    annotate_maf(gz, tmp_path / "b.maf", kb)
    assert len(_rows(tmp_path / "b.maf")) == len(rows)


def test_read_maf_records_have_line_numbers(kb: KnowledgeBase) -> None:
    records = list(read_maf(DATA / "cohort.maf", kb))
    first = records[0]
    assert (first.line, first.sample, first.alteration) == (4, "P1", "ALK p.G1202R")
    assert all(r.gene != "TP53" for r in records)
    assert any(r.alteration is None and "synonymous" in (r.reason or "") for r in records)


@pytest.mark.parametrize(("content", "line", "message"), [
    ("", None, "empty file"),
    ("Gene_Name\tChange\nALK\tG1202R\n", 1, "not a MAF"),
])
def test_bad_maf(kb: KnowledgeBase, tmp_path: Path, content: str, line: int | None, message: str) -> None:
    path = tmp_path / "bad.maf"
    path.write_text(content)
    with pytest.raises(InputFileError) as info:
        annotate_maf(path, tmp_path / "out.maf", kb)
    assert message in info.value.message and info.value.line == line


def test_malformed_rows_are_kept_with_a_reason(kb: KnowledgeBase, tmp_path: Path) -> None:
    """Rows with too few or too many fields come out unchanged, their alknav columns saying why."""
    path = tmp_path / "short.maf"
    path.write_text("Hugo_Symbol\tTumor_Sample_Barcode\tHGVSp_Short\nALK\tS1\tp.G1202R\nALK\tS2\n"
                    "ALK\tS3\tp.L1196M\textra\n")
    annotate_maf(path, tmp_path / "out.maf", kb)
    lines = (tmp_path / "out.maf").read_text().splitlines()
    assert len(lines) == 4
    assert "ALK p.G1202R" in lines[1]
    assert lines[2].startswith("ALK\tS2\t\t") and "malformed row" in lines[2]
    assert len(lines[2].split("\t")) == len(lines[0].split("\t"))  # padded under its headings
    assert lines[3].startswith("ALK\tS3\tp.L1196M\textra\t") and "malformed row" in lines[3]


def test_truncated_gzip_maf(kb: KnowledgeBase, tmp_path: Path) -> None:
    data = gzip.compress((DATA / "cohort.maf").read_bytes() * 50)
    path = tmp_path / "cut.maf.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError) as info:
        annotate_maf(path, tmp_path / "out.maf", kb)
    assert "gzip" in str(info.value) or "cannot read" in str(info.value)


def test_cna_discrete_matrix_and_long(tmp_path: Path) -> None:
    matrix = tmp_path / "m.tsv"
    matrix.write_text("Hugo_Symbol\tEntrez_Gene_Id\tS1\tS2\nMET\t4233\t2\t0\nALK\t238\t1\t-2\nEGFR\t1956\t0\t0\n")
    records = list(read_cna(matrix))
    alts = {(r.sample, r.gene): r.alteration for r in records}
    assert alts[("S1", "MET")] == "MET amplification" and alts[("S2", "ALK")] == "ALK deletion"
    assert alts[("S1", "ALK")] is None
    egfr = [r for r in records if r.gene == "EGFR"]
    assert len(egfr) == 1 and egfr[0].reason == "no copy-number change in any sample"
    absolute = tmp_path / "abs.tsv"
    absolute.write_text("Tumor_Sample_Barcode\tHugo_Symbol\tcopy_number\nS1\tMET\t9\nS2\tMET\t4\nS3\tMET\t2\n")
    calls = {r.sample: r.alteration for r in read_cna(absolute)}
    assert calls == {"S1": "MET amplification", "S2": None, "S3": None}
    assert {r.sample: r.alteration for r in read_cna(absolute, min_copies=4)}["S2"] == "MET amplification"


@pytest.mark.skipif(not ONCOKB.exists(), reason="../shared not present")
def test_cna_oncokb_examples() -> None:
    matrix = list(read_cna(ONCOKB / "example_cna.txt"))
    assert any(r.alteration == "MET amplification" for r in matrix)
    long = list(read_cna(ONCOKB / "example_individual_cna.txt"))
    assert len(long) == 12  # every data row, including words such as Amplification and Loss


@pytest.mark.parametrize(("content", "line", "message"), [
    ("", None, "empty file"),
    ("Sample\tValue\nS1\t2\n", 1, "not a copy-number table"),
    ("Hugo_Symbol\tS1\tS2\nMET\t2\n", 2, "malformed row"),
])
def test_bad_cna(tmp_path: Path, content: str, line: int | None, message: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(content)
    with pytest.raises(InputFileError) as info:
        list(read_cna(path))
    assert message in info.value.message and info.value.line == line


def test_cna_unreadable_cell_is_a_row_reason(tmp_path: Path) -> None:
    path = tmp_path / "cna.tsv"
    path.write_text("Tumor_Sample_Barcode\tHugo_Symbol\tCopy_Number_Alteration\r\nS1\tMET\thigh\r\n")
    (record,) = list(read_cna(path))
    assert record.alteration is None and "unreadable" in (record.reason or "") and record.line == 2


def test_clinical_table(tmp_path: Path) -> None:
    rows = read_clinical(DATA / "clinical.tsv")
    p4 = rows["P4"].case_fields("clinical.tsv")
    assert [h["regimen"] for h in p4["history"]] == [["alectinib"], ["lorlatinib"]]
    assert p4["history"][-1]["best_response"] == "PR" and p4["patient"]["region"] == "EU"
    bad = tmp_path / "c.tsv"
    bad.write_text("SAMPLE_ID\tBRAIN_METASTASES\nS1\tperhaps\n")
    with pytest.raises(InputFileError) as info:
        read_clinical(bad)["S1"].case_fields(str(bad))
    assert info.value.line == 2 and "BRAIN_METASTASES" in info.value.message
    dup = tmp_path / "d.tsv"
    dup.write_text("SAMPLE_ID\nS1\nS1\n")
    with pytest.raises(InputFileError, match="appears twice"):
        read_clinical(dup)
    nohead = tmp_path / "n.tsv"
    nohead.write_text("ID\nS1\n")
    with pytest.raises(InputFileError, match="SAMPLE_ID"):
        read_clinical(nohead)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30), max_size=6))
def test_random_cna_lines_never_crash(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "r.tsv"
    path.write_text("Hugo_Symbol\tS1\n" + "\n".join(lines), encoding="utf-8")
    try:
        records = list(read_cna(path))
    except InputFileError:
        return
    assert all(r.alteration is not None or r.reason for r in records)


def test_clinical_columns_for_samples_without_clinical_row(kb: KnowledgeBase, tmp_path: Path) -> None:
    clinical = tmp_path / "clinical.tsv"
    clinical.write_text("SAMPLE_ID\tPRIOR_THERAPIES\nP1\talectinib\n")
    from alknav.inputs.genomic.clinical import read_clinical

    extra = {s: {"PRIOR_THERAPIES": r.get("PRIOR_THERAPIES")} for s, r in read_clinical(clinical).items()}
    out = tmp_path / "out.maf"
    annotate_maf(DATA / "cohort.maf", out, kb, extra=extra)
    rows = _rows(out)
    assert rows[0]["PRIOR_THERAPIES"] == "alectinib"
    p2 = next(r for r in rows if r["Tumor_Sample_Barcode"] == "P2")
    assert p2["PRIOR_THERAPIES"] == ""  # not the constant annotation text
    assert all(len(r) == len(rows[0]) for r in rows)


def test_mixed_builds_in_maf_is_an_error(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "mixed.maf"
    path.write_text("Hugo_Symbol\tNCBI_Build\tTumor_Sample_Barcode\tHGVSp_Short\n"
                    "ALK\tGRCh37\tS1\tp.G1202R\nKRAS\tGRCh38\tS1\tp.G12C\n")
    with pytest.raises(InputFileError, match="mixed genome builds"):
        annotate_maf(path, tmp_path / "out.maf", kb)
    with pytest.raises(InputFileError, match="mixed genome builds"):
        list(read_maf(path, kb))


def test_bom_and_gzip_by_content(kb: KnowledgeBase, tmp_path: Path) -> None:
    bom = tmp_path / "bom.maf"
    bom.write_bytes(b"\xef\xbb\xbf" + (DATA / "cohort.maf").read_bytes())
    annotate_maf(bom, tmp_path / "a.maf", kb)
    assert _rows(tmp_path / "a.maf")[0]["ALKNAV_ALTERATION"] == "ALK p.G1202R"
    noext = tmp_path / "gz_without_suffix.maf"
    noext.write_bytes(gzip.compress((DATA / "cohort.maf").read_bytes()))
    annotate_maf(noext, tmp_path / "b.maf", kb)
    assert len(_rows(tmp_path / "b.maf")) == len(_rows(DATA / "cohort.maf"))
    cna = tmp_path / "cna.tsv"
    cna.write_bytes(b"\xef\xbb\xbfHugo_Symbol\tS1\nMET\t2\n")
    assert [r.alteration for r in read_cna(cna)] == ["MET amplification"]
    dup = tmp_path / "dup.tsv"
    dup.write_text("Hugo_Symbol\tS1\tS1\nMET\t2\t0\n")
    with pytest.raises(InputFileError, match="more than once"):
        list(read_cna(dup))
