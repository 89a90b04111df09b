"""Calibration on first-line trials and validation on held-out trials.

Fit: one parameter per goal, by bisection (each statistic is monotone in its parameter with common
random numbers). Each agent's kill rate makes the simulated first-line median PFS match the
patient-weighted mean of that agent's calibration medians (lorlatinib: its 5-year PFS rate, the
median not being reached). Calibration targets with `fits:` set one more parameter each: the CNS
seed size (CROWN's time to intracranial progression on crizotinib), the between-patient spread of
growth rates (ALEX's hazard ratio, the drug-unrelated heterogeneity), the share of tolerant cells that
turn ALK-independent (lorlatinib after second-generation TKIs) and the persisters' cross-tolerance
to chemotherapy (platinum/pemetrexed after second-generation TKIs). Targets with role 'validation'
are never read by the fit.

Check: every target is simulated as replicate trials of the trial's arm size, censored at the
trial's follow-up; the simulated 95% interval is the 2.5-97.5th percentile over replicates, and
'covered' says whether the observed value falls inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from alknav.kb.knowledge_base import KnowledgeBase
from alknav.simulate import LABEL, stats
from alknav.simulate import model as m
from alknav.simulate.params import DATA_DIR, Model, Target, load_targets, trial_result
from alknav.simulate.run import HORIZON, cohort_seed
from alknav.simulate.strategies import parse_strategy, run_strategy

FIT_PATIENTS = 20000
FIT_SEED = 20261202
FIT_STEPS = 22
FIT_PASSES = 2
REPLICATES = 200
DEFAULT_ARM = 150  # arm size when the KB does not give one


@dataclass
class ArmTimes:
    pfs1: stats.Endpoint
    pfs2: stats.Endpoint | None
    ic: stats.Endpoint


def simulate_arm(model: Model, sequence: str, patients: int, seed: int, prior_line: str | None = None) -> ArmTimes:
    """Times of one trial arm; with prior_line, the arm's first line starts at progression on it."""
    text = f"{prior_line}>{sequence}" if prior_line else sequence
    strategy = parse_strategy(text, model)
    cohort = m.make_cohort(model, patients, cohort_seed(seed))
    res = run_strategy(model, cohort, strategy, seed, HORIZON)
    ep = stats.endpoints(res)
    if prior_line is None:
        return ArmTimes(ep["pfs1"], ep.get("pfs2"), ep["ic_progression"])
    line = prior_line.count(">") + 1  # the measured line (after every prior line)
    before = res.event[:, line - 1]
    entered = (before == m.PROGRESSION_SYSTEMIC) | (before == m.PROGRESSION_CNS)
    entered &= ~np.isnan(res.duration[:, line])
    t, e = res.duration[entered, line], res.event[entered, line]
    failed = (e == m.PROGRESSION_SYSTEMIC) | (e == m.PROGRESSION_CNS) | (e == m.DEATH)
    return ArmTimes(stats.Endpoint(t, failed), None, stats.Endpoint(t, e == m.PROGRESSION_CNS))


def goal_stat(model: Model, goal: dict[str, Any], patients: int = FIT_PATIENTS, seed: int = FIT_SEED) -> float:
    """The simulated value a goal aims at: a median (months) or a PFS rate (fraction)."""
    arm = simulate_arm(model, goal["sequence"], patients, seed, goal.get("prior"))
    ep = arm.ic if goal["endpoint"] == "ic_progression" else arm.pfs1
    if goal["kind"] == "hr":  # against the control arm, censored at the trial's follow-up as in check()
        ctrl = simulate_arm(model, goal["control"], patients, seed, goal.get("prior")).pfs1
        a, c = _censor(ep, goal["follow_up"]), _censor(ctrl, goal["follow_up"])
        return stats.cox_hr(a.time, a.event, c.time, c.event)
    if goal["kind"] == "rate":
        return stats.km_at(ep.time, ep.event, goal["at"])
    med = stats.km_median(ep.time, ep.event)
    return med if med is not None else HORIZON


