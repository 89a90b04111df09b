"""The report's three figures as inline SVG strings, written directly (no plotting library).

1. mutation_heatmap: the patient's ALK clones x every ALK TKI, coloured by the curated call;
2. efficacy_forest: ORR, median PFS (and intracranial ORR) of the candidate options in their trials;
3. treatment_swimmer: the history regimens on a months axis.

Text stays text with a CSS font stack that names Noto Sans CJK SC first, so a Chinese label renders
wherever that font is installed. Text widths are estimated from the characters (a CJK character is
one em wide, a Latin one about 0.6 em), which is enough to lay out labels and legends. Output is
deterministic and has no ids to collide when the three figures share a page (arrow heads are drawn
as paths, not markers). Drawing them this way takes milliseconds; matplotlib took about a second
to import and draw.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence

from alknav.errors import LookupFailed
from alknav.inputs.case_model import Case
from alknav.kb import schema as s
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.kb.query import best_call, find_drug, find_mutation, matrix_drugs
from alknav.outputs.i18n import t, term
from alknav.outputs.render import RenderedResult as Result
from alknav.recommend.result import Efficacy

CSS_FONT_STACK = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Noto Sans', 'DejaVu Sans', sans-serif"
CALL_COLOURS = {"sensitive": "#1a9850", "intermediate": "#fdae61", "resistant": "#d73027", "unknown": "#d9d9d9"}
_CALL_TEXT = {"sensitive": "white", "intermediate": "black", "resistant": "white", "unknown": "black"}
_PT = 96 / 72  # px per point: sizes below are in points, as the report's CSS is


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(text: str) -> str:
    return _esc(text).replace('"', "&quot;")


def _short(name: str, width: int) -> str:
    name = re.sub(r"（[^）]*）$", "", name)
    return "\n".join(textwrap.wrap(name, width)) or name


def _text_width(text: str, size: float) -> float:
    """Estimated width of the longest line of `text` at `size`."""
    return max(sum(size if ord(c) >= 0x2E80 else 0.6 * size for c in line) for line in text.split("\n"))


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Svg:
    """A small SVG writer: shapes and text in user units, serialised with a viewBox."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def rect(self, x: float, y: float, w: float, h: float, fill: str, stroke: str = "none", width: float = 0.0,
             dash: bool = False) -> None:
        extra = f' stroke="{stroke}" stroke-width="{_num(width)}"' if stroke != "none" else ""
        if dash:
            extra += ' stroke-dasharray="4 3"'
        self.parts.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
                          f'fill="{fill}"{extra}/>')

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str, width: float = 1.0) -> None:
        self.parts.append(f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" '
                          f'stroke="{stroke}" stroke-width="{_num(width)}"/>')

    def path(self, d: str, fill: str, stroke: str = "none", width: float = 1.0) -> None:
        extra = f' stroke="{stroke}" stroke-width="{_num(width)}"' if stroke != "none" else ""
        self.parts.append(f'<path d="{d}" fill="{fill}"{extra}/>')

    def text(self, x: float, y: float, text: str, size: float = 9.0, anchor: str = "start", fill: str = "black",
             bold: bool = False, middle: bool = True, rotate: float = 0.0) -> None:
        """One <text> per line; `y` is the middle of the block when `middle`, else its first baseline."""
        lines = text.split("\n")
        step = size * 1.2
        first = y - step * (len(lines) - 1) / 2 + 0.35 * size if middle else y
        weight = ' font-weight="bold"' if bold else ""
        for i, line in enumerate(lines):
            ly = first + i * step
            turn = f' transform="rotate({_num(rotate)} {_num(x)} {_num(ly)})"' if rotate else ""
            self.parts.append(f'<text x="{_num(x)}" y="{_num(ly)}" font-size="{_num(size)}" text-anchor="{anchor}" '
                              f'fill="{fill}"{weight}{turn}>{_esc(line)}</text>')

    def marker(self, kind: str, x: float, y: float, colour: str, size: float) -> None:
        r = size / 2
        if kind == "s":
            self.rect(x - r, y - r, size, size, colour)
        elif kind == "o":
            self.parts.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}" fill="{colour}"/>')
        elif kind == "D":
            self.path(f"M{_num(x)} {_num(y - r)}L{_num(x + r)} {_num(y)}L{_num(x)} {_num(y + r)}"
                      f"L{_num(x - r)} {_num(y)}Z", colour)
        elif kind == ">":
            self.path(f"M{_num(x - r)} {_num(y - r)}L{_num(x + r)} {_num(y)}L{_num(x - r)} {_num(y + r)}Z", colour)
        elif kind == "|":
            self.line(x, y - r, x, y + r, colour, 1.5)
        else:  # "X"
            self.line(x - r, y - r, x + r, y + r, colour, 2.0)
            self.line(x - r, y + r, x + r, y - r, colour, 2.0)

    def legend(self, items: Sequence[tuple[str, str, str]], x: float, y: float, width: float,
               size: float = 7.0) -> float:
        """(kind 'box'|marker|'blank', colour, label) items in rows that fit `width`; returns the height used."""
        widths = [14 + _text_width(label, size) + 12 for _, _, label in items]
        rows: list[list[int]] = [[]]
        used = 0.0
        for i, w in enumerate(widths):
            if rows[-1] and used + w > width:
                rows.append([])
                used = 0.0
            rows[-1].append(i)
            used += w
        for r, row in enumerate(rows):
            cx = x + (width - sum(widths[i] for i in row)) / 2
            cy = y + r * (size + 6) + size / 2
            for i in row:
                kind, colour, label = items[i]
                if kind == "box":
                    self.rect(cx, cy - size / 2, 10, size, colour)
                elif kind != "blank":
                    self.marker(kind, cx + 5, cy, colour, size)
                self.text(cx + 14, cy, label, size)
                cx += widths[i]
        return len(rows) * (size + 6)

    def svg(self, width: float, height: float, label: str) -> str:
        body = "\n".join(self.parts)
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height)}" '
                f'role="img" aria-label="{_attr(label)}" class="figure" font-family="{_attr(CSS_FONT_STACK)}">\n'
                f"{body}\n</svg>")


