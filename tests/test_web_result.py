"""The web result page (no browser): it carries the case it answered (signed contract JSON in small
POST forms with the CSRF token) to a PDF of the same report, to the other language and back to the
form; a changed or damaged copy gets an error page in the page's language, never a traceback."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alknav.kb.loader import load_kb
from alknav.service import Settings, create_app
from alknav.service.webform import FormInput, form_from_case, read_form
from tests.test_web_form import FULL

DEMO_LIKE = {"fusion": "EML4-ALK", "variant": "V3", "age": "48", "sex": "F", "ecog": "1", "region": "CN",
             "h0_regimen": "alectinib", "h0_months": "28", "h0_response": "PR", "h0_stopped": "progression",
             "status": "progression", "alterations": "ALK G1202R", "brain": "yes"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=tmp_path_factory.mktemp("result-data")))) as c:
        yield c


def _token(client: TestClient, lang: str = "en") -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/?lang={lang}").text)
    assert m
    return m.group(1)


def _carried(page: str) -> dict[str, str]:
    form = re.search(r'<form method="post" action="/web/report\.pdf[^"]*">(.*?)</form>', page, re.S)
    assert form, page[:3000]
    return {name: html.unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(1))}


def _result(client: TestClient, lang: str, values: dict[str, str]) -> str:
    response = client.post(f"/web/recommend?lang={lang}", data={"csrf": _token(client, lang), **values})
    assert response.status_code == 200, response.text[:2000]
    return response.text


def test_result_page_offers_pdf_language_and_the_way_back(client: TestClient) -> None:
    page = _result(client, "en", DEMO_LIKE)
    for action in ("/web/report.pdf?lang=en", "/web/result?lang=zh", "/web/edit?lang=en"):
        assert f'action="{action}"' in page
    for anchor in ("#answer", "#alternatives", "#warnings", "#tests", "#sources"):
        assert f'href="{anchor}"' in page
    case = json.loads(_carried(page)["case"])
    assert case["diagnosis"]["alk"]["fusion"] == "EML4-ALK" and case["history"][0]["regimen"] == ["alectinib"]


def test_language_switch_shows_the_same_result(client: TestClient) -> None:
    fields = _carried(_result(client, "en", DEMO_LIKE))
    zh = client.post("/web/result?lang=zh", data=fields)
    assert zh.status_code == 200
    assert '<html lang="zh"' in zh.text and "洛拉替尼" in zh.text
    back = client.post("/web/result?lang=en", data=_carried(zh.text))
    assert back.status_code == 200 and '<html lang="en"' in back.text and "lorlatinib" in back.text


def test_pdf_of_the_same_report(client: TestClient) -> None:
    pytest.importorskip("weasyprint")
    fields = _carried(_result(client, "en", DEMO_LIKE))
    response = client.post("/web/report.pdf?lang=en", data=fields)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response.headers["content-disposition"]


@pytest.mark.parametrize(("lang", "words"), [("en", "could not be read back"), ("zh", "无法读取")])
def test_tampered_case_gets_an_error_page(client: TestClient, lang: str, words: str) -> None:
    fields = _carried(_result(client, lang, DEMO_LIKE))
    for changed in ({**fields, "case": fields["case"].replace("EML4-ALK", "ALK-negative")},
                    {**fields, "case": "{not json"}, {**fields, "seal": "0" * 64},
                    {k: v for k, v in fields.items() if k != "seal"}):
        for route in ("result", "report.pdf", "edit"):
            response = client.post(f"/web/{route}?lang={lang}", data=changed)
            assert response.status_code == 400, (route, response.text[:500])
            assert words in response.text and "Traceback" not in response.text
            assert response.headers["content-type"].startswith("text/html")


def test_carried_case_needs_the_csrf_token(client: TestClient) -> None:
    fields = _carried(_result(client, "en", DEMO_LIKE))
    response = client.post("/web/result?lang=en", data={**fields, "csrf": "forged.token"})
    assert response.status_code == 403


def test_back_to_the_form_keeps_the_input(client: TestClient) -> None:
    fields = _carried(_result(client, "en", FULL))
    form = client.post("/web/edit?lang=en", data=fields)
    assert form.status_code == 200
    for name in ("age", "fusion", "h1_regimen", "h1_months", "compound", "comorbidities_other", "medications",
                 "notes"):
        assert f'name="{name}"' in form.text
    assert 'value="alectinib"' in form.text and 'value="20.5"' in form.text and 'value="G1202R/L1196M"' in form.text
    assert re.search(r'<select id="f-h1_toxicity" name="h1_toxicity">.*?<option value="hepatotoxicity" selected>',
                     form.text, re.S)


def test_form_from_case_round_trips_the_full_form() -> None:
    kb = load_kb()
    case, _ = read_form(FormInput.from_items(list(FULL.items())), kb, "en")
    again, _ = read_form(form_from_case(case, kb, "en"), kb, "en")
    case.pop("prior_immune_checkpoint_inhibitor", None)  # 'no' and blank both mean False in the case
    again.pop("prior_immune_checkpoint_inhibitor", None)
    assert again == case


def test_oversized_carried_case_is_refused(client: TestClient) -> None:
    fields = _carried(_result(client, "zh", DEMO_LIKE))
    response = client.post("/web/result?lang=zh", data={**fields, "case": fields["case"] + " " * 1_000_001})
    assert response.status_code == 413
    assert "Traceback" not in response.text


def test_carried_case_reads_back_the_same() -> None:
    """The contract JSON a result page carries gives the same case again, extra fields noted once."""
    from alknav.inputs.case_reader import load_case_text, parse_case_data
    from alknav.service.web import carried_case

    case = parse_case_data({"case_format": 1, "diagnosis": {"alk": {"fusion": "EML4-ALK"}}, "history": [],
                            "current": {"status": "treatment_naive"}, "tumour_board": "May"})
    again = parse_case_data(load_case_text(carried_case(case)))
    assert again == case
    assert again.model_extra is not None and len(again.model_extra["unmapped"]) == 1


def test_uploaded_case_carries_through_to_pdf_language_and_form(client: TestClient) -> None:
    from pathlib import Path

    import alknav

    demo = (Path(alknav.__file__).parent / "examples" / "demo_case.yaml").read_bytes()
    response = client.post("/web/upload?lang=zh", data={"csrf": _token(client, "zh"), "kind": "case", "region": "CN"},
                           files={"file": ("demo.yaml", demo, "application/yaml")})
    assert response.status_code == 200
    fields = _carried(response.text)
    assert json.loads(fields["case"])["id"] == "demo-001"
    en = client.post("/web/result?lang=en", data=fields)
    assert en.status_code == 200 and "lorlatinib" in en.text and "China" in en.text
    form = client.post("/web/edit?lang=zh", data=fields)
    assert form.status_code == 200
    assert 'value="阿来替尼"' in form.text and "ALK p.Gly1202Arg" in form.text
