"""render_html(case, result, kb) -> one self-contained, print-friendly HTML document (Jinja2)."""

from __future__ import annotations

import re
from dataclasses import dataclass
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


@dataclass(frozen=True)
class PageActions:
    """What the web result page offers above the report (never in print): the same case as a PDF, in
    the other language, or back in the form. The page carries the case itself (``case``, signed by
    ``seal``) in small POST forms with the CSRF token: nothing is kept on the server."""

    csrf_field: str
    csrf_token: str
    case: str
    seal: str


_LATIN_FIRST = "'Noto Sans', 'DejaVu Sans', 'Noto Sans CJK SC', sans-serif"


@cache
def _environment() -> Environment:
    from alknav.outputs.report.template_cache import TemplateCache

    return Environment(
        loader=PackageLoader("alknav.outputs.report", "templates"),
        bytecode_cache=TemplateCache.create(),  # compiled once per template version (about 85 ms)
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def render_html(case: Case, result: Result, kb: KnowledgeBase, lang: str = "en", *, generated: str | None = None,
                top: int | None = None, nav: list[tuple[str, str]] | None = None,
                actions: PageActions | None = None, simulate: tuple[int, int] | None = None) -> str:
    """The report in ``lang``. ``generated`` is a date string printed as given (no clock is read);
    ``top`` limits the options shown (all by default); ``nav`` (label, same-site path) links are shown
    on screen above the report (the web app's way back), never in print; ``actions`` adds the web
    result page's links to the sections and its PDF, language and back-to-the-form buttons.
    ``simulate`` (patients, seed) adds the sequencing-simulator section (hypothesis-generating; off by
    default, it takes seconds)."""
    rendered = render_result(result, kb, lang)
    view = build_view(case, rendered, kb, generated=generated, top=top)
    view.figures = all_figures(case, rendered, kb)

    def tr(key: str, **values: Any) -> str:
        return t(lang, key, **{k: str(v) for k, v in values.items()})

    sim, sim_rows = None, []
    if simulate is not None:
        from alknav.simulate import case_section

        texts = {"aria_pfs": tr("r_sim_fig_pfs"), "aria_pfs2": tr("r_sim_fig_pfs2"), "x": tr("r_sim_x"),
                 "y": tr("r_sim_y")}
        sim = case_section.build(case, kb, texts, patients=simulate[0], seed=simulate[1])

        def name(strategy: str) -> str:
            return case_section.local_name(kb, strategy, lang, tr)

        sim.history = [name(h) for h in sim.history]
        sim_rows = _sim_rows(sim, tr, name)
    template = _environment().get_template("report.html.j2")
    links = [(label, href) for label, href in nav or [] if href.startswith("/")]  # same site only
    other = "en" if lang == "zh" else "zh"
    return template.render(v=view, t=tr, refs=Citations(kb, lang), nav=links, actions=actions, other_lang=other,
                           other_t=lambda key: t(other, key), sim=sim, sim_rows=sim_rows,
                           font_stack=CSS_FONT_STACK if lang == "zh" else _LATIN_FIRST,
                           css_case_id=re.sub(r"[^A-Za-z0-9_.-]", "", view.case_id))


def _sim_rows(sim: Any, tr: Any, name: Any) -> list[dict[str, str | bool]]:
    from alknav.simulate.case_section import COLOURS

    def fmt(m: dict[str, float | None] | None) -> str:
        if m is None:
            return "—"  # the strategy has no such line
        if m.get("value") is None:
            return str(tr("r_sim_nr"))
        if m["value"] == 0:
            return "0"  # the line itself contains chemotherapy
        lo = f"{m['ci_low']:.1f}" if m.get("ci_low") is not None else tr("r_sim_nr")
        hi = f"{m['ci_high']:.1f}" if m.get("ci_high") is not None else tr("r_sim_nr")
        return f"{m['value']:.1f} ({lo}–{hi})"

    rows: list[dict[str, str | bool]] = []
    for i, r in enumerate(sim.rows):
        choices = ", ".join(f"{name(regimen)} {share:.0%}" for regimen, share in r.get("regimens", []))
        rows.append({"name": name(r["name"]), "guided": r["guided"], "choices": choices, "pfs1": fmt(r["pfs1"]),
                     "pfs2": fmt(r["pfs2"]), "ttc": fmt(r["time_to_chemotherapy"]),
                     "colour": COLOURS[i % len(COLOURS)], "has_pfs2": r["pfs2"] is not None})
    return rows
