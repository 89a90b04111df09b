"""The report's three figures as inline SVG strings (matplotlib, no pyplot, no global state).

1. mutation_heatmap: the patient's ALK clones x every ALK TKI, coloured by the curated call;
2. efficacy_forest: ORR, median PFS (and intracranial ORR) of the candidate options in their trials;
3. treatment_swimmer: the history regimens on a months axis.

Text stays text (svg.fonttype 'none') with a CSS font stack that names Noto Sans CJK SC first, so a
Chinese label renders wherever that font is installed. Output is deterministic: no date, no
creator, a fixed svg.hashsalt.
"""

from __future__ import annotations

import io
import re
import textwrap
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from alknav.errors import LookupFailed
from alknav.inputs.case_model import Case
from alknav.kb import schema as s
from alknav.kb.loader import KnowledgeBase
from alknav.kb.query import best_call, find_drug, find_mutation, matrix_drugs
from alknav.outputs.i18n import t, term
from alknav.outputs.render import RenderedResult as Result
from alknav.recommend.result import Efficacy

CSS_FONT_STACK = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Noto Sans', 'DejaVu Sans', sans-serif"
CALL_COLOURS = {"sensitive": "#1a9850", "intermediate": "#fdae61", "resistant": "#d73027", "unknown": "#d9d9d9"}
_CALL_TEXT = {"sensitive": "white", "intermediate": "black", "resistant": "white", "unknown": "black"}
_LAYOUT_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "DejaVu Sans")
_FONT_ATTR = re.compile(r"font-family: [^;\"]+")


def _layout_family() -> str:
    """The font matplotlib measures text with: a CJK face when it knows one, else DejaVu Sans."""
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in _LAYOUT_FONTS if f in known), "DejaVu Sans")


@contextmanager
def _style() -> Iterator[None]:
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "alknav", "font.family": [_layout_family()],
                                "font.size": 9, "axes.titlesize": 10, "path.simplify": True}), \
            warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        yield


def _scope_ids(svg: str, prefix: str) -> str:
    """Prefix every id (and every reference to one) so that three figures in one page never collide."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    return re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{prefix}-{m.group(1)}"', svg)


def _to_svg(fig: Figure, label: str, prefix: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = _FONT_ATTR.sub("font-family: " + CSS_FONT_STACK, svg)
    svg = re.sub(r'<svg ([^>]*?)width="[\d.]+pt" height="[\d.]+pt"',
                 lambda m: f'<svg {m.group(1)}role="img" aria-label="{_attr(label)}" class="figure"', svg, count=1)
    return _scope_ids(svg.strip(), prefix)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _short(name: str, width: int) -> str:
    name = re.sub(r"（[^）]*）$", "", name)
    return "\n".join(textwrap.wrap(name, width)) or name


# --------------------------------------------------------------------------- 1. heat map


def _clone_labels(result: Result) -> list[str]:
    labels = ["+".join(c.get("mutations") or []) for c in result.interpretation.get("clones") or []]
    for o in result.options:
        labels += [c for c in o.clone_calls if c not in labels]
    return list(dict.fromkeys(x for x in labels if x))


def _tki_columns(result: Result, kb: KnowledgeBase) -> list[str]:
    cols = matrix_drugs(kb)
    for o in result.options:
        cols += [d for d in o.drugs if d not in cols and kb.drugs[d].drug_class is s.DrugClass.alk_tki]
    return sorted(cols, key=lambda d: (kb.drugs[d].generation or 9, cols.index(d)))


def _kb_calls(kb: KnowledgeBase, clone: str, drug: str) -> list[s.DrugCall]:
    try:
        match = find_mutation(kb, clone)
    except LookupFailed:
        return []
    entries = [match.mutation] if match.mutation else match.components
    out: list[s.DrugCall] = []
    for entry in entries:
        call = best_call([c for c in entry.calls if c.drug == drug])
        if call is not None:
            out.append(call)
    return out


def clone_call(result: Result, kb: KnowledgeBase, clone: str, drug: str) -> tuple[str, bool]:
    """(call, preclinical only) for one clone and one drug: the engine's call when an option holds it."""
    calls = _kb_calls(kb, clone, drug)
    engine = next((o.clone_calls[clone] for o in result.options if o.drugs == [drug] and clone in o.clone_calls),
                  None)
    if engine is None:
        engine = calls[0].call.value if len(calls) == 1 else "unknown"
    preclinical = bool(calls) and all(c.evidence_type is not s.EvidenceType.clinical for c in calls)
    return engine, preclinical and engine != "unknown"


