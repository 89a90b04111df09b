"""Each `alknav kb` command, in human and JSON form, including its errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from alknav.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("name", ["lorlatinib", "Lorlatinib", "洛拉替尼", "PF-06463922", "pf06463922", "Lorbrena"])
def test_drug_by_any_name(name: str) -> None:
    code, out = run("kb", "drug", name, "--json")
    assert code == 0, out
    assert json.loads(out)["drug"]["id"] == "lorlatinib"


def test_drug_text_view_shows_approvals_and_sources() -> None:
    code, out = run("kb", "drug", "阿来替尼")
    assert code == 0
    assert "alectinib" in out.lower() and "doi:" in out and "CN" in out


def test_unknown_drug_is_one_clear_line() -> None:
    code, out = run("kb", "drug", "lorlatinab")
    assert code == 2
    assert "unknown drug 'lorlatinab'" in out and "lorlatinib" in out and "Traceback" not in out
    code, out = run("kb", "drug", "nothing-like-it", "--json")
    assert code == 2 and json.loads(out)["error"]["field"] == "name"


@pytest.mark.parametrize("query", ["G1202R", "ALK G1202R", "p.G1202R", "ALK p.Gly1202Arg", "NP_004295.2:p.Gly1202Arg"])
def test_mutation_notations(query: str) -> None:
    code, out = run("kb", "mutation", query, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["curated"] and data["mutation"]["id"] == "G1202R"
    drugs = {c["drug"] for c in data["mutation"]["calls"]}
    assert {"crizotinib", "alectinib", "lorlatinib"} <= drugs


@pytest.mark.parametrize("query", ["G1202R/L1196M", "L1196M+G1202R", "ALK G1202R + L1196M"])
def test_compound_any_order(query: str) -> None:
    code, out = run("kb", "mutation", query, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["curated"] and set(data["mutation"]["components"]) == {"G1202R", "L1196M"}


def test_uncurated_combination_shows_components() -> None:
    code, out = run("kb", "mutation", "L1196M/G1128A", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert not data["curated"] and {c["id"] for c in data["components"]} == {"L1196M", "G1128A"}


def test_unknown_mutation_exit_2() -> None:
    code, out = run("kb", "mutation", "Q9999Z")
    assert code == 2 and "unknown mutation" in out


def test_mutation_text_view() -> None:
    code, out = run("kb", "mutation", "G1202R")
    assert code == 0
    assert "resistant" in out and "sensitive" in out and "doi:" in out


def test_matrix_json_and_text() -> None:
    code, out = run("kb", "matrix", "--json")
    assert code == 0
    m = json.loads(out)["matrix"]
    assert m["G1202R"]["crizotinib"]["call"] == "resistant"
    assert m["G1202R"]["lorlatinib"]["call"] in ("sensitive", "intermediate")
    code, out = run("kb", "matrix", "--drug", "crizotinib", "--drug", "洛拉替尼")
    assert code == 0 and "G1202R" in out


def test_trials_json_and_filter() -> None:
    code, out = run("kb", "trials", "--json")
    assert code == 0
    ids = {t["id"] for t in json.loads(out)["trials"]}
    assert {"crown", "alex", "profile1014"} <= ids
    code, out = run("kb", "trials", "--drug", "lorlatinib", "--json")
    assert code == 0 and "crown" in {t["id"] for t in json.loads(out)["trials"]}
    code, out = run("kb", "trials")
    assert code == 0 and "CROWN" in out


def test_export_json_and_tsv(tmp_path) -> None:
    code, out = run("kb", "export", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["knowledge_version"] and len(doc["references"]) >= 61
    target = tmp_path / "calls.tsv"
    code, _ = run("kb", "export", "--format", "tsv", "--table", "calls", "-o", str(target))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text()), delimiter="\t"))
    assert rows and {"mutation", "drug", "call", "level", "citations"} <= set(rows[0])
    assert all(r["citations"] for r in rows)
    code, out = run("kb", "export", "--format", "xml")
    assert code == 2 and "json or tsv" in out


def test_validate_packaged() -> None:
    code, out = run("kb", "validate")
    assert code == 0, out
    assert "is valid" in out
