"""Clinician reports: golden HTML (en, zh), Chinese-only wording, self-containment, figures, PDF."""

from __future__ import annotations

import html as htmlmod
import os
import re
from pathlib import Path

import pytest
import yaml

import alknav
from alknav.inputs.case_model import Case
from alknav.inputs.case_reader import parse_case_data, read_case
from alknav.kb.loader import KnowledgeBase
from alknav.outputs.i18n import _TEXT
from alknav.outputs.render import RenderedResult as Result
from alknav.outputs.render import render_result
from alknav.outputs.report import CjkFontMissing, cjk_font_available, figures, render_html, render_pdf
from alknav.recommend import result as neutral_result
from alknav.recommend.engine import recommend

DEMO = Path(alknav.__file__).parent / "examples" / "demo_case.yaml"
GOLDEN = Path(__file__).parent / "golden"
SCENARIOS = Path(__file__).parent / "scenarios"
UPDATE = os.environ.get("ALKNAV_UPDATE_GOLDEN") == "1"


# --------------------------------------------------------------------------- helpers


def normalise(html: str, kb: KnowledgeBase) -> str:
    """Golden form: figures reduced to their tag (they are checked on their own), no version/date,
    whitespace runs collapsed, one block element per line."""
    text = re.sub(r"<svg\b.*?</svg>", "<svg/>", html, flags=re.S)
    text = text.replace(kb.version, "{version}").replace(kb.manifest.date, "{date}")
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"> <", "><", text)
    return re.sub(r"(</(?:tr|p|h\d|li|div|section|table|ul|header|footer|figure|style|head)>)", r"\1\n", text)


_INLINE = r"a|span|strong|em|b|i|code|small|sup|sub|abbr"


def visible_text(html: str) -> str:
    """Text a reader sees; a block element (cell, paragraph, SVG text) ends a line, inline markup does not."""
    body = re.sub(r"<style\b.*?</style>|<title\b.*?</title>", " ", html, flags=re.S)
    body = re.sub(rf"</?(?:{_INLINE})\b[^>]*>", " ", body)
    body = re.sub(r"<[^>]+>", "\n", body)
    return htmlmod.unescape(body)


_EDGE = r"(?<![A-Za-z0-9])"  # \b would not separate a Latin token from a preceding Chinese character
_CITATION = re.compile(_EDGE + r"(?:(?:doi|pmid|nct):[^\s;\]]+|https?://[^\s;\]]+)")
_MUTATION = re.compile(_EDGE + r"(?:p\.)?[A-Z]\d{3,4}(?:_[A-Z]\d{3,4})?(?:[A-Z]|del|ins[A-Z]*|fs)?(?![A-Za-z0-9])")
_UNITS = re.compile(_EDGE + r"(?:IC50|nM|mg)(?![A-Za-z0-9])")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LETTER = re.compile(_EDGE + r"[A-Za-z](?![A-Za-z])")
_ASCII_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]+(?:[ \t,;:/.()+&=\-–—]+[A-Za-z][A-Za-z'’-]+){2,}")


def english_runs(html: str, allowed: list[str]) -> list[str]:
    """Runs of 3+ consecutive ASCII words (two letters or more, within one block) left once citations,
    allowed tokens (drug names and codes, trial names, the case's own alteration and fusion strings),
    mutation names, units, numbers and single letters (evidence levels) are removed from the visible text.
    The source list (titles as published) and rule identifiers (marked class="raw") are not prose."""
    html = re.sub(r'<section id="sources">.*?</section>', " ", html, flags=re.S)
    html = re.sub(r'<span class="raw"[^>]*>.*?</span>', " ", html, flags=re.S)
    text = _CITATION.sub(" ", visible_text(html))
    for token in sorted({a for a in allowed if a}, key=len, reverse=True):
        text = text.replace(token, " ")
    for pattern in (_MUTATION, _UNITS, _NUMBER, _LETTER):
        text = pattern.sub(" ", text)
    return [re.sub(r"\s+", " ", m.group(0).strip()) for m in _ASCII_RUN.finditer(text)]


def allowed_tokens(case: Case, result: Result, kb: KnowledgeBase) -> list[str]:
    tokens = [result.case_id or "", kb.version]
    for drug in kb.drugs.values():
        tokens += [drug.inn, drug.name_zh, drug.id, *drug.aliases]
    for option in result.options:
        tokens += [option.name, *(e.trial for e in option.expected_efficacy)]
    tokens += [reg.name.zh for reg in kb.regimens.values()]  # curated Chinese names (e.g. "ALK-TKI + MET抑制剂")
    for alt in result.alterations:
        tokens += [str(alt.get("input", "")), str(alt.get("normalized") or "")]
    alk = case.diagnosis.alk
    if alk is not None:
        tokens += [alk.fusion or "", alk.variant or "", alk.method or ""]
    return tokens


def external_refs(html: str) -> list[str]:
    """http(s) references other than citation links and the SVG namespace identifiers."""
    body = re.sub(r'<a class="cite" href="https?://[^"]*">[^<]*</a>', " ", html)
    body = re.sub(r'\sxmlns(?::\w+)?="http://www\.w3\.org/[^"]*"', " ", body)
    return re.findall(r"https?://[^\s\"'<>)]+", body)


def load_scenario(name: str) -> Case:
    data = yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))
    return parse_case_data(data["case"])


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo() -> Case:
    return read_case(DEMO)


