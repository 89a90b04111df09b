"""Chinese beside the English for what the Chinese outputs show of the knowledge base: trial names,
trial populations, arm descriptions, result populations and regimen names. The schema requires the
Chinese field whenever the English one is filled; here the translations keep every number, and no
trial, arm or regimen a Chinese result shows is left in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from alknav.errors import CaseError
from alknav.inputs.case_reader import parse_case_data
from alknav.kb import schema as s
from alknav.kb.loader import KnowledgeBase
from alknav.outputs.render import render_result
from alknav.outputs.report import render_html
from alknav.recommend.engine import recommend
from tests.test_report import DEMO, SCENARIOS, english_runs, visible_text

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ACRONYM = re.compile(r"^[A-Za-z0-9 ./-]+$")  # ALEX, PROFILE 1014, eXalt3: a trial's proper name


_PHASE_EN = re.compile(r"phase (?:\d|I{1,3})[ab]?(?:/(?:\d|I{1,3}))?", re.I)
_PHASE_ZH = re.compile(r"(?<![A-Za-z])I{1,3}b?(?:/I{1,3})?\s*期")
_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "june": "6",
          "december": "12"}


def _numbers(text: str) -> list[str]:
    return sorted(_NUMBER.findall(text))


def _en_numbers(text: str) -> tuple[list[str], set[str]]:
    """The figures of an English text (a trial phase aside), and the numbers it spells out in words."""
    text = _PHASE_EN.sub(" ", text.replace("2G", "second-generation"))
    return _numbers(text), {_WORDS[w.lower()] for w in re.findall(r"[A-Za-z]+", text) if w.lower() in _WORDS}


def _number_changes(en: str, zh: str) -> list[str]:
    """Figures of the English missing from the Chinese, and figures in the Chinese the English has not."""
    figures, spelled = _en_numbers(en)
    shown = _numbers(_PHASE_ZH.sub(" ", zh))
    missing = [n for n in figures if figures.count(n) > shown.count(n)]
    invented = [n for n in shown if n not in figures and n not in spelled]
    return missing + invented


def _pairs(kb: KnowledgeBase) -> list[tuple[str, str, str]]:
    out = []
    for trial in kb.trials.values():
        out += [(f"{trial.id}.name", trial.name, trial.name_zh),
                (f"{trial.id}.population", trial.population, trial.population_zh)]
        out += [(f"{trial.id}.{arm.id}.description", arm.description, arm.description_zh) for arm in trial.arms]
        out += [(f"{trial.id}.{r.id}.population", r.population, r.population_zh) for r in trial.results]
        out += [(f"{trial.id}.{r.id}.endpoint_detail", r.endpoint_detail, r.endpoint_detail_zh)
                for r in trial.results]
    out += [(f"regimen {r.id}", r.name.en, r.name.zh) for r in kb.regimens.values()]
    return [p for p in out if p[1]]


def test_every_trial_arm_and_regimen_has_chinese(kb: KnowledgeBase) -> None:
    missing = [where for where, en, zh in _pairs(kb)
               if not zh.strip() or (not _CJK.search(zh) and not (_ACRONYM.match(en) and zh == en))]
    assert missing == []


def test_translations_keep_every_number(kb: KnowledgeBase) -> None:
    changed = [(where, _number_changes(en, zh)) for where, en, zh in _pairs(kb) if _number_changes(en, zh)]
    assert changed == []


def test_schema_refuses_english_without_chinese() -> None:
    trial = {"id": "t", "name": "T", "name_zh": "T", "phase": "phase_2", "setting": "any_line",
             "population": "adults", "population_zh": "成人", "refs": ["ref1"],
             "checked": {"basis": "primary_abstract", "passage": "read"},
             "arms": [{"id": "a", "description": "alectinib 600 mg twice daily"}]}
    with pytest.raises(ValueError, match="description has no Chinese"):
        s.Trial.model_validate(trial)
    trial["arms"] = [{"id": "a", "description": "alectinib", "description_zh": "阿来替尼"}]
    s.Trial.model_validate(trial)
    with pytest.raises(ValueError, match="population has no Chinese"):
        s.Trial.model_validate({**trial, "population_zh": ""})
    with pytest.raises(ValueError, match="name_zh"):
        s.Trial.model_validate({k: v for k, v in trial.items() if k != "name_zh"})


def _cases() -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = [("demo", yaml.safe_load(DEMO.read_text(encoding="utf-8")))]
    for path in sorted(SCENARIOS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("case"), dict):
            out.append((path.stem, data["case"]))
    return out


def test_chinese_results_show_no_english_trial_arm_or_regimen(kb: KnowledgeBase) -> None:
    """Every scenario: each trial, arm and population of the expected efficacy, each option and each
    option not advised, as the Chinese result gives them, holds no English sentence."""
    english = {}
    seen = 0
    for name, data in _cases():
        try:
            case = parse_case_data(data)
            neutral = recommend(case, kb)
        except CaseError:
            continue  # scenarios of refused cases
        result = render_result(neutral, kb, "zh")
        texts = [o.name for o in result.options] + [x.name for x in result.excluded]
        for option in result.options:
            for e in option.expected_efficacy:
                texts += [e.trial, e.arm, e.population, e.endpoint]
        seen += 1
        found = [run for text in texts for run in english_runs(f"<p>{text}</p>", _allowed(kb))]
        if found:
            english[name] = sorted(set(found))
    assert seen > 50
    assert english == {}


def _allowed(kb: KnowledgeBase) -> list[str]:
    """Drug names in Latin script (investigational codes have no Chinese name), trial acronyms."""
    tokens = [t for d in kb.drugs.values() for t in (d.inn, d.name_zh, d.id, *d.aliases)] + ["ALK-TKI"]
    return tokens + [t.name_zh for t in kb.trials.values() if _ACRONYM.match(t.name_zh)]


@pytest.mark.parametrize("name", ["g1202r_l1196m_after_lorlatinib", "met_amp_after_lorlatinib",
                                  "oligoprogression_on_alectinib"])
def test_chinese_report_names_trials_in_chinese(kb: KnowledgeBase, name: str) -> None:
    path = SCENARIOS / f"{name}.yaml"
    if not path.exists():
        pytest.skip(f"scenario {name} not shipped")
    case = parse_case_data(yaml.safe_load(path.read_text(encoding="utf-8"))["case"])
    neutral = recommend(case, kb)
    html = render_html(case, neutral, kb, "zh")
    shown = visible_text(html)
    trials = {e.trial_id for o in neutral.options for e in o.expected_efficacy}
    assert trials
    for trial_id in trials:
        trial = kb.trials[trial_id]
        if trial.name != trial.name_zh:
            assert trial.name not in shown, trial.name
    assert any(kb.trials[t].name_zh in shown for t in trials)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    from alknav.kb.loader import load_kb

    return load_kb()


_ = Path


def test_chinese_report_names_the_kind_of_alteration(kb: KnowledgeBase) -> None:
    path = SCENARIOS / "met_amp_after_lorlatinib.yaml"
    if not path.exists():
        pytest.skip("scenario not shipped")
    case = parse_case_data(yaml.safe_load(path.read_text(encoding="utf-8"))["case"])
    html = render_html(case, recommend(case, kb), kb, "zh")
    summary = re.search(r'<div class="summary" id="summary">(.*?)</div>', html, re.S)
    assert summary and "MET 扩增" in summary.group(1) and "amplification" not in summary.group(1)


def test_every_indication_alteration_has_words_in_both_languages(kb: KnowledgeBase) -> None:
    """An approval's indication_alterations are named in an option's off-label detail (recommend.rules
    .availability) through t:indication_alt_<pattern>; a pattern without an entry would show the
    message key itself."""
    from alknav.outputs.i18n import _TEXT

    patterns = {p for drug in kb.drugs.values() for a in drug.approvals for p in a.indication_alterations}
    assert patterns  # the check below must have something to check
    for pattern in patterns:
        for lang in ("en", "zh"):
            assert f"indication_alt_{pattern}" in _TEXT[lang], (lang, pattern)
