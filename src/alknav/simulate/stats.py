"""Survival summaries: Kaplan-Meier curves, medians with bootstrap intervals, Cox hazard ratios,
and the endpoints (PFS1, PFS2, time to chemotherapy, intracranial progression) of a sequence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alknav.simulate import model as m
from alknav.simulate.params import CHEMO
from alknav.simulate.strategies import SequenceResult

BOOTSTRAP = 200
BIN = 0.1  # months (about 3 days): resolution of a bootstrap median


@dataclass
class Endpoint:
    time: np.ndarray
    event: np.ndarray  # bool


def endpoints(res: SequenceResult) -> dict[str, Endpoint]:
    """PFS1, PFS2 (progression on the second line or death), time to chemotherapy and intracranial
    progression during the first line (censored at the first line's other outcomes)."""
    dur, ev = res.duration, res.event
    prog = (ev == m.PROGRESSION_SYSTEMIC) | (ev == m.PROGRESSION_CNS)
    failed = prog | (ev == m.DEATH)
    out = {"pfs1": Endpoint(dur[:, 0], failed[:, 0])}
    if res.lines >= 2:
        second = ~np.isnan(dur[:, 1])
        t2 = np.where(second, dur[:, 0] + np.nan_to_num(dur[:, 1]), dur[:, 0])
        # no second line after a progression (nothing the simulator could give) ends follow-up there
        e2 = np.where(second, failed[:, 1], ev[:, 0] == m.DEATH)
        out["pfs2"] = Endpoint(t2, e2)
    chemo_lines = [i for i, r in enumerate(res.regimens) if CHEMO in r]
    on_chemo = np.isin(res.regimen, chemo_lines) if chemo_lines else np.zeros_like(res.regimen, dtype=bool)
    first = np.where(on_chemo.any(axis=1), on_chemo.argmax(axis=1), -1)
    total = np.nansum(dur, axis=1)
    rows = np.arange(dur.shape[0])
    t_chemo = np.where(first >= 0, res.start[rows, np.maximum(first, 0)], total)
    out["time_to_chemotherapy"] = Endpoint(t_chemo, first >= 0)
    out["ic_progression"] = Endpoint(dur[:, 0], ev[:, 0] == m.PROGRESSION_CNS)
    return out


def km(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier step function: (times, survival just after each time), starting at (0, 1)."""
    order = np.argsort(time, kind="stable")
    t, e = time[order], event[order]
    at_risk = np.arange(t.size, 0, -1, dtype=float)
    with np.errstate(divide="ignore"):
        log_s = np.cumsum(np.where(e, np.log1p(-1.0 / at_risk), 0.0))
    return np.concatenate([[0.0], t]), np.concatenate([[1.0], np.exp(log_s)])


def km_at(time: np.ndarray, event: np.ndarray, at: float) -> float:
    t, s = km(time, event)
    return float(s[np.searchsorted(t, at, side="right") - 1])


def km_median(time: np.ndarray, event: np.ndarray) -> float | None:
    t, s = km(time, event)
    below = np.flatnonzero(s <= 0.5)
    return float(t[below[0]]) if below.size else None


def median_interval(time: np.ndarray, event: np.ndarray, rng: np.random.Generator,
                    replicates: int = BOOTSTRAP) -> dict[str, float | None]:
    """KM median with a percentile bootstrap 95% interval.

    Poisson bootstrap (each patient drawn Poisson(1) times, equivalent to resampling for large
    cohorts) on times binned to BIN months: the resampled event and censoring counts of a bin are
    then Poisson draws of the bin's counts, so a replicate costs one pass over the bins, not over
    the patients. The point estimate is the exact KM median."""
    est = km_median(time, event)
    top = float(np.max(time)) if time.size else 0.0
    edges = np.arange(0.0, top + 2 * BIN, BIN)
    d = np.histogram(time[event], edges)[0].astype(float)
    c = np.histogram(time[~event], edges)[0].astype(float)
    d_star = rng.poisson(d[None, :], (replicates, d.size)).astype(float)
    c_star = rng.poisson(c[None, :], (replicates, c.size)).astype(float)
    gone = np.cumsum(d_star + c_star, axis=1)
    at_risk = gone[:, -1:] - np.concatenate([np.zeros((replicates, 1)), gone[:, :-1]], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.cumsum(np.where(at_risk > 0, np.log1p(-np.minimum(d_star / at_risk, 1.0)), 0.0), axis=1)
    hit = log_s <= np.log(0.5)
    first = hit.argmax(axis=1)
    meds = np.where(hit[np.arange(replicates), first], edges[first + 1], np.inf)
    finite = meds[np.isfinite(meds)]
    # None when the upper percentile is not reached in enough replicates
    hi = None if finite.size < replicates * 0.975 else float(np.sort(meds)[int(np.ceil(0.975 * replicates)) - 1])
    lo = float(np.sort(meds)[int(np.floor(0.025 * replicates))]) if finite.size > replicates * 0.025 else None
    return {"value": est, "ci_low": lo, "ci_high": hi}


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def cox_hr(time_a: np.ndarray, event_a: np.ndarray, time_b: np.ndarray, event_b: np.ndarray) -> float:
    """Hazard ratio of arm a vs arm b from a one-covariate Cox model (Breslow; ties are rare here)."""
    time = np.concatenate([time_a, time_b])
    event = np.concatenate([event_a, event_b]).astype(bool)
    x = np.concatenate([np.ones(time_a.size), np.zeros(time_b.size)])
    order = np.argsort(-time, kind="stable")  # descending: cumulative sums give risk sets
    x, event = x[order], event[order]
    beta = 0.0
    for _ in range(25):
        r = np.exp(beta * x)
        s0 = np.cumsum(r)
        s1 = np.cumsum(r * x)
        p = s1 / s0
        score = float(np.sum(event * (x - p)))
        info = float(np.sum(event * (p - p * p)))
        if info <= 0:
            break
        step = score / info
        beta += float(np.clip(step, -2, 2))
        if abs(step) < 1e-9:
            break
    return float(np.exp(beta))