def _ticks(xmax: float) -> list[float]:
    """About six round ticks from 0 to xmax."""
    raw = xmax / 6
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [i * step for i in range(int(xmax / step + 1e-9) + 1)]


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
    cell_w, cell_h, size = 50.0, 30.0, 8.0
    left = 8 + max(_text_width(c, size) for c in clones)
    name_drop = max(_text_width(n, size) for n in names) * math.sin(math.radians(35)) + 2 * size
    width = max(left + cell_w * len(drugs) + 8, 360.0)
    svg = _Svg()
    for y, clone in enumerate(clones):
        cy = 6 + y * cell_h
        svg.text(left - 6, cy + cell_h / 2, clone, size, anchor="end")
        for x, drug in enumerate(drugs):
            call, pre = clone_call(result, kb, clone, drug)
            cx = left + x * cell_w
            svg.rect(cx, cy, cell_w, cell_h, CALL_COLOURS[call], stroke="white", width=1.5)
            svg.text(cx + cell_w / 2, cy + cell_h / 2, t(lang, call), 7, anchor="middle", fill=_CALL_TEXT[call])
            if pre:
                svg.rect(cx + cell_w - 11, cy + 2, 9, 9, "white")
                svg.text(cx + cell_w - 6.5, cy + 6.5, "P", 6.5, anchor="middle", bold=True)
    bottom = 6 + len(clones) * cell_h
    for x, name in enumerate(names):
        cx = left + (x + 0.5) * cell_w
        svg.text(cx, bottom + size + 4, name.replace("\n", " "), size, anchor="end", middle=False, rotate=-35)
    items = [("box", CALL_COLOURS[c], t(lang, c)) for c in CALL_COLOURS]
    items.append(("blank", "white", t(lang, "fig_preclinical")))
    legend_y = bottom + name_drop + 6
    used = svg.legend(items, 0, legend_y, width)
    return svg.svg(width, legend_y + used + 4, label)


# --------------------------------------------------------------------------- 2. efficacy


def _not_reached(e: Efficacy) -> bool:
    return e.value is None and (e.value_text or "").strip().lower() in ("not reached", "nr")


def _numeric(effs: list[Efficacy], base: str) -> Efficacy | None:
    """The option's result for one endpoint: a number, or a median not reached."""
    return next((e for e in effs if e.endpoint.partition(" (")[0] == base
                 and (e.value is not None or _not_reached(e))), None)