def fit_targets(kb: KnowledgeBase, targets: list[Target]) -> dict[str, dict[str, Any]]:
    """Per fitted parameter: what the fit aims at (calibration targets only), in fit order.

    First-line PFS targets of a single agent set that agent's kill rate (patient-weighted mean of
    its medians, or a PFS rate); a calibration target with `fits: KEY` sets that parameter alone.
    Targets with role 'validation' are never read."""
    goals: dict[str, dict[str, Any]] = {}
    for t in targets:
        if t.role != "calibration":
            continue
        trial, result = trial_result(kb, t.result)
        if t.fits:
            if result.value is None:
                continue
            if t.endpoint == "hr":
                if result.hazard_ratio is None or t.control is None:
                    continue
                goal = {"kind": "hr", "sequence": t.sequence, "control": t.control, "prior": t.prior_line,
                        "endpoint": "hr", "targets": [t.id], "value": result.hazard_ratio, "at": 0.0,
                        "follow_up": t.follow_up}
                goals[t.fits] = goal
                continue
            goal = {"kind": "rate" if t.endpoint == "pfs_rate" else "median", "sequence": t.sequence,
                    "prior": t.prior_line, "endpoint": t.endpoint, "targets": [t.id],
                    "value": result.value / 100 if t.endpoint == "pfs_rate" else result.value,
                    "at": t.at_months or 0.0}
            goals[t.fits] = goal
            continue
        if t.prior_line or ">" in t.sequence:
            continue
        key = f"kill.{t.sequence}"
        if t.endpoint == "pfs1" and result.value is not None:
            n = next((a.n for a in trial.arms if a.id == result.arm), None) or DEFAULT_ARM
            g = goals.setdefault(key, {"kind": "median", "sum": 0.0, "n": 0, "targets": [], "sequence": t.sequence,
                                       "endpoint": "pfs1", "prior": None, "at": 0.0})
            g["sum"] += result.value * n
            g["n"] += n
            g["targets"].append(t.id)
        elif t.endpoint == "pfs_rate" and result.value is not None and t.at_months:
            goals[key] = {"kind": "rate", "value": result.value / 100, "at": t.at_months, "targets": [t.id],
                          "sequence": t.sequence, "endpoint": "pfs1", "prior": None}
    for g in goals.values():
        if "sum" in g:
            g["value"] = g.pop("sum") / g.pop("n")
    # fit order: the CNS seeds (they shorten every first-line PFS), the first-line kill rates, then the
    # later-line parameters that act on top of them
    def order(key: str) -> int:
        return {"shared.occult_cns_log10": 0, "shared.growth_rate_sd": 1}.get(key, 2 if key.startswith("kill.") else 3)

    return dict(sorted(goals.items(), key=lambda kv: order(kv[0])))


def _bounds(model: Model, key: str) -> tuple[float, float]:
    group, _, name = key.partition(".")
    p = model.file.agents[name].kill if group == "kill" else model.file.shared[name]
    return p.low, p.high


def _current(model: Model, key: str) -> float:
    group, _, name = key.partition(".")
    return float(model.kill[model.agent_index(name)]) if group == "kill" else model.shared[name]


def fit(kb: KnowledgeBase, model: Model, targets: list[Target], patients: int = FIT_PATIENTS,
        seed: int = FIT_SEED, steps: int = FIT_STEPS, passes: int = FIT_PASSES) -> tuple[Model, list[dict[str, Any]]]:
    """Fit every calibrated parameter to its goal by bisection, one parameter per goal (each simulated
    statistic is monotone in its parameter with common random numbers). Parameters interact (the CNS
    seeds shorten first-line PFS, the kill rates set the burden at progression), so the sequence of
    one-dimensional fits is repeated `passes` times, each from the previous values."""
    goals = fit_targets(kb, targets)
    fitted = model
    rows: list[dict[str, Any]] = []
    for _ in range(passes):
        rows = []
        for key, goal in goals.items():
            lo, hi = _bounds(model, key)

            def stat(x: float, key: str = key, goal: dict[str, Any] = goal, base: Model = fitted) -> float:
                return goal_stat(base.with_values({key: x}), goal, patients, seed)

            s_lo, s_hi = stat(lo), stat(hi)
            reachable = min(s_lo, s_hi) <= goal["value"] <= max(s_lo, s_hi)
            rising = s_hi >= s_lo
            if reachable:
                for _ in range(steps):
                    mid = (lo + hi) / 2
                    if (stat(mid) < goal["value"]) == rising:
                        lo = mid
                    else:
                        hi = mid
                value = (lo + hi) / 2
            else:
                value = lo if abs(s_lo - goal["value"]) < abs(s_hi - goal["value"]) else hi
            fitted = fitted.with_values({key: value})
            prior = f"{goal['prior']}>" if goal.get("prior") else ""
            rows.append({"parameter": key, "value": round(value, 4), "goal": goal["kind"],
                         "endpoint": goal["endpoint"], "sequence": prior + goal["sequence"],
                         "at_months": goal["at"] or None, "target_value": round(goal["value"], 4),
                         "fitted_value": round(stat(value), 4), "reachable": reachable, "targets": goal["targets"],
                         "previous": _current(model, key)})
    return fitted, rows


