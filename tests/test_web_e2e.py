"""The web pages in a real browser (Debian's Chromium driven by Playwright): fill every section of
the form, an error that keeps the input, upload a file, switch language, an axe-core accessibility
check. Skips when Chromium or Playwright is absent;
.ci/run installs both."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (apt-get install chromium)")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    uvicorn = pytest.importorskip("uvicorn")
    from alknav.service.app import create_app
    from alknav.service.settings import Settings

    # the whole service, so that its security headers (CSP, CSRF cookie) are what the browser meets
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("web-data")))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    pg = browser.new_page()
    violations: list[str] = []
    # a Content-Security-Policy refusal shows on the console: the pages must need none
    pg.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield pg
    pg.close()
    assert not violations, violations


def test_form_case_shows_ranked_options(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/?lang=en")
    form = page.locator("#case-form")
    form.locator("input[name=h0_regimen]").fill("alectinib")
    form.locator("textarea[name=alterations]").fill("ALK G1202R")
    form.get_by_label("Brain metastases").select_option(label="yes")
    form.get_by_label("Hyperlipidaemia").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    text = page.inner_text("body")
    assert "Lorlatinib" in text or "lorlatinib" in text
    assert "G1202R" in text
    first = text.lower().find("lorlatinib")
    assert 0 <= first < text.lower().find("carboplatin")  # ranked above chemotherapy


def test_upload_case_file(page, base_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    demo = Path(__file__).resolve().parents[1] / "src" / "alknav" / "examples" / "demo_case.yaml"
    page.goto(f"{base_url}/?lang=en")
    upload = page.locator("#upload-form")
    upload.locator("input[type=file]").set_input_files(str(demo))
    upload.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "orlatinib" in page.inner_text("body")


def test_upload_bad_file_shows_error(page, base_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text("case_format: 1\ndiagnosis: {histology: adenocarcinoma}\n")
    page.goto(f"{base_url}/?lang=en")
    upload = page.locator("#upload-form")
    upload.locator("input[type=file]").set_input_files(str(bad))
    upload.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "no ALK rearrangement" in page.inner_text("[role=alert]")


def test_switch_language(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/?lang=en")
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert "录入病例" in page.inner_text("body")
    page.goto(f"{base_url}/kb/mutations/G1202R?lang=zh")
    assert "耐药" in page.inner_text("body")


def test_styles_load_under_the_csp(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    """The stylesheet is a file the CSP allows: the header is dark blue, not unstyled."""
    page.goto(f"{base_url}/?lang=en")
    colour = page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
    assert colour == "rgb(22, 50, 79)"


def test_report_styles_allowed_by_hash(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    """The report keeps its inline <style> (one file for print); the CSP admits it by hash only."""
    page.goto(f"{base_url}/?lang=en")
    page.locator("#case-form input[name=h0_regimen]").fill("alectinib")
    page.locator("#case-form button[type=submit]").click()
    page.wait_for_load_state()
    family = page.evaluate("getComputedStyle(document.documentElement).fontFamily")
    assert "Noto Sans" in family


REPO = Path(__file__).resolve().parents[1]


def _fill_everything(page, lang: str) -> None:  # type: ignore[no-untyped-def]
    """Every section of the case form, by the words a clinician reads (labels), not field names."""
    en = lang == "en"
    form = page.locator("#case-form")
    form.get_by_label("Age (years)" if en else "年龄（岁）").fill("52")
    form.get_by_label("Sex" if en else "性别", exact=True).select_option(label="female" if en else "女")
    form.get_by_label("ECOG performance status" if en else "ECOG 体能状态").select_option("1")
    form.get_by_label("Region" if en else "地区").select_option("CN")
    form.get_by_label("Histology" if en else "组织学类型", exact=True).select_option("adenocarcinoma")
    form.locator("[name=stage]").fill("IVB")
    form.locator("[name=method]").select_option("RNA-NGS")
    form.locator("[name=fusion]").fill("EML4-ALK")
    form.locator("[name=variant]").fill("V3")
    for i, (regimen, months, response, stopped) in enumerate([("crizotinib", "11", "PR", "progression"),
                                                              ("alectinib", "20", "PR", "toxicity")]):
        form.locator(f"[name=h{i}_regimen]").fill(regimen)
        form.locator(f"[name=h{i}_months]").fill(months)
        form.locator(f"[name=h{i}_response]").select_option(response)
        form.locator(f"[name=h{i}_stopped]").select_option(stopped)
    form.locator("[name=h1_toxicity]").select_option("hepatotoxicity")
    form.locator("[name=h1_grade]").select_option("3")
    form.locator("[name=status]").select_option("progression")
    form.locator("[name=pattern]").select_option("systemic")
    form.locator("[name=biopsy_sample]").select_option("plasma")
    form.locator("[name=biopsy_method]").select_option("NGS")
    form.locator("[name=alterations]").fill("MET amplification")
    form.locator("[name=compound]").fill("G1202R/L1196M")
    form.locator("[name=phase]").select_option("cis")
    form.locator("[name=brain]").select_option("yes")
    form.locator("[name=leptomeningeal]").select_option("no")
    form.locator("[name=symptomatic]").select_option("no")
    form.get_by_label("Hyperlipidaemia" if en else "高脂血症").check()
    form.locator("[name=comorbidities_other]").fill("gout")
    form.locator("[name=child_pugh]").select_option("A")
    form.locator("[name=creatinine_clearance]").fill("45")
    form.locator("[name=heart_rate]").fill("58")
    form.locator("[name=breastfeeding]").select_option("no")
    form.locator("[name=medications]").fill("rosuvastatin")
    form.locator("[name=ici]").select_option("no")
    form.locator("[name=notes]").fill("board 3 May")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_full_form_gives_the_report(page, base_url: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/?lang={lang}")
    _fill_everything(page, lang)
    page.locator("#case-form button[type=submit]").click()
    page.wait_for_load_state()
    text = page.inner_text("body")
    assert "[role=alert]" and page.locator("#form-errors").count() == 0, text[:500]
    assert "G1202R" in text
    assert ("orlatinib" in text) if lang == "en" else ("洛拉替尼" in text)
    assert ("rosuvastatin" in text.lower()) if lang == "en" else ("瑞舒伐他汀" in text or "rosuvastatin" in text)


@pytest.mark.parametrize(("lang", "words"), [("en", ["Age (years): must be a number",
                                                     "Line 2 — Regimen: name the regimen of this line, or clear "
                                                     "the line"]),
                                             ("zh", ["年龄（岁）：须为数字",
                                                     "第 2 线 — 方案：请填写该线的方案，或清空此行"])])
def test_error_keeps_the_input_and_names_the_field(page, base_url: str, lang: str,  # type: ignore[no-untyped-def]
                                                   words: list[str]) -> None:
    page.goto(f"{base_url}/?lang={lang}")
    form = page.locator("#case-form")
    form.locator("[name=age]").fill("fifty")
    form.locator("[name=h0_regimen]").fill("alectinib")
    form.locator("[name=h1_months]").fill("6")
    form.locator("[name=brain]").select_option("yes")
    form.locator("[name=medications]").fill("rifampicin")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    summary = page.inner_text("#form-errors")
    for sentence in words:
        assert sentence in summary
    # what was typed is still there, and the field in error says so to assistive technology
    assert page.input_value("[name=age]") == "fifty"
    assert page.input_value("[name=h0_regimen]") == "alectinib"
    assert page.input_value("[name=h1_months]") == "6"
    assert page.input_value("[name=brain]") == "yes"
    assert page.input_value("[name=medications]") == "rifampicin"
    assert page.get_attribute("[name=age]", "aria-invalid") == "true"
    # the summary's link takes the keyboard to the field
    page.locator("#form-errors a").first.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#f-age"


def test_language_switch_keeps_the_form_in_words(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/?lang=en")
    assert page.input_value("[name=region]") == "US"
    assert page.locator("[name=h0_response] option[value=PR]").inner_text() == "Partial response (PR)"
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.input_value("[name=region]") == "CN"  # region follows the page language
    assert page.locator("[name=h0_response] option[value=PR]").inner_text() == "部分缓解（PR）"
    assert page.locator("label[for=c-hyperlipidemia]").inner_text() == "高脂血症"
    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "en"


def test_keyboard_reaches_the_form(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/?lang=en")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    for _ in range(8):  # past the header links into the first field of the form
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "age":
            break
    assert page.evaluate("document.activeElement.name") == "age"
    page.keyboard.type("47")
    assert page.input_value("[name=age]") == "47"


def _axe_script() -> Path | None:
    for candidate in (os.environ.get("ALKNAV_AXE_JS"), REPO / ".axe" / "node_modules" / "axe-core" / "axe.min.js"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@pytest.mark.parametrize(("path", "errors"), [("/?lang=en", False), ("/?lang=zh", False), ("/?lang=en", True),
                                              ("/kb/drugs?lang=zh", False)])
def test_axe_finds_no_violation(browser, base_url: str, path: str, errors: bool) -> None:  # type: ignore[no-untyped-def]
    script = _axe_script()
    if script is None:
        pytest.skip("axe-core not installed: npm install --prefix .axe axe-core (or set ALKNAV_AXE_JS)")
    # the pages forbid every script; this browser context alone lets the test inject axe
    context = browser.new_context(bypass_csp=True)
    try:
        pg = context.new_page()
        pg.goto(base_url + path)
        if errors:
            pg.locator("#case-form [name=age]").fill("x")
            pg.locator("#case-form [name=h1_months]").fill("5")
            pg.locator("#case-form button[type=submit]").click()
            pg.wait_for_load_state()
            assert pg.locator("#form-errors").count() == 1
        pg.add_script_tag(path=str(script))
        result = pg.evaluate("async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', "
                             "'best-practice']})).violations.map(v => v.id + ': ' + v.nodes.length + ' ' + "
                             "v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))")
    finally:
        context.close()
    assert result == [], result


def _pdf_text(path: Path) -> str:
    try:
        from pypdf import PdfReader
    except ImportError:
        pdftotext = shutil.which("pdftotext")
        if pdftotext is None:
            pytest.skip("neither pypdf nor pdftotext to read the PDF")
        import subprocess

        return subprocess.run([pdftotext, str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)


def _demo_like(page, base_url: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/?lang={lang}")
    form = page.locator("#case-form")
    form.locator("[name=h0_regimen]").fill("alectinib")
    form.locator("[name=h0_months]").fill("28")
    form.locator("[name=alterations]").fill("ALK G1202R")
    form.locator("[name=brain]").select_option("yes")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_result_page_downloads_the_pdf(page, base_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("weasyprint")
    page.goto(f"{base_url}/?lang=en")
    _fill_everything(page, "en")
    page.locator("#case-form button[type=submit]").click()
    page.wait_for_load_state()
    heading = page.inner_text("#answer h2.head")
    top = heading.split(":", 1)[1].strip()
    assert top, heading
    with page.expect_download() as download, \
            page.expect_response(lambda r: "/web/report.pdf" in r.url) as response:
        page.click("#download-pdf")
    assert response.value.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    flat = "".join(_pdf_text(pdf).split())
    assert "".join(top.split()) in flat, (top, flat[:600])
    # the result page is still there: the download did not navigate away
    assert page.locator("#download-pdf").count() == 1


def test_result_page_switches_language(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    _demo_like(page, base_url, "en")
    assert "orlatinib" in page.inner_text("#answer")
    page.click("#switch-lang")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "zh"
    assert "洛拉替尼" in page.inner_text("#answer")
    page.click("#switch-lang")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "orlatinib" in page.inner_text("#answer")
    # the section links stay on the page; back to the form keeps what was entered
    page.click("nav.sections a[href='#sources']")
    assert page.evaluate("location.hash") == "#sources"
    page.click("#edit-case")
    page.wait_for_load_state()
    assert page.input_value("[name=h0_regimen]") == "alectinib"
    assert page.input_value("[name=alterations]") == "ALK G1202R"
    assert page.input_value("[name=brain]") == "yes"


def test_tampered_result_page_gets_an_error_in_its_language(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    _demo_like(page, base_url, "zh")
    # a changed hidden field (as a hostile or broken client would send it)
    page.evaluate("document.querySelectorAll('input[name=case]').forEach(i => i.value = '{\"diagnosis\": 1')")
    page.click("#edit-case")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert "无法读取" in page.inner_text("[role=alert]")
    assert "Traceback" not in page.content()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_axe_finds_no_violation_on_the_result_page(browser, base_url: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    script = _axe_script()
    if script is None:
        pytest.skip("axe-core not installed: npm install --prefix .axe axe-core (or set ALKNAV_AXE_JS)")
    context = browser.new_context(bypass_csp=True)
    try:
        pg = context.new_page()
        _demo_like(pg, base_url, lang)
        assert pg.locator("#download-pdf").count() == 1
        pg.add_script_tag(path=str(script))
        result = pg.evaluate("async () => (await axe.run(document.querySelector('#actions').parentElement, "
                             "{runOnly: ['wcag2a', 'wcag2aa']})).violations.map(v => v.id + ': ' + "
                             "v.nodes.length + ' ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))")
    finally:
        context.close()
    assert result == [], result
