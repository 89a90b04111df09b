"""Run strategies on one virtual cohort and summarise them (the library call the CLI makes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml

from alknav.kb.knowledge_base import KnowledgeBase
from alknav.simulate import LABEL, stats
from alknav.simulate import model as m
from alknav.simulate.params import DATA_DIR, Model, load_model
from alknav.simulate.strategies import EnginePolicy, SequenceResult, Strategy, parse_strategy, run_strategy

HORIZON = 240.0  # months of follow-up of a virtual cohort (20 years)
ENDPOINTS = ("pfs1", "pfs2", "time_to_chemotherapy", "ic_progression")


def calibrated_model(kb: KnowledgeBase, directory: Path | None = None) -> Model:
    """The parameters with the fitted values of calibrated.yaml (when present) applied."""
    model = load_model(kb, directory)
    path = (directory or DATA_DIR) / "calibrated.yaml"
    if path.exists():
        fitted = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        model = model.with_values({k: float(v) for k, v in (fitted.get("values") or {}).items()})
    return model


def cohort_seed(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


def simulate(kb: KnowledgeBase | None, model: Model, strategies: list[Strategy], patients: int, seed: int,
             horizon: float = HORIZON, policy: EnginePolicy | None = None) -> list[SequenceResult]:
    """The same virtual patients (one seed) through every strategy."""
    cohort = m.make_cohort(model, patients, cohort_seed(seed))
    if policy is None and kb is not None and any(s.guided for s in strategies):
        policy = EnginePolicy(kb, model)
    return [run_strategy(model, cohort, s, seed, horizon, policy) for s in strategies]


def parse_strategies(texts: list[str], model: Model) -> list[Strategy]:
    return [parse_strategy(t, model) for t in texts]


def _mechanisms(model: Model, res: SequenceResult) -> list[dict[str, Any]]:
    out = []
    for line in range(res.lines):
        ev = res.event[:, line]
        prog = (ev == m.PROGRESSION_SYSTEMIC) | (ev == m.PROGRESSION_CNS)
        n = int(prog.sum())
        if n == 0:
            continue
        counts = np.bincount(res.dominant[prog, line], minlength=len(model.clone_ids))
        given = np.bincount(res.regimen[res.regimen[:, line] >= 0, line], minlength=len(res.regimens))
        out.append({
            "line": line + 1,
            "progressions": n,
            "cns_share": round(float((ev == m.PROGRESSION_CNS).sum() / n), 4),
            "dominant_clone": {model.clone_ids[j]: round(float(c / n), 4) for j, c in enumerate(counts) if c},
            "regimens": {"+".join(res.regimens[r]): int(c) for r, c in enumerate(given) if c},
        })
    return out


def summarize(model: Model, results: list[SequenceResult], seed: int, patients: int) -> dict[str, Any]:
    """JSON-ready summary: per strategy the medians (bootstrap 95% intervals) of every endpoint,
    the mechanisms dominating each progression, and a comparison against the first strategy."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1 + 64)[64])  # apart from model draws
    rows = []
    eps = [stats.endpoints(r) for r in results]
    for res, ep in zip(results, eps, strict=True):
        row: dict[str, Any] = {"strategy": res.strategy.name}
        for name in ENDPOINTS:
            key = f"{name}_median" if name.startswith("pfs") else name
            row[key] = stats.median_interval(ep[name].time, ep[name].event, rng) if name in ep else None
        row["mechanisms"] = _mechanisms(model, res)
        if res.engine:
            row["engine"] = res.engine
        rows.append(row)
    comparison = []
    for res, ep in zip(results[1:], eps[1:], strict=True):
        item: dict[str, Any] = {"strategy": res.strategy.name, "versus": results[0].strategy.name}
        for name in ("pfs1", "pfs2"):
            if name in ep and name in eps[0]:
                item[f"{name}_hr"] = round(stats.cox_hr(ep[name].time, ep[name].event, eps[0][name].time,
                                                        eps[0][name].event), 4)
        comparison.append(item)
    return {"label": LABEL, "note": model.label, "patients": patients, "seed": seed, "horizon_months": HORIZON,
            "strategies": rows, "comparison": comparison}
