"""render_html(case, result, kb) -> one self-contained, print-friendly HTML document (Jinja2)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from alknav.inputs.case_model import Case
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.outputs.i18n import t
from alknav.outputs.render import render_result
from alknav.outputs.report.figures import CSS_FONT_STACK, all_figures
from alknav.outputs.report.view import Citations, build_view
from alknav.recommend.result import Result

_LATIN_FIRST = "'Noto Sans', 'DejaVu Sans', 'Noto Sans CJK SC', sans-serif"


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("alknav.outputs.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def render_html(case: Case, result: Result, kb: KnowledgeBase, lang: str = "en", *, generated: str | None = None,
                top: int | None = None, nav: list[tuple[str, str]] | None = None) -> str:
    """The report in ``lang``. ``generated`` is a date string printed as given (no clock is read);
    ``top`` limits the options shown (all by default); ``nav`` (label, same-site path) links are shown
    on screen above the report (the web app's way back), never in print."""
    rendered = render_result(result, kb, lang)
    view = build_view(case, rendered, kb, generated=generated, top=top)
    view.figures = all_figures(case, rendered, kb)

    def tr(key: str, **values: Any) -> str:
        return t(lang, key, **{k: str(v) for k, v in values.items()})

    template = _environment().get_template("report.html.j2")
    links = [(label, href) for label, href in nav or [] if href.startswith("/")]  # same site only
    return template.render(v=view, t=tr, refs=Citations(kb, lang), nav=links,
                           font_stack=CSS_FONT_STACK if lang == "zh" else _LATIN_FIRST,
                           css_case_id=re.sub(r"[^A-Za-z0-9_.-]", "", view.case_id))
