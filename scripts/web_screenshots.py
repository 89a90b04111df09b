"""Screenshots of the web case form for review: the empty form (en, zh), a refused form (en, zh)
and the report of a fully filled form. Needs Playwright and Debian's Chromium.

    python scripts/web_screenshots.py OUT_DIR
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from alknav.service.app import create_app
from alknav.service.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_web_e2e import _fill_everything


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = create_app(Settings(data_dir=Path(tempfile.mkdtemp())))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless=new", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        for lang in ("en", "zh"):
            page.goto(f"{base}/?lang={lang}")
            page.screenshot(path=str(out / f"web_form_{lang}.png"), full_page=True)
            form = page.locator("#case-form")
            form.locator("[name=age]").fill("5O")
            form.locator("[name=h0_regimen]").fill("alectinib")
            form.locator("[name=h0_months]").fill("26")
            form.locator("[name=h1_months]").fill("4")
            form.locator("[name=brain]").select_option("yes")
            form.locator("[name=heart_rate]").fill("400")
            form.locator("button[type=submit]").click()
            page.wait_for_load_state()
            page.screenshot(path=str(out / f"web_form_error_{lang}.png"))
            page.goto(f"{base}/?lang={lang}")
            page.locator("#case-form [name=h0_regimen]").fill("alectinib")
            page.locator("#case-form [name=h1_regimen]").fill("aspirinib")
            page.locator("#case-form button[type=submit]").click()
            page.wait_for_load_state()
            page.screenshot(path=str(out / f"web_form_unknown_drug_{lang}.png"), clip={"x": 0, "y": 0, "width": 1100,
                                                                                     "height": 320})
            page.goto(f"{base}/?lang={lang}")
            _fill_everything(page, lang)
            page.locator("#case-form button[type=submit]").click()
            page.wait_for_load_state()
            page.screenshot(path=str(out / f"web_form_result_{lang}.png"))
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out/web-screenshots"))
