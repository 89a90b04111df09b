"""The engine's refusals of a case carry an i18n key: a Chinese page says them in Chinese, with the
field named in words; the English table repeats the sentence the error carries (CLI, API)."""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alknav.errors import CaseError
from alknav.inputs.case_reader import parse_case_data
from alknav.interpret.facts import build_facts
from alknav.kb.loader import load_kb
from alknav.outputs.i18n import _CASE_ERRORS, case_error
from alknav.service import Settings, create_app

SRC = Path(__file__).resolve().parents[1] / "src" / "alknav"
_LATIN_WORDS = re.compile(r"[A-Za-z]{4,}(?:\s+[A-Za-z]{2,}){2,}")  # three English words in a row


def _raised_keys() -> set[str]:
    """Every key a CaseError(field, message, key, ...) in the sources names."""
    keys: set[str] = set()

    def constants(arg: ast.expr, assigned: dict[str, list[ast.expr]]) -> set[str]:
        if isinstance(arg, ast.IfExp):
            return constants(arg.body, assigned) | constants(arg.orelse, assigned)
        if isinstance(arg, ast.Name):  # key = "a" if ... else "b"; CaseError(field, text, key, ...)
            return set().union(*(constants(v, {}) for v in assigned.get(arg.id, [])))
        return {arg.value} if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else set()

    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, []).append(node.value)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "CaseError" and len(node.args) >= 3:
                keys |= constants(node.args[2], assigned)
    return keys


def test_every_refusal_key_has_chinese() -> None:
    keys = _raised_keys()
    assert {"alk_negative", "no_alk", "unknown_drug", "naive_with_history", "two_tkis"} <= keys
    assert not keys - set(_CASE_ERRORS["zh"]), sorted(keys - set(_CASE_ERRORS["zh"]))
    assert not keys - set(_CASE_ERRORS["en"]), sorted(keys - set(_CASE_ERRORS["en"]))


CASES = {
    "alk_negative": {"diagnosis": {"alk": {"fusion": "ALK negative"}}},
    "no_alk": {"diagnosis": {"histology": "adenocarcinoma"}},
    "naive_with_history": {"current": {"status": "treatment_naive"}, "history": [{"regimen": ["alectinib"]}]},
    "status_without_history": {"current": {"status": "progression"}},
    "unknown_drug_hint": {"history": [{"regimen": ["alectinibb"]}]},
    "two_tkis": {"history": [{"regimen": ["alectinib", "lorlatinib"]}]},
    "age_implausible": {"patient": {"age": 5}},
    "pregnancy_male": {"patient": {"sex": "M"}, "clinical": {"pregnancy_weeks": 10}},
    "ongoing_not_last": {"history": [{"regimen": ["alectinib"], "stopped_for": "ongoing"},
                                     {"regimen": ["lorlatinib"]}]},
    "longer_than_drug": {"history": [{"regimen": ["lorlatinib"], "months": 300}]},
}


def _refuse(overrides: dict[str, object]) -> CaseError:
    case: dict[str, object] = {"case_format": 1, "diagnosis": {"alk": {"fusion": "EML4-ALK"}},
                               "history": [{"regimen": ["alectinib"]}], "current": {"status": "progression"}}
    if "history" not in overrides and overrides.get("current") == {"status": "progression"}:
        case["history"] = []
    case.update(overrides)
    with pytest.raises(CaseError) as info:
        build_facts(parse_case_data(case), load_kb())
    return info.value


@pytest.mark.parametrize("key", sorted(CASES))
def test_refusal_in_english_and_chinese(key: str) -> None:
    exc = _refuse(CASES[key])
    assert exc.key == key, exc
    en = _CASE_ERRORS["en"][key]
    for name, value in exc.args_.items():
        en = en.replace("{" + name + "}", value)
    assert en == exc.message  # the English table says what the error says
    zh = case_error("zh", exc.key, exc.args_, exc.message)
    assert "{" not in zh and not _LATIN_WORDS.search(zh.replace("ALK-TKI", "")), zh
    assert re.search(r"[\u4e00-\u9fff]", zh)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=tmp_path_factory.mktemp("i18n-data")))) as c:
        yield c


@pytest.mark.parametrize(("values", "words"), [
    ({"fusion": "ALK negative"}, "ALK 融合：“ALK negative”表示肿瘤为 ALK 阴性；alknav 仅适用于 ALK 阳性非小细胞肺癌"),
    ({"fusion": "EML4-ALK", "h0_regimen": "aspirinib"}, "第 1 线 — 方案：知识库中没有药物“aspirinib”"),
    ({"fusion": "EML4-ALK", "status": "treatment_naive", "h0_regimen": "alectinib"},
     "第 1 线 — 方案：当前状态为初治，但既往治疗中列有全身治疗"),
    ({"fusion": "EML4-ALK", "h0_regimen": "alectinib + lorlatinib"},
     "第 1 线 — 方案：同一方案中含阿来替尼和洛拉替尼：两种 ALK-TKI 从不联合使用；请分行填写"),
])
def test_chinese_form_shows_refusals_in_chinese(client: TestClient, values: dict[str, str], words: str) -> None:
    page = client.get("/?lang=zh")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    response = client.post("/web/recommend?lang=zh", data={"csrf": token.group(1), **values})
    assert response.status_code == 400
    summary = re.search(r'<div class="error" role="alert" id="form-errors">(.*?)</div>', response.text, re.S)
    assert summary and words in summary.group(1), summary.group(1) if summary else response.text[:1500]


def test_chinese_upload_refusal_names_the_field(client: TestClient) -> None:
    page = client.get("/?lang=zh")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    case = "case_format: 1\ndiagnosis: {alk: {fusion: EML4-ALK}}\ncurrent: {status: treatment_naive}\n" \
           "history: [{regimen: [alectinib]}]\n"
    response = client.post("/web/upload?lang=zh", data={"csrf": token.group(1), "kind": "case"},
                           files={"file": ("case.yaml", case.encode(), "application/yaml")})
    assert response.status_code == 400
    assert "第 1 线 — 方案：当前状态为初治，但既往治疗中列有全身治疗" in response.text


@pytest.mark.parametrize(("path", "status", "words"), [
    ("/kb/drugs/lorlatinab?lang=zh", 404, "知识库中没有药物“lorlatinab”；是否指"),
    ("/kb/drugs/lorlatinab?lang=en", 404, "unknown drug 'lorlatinab'; did you mean"),
    ("/kb/mutations/Q9999Z?lang=zh", 404, "知识库中没有突变“Q9999Z”"),
])
def test_unknown_names_in_the_page_language(client: TestClient, path: str, status: int, words: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert words in html.unescape(response.text)


def test_chinese_upload_checks_in_chinese(client: TestClient) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/?lang=zh").text)
    assert token
    empty = client.post("/web/upload?lang=zh", data={"csrf": token.group(1), "kind": "case"},
                        files={"file": ("case.yaml", b"", "application/yaml")})
    assert empty.status_code == 400 and "文件为空" in empty.text
    kind = client.post("/web/upload?lang=zh", data={"csrf": token.group(1), "kind": "pdf"},
                       files={"file": ("case.yaml", b"x: 1", "application/yaml")})
    assert kind.status_code == 400 and "文件类型须为" in kind.text