def mutation_heatmap(result: Result, kb: KnowledgeBase) -> str:
    lang = result.language
    label = t(lang, "r_heatmap")
    clones = _clone_labels(result)
    if not clones:
        return ""
    drugs = _tki_columns(result, kb)
    names = [_short(kb.drugs[d].name_zh if lang == "zh" else kb.drugs[d].inn, 8 if lang == "zh" else 12)
             for d in drugs]
    with _style():
        fig = Figure(figsize=(min(1.0 + 0.72 * len(drugs), 9.5), 1.3 + 0.3 * len(clones)), layout="constrained")
        ax = fig.add_subplot()
        for y, clone in enumerate(clones):
            for x, drug in enumerate(drugs):
                call, pre = clone_call(result, kb, clone, drug)
                ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=CALL_COLOURS[call],
                                       edgecolor="white", linewidth=1.5))
                ax.text(x, y, t(lang, call), ha="center", va="center", fontsize=7, color=_CALL_TEXT[call])
                if pre:
                    ax.text(x + 0.42, y - 0.4, "P", ha="right", va="top", fontsize=6.5, fontweight="bold",
                            color="black", bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                                                 "edgecolor": "none"})
        ax.set_xlim(-0.5, len(drugs) - 0.5)
        ax.set_ylim(len(clones) - 0.5, -0.5)
        ax.set_xticks(range(len(drugs)), names, rotation=35, ha="right", fontsize=8)
        ax.set_yticks(range(len(clones)), clones, fontsize=8)
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        handles = [Patch(facecolor=CALL_COLOURS[c], label=t(lang, c)) for c in CALL_COLOURS]
        handles.append(Patch(facecolor="white", edgecolor="white", label=t(lang, "fig_preclinical")))
        fig.legend(handles=handles, loc="outside lower center", ncols=5, fontsize=7, frameon=False)
        return _to_svg(fig, label, "heatmap")


# --------------------------------------------------------------------------- 2. efficacy


def _not_reached(e: Efficacy) -> bool:
    return e.value is None and (e.value_text or "").strip().lower() in ("not reached", "nr")


def _numeric(effs: list[Efficacy], base: str) -> Efficacy | None:
    """The option's result for one endpoint: a number, or a median not reached."""
    return next((e for e in effs if e.endpoint.partition(" (")[0] == base
                 and (e.value is not None or _not_reached(e))), None)


def _panel(ax: Axes, rows: list[tuple[str, Efficacy | None]], title: str, xmax: float, nr_text: str) -> None:
    for y, (_, e) in enumerate(rows):
        if e is None:
            continue
        if e.value is None:  # median not reached: an arrow from its lower bound (or 0) to the edge
            low = e.ci_low or 0.0
            ax.annotate("", xy=(xmax, y), xytext=(low, y),
                        arrowprops={"arrowstyle": "-|>", "color": "#2166ac", "linewidth": 1.2})
            ax.annotate(nr_text + (f" (≥{low:g})" if e.ci_low is not None else ""), (xmax, y), xytext=(-2, 5),
                        textcoords="offset points", ha="right", fontsize=7, color="#2166ac")
            continue
        low = e.ci_low if e.ci_low is not None else e.value
        high = e.ci_high if e.ci_high is not None else (xmax if e.ci_low is not None else e.value)
        ax.plot([low, high], [y, y], color="#333333", linewidth=1.2)
        ax.plot([e.value], [y], marker="s", color="#2166ac", markersize=5)
        ax.annotate(f"{e.value:g}", (e.value, y), xytext=(0, 5), textcoords="offset points", ha="center",
                    fontsize=7)
    ax.set_title(title, fontsize=9)
    ax.set_xlim(0, xmax)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def efficacy_forest(result: Result) -> str:
    lang = result.language
    label = t(lang, "r_efficacy_figure")
    opts = [o for o in result.options if not o.concern and any(
        _numeric(o.expected_efficacy, base) for base in ("ORR", "PFS", "iORR"))]
    if not opts:
        return ""
    names = [f"{o.rank}. {_short(o.name, 16 if lang == 'zh' else 26)}" for o in opts]
    panels = [("ORR", t(lang, "fig_orr"), 100.0), ("PFS", t(lang, "fig_pfs"), 0.0)]
    if any(_numeric(o.expected_efficacy, "iORR") for o in opts):
        panels.append(("iORR", t(lang, "fig_iorr"), 100.0))
    pfs = [e for o in opts if (e := _numeric(o.expected_efficacy, "PFS")) is not None]
    pfs_max = max([0.0] + [max(e.value or 0.0, e.ci_high or 0.0, e.ci_low or 0.0) for e in pfs])
    lines = sum(n.count("\n") + 1 for n in names)
    with _style():
        fig = Figure(figsize=(9.0, 0.9 + 0.32 * max(lines, len(opts))), layout="constrained")
        axes = fig.subplots(1, len(panels), sharey=True)
        for ax, (base, title, xmax) in zip(axes, panels, strict=True):
            rows = [(n, _numeric(o.expected_efficacy, base)) for n, o in zip(names, opts, strict=True)]
            _panel(ax, rows, title, xmax or max(6.0, pfs_max * 1.15), t(lang, "value_not_reached"))
        axes[0].set_yticks(range(len(opts)), names, fontsize=8)
        axes[0].set_ylim(len(opts) - 0.5, -0.5)
        return _to_svg(fig, label, "efficacy")


