"""The validator must catch every kind of broken knowledge and say where: file, line, field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from alknav.cli import app
from alknav.errors import KnowledgeError
from alknav.kb.loader import load_kb, validate_kb


def _errors(root: Path) -> list[str]:
    return [str(i) for i in validate_kb(root) if i.severity == "error"]


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not found in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _dump(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_packaged_kb_has_no_errors() -> None:
    assert _errors(None) == []  # type: ignore[arg-type]


def test_uncited_fact_is_an_error(kb_copy: Path) -> None:
    drugs = _load(kb_copy / "drugs.yaml")
    drugs["drugs"][0]["refs"] = []
    _dump(kb_copy / "drugs.yaml", drugs)
    errors = _errors(kb_copy)
    assert any(e.startswith("drugs.yaml:") and "drugs[0].refs" in e and "at least 1" in e for e in errors), errors


def test_fact_without_checked_is_an_error(kb_copy: Path) -> None:
    data = _load(kb_copy / "mutations" / "single.yaml")
    del data["mutations"][0]["calls"][0]["checked"]
    _dump(kb_copy / "mutations" / "single.yaml", data)
    errors = _errors(kb_copy)
    assert any("mutations/single.yaml:" in e and "calls[0].checked" in e and "Field required" in e for e in errors)


def test_dangling_reference_names_file_line_field(kb_copy: Path) -> None:
    data = _load(kb_copy / "drugs.yaml")
    data["drugs"][1]["refs"].append("nobody1999")
    _dump(kb_copy / "drugs.yaml", data)
    errors = _errors(kb_copy)
    hit = [e for e in errors if "unknown reference 'nobody1999'" in e]
    assert hit and re.match(r"drugs\.yaml:\d+: drugs\[1\]\.refs\[\d+\]: ", hit[0]), hit


def test_invalid_yaml_reports_line(kb_copy: Path) -> None:
    path = kb_copy / "fusions.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "  - [unclosed")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = _errors(kb_copy)
    assert any(re.match(r"fusions\.yaml:\d+: invalid YAML", e) for e in errors), errors


def test_unknown_key_is_an_error(kb_copy: Path) -> None:
    data = _load(kb_copy / "drugs.yaml")
    data["drugs"][0]["half_life_typo"] = "42 h"
    _dump(kb_copy / "drugs.yaml", data)
    assert any("drugs[0].half_life_typo" in e and "Extra inputs" in e for e in _errors(kb_copy))


def test_duplicate_id_is_an_error(kb_copy: Path) -> None:
    data = _load(kb_copy / "drugs.yaml")
    data["drugs"].append(dict(data["drugs"][0], aliases=[], name_zh="重复", inn="Duplicate"))
    _dump(kb_copy / "drugs.yaml", data)
    assert any("duplicate id" in e for e in _errors(kb_copy))


def test_duplicate_doi_is_an_error(kb_copy: Path) -> None:
    path = kb_copy / "references" / "seed_review.yaml"
    data = _load(path)
    clone = dict(data["references"][4], id="clone2018", seed_ref_nos=[])
    data["references"].append(clone)
    _dump(path, data)
    assert any("already used by reference" in e for e in _errors(kb_copy))


def test_unknown_drug_in_call_is_an_error(kb_copy: Path) -> None:
    path = kb_copy / "mutations" / "single.yaml"
    data = _load(path)
    data["mutations"][0]["calls"][0]["drug"] = "madeupinib"
    _dump(path, data)
    assert any("unknown drug 'madeupinib'" in e and "mutations/single.yaml:" in e for e in _errors(kb_copy))


def test_unknown_compound_component_is_an_error(kb_copy: Path) -> None:
    path = kb_copy / "mutations" / "compound.yaml"
    data = _load(path)
    data["mutations"][0]["components"][0] = "Q9999Z"
    _dump(path, data)
    assert any("unknown mutation 'Q9999Z'" in e for e in _errors(kb_copy))


def test_mutation_contradicting_reference_sequence_is_an_error(kb_copy: Path) -> None:
    path = kb_copy / "mutations" / "single.yaml"
    data = _load(path)
    entry = next(m for m in data["mutations"] if m["id"] == "G1202R")
    entry["id"], entry["ref_aa"] = "A1202R", "A"
    _dump(path, data)
    errors = _errors(kb_copy)
    assert any("ALK residue 1202 is G" in e for e in errors), errors


def test_preclinical_call_with_clinical_level_is_an_error(kb_copy: Path) -> None:
    path = kb_copy / "mutations" / "single.yaml"
    data = _load(path)
    call = next(c for m in data["mutations"] for c in m["calls"] if c["evidence_type"] == "preclinical")
    call["level"] = "A"
    _dump(path, data)
    assert any("preclinical evidence with clinical level 'A'" in e for e in _errors(kb_copy))


def test_alias_shared_by_two_drugs_is_an_error(kb_copy: Path) -> None:
    data = _load(kb_copy / "drugs.yaml")
    data["drugs"][1]["aliases"].append(data["drugs"][0]["inn"])
    _dump(kb_copy / "drugs.yaml", data)
    assert any("also names drug" in e for e in _errors(kb_copy))


def test_load_kb_raises_with_all_issues(kb_copy: Path) -> None:
    _edit(kb_copy / "manifest.yaml", "drugs: [drugs.yaml, drugs_anticancer.yaml]",
          "drugs: [missing.yaml, drugs_anticancer.yaml]")
    with pytest.raises(KnowledgeError) as info:
        load_kb(kb_copy)
    assert "missing.yaml" in str(info.value)


def test_cli_validate_exit_codes(kb_copy: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["kb", "validate", "--kb", str(kb_copy), "--json"])
    assert ok.exit_code == 0, ok.output
    data = _load(kb_copy / "drugs.yaml")
    data["drugs"][2]["refs"] = ["ghost2020"]
    _dump(kb_copy / "drugs.yaml", data)
    bad = runner.invoke(app, ["kb", "validate", "--kb", str(kb_copy), "--json"])
    assert bad.exit_code == 1
    assert "ghost2020" in bad.output
    other = runner.invoke(app, ["kb", "drug", "crizotinib", "--kb", str(kb_copy)])
    assert other.exit_code == 2 and "Traceback" not in other.output


def test_regimen_cohort_must_name_a_real_trial_arm(kb_copy: Path) -> None:
    data = _load(kb_copy / "regimens.yaml")
    data["regimens"][0]["trials"] = ["lin2020_chemo_tki.no_such_arm", "nosuchtrial"]
    _dump(kb_copy / "regimens.yaml", data)
    errors = _errors(kb_copy)
    assert any("has no arm 'no_such_arm'" in e for e in errors)
    assert any("unknown trial 'nosuchtrial'" in e for e in errors)


def test_rule_offering_unknown_regimen_is_an_error(kb_copy: Path) -> None:
    data = _load(kb_copy / "rules.yaml")
    rule = next(r for r in data["rules"] if r["then"].get("offer"))
    rule["then"]["offer"] = ["imaginary_regimen"]
    _dump(kb_copy / "rules.yaml", data)
    assert any("unknown regimen 'imaginary_regimen'" in e for e in _errors(kb_copy))


def test_population_region_alone_is_an_error() -> None:
    """`region_in` only narrows another condition: alone it would apply a label item to every patient."""
    from pydantic import ValidationError

    from alknav.kb.schema import PopulationWhen

    with pytest.raises(ValidationError):
        PopulationWhen(region_in=["JP"])
    assert PopulationWhen(pregnancy=True, region_in=["JP"]).region_in is not None
