"""The tumour model: a deterministic/stochastic hybrid of a multitype branching process.

Why a hybrid: a tumour holds 1e9-1e11 cells, so simulating every division (a full branching
process) for 100,000 patients is out of reach, and for large clones it is unnecessary - their
relative fluctuations are of order 1/sqrt(n). What is random, and decides outcomes, is whether and
when a rare resistant cell arises and survives drift. So:

* every clone that exists is followed deterministically: n_k(t) = C_k exp(g_k t) within a line,
  with g_k = growth - kill(drug, clone) (a clone called resistant has kill 0, so it never shrinks);
* new resistant mutants arising from their source clone during a line are a Poisson process of
  rate u_k n_src(t); each survives drift with probability g_k / birth and then grows like a
  Yule process (size W exp(g_k t), W exponential). When the expected number of survivors
  (weighted by how early they arise) is large (>= HYBRID_SWITCH) their sum is replaced by its mean;
  otherwise the first survivor is drawn exactly (later ones are discounted by exp(-g_k t) and
  ignored). A survivor born at time t_e is written as a clone present from the line's start with
  coefficient W exp(-g_k t_e): before t_e it would be below one cell, far below the burden.

So each compartment's burden is a sum of exponentials with positive coefficients, which is convex
in time: it has one minimum (the nadir), and progression (RECIST: 20% above the nadir, and at
least a detectable burden) is the single root after it. Both are found by vectorised bisection.
Two compartments per patient: systemic and CNS, the CNS seeing each drug at its CNS exposure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from alknav.simulate.params import Model

HYBRID_SWITCH = 10.0  # expected weighted survivors above which the mutant sum is taken as its mean
NEWTON_STEPS = 60  # upper bound; safeguarded Newton usually stops after 5-10 steps
TOLERANCE = 1e-4  # months (under 5 minutes): far below any reported precision
MAX_EXPONENT = 300.0  # cap on g*t for end-of-line sizes (a clone that big has long since progressed)
SOURCE_FASTER_ACCRUAL = 12.0  # months of accrual when the source clone outgrows its mutant (see _emerge)

# Line outcome codes
CENSORED, PROGRESSION_SYSTEMIC, PROGRESSION_CNS, DEATH = 0, 1, 2, 3


@dataclass
class Cohort:
    """Virtual patients at the start of first-line therapy (all arrays have patients first)."""

    growth: np.ndarray  # (P,) net growth of unaffected cells per month
    kill_factor: np.ndarray  # (P,) patient multiplier on every drug's kill
    systemic: np.ndarray  # (P, K) cells per clone
    cns: np.ndarray  # (P, K)
    brain_metastases: np.ndarray  # (P,) bool, at baseline
    death_time: np.ndarray  # (P,) months from start of first line

    @property
    def size(self) -> int:
        return int(self.growth.shape[0])

    def take(self, idx: np.ndarray) -> Cohort:
        return Cohort(self.growth[idx], self.kill_factor[idx], self.systemic[idx], self.cns[idx],
                      self.brain_metastases[idx], self.death_time[idx])


def make_cohort(model: Model, n: int, rng: np.random.Generator) -> Cohort:
    """Draw n virtual patients; the order of draws is fixed so a seed gives the same cohort."""
    sh = model.shared
    k = len(model.clone_ids)
    growth = sh["growth_rate"] * np.exp(sh["growth_rate_sd"] * rng.standard_normal(n))
    kill_factor = np.exp(sh["kill_sd"] * rng.standard_normal(n) - sh["kill_sd"] ** 2 / 2)
    burden = 10.0 ** (sh["burden_log10"] + sh["burden_log10_sd"] * rng.standard_normal(n))
    present = rng.random((n, k)) < model.prevalence[None, :]
    present[:, 0] = False
    mean = np.where(np.isnan(model.log10_fraction), sh["preexisting_log10_fraction"], model.log10_fraction)
    log_frac = mean[None, :] + sh["preexisting_log10_sd"] * rng.standard_normal((n, k))
    frac = np.where(present, 10.0 ** np.minimum(log_frac, -1.0), 0.0)  # a subclone stays a minority
    frac[:, 0] = 1.0 - frac[:, 1:].sum(axis=1)
    systemic = burden[:, None] * frac
    bm = rng.random(n) < sh["brain_metastases"]
    occult = (~bm) & (rng.random(n) < sh["occult_cns"])
    cns_log = np.where(bm, sh["cns_burden_log10"], sh["occult_cns_log10"]) + 0.5 * rng.standard_normal(n)
    cns_burden = np.where(bm | occult, 10.0 ** cns_log, 0.0)
    cns = cns_burden[:, None] * frac  # metastases seeded from the same heterogeneous tumour
    death = rng.exponential(1.0 / sh["death_rate"], n)
    return Cohort(growth, kill_factor, systemic, cns, bm, death)


def regimen_kill(model: Model, agents: tuple[str, ...], exposed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(systemic, CNS) kill per clone for a regimen: the best agent acting on each clone. exposed: the
    patient has had an ALK TKI before (persisters then cross-tolerant to chemotherapy)."""
    idx = [model.agent_index(a) for a in agents]
    sens = model.sens_exposed if exposed else model.sens
    per_agent = model.kill[idx, None] * sens[idx, :]
    return per_agent.max(axis=0), (per_agent * model.cns[idx, None]).max(axis=0)