@pytest.fixture(scope="module")
def neutral(kb: KnowledgeBase, demo: Case) -> neutral_result.Result:
    return recommend(demo, kb)


@pytest.fixture(scope="module")
def reports(kb: KnowledgeBase, demo: Case, neutral: neutral_result.Result) -> dict[str, tuple[Result, str]]:
    """One recommendation, rendered in each language."""
    return {lang: (render_result(neutral, kb, lang), render_html(demo, neutral, kb, lang)) for lang in ("en", "zh")}


# --------------------------------------------------------------------------- golden


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_golden_html(reports: dict[str, tuple[Result, str]], kb: KnowledgeBase, lang: str) -> None:
    got = normalise(reports[lang][1], kb)
    path = GOLDEN / f"demo_report_{lang}.html"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with ALKNAV_UPDATE_GOLDEN=1 to write it"
    want = path.read_text(encoding="utf-8")
    assert got == want, f"report differs from {path.name}; if intended, rerun with ALKNAV_UPDATE_GOLDEN=1"


def test_render_is_deterministic_and_reads_no_clock(kb: KnowledgeBase, demo: Case, neutral: neutral_result.Result,
                                                    reports: dict[str, tuple[Result, str]]) -> None:
    _result, first = reports["en"]
    assert render_html(demo, neutral, kb) == first
    assert render_html(demo, neutral, kb, "zh") == reports["zh"][1]
    assert "generated on" not in first
    dated = render_html(demo, neutral, kb, generated="2026-11-25")
    assert "Report generated on 2026-11-25" in dated


# --------------------------------------------------------------------------- content


def test_english_report_sections(reports: dict[str, tuple[Result, str]], kb: KnowledgeBase) -> None:
    result, html = reports["en"]
    text = re.sub(r"\s+", " ", visible_text(html))
    for heading in ("Recommended option", "How to give it safely", "Warnings", "Suggested tests", "Alternatives",
                    "Options not advised", "Patient summary", "Treatment history", "Interpreted alterations",
                    "Appendix: every rule that fired", "Sources", "Disclaimer"):
        assert heading in text
    assert '<html lang="en">' in html
    top = result.options[0]
    assert f"Recommended option: {top.name}" in text
    assert "approved or prospective trial" in text and "A (A —" not in text
    assert "demo-001" in text and "48 years" in text and "EML4-ALK" in text and "V3 (E6;A20)" in text
    assert f"Knowledge base {kb.version} ({kb.manifest.date})" in text
    assert "ALK p.Gly1202Arg" in text and "ALK p.G1202R" in text
    assert "doi:10.1158/2159-8290.CD-16-0596" in text
    assert result.disclaimer in text
    assert "median PFS 6.6 months (95% CI 5.4–7.4)" in text


