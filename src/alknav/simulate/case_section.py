"""The simulator section of a patient's report (`alknav report CASE --simulate`).

Virtual patients receive this patient's earlier lines (the case's history, as simulator agents), and
from the progression on the last of them the engine-guided strategy ('... > alknav') is compared with
two or three fixed sequences. Endpoints are counted from the start of the next line. The virtual
cohort is matched to the patient only by treatment history (and brain metastases, when the case
reports them); it is no prediction for this patient. HYPOTHESIS-GENERATING, like every simulator output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alknav.inputs.case_model import Case
from alknav.kb.loader import KnowledgeBase
from alknav.simulate import model as m
from alknav.simulate import stats
from alknav.simulate.params import CHEMO, MET, TKIS, Model
from alknav.simulate.strategies import ALKNAV, SequenceResult, agents_of

DEFAULT_PATIENTS = 5000
DEFAULT_SEED = 1
GRID_MONTHS = 0.5
PLOT_MONTHS = 60.0
COLOURS = ("#1b6ca8", "#c0392b", "#27804a", "#8e44ad")
# Fixed sequences to compare with, by the last ALK TKI received (None: treatment-naive).
FIXED: dict[str | None, tuple[str, ...]] = {
    None: ("alectinib>lorlatinib>chemotherapy", "lorlatinib>chemotherapy", "brigatinib>lorlatinib>chemotherapy"),
    "crizotinib": ("alectinib>lorlatinib>chemotherapy", "lorlatinib>chemotherapy", "chemotherapy>lorlatinib"),
    "second_generation": ("lorlatinib>chemotherapy", "chemotherapy>lorlatinib", "chemotherapy"),
    "lorlatinib": ("chemotherapy", "chemotherapy+lorlatinib"),
}
SECOND_GENERATION = ("alectinib", "brigatinib", "ensartinib")


@dataclass
class SimulationSection:
    """What the report template shows (numbers already rounded; text keys for i18n)."""

    available: bool
    reason: str = ""  # why not, when not available (drug names as given)
    history: list[str] = field(default_factory=list)  # prior lines as simulated
    rows: list[dict[str, Any]] = field(default_factory=list)  # per strategy: name, guided, medians
    svg_pfs: str = ""
    svg_pfs2: str = ""
    patients: int = 0
    entered: int = 0
    seed: int = 0
    brain_metastases_only: bool = False


def _agents(kb: KnowledgeBase, model: Model, regimen: list[str]) -> tuple[str, ...] | None:
    from alknav.errors import AlknavError
    from alknav.kb.query import find_drug

    try:
        drugs = [find_drug(kb, name).id for name in regimen]
    except (AlknavError, LookupError):
        return None
    return agents_of(model, drugs)


def local_name(kb: KnowledgeBase, strategy: str, lang: str, tr: Any) -> str:
    """'lorlatinib>chemotherapy' in the report's language (INN, or the Chinese generic name)."""
    if strategy == ALKNAV:
        return ALKNAV

    def agent(a: str) -> str:
        if a in (CHEMO, MET):
            return str(tr(f"r_sim_agent_{a}"))
        drug = kb.drugs.get(a)
        return drug.name_zh if (drug is not None and lang == "zh" and drug.name_zh) else a

    sep = " → "
    return sep.join(" + ".join(agent(a) for a in step.split("+")) for step in strategy.split(">"))


def _fixed_for(prior: list[tuple[str, ...]]) -> tuple[str, ...]:
    tkis = [a for line in prior for a in line if a in TKIS]
    if not tkis:
        return FIXED[None]
    last = tkis[-1]
    return FIXED["second_generation" if last in SECOND_GENERATION else last]


def _svg(curves: list[tuple[int, np.ndarray, np.ndarray]], label: str, x_label: str, y_label: str) -> str:
    """A small inline SVG of step curves (no external assets; text in the page's fonts)."""
    w, h, left, right, top, bottom = 640, 300, 52, 12, 12, 40
    pw, ph = w - left - right, h - top - bottom

    def x(t: float) -> float:
        return left + pw * min(t, PLOT_MONTHS) / PLOT_MONTHS

    def y(s: float) -> float:
        return top + ph * (1 - s)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" class="figure sim-km" '
             f'aria-label="{_esc(label)}">']
    for s in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y(s):.1f}" y2="{y(s):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y(s) + 4:.1f}" font-size="11" text-anchor="end">{s:.2f}</text>')
    for t in range(0, int(PLOT_MONTHS) + 1, 12):
        parts.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{top + ph}" stroke="#eee"/>'
                     f'<text x="{x(t):.1f}" y="{top + ph + 16}" font-size="11" text-anchor="middle">{t}</text>')
    parts.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
    for i, grid, surv in curves:  # i: the strategy's row (its colour; row 0, the guided one, dashed)
        keep = grid <= PLOT_MONTHS
        pts = [f"{x(float(grid[0])):.1f},{y(float(surv[0])):.1f}"]
        for g, s_prev, s in zip(grid[keep][1:], surv[keep][:-1], surv[keep][1:], strict=True):
            pts.append(f"{x(float(g)):.1f},{y(float(s_prev)):.1f}")
            if s != s_prev:
                pts.append(f"{x(float(g)):.1f},{y(float(s)):.1f}")
        dash = ' stroke-dasharray="6 3"' if i == 0 else ""
        parts.append(f'<polyline fill="none" stroke="{COLOURS[i % len(COLOURS)]}" stroke-width="2"{dash} '
                     f'points="{" ".join(pts)}"/>')
    parts.append(f'<text x="{left + pw / 2:.1f}" y="{h - 6}" font-size="12" text-anchor="middle">{_esc(x_label)}</text>'
                 f'<text x="14" y="{top + ph / 2:.1f}" font-size="12" text-anchor="middle" '
                 f'transform="rotate(-90 14 {top + ph / 2:.1f})">{_esc(y_label)}</text></svg>')
    return "".join(parts)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _curve(ep: stats.Endpoint) -> tuple[np.ndarray, np.ndarray]:
    grid = np.arange(0.0, PLOT_MONTHS + GRID_MONTHS, GRID_MONTHS)
    t, s = stats.km(ep.time, ep.event)
    return grid, s[np.searchsorted(t, grid, side="right") - 1]


