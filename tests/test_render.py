"""One language-neutral result, rendered in English and Chinese; the engine holds no language and the
package has no import cycles."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import alknav
from alknav.inputs.case_reader import parse_case_data, read_case
from alknav.kb.loader import KnowledgeBase
from alknav.outputs.render import MessageError, RenderedResult, _template, render_msg, render_result
from alknav.recommend import result as r
from alknav.recommend.engine import recommend

SRC = Path(alknav.__file__).parent
DEMO = SRC / "examples" / "demo_case.yaml"
SCENARIOS = Path(__file__).parent / "scenarios"
HARD = ["g1202r_l1196m_after_lorlatinib", "met_amp_after_lorlatinib", "polyclonal_g1202r_i1171n_after_alectinib",
        "unrecognized_alteration_with_g1202r", "oligoprogression_on_alectinib"]
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# templates that are the same in every language (names joined by symbols only)
NEUTRAL_TEMPLATES = {"t:regimen_plus"}


def _case(name: str) -> Any:
    if name == "demo":
        return read_case(DEMO)
    return parse_case_data(yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))["case"])


def _messages(node: Any) -> list[r.Msg]:
    """Every message in a result, nested arguments included."""
    out: list[r.Msg] = []
    if isinstance(node, r.Msg):
        out.append(node)
        for value in node.args.values():
            out += _messages(value)
    elif isinstance(node, r.Out):
        for name in type(node).model_fields:
            out += _messages(getattr(node, name))
    elif isinstance(node, list | tuple):
        for item in node:
            out += _messages(item)
    elif isinstance(node, dict):
        for item in node.values():
            out += _messages(item)
    return out


def _texts(rendered: RenderedResult) -> list[str]:
    """Every text a reader sees, except what the case itself brought (alteration strings, interpretation)."""
    data = rendered.model_dump(mode="json", exclude={"alterations", "interpretation"})
    out: list[str] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key not in ("code", "rule", "effect", "category", "status", "drug", "kind",
                                                     "level", "severity", "region", "language", "case_id",
                                                     "knowledge_version", "concern", "citation", "citations",
                                                     "detail", "trial", "trial_id", "setting", "arm", "endpoint",
                                                     "assessor", "population", "unit", "value_text", "drugs"):
            out.append(node)

    walk(data)
    return out


@pytest.fixture(scope="module", params=["demo", *HARD])
def neutral(request: pytest.FixtureRequest, kb: KnowledgeBase) -> tuple[Any, r.Result]:
    if request.param != "demo" and not (SCENARIOS / f"{request.param}.yaml").exists():
        pytest.skip(f"scenario {request.param} not shipped")
    case = _case(request.param)
    return case, recommend(case, kb)


def test_engine_takes_no_language() -> None:
    assert "lang" not in inspect.signature(recommend).parameters
    assert "language" not in r.Result.model_fields and "disclaimer" not in r.Result.model_fields


def test_both_languages_complete(neutral: tuple[Any, r.Result], kb: KnowledgeBase) -> None:
    _, result = neutral
    en, zh = render_result(result, kb, "en"), render_result(result, kb, "zh")
    for rendered in (en, zh):
        assert [o.drugs for o in rendered.options] == [o.drugs for o in result.options]
        assert [w.code for w in rendered.warnings] == [w.code for w in result.warnings]
        assert len(rendered.suggested_tests) == len(result.suggested_tests)
        texts = _texts(rendered)
        assert texts and all(x.strip() for x in texts if x is not None)
        leftovers = [x for x in texts if re.search(r"\{[a-z_]+\}", x)]
        assert leftovers == [], f"placeholders left unfilled: {leftovers[:3]}"
    assert en.language == "en" and zh.language == "zh"


def test_no_chinese_in_english(neutral: tuple[Any, r.Result], kb: KnowledgeBase) -> None:
    _, result = neutral
    found = [x for x in _texts(render_result(result, kb, "en")) if CJK.search(x)]
    assert found == []


def test_every_label_translated_in_chinese(neutral: tuple[Any, r.Result], kb: KnowledgeBase) -> None:
    """Each template a result uses has Chinese wording (drug names without a Chinese name aside)."""
    _, result = neutral
    untranslated = set()
    for m in _messages(result):
        if m.key.startswith("join:") or m.key in NEUTRAL_TEMPLATES:
            continue
        zh = _template(kb, m.key, "zh")
        if not CJK.search(zh) and not (m.key.startswith("drug:") and not kb.drugs[m.key[5:]].name_zh):
            untranslated.add(f"{m.key}: {zh}")
    assert sorted(untranslated) == []
    zh = render_result(result, kb, "zh")
    for w in zh.warnings:
        assert CJK.search(w.message), w.message
    for test in zh.suggested_tests:
        assert CJK.search(test.test) and CJK.search(test.why), test


def test_rendering_is_repeatable(neutral: tuple[Any, r.Result], kb: KnowledgeBase) -> None:
    _, result = neutral
    for lang in ("en", "zh"):
        assert render_result(result, kb, lang).model_dump_json() == render_result(result, kb, lang).model_dump_json()


def test_result_survives_json(neutral: tuple[Any, r.Result], kb: KnowledgeBase) -> None:
    """A stored result (JSON) renders exactly like the one in memory."""
    _, result = neutral
    again = r.Result.model_validate_json(result.model_dump_json())
    assert render_result(again, kb, "zh") == render_result(result, kb, "zh")


def _answered_scenarios() -> list[Path]:
    return sorted(p for p in SCENARIOS.glob("*.yaml")
                  if not yaml.safe_load(p.read_text(encoding="utf-8"))["expect"].get("error_field"))


@pytest.mark.parametrize("name", [p.stem for p in _answered_scenarios()])
def test_stored_form_renders_byte_identical(name: str, kb: KnowledgeBase) -> None:
    """dump_result -> load_result -> render gives the same bytes as rendering the original, in both
    languages, for every scenario the engine answers (the service stores this form)."""
    result = recommend(_case(name), kb)
    text = r.dump_result(result)
    assert r.dump_result(r.load_result(text)) == text  # stable: a second round trip changes nothing
    again = r.load_result(text.encode("utf-8"))
    for lang in ("en", "zh"):
        assert (render_result(again, kb, lang).model_dump_json()
                == render_result(result, kb, lang).model_dump_json()), lang


def test_enough_scenarios_round_trip() -> None:
    assert len(_answered_scenarios()) >= 100  # the parametrised test above is not silently empty


@pytest.mark.parametrize(("text", "says"), [
    ("{", "not JSON"),
    ("[]", "format: expected 'alknav.result/1', found 'list'"),
    ('{"format": "alknav.result/0", "result": {}}', "found 'alknav.result/0'"),
    ('{"format": "alknav.result/1", "result": {"case_id": null}}', "result.knowledge_version: Field required"),
])
def test_unreadable_stored_result_is_a_clear_error(text: str, says: str) -> None:
    with pytest.raises(r.ResultFormatError, match=re.escape(says)):
        r.load_result(text)


def test_an_unknown_message_is_a_clear_error(kb: KnowledgeBase) -> None:
    with pytest.raises(MessageError, match="rule:no_such_rule"):
        render_msg(r.msg("rule:no_such_rule"), kb, "en")
    with pytest.raises(ValueError, match="language"):
        render_result(recommend(read_case(DEMO), kb), kb, "fr")


def test_join_uses_the_language_separator(kb: KnowledgeBase) -> None:
    names = r.joined([r.msg("drug:alectinib"), r.msg("drug:lorlatinib")])
    assert render_msg(names, kb, "en") == "alectinib, lorlatinib"
    assert render_msg(names, kb, "zh") == "阿来替尼、洛拉替尼"


# --------------------------------------------------------------------------- structure


def _import_graph() -> dict[str, set[str]]:
    mods: dict[str, Path] = {}
    for path in SRC.rglob("*.py"):
        name = ".".join(("alknav", *path.relative_to(SRC).with_suffix("").parts))
        mods[name.removesuffix(".__init__")] = path
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):  # lazy imports count too
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("alknav"):
                deps.add(node.module)
                deps |= {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("alknav")}
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    reach: dict[str, set[str]] = {}
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo += graph[node]
        reach[start] = seen
    groups = {frozenset({a} | {b for b in reach[a] if a in reach[b]}) for a in graph if a in reach[a]}
    return [set(g) for g in groups]


def test_no_import_cycles() -> None:
    assert _cycles(_import_graph()) == []
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [{"a", "b"}]  # the check can fail


def test_engine_does_not_import_outputs() -> None:
    graph = _import_graph()
    engine = [m for m in graph if m.startswith(("alknav.recommend", "alknav.interpret"))]
    assert engine and all(not d.startswith(("alknav.outputs", "alknav.service", "alknav.cli"))
                          for m in engine for d in graph[m])


def test_stage_groups_read_common_spellings_and_refuse_guesses() -> None:
    from alknav.recommend.rules import stage_group

    assert [stage_group(x) for x in ("IA3", "Stage IIB", "iiia", "stage 3a", "IVB", "4")] == [
        "early", "early", "locally_advanced", "locally_advanced", "metastatic", "metastatic"]
    # a TNM string or free text is not a stage group: no stage-specific warning may follow from it
    assert [stage_group(x) for x in ("T2N1M0", "limited", "", None, "IIIZ")] == [None] * 5


def test_off_label_availability_in_both_languages(kb: KnowledgeBase) -> None:
    """An off-label combination reads as such in English and Chinese: status word and detail, in the
    markdown and in the report's availability line."""
    from alknav.outputs.recommendation_text import to_markdown
    from alknav.outputs.report import render_html

    case = _case("ct_met_amp_after_lorlatinib_capmatinib_off_label_interaction")
    result = recommend(case, kb)
    en, zh = render_result(result, kb, "en"), render_result(result, kb, "zh")
    combo_en = next(o for o in en.options if set(o.drugs) == {"capmatinib", "lorlatinib"})
    combo_zh = next(o for o in zh.options if set(o.drugs) == {"capmatinib", "lorlatinib"})
    assert combo_en.availability.status == combo_zh.availability.status == "off_label"
    detail_en = combo_en.availability.detail or ""
    assert "off-label in the US" in detail_en and "MET exon 14 skipping" in detail_en
    assert "超说明书用药" in combo_zh.availability.detail and "卡马替尼" in combo_zh.availability.detail
    assert "off-label in" in to_markdown(en)
    assert "超说明书用药" in to_markdown(zh)
    assert "off-label in the US" in render_html(case, result, kb, "en", generated="2026-12-02")
    assert "超说明书用药" in render_html(case, result, kb, "zh", generated="2026-12-02")