def test_chinese_report_is_chinese(reports: dict[str, tuple[Result, str]], kb: KnowledgeBase, demo: Case) -> None:
    result, html = reports["zh"]
    assert '<html lang="zh">' in html
    text = visible_text(html)
    for heading in ("推荐方案", "安全用药要点（说明书）", "备选方案", "不建议的方案", "患者概况", "治疗史",
                    "分子改变解读", "警示", "建议检测", "参考文献", "免责声明"):
        assert heading in text
    assert "洛拉替尼" in text and "48岁" in text and result.disclaimer in text
    assert "font-family: 'Noto Sans CJK SC'" in html
    assert english_runs(html, allowed_tokens(demo, result, kb)) == []


def test_english_checker_catches_a_sentence(reports: dict[str, tuple[Result, str]], kb: KnowledgeBase,
                                            demo: Case) -> None:
    result, html = reports["zh"]
    spoiled = html.replace("</footer>", "<p>Consider this option first.</p></footer>")
    assert english_runs(spoiled, allowed_tokens(demo, result, kb)) == ["Consider this option first"]
    # an untranslated engine phrase is caught too
    spoiled = html.replace("</footer>", "<p>已获批 — available only within a clinical trial</p></footer>")
    assert english_runs(spoiled, allowed_tokens(demo, result, kb)) == ["available only within clinical trial"]


@pytest.mark.parametrize("name", ["g1202r_l1196m_after_lorlatinib", "oligoprogression_on_alectinib",
                                  "unrecognized_alteration_with_g1202r", "met_amp_after_lorlatinib",
                                  "polyclonal_g1202r_i1171n_after_alectinib", "fl_untreated_no_brain_mets"])
def test_chinese_report_for_other_cases(kb: KnowledgeBase, name: str) -> None:
    path = SCENARIOS / f"{name}.yaml"
    if not path.exists():
        pytest.skip(f"scenario {name} not shipped")
    case = load_scenario(name)
    neutral = recommend(case, kb)
    result = render_result(neutral, kb, "zh")
    html = render_html(case, neutral, kb, "zh")
    # the input parser explains unreadable alterations in English only; the report quotes it, marked lang="en"
    quoted = [str(a.get("reason") or "") for a in result.alterations]
    assert english_runs(html, allowed_tokens(case, result, kb) + quoted) == []
    assert html.count("<svg") == len(figures.all_figures(case, result, kb)) >= 1


def test_html_escapes_case_text(kb: KnowledgeBase) -> None:
    case = parse_case_data({"id": "<script>x</script>", "diagnosis": {"alk": {"fusion": "EML4-ALK"}},
                            "history": [{"regimen": ["crizotinib"], "toxicity": "<b>rash</b>"}]})
    html = render_html(case, recommend(case, kb), kb)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>rash</b>" not in html and "&lt;b&gt;rash&lt;/b&gt;" in html


def test_html_is_self_contained(reports: dict[str, tuple[Result, str]]) -> None:
    for _result, html in reports.values():
        assert external_refs(html) == []
        lowered = html.lower()
        for needle in ("<link", "<script", "<img", "<iframe", "<object", "<embed", "@import", "@font-face", " src="):
            assert needle not in lowered, needle
        assert re.findall(r"url\((?!#)", lowered) == []  # only in-document references (SVG clip paths)
        assert 'class="cite" href="https://doi.org/10.1158/2159-8290.CD-16-0596"' in html


def test_self_containment_check_can_fail() -> None:
    assert external_refs('<link rel="stylesheet" href="https://cdn.example.org/x.css">') == \
        ["https://cdn.example.org/x.css"]


