"""Sensitivity sweeps: many parameter sets, each a whole simulation, run in one process or on Dask.

Each task is a pure function of (parameter overrides, strategies, patients, seed, refit settings), so a
sweep gives the same numbers on one process, a local Dask cluster or a remote one
(``--scheduler tcp://...``).

Refit (the default): every set draws the assumed and derived parameters only, and the calibrated
ones (kill rates, CNS seed size, adaptive share, persister cross-tolerance) are fitted again to the
same calibration targets for that set, on the set's own virtual patients, before the strategies run.
A sweep then shows how the comparison depends on the assumptions *given that the model still
reproduces the calibration trials*. Without refit (``refit=False``) the calibrated values vary by
+-25% around the published fit instead, which mixes assumption uncertainty with miscalibration.
Workers load the knowledge base once per process (``_context``: loading is pure, so memoising it
cannot leak state between tasks).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from alknav.errors import CaseError
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.simulate import stats
from alknav.simulate.params import Model
from alknav.simulate.run import calibrated_model, parse_strategies, simulate

LOG_SCALE_SPAN = 10.0  # parameters whose high/low ratio exceeds this are drawn log-uniformly


@dataclass(frozen=True)
class Task:
    index: int
    overrides: tuple[tuple[str, float], ...]
    strategies: tuple[str, ...]
    patients: int
    seed: int
    kb_root: str | None
    refit: bool = False
    fit_steps: int = 0  # bisection steps per parameter when refitting (0: the calibration's own)
    fit_passes: int = 0


@lru_cache(maxsize=2)
def _targets(kb_root: str | None) -> list[Any]:
    from alknav.simulate.params import load_targets

    return load_targets(_context(kb_root)[0])


@lru_cache(maxsize=2)
def _context(kb_root: str | None) -> tuple[KnowledgeBase, Model]:
    from alknav.kb.loader import load_kb

    kb = load_kb(Path(kb_root) if kb_root else None)
    return kb, calibrated_model(kb)


def draw_sets(model: Model, sets: int, seed: int, refit: bool = False) -> list[dict[str, float]]:
    """Parameter sets drawn uniformly (log-uniformly for wide ranges) within each parameter's bounds;
    with refit, calibrated parameters are not drawn (they are fitted again per set)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
    ranges = sorted(model.ranges(include_calibrated=not refit).items())
    out = []
    for _ in range(sets):
        values = {}
        for key, (_, lo, hi) in ranges:
            u = rng.random()
            if lo > 0 and hi / lo > LOG_SCALE_SPAN:
                values[key] = float(np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo))))
            else:
                values[key] = float(lo + u * (hi - lo))
        out.append(values)
    return out


def run_task(task: Task) -> dict[str, Any]:
    """One parameter set: medians of PFS1 and PFS2 per strategy (module-level so Dask can ship it)."""
    kb, base = _context(task.kb_root)
    model = base.with_values(dict(task.overrides))
    fitted: dict[str, float] = {}
    unreachable: list[str] = []
    if task.refit:
        from alknav.simulate.calibrate import FIT_PASSES, FIT_STEPS, fit

        model, rows = fit(kb, model, _targets(task.kb_root), patients=task.patients, seed=task.seed,
                          steps=task.fit_steps or FIT_STEPS, passes=task.fit_passes or FIT_PASSES)
        fitted = {r["parameter"]: r["value"] for r in rows}
        unreachable = sorted(r["parameter"] for r in rows if not r["reachable"])
    results = simulate(kb, model, parse_strategies(list(task.strategies), model), task.patients, task.seed)
    out: dict[str, Any] = {"index": task.index, "strategies": {}}
    if task.refit:
        out["fitted"] = fitted
        out["unreachable"] = unreachable
    for res in results:
        ep = stats.endpoints(res)
        out["strategies"][res.strategy.name] = {
            name: stats.km_median(ep[name].time, ep[name].event) if name in ep else None for name in ("pfs1", "pfs2")}
    return out


def make_tasks(model: Model, strategies: list[str], sets: int, patients: int, seed: int,
               kb_root: Path | None = None, refit: bool = True, fit_steps: int = 0, fit_passes: int = 0) -> list[Task]:
    # every set simulates the same virtual patients (one seed), so differences come from parameters
    return [Task(i, tuple(sorted(v.items())), tuple(strategies), patients, seed, str(kb_root) if kb_root else None,
                 refit, fit_steps, fit_passes)
            for i, v in enumerate(draw_sets(model, sets, seed, refit))]


def run(tasks: list[Task], client: Any = None) -> list[dict[str, Any]]:
    """Run tasks here (client None) or on a dask.distributed Client; results in task order."""
    if client is None:
        return [run_task(t) for t in tasks]
    futures = client.map(run_task, tasks, pure=False)
    results: list[dict[str, Any]] = client.gather(futures)
    return sorted(results, key=lambda r: int(r["index"]))


def connect(scheduler: str | None, workers: int) -> tuple[Any, Any]:
    """(client, cluster): a client on an existing scheduler, or on a local cluster we start (and close)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise CaseError("--scheduler", "Dask is not installed: pip install 'alknav[simulate]'") from exc
    if scheduler:
        if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://", "ucx://")):
            raise CaseError("--scheduler", f"'{scheduler}' is not a scheduler address such as tcp://host:8786")
        try:
            return Client(scheduler, timeout="10s"), None  # type: ignore[no-untyped-call]
        except OSError as exc:
            raise CaseError("--scheduler", f"cannot reach {scheduler}: {exc}") from exc
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster  # type: ignore[no-untyped-call]


def summarize(tasks: list[Task], results: list[dict[str, Any]], executor: str) -> dict[str, Any]:
    """Percentiles (2.5, 50, 97.5) of each strategy's medians over the sets, how often each strategy
    has the longest PFS2, and Spearman correlations of each parameter with the first strategy's PFS2."""
    names = list(tasks[0].strategies) if tasks else []
    keys = [r["strategies"] for r in results]
    order = list(keys[0]) if keys else []
    summary: dict[str, Any] = {}
    for name in order:
        block = {}
        for ep in ("pfs1", "pfs2"):
            vals = np.array([k[name][ep] if k[name][ep] is not None else np.nan for k in keys], dtype=float)
            if np.isfinite(vals).any():
                block[ep] = [round(float(x), 2) for x in np.nanpercentile(vals, [2.5, 50, 97.5])]
        summary[name] = block
    best: dict[str, float] = {}
    if order and all(k[n]["pfs2"] is not None for k in keys for n in order):
        winners = [max(order, key=lambda n, k=k: k[n]["pfs2"]) for k in keys]  # type: ignore[misc]
        best = {n: round(winners.count(n) / len(winners), 4) for n in order if winners.count(n)}
    influence: dict[str, float] = {}
    if order and len(results) >= 5:
        first = np.array([k[order[0]]["pfs2"] if k[order[0]]["pfs2"] is not None else np.nan for k in keys])
        if np.isfinite(first).all():
            params = sorted(dict(tasks[0].overrides))
            ranks_y = np.argsort(np.argsort(first))
            for p in params:
                x = np.array([dict(t.overrides)[p] for t in tasks])
                rx = np.argsort(np.argsort(x))
                if np.std(rx) > 0 and np.std(ranks_y) > 0:
                    influence[p] = round(float(np.corrcoef(rx, ranks_y)[0, 1]), 3)
    refit = bool(tasks and tasks[0].refit)
    return {"sets": len(results), "patients": tasks[0].patients if tasks else 0, "executor": executor,
            "refit": refit,
            "strategies": names, "summary": summary, "best_share": best, "influence": influence,
            "per_set": results}
