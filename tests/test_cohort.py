"""Cohort commands and case assembly from files, end to end through the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from alknav.cli import app

runner = CliRunner()
DATA = Path(__file__).parent / "data" / "cohort"
FILES = ["--maf", str(DATA / "cohort.maf"), "--clinical", str(DATA / "clinical.tsv"), "--cna",
         str(DATA / "cna.tsv"), "--fusions", str(DATA / "fusions.txt")]


def test_cohort_recommend(tmp_path: Path) -> None:
    result = runner.invoke(app, ["cohort", "recommend", *FILES, "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in (tmp_path / "recommendations.jsonl").read_text().splitlines()]
    by_sample = {x["sample"]: x for x in lines}
    assert set(by_sample) == {"P1", "P2", "P3", "P4", "P5", "P6"}
    assert by_sample["P1"]["options"][0]["drugs"] == ["lorlatinib"]  # G1202R after alectinib
    assert "capmatinib" in by_sample["P4"]["options"][0]["drugs"]  # MET amplification after lorlatinib
    assert "possible_polyclonal_resistance" in {w["code"] for w in by_sample["P5"]["warnings"]}
    assert by_sample["P1"]["provenance"][0]["line"] == 4
    summary = list(csv.DictReader((tmp_path / "summary.tsv").open(), delimiter="\t"))
    assert len(summary) == 6 and all(r["status"] == "ok" for r in summary)


def test_cohort_recommend_reports_unreadable_samples(tmp_path: Path) -> None:
    clinical = tmp_path / "clinical.tsv"
    clinical.write_text("SAMPLE_ID\tPRIOR_THERAPIES\nQ1\tmadeupinib\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["cohort", "recommend", "--clinical", str(clinical), "--alk-positive", "-o", str(out)])
    assert result.exit_code == 2  # answered what it could; says not every sample was read
    line = json.loads((out / "recommendations.jsonl").read_text().splitlines()[0])
    assert "madeupinib" in line["error"]["message"]


def test_cohort_summarize_table_and_figures(tmp_path: Path) -> None:
    for fig in ("png", "svg"):
        result = runner.invoke(app, ["cohort", "summarize", *FILES, "-o", str(tmp_path), "--figure", fig])
        assert result.exit_code == 0, result.output
        figure = tmp_path / f"mechanisms_by_prior_tki.{fig}"
        assert figure.stat().st_size > 1000
    rows = list(csv.DictReader((tmp_path / "mechanisms_by_prior_tki.tsv").open(), delimiter="\t"))
    alectinib = {r["mechanism"]: r for r in rows if r["last_therapy"] == "alectinib"}
    assert alectinib["ALK G1202R"]["samples"] == "2" and alectinib["ALK G1202R"]["of"] == "3"


def test_case_from_files_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "p5.yaml"
    result = runner.invoke(app, ["case", "from-files", "--sample", "P5", *FILES, "-o", str(out)])
    assert result.exit_code == 0, result.output
    case = yaml.safe_load(out.read_text())
    assert case["current"]["alterations"] == ["ALK p.G1202R", "ALK p.I1171N"]
    assert case["diagnosis"]["alk"]["fusion"] == "EML4-ALK"
    assert "cohort.maf:9" in out.read_text()  # provenance comment
    rec = runner.invoke(app, ["recommend", str(out), "--format", "json"])
    assert rec.exit_code == 0 and json.loads(rec.output)["options"][0]["drugs"] == ["lorlatinib"]
    missing = runner.invoke(app, ["case", "from-files", "--sample", "NOPE", *FILES, "-o", str(out)])
    assert missing.exit_code == 2 and "NOPE" in missing.output


def test_annotate_cli_formats(tmp_path: Path) -> None:
    out = tmp_path / "a.tsv"
    ok = runner.invoke(app, ["annotate", "--maf", str(DATA / "cohort.maf"), "--clinical", str(DATA / "clinical.tsv"),
                             "-o", str(out)])
    assert ok.exit_code == 0, ok.output
    rows = [r for r in csv.DictReader((ln for ln in out.open() if not ln.startswith("#")), delimiter="\t")]
    assert rows[0]["PRIOR_THERAPIES"] == "alectinib" and rows[0]["ALKNAV_KIND"] == "alk_kinase_domain_mutation"
    out2 = tmp_path / "c.tsv"
    ok2 = runner.invoke(app, ["annotate", "--cna", str(DATA / "cna.tsv"), "-o", str(out2)])
    assert ok2.exit_code == 0
    assert "MET amplification" in out2.read_text()
    two = runner.invoke(app, ["annotate", "--maf", str(DATA / "cohort.maf"), "--cna", str(DATA / "cna.tsv"),
                              "-o", str(out2)])
    assert two.exit_code == 2 and "exactly one" in two.output
    bad = tmp_path / "bad.maf"
    bad.write_text("Hugo_Symbol\tHGVSp_Short\nALK\tp.G1202R\textra\n")
    err = runner.invoke(app, ["annotate", "--maf", str(bad), "-o", str(out2)])
    assert err.exit_code == 2 and "bad.maf:2" in err.output and "Traceback" not in err.output


def test_vcf_and_fusion_files_make_a_case(tmp_path: Path) -> None:
    """A raw VCF (translated with the shipped ALK CDS) plus an Arriba file give one sample's case."""
    vcf = Path(__file__).parent / "data" / "vcf" / "alk_grch37.vcf"
    arriba = tmp_path / "arriba.tsv"
    lines = (Path(__file__).parent / "data" / "fusions" / "arriba_alk_synthetic.grch37.tsv").read_text().splitlines()
    arriba.write_text("\n".join(lines[:3]) + "\n")  # comment, header, EML4-ALK v1 row
    clinical = tmp_path / "clinical.tsv"
    clinical.write_text("SAMPLE_ID\tPRIOR_THERAPIES\nTUMOR\talectinib\n")
    out = tmp_path / "case.yaml"
    result = runner.invoke(app, ["case", "from-files", "--sample", "TUMOR", "--vcf", str(vcf), "--fusions",
                                 str(arriba), "--clinical", str(clinical), "--build", "GRCh37", "-o", str(out)])
    assert result.exit_code == 0, result.output
    case = yaml.safe_load(out.read_text())
    assert {"ALK p.G1202R", "ALK p.L1196M"} <= set(case["current"]["alterations"])
    assert case["diagnosis"]["alk"]["fusion"] == "EML4-ALK"
    annotated = tmp_path / "vcf.tsv"
    assert runner.invoke(app, ["annotate", "--vcf", str(vcf), "-o", str(annotated)]).exit_code == 0
    rows = list(csv.DictReader(annotated.open(), delimiter="\t"))
    assert len(rows) >= 3 and any(r["ALKNAV_ALTERATION"] == "ALK p.G1202R" for r in rows)