def test_i18n_tables_match() -> None:
    assert set(_TEXT["en"]) == set(_TEXT["zh"])


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_three_inline_figures(reports: dict[str, tuple[Result, str]], lang: str) -> None:
    html = reports[lang][1]
    for fig in ("fig-heatmap", "fig-efficacy", "fig-swimmer"):
        block = re.search(rf'<figure id="{fig}">\s*(<svg\b.*?</svg>)', html, flags=re.S)
        assert block is not None, fig
        assert 'role="img"' in block.group(1)
    assert html.count("<svg") == 3
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "duplicate ids across the inline figures"


def test_figure_content(kb: KnowledgeBase, demo: Case, reports: dict[str, tuple[Result, str]]) -> None:
    result_en, result_zh = reports["en"][0], reports["zh"][0]
    heat = figures.mutation_heatmap(result_en, kb)
    assert ">G1202R<" in heat and ">lorlatinib<" in heat and ">resistant<" in heat and ">sensitive<" in heat
    assert ">P<" in heat  # lorlatinib x G1202R rests on preclinical data only
    assert figures.clone_call(result_en, kb, "G1202R", "alectinib") == ("resistant", False)
    forest = figures.efficacy_forest(result_en)
    assert ">39.6<" in forest and ">6.6<" in forest and "Intracranial ORR" in forest
    swim = figures.treatment_swimmer(demo, kb, "zh")
    assert ">第1线<" in swim and "阿来替尼" in swim
    assert "Noto Sans CJK SC" in figures.mutation_heatmap(result_zh, kb)


def test_figures_are_deterministic(kb: KnowledgeBase, demo: Case, reports: dict[str, tuple[Result, str]]) -> None:
    result = reports["zh"][0]
    one, two = figures.all_figures(demo, result, kb), figures.all_figures(demo, result, kb)
    assert one == two
    for svg in one.values():
        assert "<dc:date" not in svg and "Matplotlib" not in svg and "<?xml" not in svg


def test_figures_without_data(kb: KnowledgeBase) -> None:
    case = parse_case_data({"diagnosis": {"alk": {"fusion": "EML4-ALK"}}, "current": {"status": "treatment_naive"}})
    neutral = recommend(case, kb)
    figs = figures.all_figures(case, render_result(neutral, kb, "zh"), kb)
    assert "heatmap" not in figs and "swimmer" not in figs  # nothing to draw: no empty figure box
    html = render_html(case, neutral, kb, "zh")
    assert html.count("<svg") == len(figs) and 'id="fig-heatmap"' not in html and 'id="fig-swimmer"' not in html
    assert "既往未接受系统治疗（初治）。" in html


# --------------------------------------------------------------------------- PDF


