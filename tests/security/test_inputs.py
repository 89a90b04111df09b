"""Silent loss and crashes in the readers and the case model: each is a clean answer or a clean
error naming the field or line (exit 2 on the CLI, 4xx on the API), never exit 70 or a 500."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from alknav.errors import AlknavError, CaseError
from alknav.inputs.case_reader import parse_case_data, parse_case_text
from alknav.inputs.genomic.records import InputFileError
from tests.security.conftest import DEMO, demo_case

DATA = Path(__file__).resolve().parents[1] / "data"
MAF_HEADER = "Hugo_Symbol\tHGVSp_Short\tTumor_Sample_Barcode"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from alknav.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120)


# ------------------------------------------------------------------ MAF


def test_maf_with_lone_cr_line_endings_is_a_clear_error(tmp_path: Path, kb: Any) -> None:
    from alknav.inputs.genomic.maf import annotate_maf

    maf = tmp_path / "cr.maf"
    maf.write_bytes(f"{MAF_HEADER}\rALK\tp.G1202R\tS1\rEGFR\tp.L858R\tS1\r".encode())
    with pytest.raises(InputFileError, match="carriage return"):
        annotate_maf(maf, tmp_path / "out.tsv", kb)


def test_maf_body_rows_starting_with_hash_are_kept(tmp_path: Path, kb: Any) -> None:
    from alknav.inputs.genomic.maf import annotate_maf, read_maf

    maf = tmp_path / "hash.maf"
    maf.write_text(f"#version 2.4\n{MAF_HEADER}\nALK\tp.G1202R\tS1\n#ALK\tp.L1196M\tS2\nALK\tp.L1196M\tS3\n")
    out = tmp_path / "out.tsv"
    annotate_maf(maf, out, kb)
    rows = out.read_text().splitlines()
    assert len(rows) == 4 and rows[2].startswith("#ALK\tp.L1196M\tS2\t")
    # line numbers stay those of the file: the S3 row is line 5
    assert [(r.line, r.sample) for r in read_maf(maf, kb)] == [(3, "S1"), (5, "S3")]


# ------------------------------------------------------------------ CNA


def test_cna_unmatched_quote_does_not_swallow_rows(tmp_path: Path) -> None:
    from alknav.inputs.genomic.cna import read_cna

    cna = tmp_path / "cna.tsv"
    cna.write_text('Hugo_Symbol\tS1\nEGFR\t"1\nMET\t0\nALK\t2\n')
    records = list(read_cna(cna))
    alk = [r for r in records if r.gene == "ALK"]
    assert alk and alk[0].alteration == "ALK amplification" and alk[0].line == 4


def test_cna_huge_cell_is_a_row_reason_not_a_crash(tmp_path: Path) -> None:
    from alknav.inputs.genomic.cna import read_cna

    cna = tmp_path / "cna.tsv"
    cna.write_text("Hugo_Symbol\tS1\nALK\t" + "9" * 200_000 + "\nMET\t2\n")
    records = list(read_cna(cna))
    assert [r.line for r in records] == [2, 3]
    assert "characters" in (records[0].reason or "") and records[1].alteration == "MET amplification"


@pytest.mark.parametrize("value, expected", [("-1", "negative"), ("inf", "finite"), ("nan", "no value"),
                                             ("1e309", "finite")])
def test_cna_impossible_copy_numbers_are_reasons(tmp_path: Path, value: str, expected: str) -> None:
    from alknav.inputs.genomic.cna import read_cna

    cna = tmp_path / "cna.tsv"
    cna.write_text(f"Tumor_Sample_Barcode\tHugo_Symbol\tcopy_number\nS1\tALK\t{value}\n")
    (record,) = read_cna(cna)
    assert record.alteration is None and expected in (record.reason or "")


@pytest.mark.parametrize("threshold", [-1.0, 0.0, 2.0, float("nan"), float("inf")])
def test_cna_threshold_validated(tmp_path: Path, threshold: float) -> None:
    from alknav.inputs.genomic.cna import read_cna

    cna = tmp_path / "cna.tsv"
    cna.write_text("Tumor_Sample_Barcode\tHugo_Symbol\tcopy_number\nS1\tALK\t1\n")
    with pytest.raises(AlknavError, match="min-copies"):
        list(read_cna(cna, min_copies=threshold))


@pytest.mark.parametrize("threshold", ["-1", "0", "nan"])
def test_cli_min_copies_refused_exit_2(tmp_path: Path, threshold: str) -> None:
    cna = tmp_path / "cna.tsv"
    cna.write_text("Tumor_Sample_Barcode\tHugo_Symbol\tcopy_number\nS1\tALK\t1\n")
    done = cli("cohort", "recommend", "--cna", str(cna), "--min-copies", threshold, "-o", str(tmp_path / "o"))
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "--min-copies" in done.stderr and "Traceback" not in done.stderr


# ------------------------------------------------------------------ the case model


BASE = ("case_format: 1\ndiagnosis: {alk: {fusion: EML4-ALK}}\n"
        "history: [{regimen: [alectinib], stopped_for: progression}]\n")


@pytest.mark.parametrize("extra, field", [
    ("unmapped: 5", "unmapped"),
    ("unmapped: [1, 2]", "unmapped"),
    ("patient: {age: " + "9" * 5000 + "}", "patient.age"),
    ("id: " + "7" * 5000, "id"),
    ("patient: {age: " + "9" * 60 + "}", "patient.age"),
])
def test_case_values_that_crashed_are_field_errors(extra: str, field: str) -> None:
    with pytest.raises(CaseError) as info:
        parse_case_text(BASE + extra + "\n")
    assert info.value.field == field


def test_huge_integers_in_json_case_name_the_field() -> None:
    text = json.dumps(demo_case()).replace('"age": 48', '"age": ' + "9" * 5000)
    assert "9" * 5000 in text
    with pytest.raises(CaseError) as info:
        parse_case_text(text)
    assert info.value.field == "patient.age"


def test_phenopacket_huge_age_is_not_a_crash() -> None:
    pheno = json.loads((DATA / "phenopacket_g1202r.json").read_text())
    pheno["subject"]["timeAtLastEncounter"] = {"age": {"iso8601duration": "P" + "9" * 5000 + "Y"}}
    case = parse_case_text(json.dumps(pheno))
    assert case.patient.age is None


def test_extra_fields_are_reported_not_dropped(kb: Any) -> None:
    from alknav.outputs.render import render_result
    from alknav.recommend.engine import recommend

    case = demo_case(favourite_colour="blue")
    case["patient"]["nickname"] = "x"
    parsed = parse_case_data(case)
    result = render_result(recommend(parsed, kb), kb, "en")
    messages = " ".join(w.message for w in result.warnings)
    assert "favourite_colour" in messages and "patient.nickname" in messages


def test_unmapped_5_on_the_cli_and_api(tmp_path: Path, client: TestClient) -> None:
    path = tmp_path / "c.yaml"
    case = demo_case(unmapped=5)
    path.write_text(yaml.safe_dump(case))
    done = cli("recommend", str(path))
    assert done.returncode == 2 and "unmapped" in done.stderr, done.stderr
    response = client.post("/api/v1/recommend", json=case)
    assert response.status_code == 422 and response.json()["error"]["field"] == "unmapped"
    # and it can no longer be stored, so a stored case cannot fail later
    from alknav.service import create_key

    key = create_key(client.app.state.alknav.settings, "unmapped-test")
    stored = client.post("/api/v1/cases", json=case, headers={"X-API-Key": key})
    assert stored.status_code == 422


# ------------------------------------------------------------------ messages


@pytest.mark.parametrize("name, content", [
    ("bad.maf", b"Hugo\x1b[2J_Symbol\tX\nline\nwith\x07bell\n"),
    ("bad.vcf", b"##fileformat=VCFv4.2\n#CHROM\tPOS\n\x1b]8;;http://evil\x07link\n"),
    ("bad.fusions.tsv", b"#gene1\tgene2\x1b[31m\nEML4\n\n\x00\x00\n"),
])
def test_file_errors_are_one_bounded_printable_line(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content * 50)
    flag = {"bad.maf": "--maf", "bad.vcf": "--vcf", "bad.fusions.tsv": "--fusions"}[name]
    done = cli("annotate", flag, str(path), "-o", str(tmp_path / "out.tsv"))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert len(lines[0]) < 800


def test_phenopacket_parse_error_is_one_line(tmp_path: Path) -> None:
    pheno = json.loads((DATA / "phenopacket_g1202r.json").read_text())
    pheno["subject"]["sex"] = "NOT\nA\nSEX\x1b[31m"
    with pytest.raises(CaseError) as info:
        parse_case_text(json.dumps(pheno))
    assert "\n" not in str(info.value) and "\x1b" not in str(info.value)


def test_demo_still_reads() -> None:
    assert parse_case_text(DEMO.read_text()).id == "demo-001"