def _emerge(model: Model, start: np.ndarray, g: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Coefficients of new mutants born during the line, added to each clone (P, K).

    draws: (2, P, K) uniform numbers: the first arrival of the survivor process and its size W.
    """
    birth = model.shared["birth_rate"]
    added = np.zeros_like(start)
    for k in range(1, start.shape[1]):
        u = model.mutation_rate[k] * birth  # mutations per source cell per month
        if u <= 0:
            continue
        j = int(model.parent[k])
        n_src, g_src, g_k = start[:, j], g[:, j], g[:, k]
        ok = (g_k > 0) & (n_src > 0)
        p_surv = np.clip(g_k / birth, 0.0, 1.0)
        faster = ok & (g_src >= g_k)
        # The source outgrows its mutant: the mutant share accrues about linearly (u t); the source,
        # not the mutant, then drives this line, so a capped mean accrual is enough.
        added[faster, k] = u * n_src[faster] * SOURCE_FASTER_ACCRUAL
        slow = ok & ~faster
        gap = np.where(slow, g_k - g_src, 1.0)
        mean_coef = u * n_src / gap
        weighted = p_surv * mean_coef
        det = slow & (weighted >= HYBRID_SWITCH)
        added[det, k] = mean_coef[det]
        sto = slow & (weighted < HYBRID_SWITCH)
        if not sto.any():
            continue
        rate0 = u * p_surv[sto] * n_src[sto]  # survivor arrivals per month at the line's start
        gs = g_src[sto]
        e = -np.log1p(-draws[0, sto, k])  # Exp(1)
        # cumulative intensity L(t) = rate0 (exp(gs t) - 1) / gs; the first arrival solves L(t) = e
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            arg = 1.0 + e * gs / rate0
            t1 = np.where(np.abs(gs) < 1e-12, e / rate0, np.log(np.where(arg > 0, arg, np.nan)) / gs)
        born = np.isfinite(t1) & (t1 >= 0)
        w = -np.log1p(-draws[1, sto, k]) / np.maximum(p_surv[sto], 1e-12)  # Yule size of a survivor
        coef = np.where(born, w * np.exp(-g_k[sto] * np.where(born, t1, 0.0)), 0.0)
        added[np.flatnonzero(sto), k] = coef
    return added


def _log_burden(coef: np.ndarray, g: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log B(t) and its first two derivatives; log B is convex in t (a log-sum-exp of lines),
    computed stably (fast growers over long horizons would overflow exp)."""
    with np.errstate(divide="ignore"):
        a = np.where(coef > 0, np.log(np.where(coef > 0, coef, 1.0)) + g * t[:, None], -np.inf)
    top = a.max(axis=1)
    finite = np.isfinite(top)
    terms = np.exp(a - np.where(finite, top, 0.0)[:, None])
    b = terms.sum(axis=1)
    safe = np.where(b > 0, b, 1.0)
    tg = terms * g
    d1 = tg.sum(axis=1) / safe
    d2 = (tg * g).sum(axis=1) / safe - d1 * d1
    with np.errstate(divide="ignore"):
        return np.where(finite, top + np.log(safe), -np.inf), d1, d2


Fn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _safeguarded_newton(fn: Fn, lo: np.ndarray, hi: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Root of an increasing function on [lo, hi] for the given rows (fn(t, rows) -> value, slope):
    Newton steps kept inside a shrinking bracket, bisection when a step would leave it. Only rows not
    yet converged are evaluated again."""
    lo, hi = lo[rows].copy(), hi[rows].copy()
    t: np.ndarray = (lo + hi) / 2
    todo = np.arange(rows.size)
    for _ in range(NEWTON_STEPS):
        if todo.size == 0:
            break
        value, slope = fn(t[todo], rows[todo])
        up = value >= 0
        hi[todo] = np.where(up, t[todo], hi[todo])
        lo[todo] = np.where(up, lo[todo], t[todo])
        with np.errstate(divide="ignore", invalid="ignore"):
            step = t[todo] - value / slope
        inside = np.isfinite(step) & (step > lo[todo]) & (step < hi[todo])
        new = np.where(inside, step, (lo[todo] + hi[todo]) / 2)
        done = (np.abs(new - t[todo]) < TOLERANCE) | (hi[todo] - lo[todo] < TOLERANCE)
        t[todo] = new
        todo = todo[~done]
    return t


def progression_time(coef: np.ndarray, g: np.ndarray, factor: float, floor: float, limit: np.ndarray) -> np.ndarray:
    """First time the burden sum_k coef_k exp(g_k t) reaches max(factor x nadir, floor); inf if not by limit."""
    n = coef.shape[0]
    out = np.full(n, np.inf)
    if n == 0:
        return out
    limit = limit.astype(float)
    # nadir: where the (increasing) slope of log B crosses zero
    t_nadir = np.zeros(n)
    falling = (coef * g).sum(axis=1) < 0
    if falling.any():
        ends_falling = falling & (_log_burden(coef, g, limit)[1] < 0)
        t_nadir[ends_falling] = limit[ends_falling]
        search = np.flatnonzero(falling & ~ends_falling)

        def slope(t: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            _, d1, d2 = _log_burden(coef[rows], g[rows], t)
            return d1, d2

        t_nadir[search] = _safeguarded_newton(slope, np.zeros(n), limit, search)
    log_threshold = np.maximum(np.log(factor) + _log_burden(coef, g, t_nadir)[0], np.log(floor))
    reach = np.flatnonzero(_log_burden(coef, g, limit)[0] >= log_threshold)
    if reach.size == 0:
        return out

    def excess(t: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        value, d1, _ = _log_burden(coef[rows], g[rows], t)
        return value - log_threshold[rows], d1

    out[reach] = _safeguarded_newton(excess, t_nadir, limit, reach)
    return out


@dataclass
class LineOutcome:
    duration: np.ndarray  # (P,) months on this line
    event: np.ndarray  # (P,) CENSORED | PROGRESSION_SYSTEMIC | PROGRESSION_CNS | DEATH
    dominant: np.ndarray  # (P,) index of the largest clone in the progressing compartment (-1 if none)
    systemic: np.ndarray  # (P, K) cells at the end of the line
    cns: np.ndarray


def run_line(model: Model, cohort: Cohort, kill_sys: np.ndarray, kill_cns: np.ndarray, elapsed: np.ndarray,
             horizon: float, draws: np.ndarray) -> LineOutcome:
    """One line for every patient in cohort. kill_*: (P, K) kill per clone of each patient's regimen;
    elapsed: (P,) months since first line started; draws: (4, P, K) uniforms (2 per compartment)."""
    sh = model.shared
    growth = cohort.growth[:, None]
    g_sys = growth - cohort.kill_factor[:, None] * kill_sys
    g_cns = growth - cohort.kill_factor[:, None] * kill_cns
    coef_sys = cohort.systemic + _emerge(model, cohort.systemic, g_sys, draws[0:2])
    coef_cns = cohort.cns + _emerge(model, cohort.cns, g_cns, draws[2:4])
    limit = np.maximum(horizon - elapsed, 0.0)
    t_sys = progression_time(coef_sys, g_sys, sh["progression_factor"], sh["detection_systemic"], limit)
    has_cns = coef_cns.sum(axis=1) > 0
    t_cns = np.full(cohort.size, np.inf)
    t_cns[has_cns] = progression_time(coef_cns[has_cns], g_cns[has_cns], sh["progression_factor"],
                                      sh["detection_cns"], limit[has_cns])
    t_death = cohort.death_time - elapsed
    times = np.stack([t_sys, t_cns, t_death, limit])
    which = times.argmin(axis=0)
    duration = times[which, np.arange(cohort.size)]
    event = np.choose(which, [PROGRESSION_SYSTEMIC, PROGRESSION_CNS, DEATH, CENSORED])
    # The tumour the next line meets: growth goes on, on the failing regimen, from progression until
    # the next line starts (scan interval, re-biopsy, screening): shared.next_line_delay months.
    progressed = (event == PROGRESSION_SYSTEMIC) | (event == PROGRESSION_CNS)
    until = duration + np.where(progressed, sh["next_line_delay"], 0.0)
    end_sys = coef_sys * np.exp(np.minimum(g_sys * until[:, None], MAX_EXPONENT))
    end_cns = coef_cns * np.exp(np.minimum(g_cns * until[:, None], MAX_EXPONENT))
    where = np.where(event == PROGRESSION_CNS, 1, 0)
    dominant = np.where(where == 1, end_cns.argmax(axis=1), end_sys.argmax(axis=1))
    dominant = np.where((event == PROGRESSION_SYSTEMIC) | (event == PROGRESSION_CNS), dominant, -1)
    return LineOutcome(duration, event.astype(np.int8), dominant, end_sys, end_cns)