def _pdf_text(path: Path) -> str:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(path))
    return "".join(page.extract_text() or "" for page in reader.pages)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_english(reports: dict[str, tuple[Result, str]], tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    result, html = reports["en"]
    out = tmp_path / "report.pdf"
    pages = render_pdf(html, out)
    assert pages >= 1 and out.read_bytes().startswith(b"%PDF")
    text = _squash(_pdf_text(out))
    assert _squash(f"Recommended option: {result.options[0].name}") in text
    assert _squash(result.disclaimer) in text


@pytest.mark.skipif(not cjk_font_available(), reason="no Noto Sans CJK font (Debian: apt-get install fonts-noto-cjk)")
def test_pdf_chinese(reports: dict[str, tuple[Result, str]], tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    result, html = reports["zh"]
    out = tmp_path / "report_zh.pdf"
    assert render_pdf(html, out) >= 1
    text = _squash(_pdf_text(out))
    assert _squash(result.options[0].name) in text and "患者概况" in text
    assert _squash(result.disclaimer) in text


@pytest.mark.parametrize("sonames", ["as shipped", "one missing"])
def test_weasyprint_import_shortcut(sonames: str) -> None:
    """The import without find_library's ldconfig/gcc runs gives a working WeasyPrint, puts find_library
    back, and falls back to the unchanged import when a soname does not load (fresh interpreters)."""
    pytest.importorskip("weasyprint")
    import subprocess
    import sys

    code = ("import ctypes.util, sys\nfrom alknav.outputs.report import pdf\nreal = ctypes.util.find_library\n"
            + ("pdf._SONAMES += ('libno-such-library.so.9',)\n" if sonames == "one missing" else "")
            + "HTML = pdf._import_weasyprint()\nassert ctypes.util.find_library is real\n"
              "assert HTML(string='<p>x</p>').render().pages\n"
              "import weasyprint.text.ffi as ffi\n"  # the optional subsetter is found as before
              "try:\n    ctypes.CDLL('libharfbuzz-subset.so.0'); subset = True\nexcept OSError:\n    subset = False\n"
              "assert (ffi.harfbuzz_subset is not None) == subset\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert not done.stdout, done.stdout  # no WeasyPrint 'could not import' message


def test_pdf_chinese_without_font_is_a_clear_error(reports: dict[str, tuple[Result, str]], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("alknav.outputs.report.pdf.cjk_font_available", lambda: False)
    with pytest.raises(CjkFontMissing, match="fonts-noto-cjk"):
        render_pdf(reports["zh"][1], tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


# --------------------------------------------------------------------------- layout: the first page answers


HARD = ["g1202r_l1196m_after_lorlatinib", "met_amp_after_lorlatinib", "polyclonal_g1202r_i1171n_after_alectinib",
        "unrecognized_alteration_with_g1202r", "fl_untreated_no_brain_mets"]


def _section(html: str, section: str) -> str:
    found = re.search(rf'<section id="{section}"[^>]*>(.*?)</section>', html, flags=re.S)
    return found.group(1) if found else ""


def _clinician_text(html: str) -> str:
    """What a clinician reads, without the appendix (trace, sources) and the marked program notes."""
    body = re.sub(r'<section id="(?:trace|sources)".*?</section>', " ", html, flags=re.S)
    body = re.sub(r'<span class="raw"[^>]*>.*?</span>', " ", body, flags=re.S)
    return visible_text(re.sub(r"<svg\b.*?</svg>", " ", body, flags=re.S))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_answer_comes_first(reports: dict[str, tuple[Result, str]], lang: str) -> None:
    """Summary, recommended option with how to give it, warnings and tests come before anything else."""
    result, html = reports[lang]
    answer = _section(html, "answer")
    top = result.options[0]
    assert html.index('<section id="answer">') < html.index('<section id="alternatives">') \
        < html.index('<section id="details">')
    assert re.search(r'<div class="summary" id="summary">\s*<p>[^<]+</p>\s*<p>[^<]+</p>\s*</div>', answer)
    assert top.name in answer and 'id="how-to-give"' in answer
    words = re.sub(r"\s+", " ", visible_text(answer))
    for item in top.administration:
        if item.kind in ("dose", "monitoring"):
            assert item.text in words, item.text
    assert 'id="warnings"' in answer and 'id="tests"' in answer
    for w in result.warnings:
        assert w.message in words


def test_summary_says_who_and_where(reports: dict[str, tuple[Result, str]]) -> None:
    en = re.sub(r"\s+", " ", visible_text(_section(reports["en"][1], "answer")))
    assert "48-year-old woman; ECOG 1; adenocarcinoma stage IVB; EML4-ALK V3 (E6;A20) (NGS)." in en
    assert "Line 1 alectinib 28 months (partial response, progression)" in en and "brain metastases" in en
    zh = visible_text(_section(reports["zh"][1], "answer"))
    assert "48岁女性" in zh and "阿来替尼 28个月（部分缓解、疾病进展）" in zh


def test_alternatives_then_ruled_out(reports: dict[str, tuple[Result, str]]) -> None:
    """At most three alternatives as cards; drugs the tumour resists or progressed on only in one table."""
    result, html = reports["en"]
    cards = re.findall(r'<div class="option[^"]*" id="option-(\d+)">', html)
    advised = [o for o in result.options if not o.concern]
    assert [int(c) for c in cards] == [o.rank for o in advised[:4]]
    ruled = _section(html, "ruled-out")
    not_advised = [o for o in result.options if o.concern]
    assert not_advised, "the demo has options the tumour resists (alectinib after progression, G1202R)"
    for o in not_advised:
        assert f"<td>{o.name}</td>" in ruled and f'id="option-{o.rank}"' not in html
    assert "called resistant for G1202R" in ruled and "the tumour progressed on it" in ruled


def test_ruled_out_lists_contraindicated_options(kb: KnowledgeBase) -> None:
    case = parse_case_data({"diagnosis": {"alk": {"fusion": "EML4-ALK"}}, "current": {"status": "treatment_naive"},
                            "concomitant_medications": ["rifampicin"]})
    neutral = recommend(case, kb)
    assert neutral.excluded, "rifampicin (strong CYP3A inducer) contraindicates lorlatinib"
    ruled = _section(render_html(case, neutral, kb), "ruled-out")
    rendered = render_result(neutral, kb, "en")
    words = re.sub(r"\s+", " ", visible_text(ruled))
    for x in rendered.excluded:
        assert x.name in words and x.reasons[0].rstrip(".") in words


@pytest.mark.parametrize("name", HARD)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_codes_or_reprs_in_clinician_text(kb: KnowledgeBase, name: str, lang: str) -> None:
    case = load_scenario(name)
    neutral = recommend(case, kb)
    html = render_html(case, neutral, kb, lang)
    text = _clinician_text(html).replace(case.id or "\0", " ")
    assert re.findall(r"(?<![\w.:/-])[a-z]+_[a-z_]+\b", text) == []  # alk_compound_mutation, treatment_naive
    assert "{'" not in text and "['" not in text and "None" not in text
    assert re.search(r"\b([A-E]) \(\1 —", text) is None  # "A (A — ...)" said once
    cited = set(re.findall(r'href="#src-(\d+)"', html))
    listed = set(re.findall(r'<li id="src-(\d+)">', html))
    assert cited and cited == listed


def test_code_checker_can_fail() -> None:
    assert re.findall(r"(?<![\w.:/-])[a-z]+_[a-z_]+\b", "status: treatment_naive") == ["treatment_naive"]


def test_sources_are_links_with_their_kind(reports: dict[str, tuple[Result, str]]) -> None:
    for lang, word in (("en", "label"), ("zh", "说明书")):
        sources = _section(reports[lang][1], "sources")
        assert f'<span class="kind">{word}</span>' in sources
        assert re.search(r'<a class="cite" href="https://doi\.org/10\.[^"]+">doi:10\.', sources)
    assert '<span class="kind">article</span>' in _section(reports["en"][1], "sources")


def test_print_css_hyphenates_and_keeps_headings(reports: dict[str, tuple[Result, str]]) -> None:
    for _result, html in reports.values():
        css = re.search(r"<style>(.*?)</style>", html, flags=re.S)
        assert css is not None
        assert "hyphens: auto" in css.group(1) and "overflow-wrap: anywhere" not in css.group(1)
        assert re.search(r"h1, h2, h3, h4 \{ break-after: avoid", css.group(1))
    assert '<html lang="en">' in reports["en"][1] and '<html lang="zh">' in reports["zh"][1]


def test_not_reached_median_is_drawn(kb: KnowledgeBase) -> None:
    case = load_scenario("fl_untreated_no_brain_mets")
    rendered = render_result(recommend(case, kb), kb, "en")
    lorlatinib = next(o for o in rendered.options if o.drugs == ["lorlatinib"])
    pfs = next(e for e in lorlatinib.expected_efficacy if e.endpoint.startswith("PFS"))
    assert pfs.value is None and pfs.value_text == "not reached"
    forest = figures.efficacy_forest(rendered)
    assert "not reached" in forest and f">{lorlatinib.rank}. lorlatinib<" in forest


def test_swimmer_shows_unknown_duration_as_unknown(kb: KnowledgeBase) -> None:
    case = parse_case_data({"diagnosis": {"alk": {"fusion": "EML4-ALK"}},
                            "history": [{"regimen": ["crizotinib"], "stopped_for": "progression"},
                                        {"regimen": ["alectinib"], "months": 20, "stopped_for": "progression"}],
                            "current": {"status": "progression"}})
    svg = figures.treatment_swimmer(case, kb, "en")
    assert "duration not given" in svg and "Months on each line" in svg
    assert "Months from the start of the first line" not in svg
    known = figures.treatment_swimmer(load_scenario("g1202r_l1196m_after_lorlatinib"), kb, "en")
    assert "Months from the start of the first line" in known and "duration not given" not in known


def test_first_pdf_page_answers(reports: dict[str, tuple[Result, str]], tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("weasyprint")
    result, html = reports["en"]
    render_pdf(html, tmp_path / "r.pdf")
    first = _squash(pypdf.PdfReader(str(tmp_path / "r.pdf")).pages[0].extract_text() or "")
    top = result.options[0]
    for words in (f"Recommended option: {top.name}", "How to give it safely", "Warnings", "Suggested tests",
                  next(a.text for a in top.administration if a.kind == "dose")[:40]):
        assert _squash(words) in first, words


def test_web_navigation_is_same_site_and_screen_only(kb: KnowledgeBase, demo: Case,
                                                     neutral: neutral_result.Result) -> None:
    html = render_html(demo, neutral, kb, "zh", nav=[("录入病例", "/?lang=zh"), ("x", "https://example.org/")])
    assert '<nav class="screen-only"><a href="/?lang=zh">录入病例</a></nav>' in html
    assert "example.org" not in html and ".screen-only { display: none; }" in html
    assert "<nav" not in render_html(demo, neutral, kb, "zh")


def test_every_vocabulary_comorbidity_has_its_words_in_the_report(kb: KnowledgeBase) -> None:
    """A comorbidity the knowledge base knows is shown by its name in the report's language, never
    as the code typed (e.g. 'epilepsy' on a Chinese page)."""
    from alknav.outputs.report.view import _comorbidity

    for code, entry in kb.comorbidity_codes.items():
        assert _comorbidity(kb, "zh", code) != code or code == entry.name.zh, code
        for alias in entry.aliases:
            assert _comorbidity(kb, "zh", alias) != alias or alias == entry.name.zh, alias
    assert _comorbidity(kb, "zh", "epilepsy") == "癫痫"
    assert _comorbidity(kb, "en", "no such condition") == "no such condition"


# --------------------------------------------------------------------------- compiled template cache


def test_template_cache_reuses_rebuilds_and_follows_edits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled template is stored once and loaded after; a damaged entry is compiled again (never
    loaded), and an edited template is compiled again, not served from the old entry."""
    import jinja2

    from alknav.outputs.report.template_cache import TemplateCache

    folder = tmp_path / "cache"
    monkeypatch.setenv("ALKNAV_CACHE_DIR", str(folder))
    compiled: list[str] = []
    real = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, *args: object, **kwargs: object) -> object:
        compiled.append(source[:20])
        return real(self, source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", counting)

    def render(source: str) -> str:
        env = jinja2.Environment(loader=jinja2.DictLoader({"t.j2": source}), bytecode_cache=TemplateCache.create())
        return env.get_template("t.j2").render(x="1")

    assert render("A{{ x }}") == "A1" and len(compiled) == 1
    assert render("A{{ x }}") == "A1" and len(compiled) == 1  # loaded, not compiled
    entry = next(folder.glob("tpl-*.bin"))
    entry.write_bytes(entry.read_bytes()[:-3] + b"xyz")  # damaged: the digest no longer matches
    assert render("A{{ x }}") == "A1" and len(compiled) == 2
    assert render("B{{ x }}") == "B1" and len(compiled) == 3  # edited template
    assert render("B{{ x }}") == "B1" and len(compiled) == 3


def test_template_cache_off_or_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2

    from alknav.outputs.report.template_cache import TemplateCache

    monkeypatch.setenv("ALKNAV_CACHE_DIR", "")
    assert TemplateCache.create() is None
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("ALKNAV_CACHE_DIR", str(blocked / "cache"))
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.j2": "ok"}), bytecode_cache=TemplateCache.create())
    assert env.get_template("t.j2").render() == "ok"