def test_case_from_files_keeps_unknown_unknown(tmp_path: Path) -> None:
    clinical = tmp_path / "clinical.tsv"
    clinical.write_text("SAMPLE_ID\tPRIOR_THERAPIES\tALK_FUSION\tBRAIN_METASTASES\tPRIOR_ICI\n"
                        "U1\talectinib\tEML4-ALK\t\tunknown\nU2\talectinib\tEML4-ALK\tyes\tno\n")
    for sample, cns, ici in (("U1", None, None), ("U2", {"brain_metastases": True}, False)):
        out = tmp_path / f"{sample}.yaml"
        result = runner.invoke(app, ["case", "from-files", "--sample", sample, "--clinical", str(clinical),
                                     "-o", str(out)])
        assert result.exit_code == 0, result.output
        case = yaml.safe_load(out.read_text())
        assert case["current"].get("cns") == cns  # a blank answer is not brain_metastases: false
        assert case.get("prior_immune_checkpoint_inhibitor") == ici
    # genomic files alone say nothing about the brain or prior immunotherapy either
    out = tmp_path / "p1.yaml"
    assert runner.invoke(app, ["case", "from-files", "--sample", "P1", "--maf", str(DATA / "cohort.maf"),
                               "--fusions", str(DATA / "fusions.txt"), "-o", str(out)]).exit_code == 0
    case = yaml.safe_load(out.read_text())
    assert "cns" not in case["current"] and "prior_immune_checkpoint_inhibitor" not in case


def test_case_from_files_says_when_there_is_no_alk_fusion(tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    result = runner.invoke(app, ["case", "from-files", "--sample", "P1", "--maf", str(DATA / "cohort.maf"),
                                 "-o", str(out)])
    assert result.exit_code == 0
    assert "has no ALK fusion" in result.output
    assert "# NO ALK FUSION" in out.read_text()
    rec = runner.invoke(app, ["recommend", str(out)])
    assert rec.exit_code == 2 and "diagnosis.alk" in rec.output
    with_fusion = runner.invoke(app, ["case", "from-files", "--sample", "P1", *FILES, "-o", str(out)])
    assert "no ALK fusion" not in with_fusion.output


def test_cohort_reports_samples_that_are_not_alk_positive(tmp_path: Path) -> None:
    """A sample whose files show no ALK fusion is outside the question: its own status and count,
    neither an error nor an unreadable case."""
    clinical = tmp_path / "clinical.tsv"
    clinical.write_text("SAMPLE_ID\tPRIOR_THERAPIES\tALK_FUSION\nA1\talectinib\tEML4-ALK\nN1\t\t\n"
                        "N2\t\tnegative\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["cohort", "recommend", "--clinical", str(clinical), "-o", str(out)])
    assert result.exit_code == 0, result.output  # nothing unreadable
    assert "1 sample(s) answered, 2 not ALK-positive" in result.output and "0 could not be read" in result.output
    summary = {r["sample"]: r for r in csv.DictReader((out / "summary.tsv").open(), delimiter="\t")}
    assert summary["A1"]["status"] == "ok"
    assert summary["N1"]["status"] == summary["N2"]["status"] == "not_alk_positive"
    lines = {x["sample"]: x for x in map(json.loads, (out / "recommendations.jsonl").read_text().splitlines())}
    assert lines["N1"]["status"] == "not_alk_positive" and lines["A1"]["status"] == "ok"
    summarized = runner.invoke(app, ["cohort", "summarize", "--clinical", str(clinical), "-o", str(out)])
    assert summarized.exit_code == 0, summarized.output
    assert "1 ALK-positive sample(s)" in summarized.output and "2 not ALK-positive" in summarized.output
    table = (out / "mechanisms_by_prior_tki.tsv").read_text()
    assert "unreadable" not in table and "not_alk_positive" not in table
