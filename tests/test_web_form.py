"""The web case form read into a contract case (no browser): every section, unknown kept unknown,
refusals naming the field in words of the page's language with the typed values drawn again."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alknav.inputs.case_reader import parse_case_data
from alknav.kb.loader import load_kb
from alknav.service import Settings, create_app
from alknav.service.webform import FormErrors, FormInput, form_field, read_form

FULL = {
    "age": "52", "sex": "F", "ecog": "1", "region": "CN", "histology": "adenocarcinoma", "stage": "IVB",
    "method": "RNA-NGS", "fusion": "EML4-ALK", "variant": "V3",
    "h0_regimen": "crizotinib", "h0_months": "11", "h0_response": "PR", "h0_stopped": "progression",
    "h1_regimen": "alectinib", "h1_months": "20.5", "h1_response": "PR", "h1_stopped": "toxicity",
    "h1_toxicity": "hepatotoxicity", "h1_grade": "3",
    "status": "progression", "pattern": "systemic", "biopsy_sample": "plasma", "biopsy_method": "NGS",
    "alterations": "MET amplification\r\n", "compound": "G1202R/L1196M", "phase": "cis",
    "brain": "yes", "leptomeningeal": "no", "symptomatic": "",
    "comorbidities_other": "gout", "child_pugh": "B", "creatinine_clearance": "45", "heart_rate": "58",
    "breastfeeding": "no", "medications": "rosuvastatin, rifampicin", "ici": "no", "notes": "tumour board 3 May",
}


@pytest.fixture(scope="module")
def kb():  # type: ignore[no-untyped-def]
    return load_kb()


def _form(values: dict[str, str], comorbidities: tuple[str, ...] = ()) -> FormInput:
    return FormInput.from_items([*values.items(), *(("comorbidities", c) for c in comorbidities)])


def test_every_section_reaches_the_case(kb) -> None:  # type: ignore[no-untyped-def]
    case, rows = read_form(_form(FULL, ("hyperlipidemia",)), kb, "en")
    assert rows == [0, 1]
    assert case["patient"] == {"region": "CN", "age": 52, "sex": "F", "ecog": 1}
    assert case["diagnosis"] == {"alk": {"fusion": "EML4-ALK", "variant": "V3", "method": "RNA-NGS"},
                                 "histology": "adenocarcinoma", "stage": "IVB"}
    assert case["history"][1] == {"regimen": ["alectinib"], "months": 20.5, "best_response": "PR",
                                  "stopped_for": "toxicity", "toxicity": "hepatotoxicity_g3"}
    current = case["current"]
    assert current["alterations"] == ["MET amplification",
                                      {"gene": "ALK", "mutations": ["G1202R", "L1196M"], "phase": "cis"}]
    assert current["biopsy"] == {"sample": "plasma", "method": "NGS"}
    assert current["cns"] == {"brain_metastases": True, "leptomeningeal": False}  # symptomatic left unknown
    assert case["comorbidities"] == ["hyperlipidemia", "gout"]
    assert case["clinical"] == {"creatinine_clearance": 45.0, "heart_rate": 58, "child_pugh": "B",
                                "breastfeeding": False}
    assert case["concomitant_medications"] == ["rosuvastatin", "rifampicin"]
    assert case["prior_immune_checkpoint_inhibitor"] is False
    parsed = parse_case_data(case, "form")  # the contract's own model accepts it
    assert parsed.current.cns.brain_metastases is True


def test_blank_answers_stay_unknown(kb) -> None:  # type: ignore[no-untyped-def]
    case, rows = read_form(_form({"fusion": "EML4-ALK", "region": "US", "brain": "", "ici": ""}), kb, "en")
    assert rows == [] and case["history"] == []
    assert "cns" not in case["current"]  # never brain_metastases: false
    assert "prior_immune_checkpoint_inhibitor" not in case
    assert "clinical" not in case and "age" not in case["patient"]
    assert case["current"]["status"] == "treatment_naive"


def test_region_defaults_by_page_language(kb) -> None:  # type: ignore[no-untyped-def]
    assert read_form(_form({"fusion": "EML4-ALK"}), kb, "zh")[0]["patient"]["region"] == "CN"
    assert read_form(_form({"fusion": "EML4-ALK"}), kb, "en")[0]["patient"]["region"] == "US"


@pytest.mark.parametrize(("values", "field"), [
    ({"age": "forty"}, "age"), ({"age": "130"}, "age"), ({"heart_rate": "60.5"}, "heart_rate"),
    ({"h2_months": "4"}, "h2_regimen"), ({"h0_regimen": "alectinib", "h0_grade": "2"}, "h0_grade"),
    ({"compound": "G1202R"}, "compound"), ({"phase": "cis"}, "phase"), ({"sex": "X"}, "sex"),
    ({"brain": "maybe"}, "brain"), ({"h0_regimen": "a", "h0_toxicity": "nosuch"}, "h0_toxicity"),
])
def test_refusals_name_the_field(kb, values: dict[str, str], field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FormErrors) as caught:
        read_form(_form({"fusion": "EML4-ALK", **values}), kb, "en")
    assert field in caught.value.errors


def test_engine_paths_map_back_to_the_row_typed() -> None:
    case = {"current": {"alterations": ["MET amplification", {"gene": "ALK", "mutations": ["X1Y"]}]}}
    assert form_field("history[1].regimen[0]", [0, 3], case) == "h3_regimen"
    assert form_field("history[0].months", [2], case) == "h2_months"
    assert form_field("current.alterations[1].mutations[0]", [], case) == "compound"
    assert form_field("current.alterations[0]", [], case) == "alterations"
    assert form_field("clinical.pregnancy_weeks", [], case) == "pregnancy_weeks"
    assert form_field("patient.sex", [], case) == "sex"
    assert form_field("diagnosis.alk", [], case) == "fusion"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=tmp_path_factory.mktemp("form-data")))) as c:
        yield c


def _post(client: TestClient, lang: str, values: dict[str, str]) -> str:
    page = client.get(f"/?lang={lang}")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    response = client.post(f"/web/recommend?lang={lang}", data={"csrf": token.group(1), **values})
    return f"{response.status_code}\n{response.text}"


@pytest.mark.parametrize(("lang", "words"), [("en", "Line 2 — Months on it: must be between 0 and 600"),
                                              ("zh", "第 2 线 — 用药时长（月）：须在 0 到 600 之间")])
def test_error_page_keeps_the_input_and_names_the_field(client: TestClient, lang: str, words: str) -> None:
    values = {"fusion": "EML4-ALK", "age": "61", "h0_regimen": "alectinib", "h1_regimen": "lorlatinib",
              "h1_months": "900", "medications": "rifampicin", "brain": "yes"}
    status, _, body = _post(client, lang, values).partition("\n")
    assert status == "400"
    assert words in body
    assert 'id="f-h1_months" name="h1_months" aria-invalid="true" aria-describedby="e-h1_months" value="900"' in body
    assert 'value="lorlatinib"' in body and 'value="rifampicin"' in body and 'value="61"' in body
    assert re.search(r'<select id="f-brain" name="brain">.*?<option value="yes" selected>', body, re.S)


def test_engine_refusal_names_the_line_in_words(client: TestClient) -> None:
    status, _, body = _post(client, "zh", {"fusion": "EML4-ALK", "h0_regimen": "alectinib",
                                           "h1_regimen": "aspirinib"}).partition("\n")
    assert status == "400"
    assert "第 2 线 — 方案：" in body and 'value="aspirinib"' in body


def test_full_form_gives_the_report(client: TestClient) -> None:
    status, _, body = _post(client, "en", FULL).partition("\n")
    assert status == "200", body[:2000]
    assert "orlatinib" in body and "G1202R" in body