def build(case: Case, kb: KnowledgeBase, texts: dict[str, str], patients: int = DEFAULT_PATIENTS,
          seed: int = DEFAULT_SEED) -> SimulationSection:
    """Simulate the patient's situation; texts: localised figure labels (aria, x axis, y axis, pfs2)."""
    from alknav.simulate.run import calibrated_model, parse_strategies, simulate

    model = calibrated_model(kb)
    naive = case.current.status.value == "treatment_naive"
    prior: list[tuple[str, ...]] = []
    for entry in [] if naive else case.history:
        agents = _agents(kb, model, entry.regimen)
        if agents is None:
            return SimulationSection(False, reason=" + ".join(entry.regimen), seed=seed, patients=patients)
        prior.append(agents)
    prefix = ">".join("+".join(a) for a in prior)
    texts_ = [f"{prefix}>{s}" if prefix else s for s in (ALKNAV, *_fixed_for(prior))]
    strategies = parse_strategies(texts_, model)
    results = simulate(kb, model, strategies, patients, seed)
    bm_only = bool(case.current.cns.brain_metastases)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(66)[65])
    rows, pfs_curves, pfs2_curves = [], [], []
    entered = 0
    for i, res in enumerate(results):
        later: SequenceResult = res.from_line(len(prior))
        if bm_only:
            later = _brain_metastases(later, res, len(prior))
        entered = int(later.duration.shape[0])
        ep = stats.endpoints(later)
        name = ALKNAV if res.strategy.name.endswith(ALKNAV) else res.strategy.name[len(prefix) + 1 if prefix else 0:]
        row: dict[str, Any] = {"name": name, "guided": res.strategy.guided}
        for key in ("pfs1", "pfs2", "time_to_chemotherapy"):
            row[key] = stats.median_interval(ep[key].time, ep[key].event, rng) if key in ep and entered else None
        if res.strategy.guided:
            row["regimens"] = _first_choices(later)
        rows.append(row)
        pfs_curves.append((i, *_curve(ep["pfs1"])))
        if "pfs2" in ep:
            pfs2_curves.append((i, *_curve(ep["pfs2"])))
    return SimulationSection(
        True, history=[" + ".join(a) for a in prior], rows=rows,
        svg_pfs=_svg(pfs_curves, texts["aria_pfs"], texts["x"], texts["y"]),
        svg_pfs2=_svg(pfs2_curves, texts["aria_pfs2"], texts["x"], texts["y"]) if pfs2_curves else "",
        patients=patients, entered=entered, seed=seed, brain_metastases_only=bm_only)


def _brain_metastases(later: SequenceResult, res: SequenceResult, line: int) -> SequenceResult:
    """Only virtual patients with brain metastases by the start of that line (at baseline or a CNS progression)."""
    entered = ~np.isnan(res.duration[:, line])
    cns = res.brain_metastases.copy()
    for k in range(line):
        cns |= res.event[:, k] == m.PROGRESSION_CNS
    keep = cns[entered]
    return SequenceResult(later.strategy, later.regimens, later.start[keep], later.duration[keep], later.event[keep],
                          later.regimen[keep], later.dominant[keep], later.brain_metastases[keep], later.engine)


def _first_choices(later: SequenceResult) -> list[tuple[str, float]]:
    """The engine's regimens at the next line and their shares (largest first, at most three)."""
    given = later.regimen[:, 0]
    given = given[given >= 0]
    if given.size == 0:
        return []
    counts = np.bincount(given, minlength=len(later.regimens))
    order = np.argsort(-counts, kind="stable")
    return [("+".join(later.regimens[i]), round(float(counts[i] / given.size), 3)) for i in order[:3] if counts[i]]