# --------------------------------------------------------------------------- 3. swimmer


def _regimen_class(kb: KnowledgeBase, names: list[str]) -> tuple[str, str]:
    classes = []
    for name in names:
        try:
            classes.append(find_drug(kb, name).drug_class)
        except LookupFailed:
            classes.append(s.DrugClass.other)
    if s.DrugClass.alk_tki in classes:
        return "#4575b4", "cat_alk_tki"
    if s.DrugClass.chemotherapy in classes:
        return "#969696", "cat_chemotherapy"
    return "#8073ac", "stop_other"


def _drug_short(kb: KnowledgeBase, name: str, lang: str) -> str:
    try:
        drug = find_drug(kb, name)
    except LookupFailed:
        return name
    return _short(drug.name_zh, 12) if lang == "zh" else drug.inn


_END_MARKERS = {"progression": ("X", "#d73027"), "toxicity": ("D", "#f46d43"), "completed": ("|", "#000000"),
                "other": ("o", "#555555"), "ongoing": (">", "#1a9850")}


def treatment_swimmer(case: Case, kb: KnowledgeBase, lang: str) -> str:
    label = t(lang, "r_swimmer")
    if not case.history:
        return ""
    # Lines follow each other on one time axis only when every duration is known; otherwise each bar
    # starts at 0 (months on that line) and a line of unknown length is an empty dashed box, not a guess.
    cumulative = all(h.months is not None for h in case.history)
    known = [h.months for h in case.history if h.months is not None]
    total = sum(known) if cumulative else max(known, default=0.0)
    total = max(total, 6.0)
    with _style():
        fig = Figure(figsize=(8.0, 1.1 + 0.45 * len(case.history)), layout="constrained")
        ax = fig.add_subplot()
        start = 0.0
        seen: dict[str, str] = {}
        for y, h in enumerate(case.history):
            colour, cls = _regimen_class(kb, h.regimen)
            text = " + ".join(_drug_short(kb, n, lang) for n in h.regimen)
            if h.best_response:
                text += f" · {h.best_response.value}"
            if h.months is None:
                text += f" · {t(lang, 'fig_months_unknown')}"
                ax.add_patch(Rectangle((0, y - 0.275), total * 1.05, 0.55, facecolor="none", edgecolor=colour,
                                       linestyle="--", linewidth=1.0))
                ax.text(total * 0.525, y, "?", ha="center", va="center", fontsize=9, color=colour)
                seen.setdefault(cls, colour)
                ax.text(0.01 * total, y - 0.38, text, va="bottom", ha="left", fontsize=7.5)
                continue
            width = h.months
            seen.setdefault(cls, colour)
            ax.barh(y, width, left=start, height=0.55, color=colour, edgecolor="white")
            ax.text(start + 0.01 * total, y - 0.38, text, va="bottom", ha="left", fontsize=7.5)
            if h.stopped_for:
                marker, mcolour = _END_MARKERS[h.stopped_for.value]
                ax.plot([start + width], [y], marker=marker, color=mcolour, markersize=7, linestyle="none")
            if cumulative:
                start += width
        ax.set_yticks(range(len(case.history)), [t(lang, "fig_line", n=str(i + 1)) for i in range(len(case.history))])
        ax.set_ylim(len(case.history) - 0.4, -0.9)
        ax.set_xlim(0, total * 1.05)
        ax.set_xlabel(t(lang, "fig_months" if cumulative else "fig_months_each"))
        ax.grid(axis="x", color="#eeeeee", linewidth=0.6)
        ax.set_axisbelow(True)
        handles: list[Any] = [Patch(facecolor=c, label=t(lang, k)) for k, c in seen.items()]
        used = {h.stopped_for.value for h in case.history if h.stopped_for}
        handles += [Line2D([], [], marker=m, color=c, linestyle="none", label=term(lang, "stop", k))
                    for k, (m, c) in _END_MARKERS.items() if k in used]
        fig.legend(handles=handles, loc="outside lower center", ncols=6, fontsize=7, frameon=False)
        return _to_svg(fig, label, "swimmer")


def all_figures(case: Case, result: Result, kb: KnowledgeBase) -> dict[str, str]:
    """The figures that have something to show (a figure without data is left out, not drawn empty)."""
    figures = {"efficacy": efficacy_forest(result), "heatmap": mutation_heatmap(result, kb),
               "swimmer": treatment_swimmer(case, kb, result.language)}
    return {k: v for k, v in figures.items() if v}
