"""The web pages in a real browser (Debian's Chromium driven by Playwright): fill the form for a
realistic case, upload a file, switch language. Skips when Chromium or Playwright is absent;
.ci/run installs both."""

from __future__ import annotations

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
def page(base_url: str) -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page()
        violations: list[str] = []
        # a Content-Security-Policy refusal shows on the console: the pages must need none
        pg.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
        yield pg
        browser.close()
        assert not violations, violations


def test_form_case_shows_ranked_options(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/?lang=en")
    form = page.locator("#case-form")
    form.locator("textarea[name=history]").fill("alectinib")
    form.locator("textarea[name=alterations]").fill("ALK G1202R")
    form.locator("input[name=brain]").check()
    form.locator("input[name=comorbidities]").fill("hyperlipidemia")
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
    page.locator("#case-form textarea[name=history]").fill("alectinib")
    page.locator("#case-form button[type=submit]").click()
    page.wait_for_load_state()
    family = page.evaluate("getComputedStyle(document.documentElement).fontFamily")
    assert "Noto Sans" in family