def write_calibration(rows: list[dict[str, Any]], directory: Path | None = None) -> Path:
    path = (directory or DATA_DIR) / "calibrated.yaml"
    doc = {
        "calibration_format": 1,
        "note": ("Written by `python scripts/simulate_calibrate.py`; fitted on calibration targets only "
                 "(targets.yaml role: calibration). " + LABEL),
        "date": date.today().isoformat(), "patients": FIT_PATIENTS, "seed": FIT_SEED,
        "values": {r["parameter"]: r["value"] for r in rows},
        "fit": rows,
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _arm_size(kb: KnowledgeBase, result_id: str) -> int:
    trial, result = trial_result(kb, result_id)
    return next((a.n for a in trial.arms if a.id == result.arm and a.n), DEFAULT_ARM)


def _censor(ep: stats.Endpoint, follow_up: float) -> stats.Endpoint:
    return stats.Endpoint(np.minimum(ep.time, follow_up), ep.event & (ep.time <= follow_up))


def _endpoint(arm: ArmTimes, endpoint: str) -> stats.Endpoint | None:
    if endpoint in ("pfs1", "pfs_rate", "hr"):
        return arm.pfs1
    if endpoint in ("pfs2", "pfs2_hr"):
        return arm.pfs2
    return arm.ic


def check(kb: KnowledgeBase, model: Model, targets: list[Target], replicates: int = REPLICATES,
          seed: int = FIT_SEED + 1) -> list[dict[str, Any]]:
    """Observed vs simulated for every target (calibration and held-out), with 95% intervals."""
    pools: dict[tuple[str, str | None], ArmTimes] = {}

    def pool(sequence: str, prior: str | None, size: int) -> ArmTimes:
        key = (sequence, prior)
        if key not in pools:
            pools[key] = simulate_arm(model, sequence, size * replicates * (3 if prior else 1), seed, prior)
        return pools[key]

    rows = []
    for t in targets:
        trial, result = trial_result(kb, t.result)
        n = _arm_size(kb, t.result)
        arm = pool(t.sequence, t.prior_line, n)
        ep = _endpoint(arm, t.endpoint)
        if ep is None:
            continue
        ep = _censor(ep, t.follow_up)
        n_rep = min(replicates, ep.time.size // n)
        row: dict[str, Any] = {"target": t.id, "role": t.role, "trial": trial.name, "result": t.result,
                               "sequence": (f"{t.prior_line}>" if t.prior_line else "") + t.sequence,
                               "endpoint": t.endpoint, "replicates": n_rep, "arm_size": n}
        if t.endpoint.endswith("hr"):
            assert t.control is not None
            n_ctrl = next((a.n for a in trial.arms if a.id == result.comparator_arm and a.n), n)
            ctrl_arm = pool(t.control, t.prior_line, max(n, n_ctrl))
            ctrl = _endpoint(ctrl_arm, t.endpoint)
            assert ctrl is not None
            ctrl = _censor(ctrl, t.follow_up)
            n_c = next((a.n for a in trial.arms if a.id == result.comparator_arm and a.n), n)
            sims = [stats.cox_hr(ep.time[r * n:(r + 1) * n], ep.event[r * n:(r + 1) * n],
                                 ctrl.time[r * n_c:(r + 1) * n_c], ctrl.event[r * n_c:(r + 1) * n_c])
                    for r in range(n_rep)]
            observed = result.hazard_ratio
            row.update(observed=observed, observed_ci=[result.hr_ci_low, result.hr_ci_high],
                       simulated=round(stats.cox_hr(ep.time, ep.event, ctrl.time, ctrl.event), 3))
        elif t.endpoint == "pfs_rate":
            assert t.at_months is not None
            at = t.at_months
            sims = [100 * stats.km_at(ep.time[r * n:(r + 1) * n], ep.event[r * n:(r + 1) * n], at)
                    for r in range(n_rep)]
            observed = result.value
            row.update(observed=observed, observed_ci=[result.ci_low, result.ci_high], at_months=at,
                       simulated=round(100 * stats.km_at(ep.time, ep.event, at), 1))
        else:
            meds = [stats.km_median(ep.time[r * n:(r + 1) * n], ep.event[r * n:(r + 1) * n]) for r in range(n_rep)]
            sims = [x if x is not None else np.inf for x in meds]
            observed = result.value
            whole = stats.km_median(ep.time, ep.event)
            row.update(observed=observed, observed_ci=[result.ci_low, result.ci_high],
                       simulated=round(whole, 2) if whole is not None else None)
        arr = np.sort(np.array(sims, dtype=float))
        lo, hi = arr[int(0.025 * len(arr))], arr[int(np.ceil(0.975 * len(arr))) - 1]
        row["interval"] = [_num(lo), _num(hi)]
        row["covered"] = None if observed is None else bool(lo <= observed <= hi)
        rows.append(row)
    return rows


def _num(x: float) -> float | None:
    return round(float(x), 3) if np.isfinite(x) else None


def load_all(kb: KnowledgeBase) -> list[Target]:
    return load_targets(kb)
