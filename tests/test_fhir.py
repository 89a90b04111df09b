"""FHIR R4 output (Genomics Reporting style): bundles validate, hold the expected resources, carry no
patient name, are deterministic, and the validator rejects broken bundles."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from alknav.inputs.case_model import Case
from alknav.inputs.case_reader import parse_case_data
from alknav.kb.loader import KnowledgeBase
from alknav.outputs.fhir import (
    PROFILE_IMPLICATION,
    PROFILE_REPORT,
    PROFILE_VARIANT,
    FhirValidationError,
    three_letter,
    to_fhir,
    validate_fhir,
)
from alknav.outputs.render import RenderedResult as Result
from alknav.outputs.render import render_result
from alknav.recommend.engine import recommend

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "alknav" / "examples" / "demo_case.yaml"
SCENARIOS = ROOT / "tests" / "scenarios"

# case file -> variant Observations expected (the diagnosis fusion counts as one)
CASES = {
    DEMO: 2,  # EML4-ALK + ALK G1202R
    SCENARIOS / "fl_untreated_no_brain_mets.yaml": 1,  # first line: the fusion only
    SCENARIOS / "g1202r_l1196m_after_lorlatinib.yaml": 2,  # fusion + one compound (cis) variant
    SCENARIOS / "met_amp_after_alectinib.yaml": 2,  # fusion + MET amplification
}


def _case(path: Path) -> Case:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return parse_case_data(data.get("case", data))


def _build(path: Path, kb: KnowledgeBase, lang: str = "en") -> tuple[Case, Result, dict[str, Any]]:
    case = _case(path)
    neutral = recommend(case, kb)
    return case, render_result(neutral, kb, lang), to_fhir(case, neutral, kb, lang)


def _resources(bundle: dict[str, Any], kind: str, profile: str | None = None) -> list[dict[str, Any]]:
    out = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]
    if profile:
        out = [r for r in out if profile in r.get("meta", {}).get("profile", [])]
    return out


def _codes(concept: dict[str, Any]) -> set[str]:
    return {c["code"] for c in concept.get("coding", [])}


def _component_values(obs: dict[str, Any], loinc: str) -> list[dict[str, Any]]:
    return [c.get("valueCodeableConcept", {}) for c in obs.get("component", []) if loinc in _codes(c["code"])]


@pytest.mark.parametrize("path", list(CASES), ids=lambda p: p.stem)
def test_bundle_validates_with_expected_resources(path: Path, kb: KnowledgeBase) -> None:
    _, result, bundle = _build(path, kb)
    validate_fhir(bundle)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"

    reports = _resources(bundle, "DiagnosticReport")
    patients = _resources(bundle, "Patient")
    variants = _resources(bundle, "Observation", PROFILE_VARIANT)
    implications = _resources(bundle, "Observation", PROFILE_IMPLICATION)
    assert len(reports) == 1 and len(patients) == 1
    assert len(variants) == CASES[path]
    assert len(implications) == min(5, len(result.options)) == 5
    assert len(bundle["entry"]) == 2 + len(variants) + len(implications)

    report = reports[0]
    assert report["meta"]["profile"] == [PROFILE_REPORT]
    assert report["status"] == "final"
    assert "81247-9" in _codes(report["code"])
    assert report["conclusion"].startswith(result.disclaimer)
    assert result.options[0].name in report["conclusion"]
    urls = {e["resource"]["id"]: e["fullUrl"] for e in bundle["entry"]}
    assert [r["reference"] for r in report["result"]] == [urls[o["id"]] for o in variants + implications]

    variant_urls = {urls[v["id"]] for v in variants}
    for obs in implications:
        assert {r["reference"] for r in obs["derivedFrom"]} == variant_urls
        assert not any(k.startswith("value") for k in obs)


@pytest.mark.parametrize("path", list(CASES), ids=lambda p: p.stem)
def test_top_option_drugs_are_in_the_first_implication(path: Path, kb: KnowledgeBase) -> None:
    _, result, bundle = _build(path, kb)
    top = result.options[0]
    first = _resources(bundle, "Observation", PROFILE_IMPLICATION)[0]
    assert first["code"]["text"] == top.name
    medications = {v["text"] for v in _component_values(first, "51963-7")}
    assert medications == {kb.drugs[d].inn for d in top.drugs}
    assert not top.drugs or top.drugs[0] in json.dumps(first)  # a trial referral names no drug
    levels = [v["text"] for v in _component_values(first, "93044-6")]
    assert levels == [top.evidence.level_label or top.evidence.level]


@pytest.mark.parametrize("path", list(CASES), ids=lambda p: p.stem)
def test_patient_has_no_name_and_only_allowed_fields(path: Path, kb: KnowledgeBase) -> None:
    case, _, bundle = _build(path, kb)
    (patient,) = _resources(bundle, "Patient")
    assert "name" not in patient
    assert set(patient) <= {"resourceType", "id", "gender", "extension"}
    assert patient["gender"] == {"F": "female", "M": "male"}[case.patient.sex.value if case.patient.sex else "F"]
    assert patient["extension"][0]["valueAge"]["value"] == case.patient.age


def test_patient_id_is_the_case_id_made_fhir_safe(kb: KnowledgeBase) -> None:
    _, _, demo = _build(DEMO, kb)
    assert _resources(demo, "Patient")[0]["id"] == "demo-001"
    _, _, compound = _build(SCENARIOS / "g1202r_l1196m_after_lorlatinib.yaml", kb)
    assert _resources(compound, "Patient")[0]["id"] == "g1202r-l1196m-after-lorlatinib"


def test_output_is_deterministic(kb: KnowledgeBase) -> None:
    case = _case(DEMO)
    first = json.dumps(to_fhir(case, recommend(case, kb), kb), sort_keys=True)
    second = json.dumps(to_fhir(_case(DEMO), recommend(_case(DEMO), kb), kb), sort_keys=True)
    assert first == second


def test_point_mutation_has_phgvs_on_the_alk_protein(kb: KnowledgeBase) -> None:
    _, _, bundle = _build(DEMO, kb)
    variants = _resources(bundle, "Observation", PROFILE_VARIANT)
    values = [v for obs in variants for v in _component_values(obs, "48005-3")]
    assert values == [{"coding": [{"system": "http://varnomen.hgvs.org", "code": "NP_004295.2:p.Gly1202Arg",
                                   "display": "NP_004295.2:p.Gly1202Arg"}], "text": "ALK p.G1202R"}]
    genes = {c for obs in variants for v in _component_values(obs, "48018-6") for c in _codes(v)}
    assert genes == {"HGNC:427", "HGNC:1316"}  # ALK, EML4


def test_compound_is_one_cis_variant(kb: KnowledgeBase) -> None:
    _, _, bundle = _build(SCENARIOS / "g1202r_l1196m_after_lorlatinib.yaml", kb)
    codes = {c for obs in _resources(bundle, "Observation", PROFILE_VARIANT)
             for v in _component_values(obs, "48005-3") for c in _codes(v)}
    assert codes == {"NP_004295.2:p.[Leu1196Met;Gly1202Arg]"}


def test_amplification_and_fusion_use_sequence_ontology(kb: KnowledgeBase) -> None:
    _, _, bundle = _build(SCENARIOS / "met_amp_after_alectinib.yaml", kb)
    by_type = {}
    for obs in _resources(bundle, "Observation", PROFILE_VARIANT):
        genes = frozenset(c for v in _component_values(obs, "48018-6") for c in _codes(v))
        change = {c for v in _component_values(obs, "48019-4") for c in _codes(v)}
        by_type[genes] = change
    assert by_type == {frozenset({"HGNC:7029"}): {"SO:0001742"},  # MET copy_number_gain
                       frozenset({"HGNC:427", "HGNC:1316"}): {"SO:0001565"}}  # EML4-ALK gene_fusion


def test_unrecognised_alteration_is_a_report_note_not_a_variant(kb: KnowledgeBase) -> None:
    _, result, bundle = _build(SCENARIOS / "unrecognized_alteration_with_g1202r.yaml", kb)
    validate_fhir(bundle)
    bad = [a["input"] for a in result.alterations if not a["recognized"]]
    assert bad
    (report,) = _resources(bundle, "DiagnosticReport")
    notes = [x["valueAnnotation"]["text"] for x in report.get("extension", [])]
    assert len(notes) == len(bad) and all(b in n for b, n in zip(bad, notes, strict=True))
    variants = json.dumps(_resources(bundle, "Observation", PROFILE_VARIANT))
    assert all(b not in variants for b in bad)
    assert len(_resources(bundle, "Observation", PROFILE_VARIANT)) == 2  # fusion + G1202R


def test_chinese_conclusion(kb: KnowledgeBase) -> None:
    _, result, bundle = _build(DEMO, kb, lang="zh")
    validate_fhir(bundle)
    conclusion = _resources(bundle, "DiagnosticReport")[0]["conclusion"]
    assert conclusion.startswith(result.disclaimer) and "首选方案" in conclusion


def _break_status(b: dict[str, Any]) -> None:
    b["entry"][0]["resource"]["status"] = "done"


def _break_observation_status(b: dict[str, Any]) -> None:
    b["entry"][2]["resource"]["status"] = "finished"


def _drop_code(b: dict[str, Any]) -> None:
    del b["entry"][2]["resource"]["code"]


def _dangling_reference(b: dict[str, Any]) -> None:
    b["entry"][0]["resource"]["subject"] = {"reference": "urn:uuid:00000000-0000-5000-8000-000000000000"}


def _add_name(b: dict[str, Any]) -> None:
    b["entry"][1]["resource"]["name"] = [{"family": "Doe"}]


def _bad_bundle_type(b: dict[str, Any]) -> None:
    b["type"] = "pile"


def _implication_without_source(b: dict[str, Any]) -> None:
    for entry in b["entry"]:
        if PROFILE_IMPLICATION in entry["resource"].get("meta", {}).get("profile", []):
            entry["resource"].pop("derivedFrom")


def _unknown_element(b: dict[str, Any]) -> None:
    b["entry"][1]["resource"]["favouriteColour"] = "blue"


@pytest.mark.parametrize("breaker", [_break_status, _break_observation_status, _drop_code, _dangling_reference,
                                     _add_name, _bad_bundle_type, _implication_without_source, _unknown_element])
def test_broken_bundle_fails_validation(breaker: Any, kb: KnowledgeBase) -> None:
    _, _, bundle = _build(DEMO, kb)
    validate_fhir(bundle)
    broken = copy.deepcopy(bundle)
    breaker(broken)
    with pytest.raises(FhirValidationError) as info:
        validate_fhir(broken)
    assert info.value.problems and str(info.value).startswith("invalid FHIR bundle:")


@pytest.mark.parametrize(("change", "expected"), [
    ("G1202R", "Gly1202Arg"), ("L1196M", "Leu1196Met"), ("G1202del", "Gly1202del"),
    ("T1151Tins", "Thr1151dup"), ("E1129_V1130del", "Glu1129_Val1130del"), ("G1202delinsRR", None), ("B12X", None),
])
def test_three_letter(change: str, expected: str | None) -> None:
    assert three_letter(change) == expected
