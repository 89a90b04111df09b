"""Screenshots of the web result page and the PDF it downloads, for review and for docs/screenshots/
(scripts/web_screenshots.py covers the form and its refusals).

    .venv/bin/python scripts/result_screenshots.py OUT_DIR

Starts the service on a free local port, drives Debian's Chromium with Playwright (as
tests/test_web_e2e.py does): the form (en, zh), the result page (en, zh), an error page that keeps
the input (zh), a refusal of the engine in Chinese (first screen), and pages 1-2 of the downloaded
PDF (en, zh) through pdftoppm. Each PNG is 1000 px wide, reduced to a palette so the repository
stays small."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

WIDTH = 1000
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _small(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
        if rgb.width != WIDTH:
            rgb = rgb.resize((WIDTH, round(rgb.height * WIDTH / rgb.width)), Image.Resampling.LANCZOS)
        rgb.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def _demo_like(page, base: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/?lang={lang}")
    form = page.locator("#case-form")
    form.locator("[name=age]").fill("48")
    form.locator("[name=sex]").select_option("F")
    form.locator("[name=ecog]").select_option("1")
    form.locator("[name=histology]").select_option("adenocarcinoma")
    form.locator("[name=stage]").fill("IVB")
    form.locator("[name=variant]").fill("V3")
    form.locator("[name=h0_regimen]").fill("alectinib")
    form.locator("[name=h0_months]").fill("28")
    form.locator("[name=h0_response]").select_option("PR")
    form.locator("[name=h0_stopped]").select_option("progression")
    form.locator("[name=alterations]").fill("ALK G1202R")
    form.locator("[name=brain]").select_option("yes")
    form.locator("[name=comorbidities][value=hyperlipidemia]").check()


def main(out: Path) -> None:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from alknav.service.app import create_app
    from alknav.service.settings import Settings

    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="alknav-shots-"))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(data_dir=tmp)), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    shots: list[Path] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "chromium", args=ARGS)
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            for lang in ("en", "zh"):
                page.goto(f"{base}/?lang={lang}")
                shots.append(out / f"web_form_{lang}.png")
                page.screenshot(path=str(shots[-1]), full_page=True)
                _demo_like(page, base, lang)
                page.locator("#case-form button[type=submit]").click()
                page.wait_for_load_state()
                shots.append(out / f"web_result_page_{lang}.png")
                page.screenshot(path=str(shots[-1]), full_page=True)
                with page.expect_download() as download:
                    page.click("#download-pdf")
                pdf = tmp / f"report_{lang}.pdf"
                download.value.save_as(pdf)
                subprocess.run(["pdftoppm", "-png", "-r", "90", "-f", "1", "-l", "2", str(pdf),
                                str(out / f"web_pdf_{lang}")], check=True)
            _demo_like(page, base, "zh")
            page.locator("[name=age]").fill("四十八")
            page.locator("[name=h1_months]").fill("6")
            page.locator("#case-form button[type=submit]").click()
            page.wait_for_load_state()
            shots.append(out / "web_error_keeps_input_zh.png")
            page.screenshot(path=str(shots[-1]), full_page=True)
            _demo_like(page, base, "zh")  # a refusal of the engine, said in Chinese with the field in words
            page.locator("[name=h0_regimen]").fill("阿来替尼 + 洛拉替尼")
            page.locator("#case-form button[type=submit]").click()
            page.wait_for_load_state()
            shots.append(out / "web_refusal_two_tkis_zh.png")
            page.screenshot(path=str(shots[-1]), full_page=False)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        shutil.rmtree(tmp, ignore_errors=True)
    for path in [*shots, *sorted(out.glob("web_pdf_*.png"))]:
        _small(path)
        print(path, path.stat().st_size)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