def _panel(svg: _Svg, rows: list[Efficacy | None], title: str, xmax: float, nr_text: str, box: tuple[float, ...]
           ) -> None:
    x0, y0, w, row_h = box
    height = row_h * len(rows)

    def at(v: float) -> float:
        return x0 + w * min(max(v, 0.0), xmax) / xmax

    svg.text(x0 + w / 2, y0 - 8, title, 9, anchor="middle")
    for tick in _ticks(xmax):
        svg.line(at(tick), y0, at(tick), y0 + height, "#dddddd", 0.6)
        svg.text(at(tick), y0 + height + 11, _num(tick), 7.5, anchor="middle")
    svg.line(x0, y0 + height, x0 + w, y0 + height, "#333333", 0.8)
    svg.line(x0, y0, x0, y0 + height, "#333333", 0.8)
    for i, e in enumerate(rows):
        if e is None:
            continue
        y = y0 + (i + 0.5) * row_h
        if e.value is None:  # median not reached: an arrow from its lower bound (or 0) to the edge
            low = e.ci_low or 0.0
            svg.line(at(low), y, x0 + w - 5, y, "#2166ac", 1.2)
            svg.path(f"M{_num(x0 + w)} {_num(y)}L{_num(x0 + w - 7)} {_num(y - 3.5)}L{_num(x0 + w - 7)} "
                     f"{_num(y + 3.5)}Z", "#2166ac")
            svg.text(x0 + w - 2, y - 6, nr_text + (f" (≥{low:g})" if e.ci_low is not None else ""), 7,
                     anchor="end", fill="#2166ac", middle=False)
            continue
        low = e.ci_low if e.ci_low is not None else e.value
        high = e.ci_high if e.ci_high is not None else (xmax if e.ci_low is not None else e.value)
        svg.line(at(low), y, at(high), y, "#333333", 1.2)
        svg.marker("s", at(e.value), y, "#2166ac", 6)
        svg.text(at(e.value), y - 6, f"{e.value:g}", 7, anchor="middle", middle=False)


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
    lines = max(n.count("\n") + 1 for n in names)
    row_h = max(30.0, 10.0 * lines + 10)
    size = 8.0
    left = 8 + max(_text_width(n, size) for n in names)
    width = 648.0  # 9 inches in points
    gap = 18.0
    panel_w = (width - left - gap * len(panels)) / len(panels)
    top = 22.0
    svg = _Svg()
    for i, name in enumerate(names):
        svg.text(left - 6, top + (i + 0.5) * row_h, name, size, anchor="end")
    for p, (base, title, xmax) in enumerate(panels):
        rows = [_numeric(o.expected_efficacy, base) for o in opts]
        x0 = left + 6 + p * (panel_w + gap)
        _panel(svg, rows, title, xmax or max(6.0, pfs_max * 1.15), t(lang, "value_not_reached"),
               (x0, top, panel_w, row_h))
    return svg.svg(width, top + row_h * len(opts) + 20, label)


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
    xmax = total * 1.05
    labels = [t(lang, "fig_line", n=str(i + 1)) for i in range(len(case.history))]
    left = 10 + max(_text_width(x, 9) for x in labels)
    width, row_h, top = 576.0, 34.0, 8.0  # 8 inches in points
    plot_w = width - left - 16

    def at(v: float) -> float:
        return left + plot_w * v / xmax

    svg = _Svg()
    height = row_h * len(case.history)
    for tick in _ticks(xmax):
        svg.line(at(tick), top, at(tick), top + height, "#eeeeee", 0.6)
        svg.text(at(tick), top + height + 11, _num(tick), 7.5, anchor="middle")
    svg.line(left, top + height, left + plot_w, top + height, "#333333", 0.8)
    svg.line(left, top, left, top + height, "#333333", 0.8)
    start = 0.0
    seen: dict[str, str] = {}
    for y, h in enumerate(case.history):
        colour, cls = _regimen_class(kb, h.regimen)
        seen.setdefault(cls, colour)
        text = " + ".join(_drug_short(kb, n, lang) for n in h.regimen)
        if h.best_response:
            text += f" · {h.best_response.value}"
        row_top = top + y * row_h
        bar_y, bar_h = row_top + 15, 14.0
        svg.text(left - 6, bar_y + bar_h / 2, labels[y], 9, anchor="end")
        if h.months is None:
            text += f" · {t(lang, 'fig_months_unknown')}"
            svg.rect(at(0), bar_y, plot_w, bar_h, "none", stroke=colour, width=1.0, dash=True)
            svg.text(at(total * 0.525), bar_y + bar_h / 2, "?", 9, anchor="middle", fill=colour)
            svg.text(at(0.01 * total), row_top + 11, text.replace("\n", " "), 7.5, middle=False)
            continue
        width_m = h.months
        svg.rect(at(start), bar_y, at(start + width_m) - at(start), bar_h, colour, stroke="white", width=0.8)
        svg.text(at(start + 0.01 * total), row_top + 11, text.replace("\n", " "), 7.5, middle=False)
        if h.stopped_for:
            marker, mcolour = _END_MARKERS[h.stopped_for.value]
            svg.marker(marker, at(start + width_m), bar_y + bar_h / 2, mcolour, 8)
        if cumulative:
            start += width_m
    axis_y = top + height + 26
    svg.text(left + plot_w / 2, axis_y, t(lang, "fig_months" if cumulative else "fig_months_each"), 9,
             anchor="middle")
    items = [("box", c, t(lang, k)) for k, c in seen.items()]
    used_stops = {h.stopped_for.value for h in case.history if h.stopped_for}
    items += [(m, c, term(lang, "stop", k)) for k, (m, c) in _END_MARKERS.items() if k in used_stops]
    legend_y = axis_y + 10
    used = svg.legend(items, 0, legend_y, width)
    return svg.svg(width, legend_y + used + 4, label)


def all_figures(case: Case, result: Result, kb: KnowledgeBase) -> dict[str, str]:
    """The figures that have something to show (a figure without data is left out, not drawn empty)."""
    figures = {"efficacy": efficacy_forest(result), "heatmap": mutation_heatmap(result, kb),
               "swimmer": treatment_swimmer(case, kb, result.language)}
    return {k: v for k, v in figures.items() if v}
