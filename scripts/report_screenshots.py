"""Render reports for review: HTML screenshots (Debian's Chromium through Playwright) and PDF pages
(pdftoppm), in English and Chinese.

    python scripts/report_screenshots.py OUT_DIR [demo,scenario_name,...] [en,zh]

Scenario names are files in tests/scenarios/ (without .yaml); "demo" is the shipped demo case.
Look at every PNG before a report change is merged.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from alknav.inputs.case_reader import parse_case_data, read_case
from alknav.kb.loader import load_kb
from alknav.outputs.report import render_html, render_pdf
from alknav.recommend.engine import recommend

ROOT = Path(__file__).resolve().parents[1]


def main(out: Path, names: list[str], langs: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    pdftoppm = shutil.which("pdftoppm")
    if chromium is None or pdftoppm is None:
        sys.exit("needs Debian's chromium and poppler-utils (apt-get install chromium poppler-utils)")
    out.mkdir(parents=True, exist_ok=True)
    kb = load_kb()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--headless=new", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        for name in names:
            if name == "demo":
                case = read_case(ROOT / "src" / "alknav" / "examples" / "demo_case.yaml")
            else:
                data = yaml.safe_load((ROOT / "tests" / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8"))
                case = parse_case_data(data["case"])
            result = recommend(case, kb)
            for lang in langs:
                stem = out / f"{name}_{lang}"
                html = render_html(case, result, kb, lang)
                stem.with_suffix(".html").write_text(html, encoding="utf-8")
                page.goto(stem.with_suffix(".html").as_uri())
                page.screenshot(path=str(stem.with_suffix(".png")), full_page=True)
                pages = render_pdf(html, stem.with_suffix(".pdf"))
                subprocess.run([pdftoppm, "-r", "75", "-png", str(stem.with_suffix(".pdf")), f"{stem}_page"],
                               check=True)
                print(f"{stem}: HTML screenshot, PDF {pages} pages")
        browser.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else "demo").split(","),
         (sys.argv[3] if len(sys.argv) > 3 else "en,zh").split(","))
