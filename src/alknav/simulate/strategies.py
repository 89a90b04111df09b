"""Treatment strategies and the sequence runner.

A strategy is a fixed sequence written 'alectinib>lorlatinib>chemotherapy' (each step an agent, or
agents joined by '+', e.g. 'lorlatinib+met_inhibitor'), or 'alknav': at each progression a simulated
re-biopsy (plasma or tissue, with realistic sensitivity) becomes a case, the engine recommends, and
the top option the simulator can give is taken. Engine answers are cached by exactly the case
content they were given (history with durations bucketed, detected alterations, sample, CNS), since
many virtual patients share them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alknav.errors import AlknavError, CaseError
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.simulate import model as m
from alknav.simulate.params import ADAPTED, CHEMO, CHEMO_REFRACTORY, MET, TKIS, TOLERANT, Model

ALKNAV = "alknav"
MAX_ENGINE_LINES = 4
# Durations given to the engine are bucketed so cached answers are exact for the case they answer.
MONTH_BUCKETS = ((3.0, 2), (12.0, 8), (24.0, 18), (float("inf"), 36))
HISTOLOGY_SHARE = 0.5  # a tissue biopsy reads transformed histology only when it dominates the sample
ENGINE_CATEGORIES = ("alk_tki", "alk_tki_combination", "chemotherapy", "chemoimmunotherapy")
# Regimen drugs the simulator has no agent for that do not change its effect (assumed neutral).
NEUTRAL_DRUGS = frozenset({"bevacizumab", "atezolizumab", "pembrolizumab"})


@dataclass(frozen=True)
class Strategy:
    name: str
    steps: tuple[tuple[str, ...], ...]  # fixed lines (for a guided strategy: the lines before the engine)
    guided: bool = False  # after the fixed lines, the engine chooses every line


def parse_strategy(text: str, model: Model) -> Strategy:
    """'alectinib>lorlatinib>chemotherapy', 'alknav', or fixed lines then 'alknav' ('alectinib>alknav':
    alectinib first, the engine's choice at every progression after it); CaseError naming --strategy
    otherwise."""
    name = text.strip()
    parts = name.split(">")
    guided = parts[-1].strip().lower() == ALKNAV
    if guided:
        parts = parts[:-1]
        if not parts:
            return Strategy(ALKNAV, (), True)
    steps: list[tuple[str, ...]] = []
    for i, step in enumerate(parts):
        agents = tuple(sorted(a.strip().lower() for a in step.split("+") if a.strip()))
        if not agents:
            raise CaseError("--strategy", f"'{text}': step {i + 1} is empty")
        for agent in agents:
            if agent not in model.agent_ids:
                known = ", ".join(model.agent_ids)
                raise CaseError("--strategy", f"'{text}': unknown agent '{agent}' (known: {known}, or 'alknav')")
        if agents == (MET,):
            raise CaseError("--strategy", f"'{text}': a MET inhibitor is given only with an ALK TKI")
        steps.append(agents)
    fixed = ">".join("+".join(s) for s in steps)
    return Strategy(f"{fixed}>{ALKNAV}" if guided else fixed, tuple(steps), guided)


@dataclass
class SequenceResult:
    """Per patient and line (P, L): start month, duration, outcome, regimen index, dominant clone."""

    strategy: Strategy
    regimens: list[tuple[str, ...]]
    start: np.ndarray
    duration: np.ndarray
    event: np.ndarray
    regimen: np.ndarray  # -1 where the line was not given
    dominant: np.ndarray
    brain_metastases: np.ndarray
    engine: dict[str, int] = field(default_factory=dict)  # engine-guided bookkeeping

    @property
    def lines(self) -> int:
        return int(self.duration.shape[1])

    def from_line(self, k: int) -> SequenceResult:
        """The patients who started line k (0-based), with times counted from its start and lines
        before it dropped: line k becomes line 1 of every endpoint (PFS1, PFS2, ...)."""
        if k == 0:
            return self
        entered = ~np.isnan(self.duration[:, k])
        start = self.start[entered, k:] - self.start[entered, k][:, None]
        return SequenceResult(self.strategy, self.regimens, start, self.duration[entered, k:],
                              self.event[entered, k:], self.regimen[entered, k:], self.dominant[entered, k:],
                              self.brain_metastases[entered], self.engine)


def _bucket(months: float) -> int:
    return next(rep for upper, rep in MONTH_BUCKETS if months < upper)


def agents_of(model: Model, drugs: list[str], *, chemotherapy: bool = False) -> tuple[str, ...] | None:
    """Drug ids -> the simulator's agents (each TKI, chemotherapy, MET inhibitor); None when a drug has
    no parameters in the simulator (e.g. ceritinib) or only a MET inhibitor is left."""
    agents: set[str] = set()
    chemo_drugs = set(model.file.agents[CHEMO].drugs)
    met_drugs = set(model.file.agents[MET].drugs)
    for drug in drugs:
        if drug in TKIS:
            agents.add(drug)
        elif drug in chemo_drugs:
            agents.add(CHEMO)
        elif drug in met_drugs:
            agents.add(MET)
        elif drug not in NEUTRAL_DRUGS:
            return None
    if chemotherapy:
        agents.add(CHEMO)
    if not agents or agents == {MET}:
        return None
    return tuple(sorted(agents))


@dataclass
class EnginePolicy:
    """Map a simulated re-biopsy to the engine's first option the simulator can give."""

    kb: KnowledgeBase
    model: Model
    cache: dict[tuple[Any, ...], tuple[str, ...] | None] = field(default_factory=dict)
    calls: int = 0
    refused: int = 0

    def agents_for(self, drugs: list[str], category: str) -> tuple[str, ...] | None:
        return agents_of(self.model, drugs, chemotherapy=category in ("chemotherapy", "chemoimmunotherapy"))

    def case(self, key: tuple[Any, ...]) -> dict[str, Any]:
        history, detected, histology, sample, bm, pattern = key
        data: dict[str, Any] = {
            "case_format": 1, "id": "simulated",
            "diagnosis": {"histology": "adenocarcinoma", "stage": "IVB",
                          "alk": {"method": "NGS", "fusion": "EML4-ALK"}},
            "history": [{"regimen": list(drugs), "months": months, "best_response": "PD" if months < 3 else "PR",
                         "stopped_for": "progression"} for drugs, months in history],
        }
        current: dict[str, Any] = {"cns": {"brain_metastases": bool(bm)}}
        if history:
            current.update({"status": "progression", "progression_pattern": pattern,
                            "biopsy": {"sample": sample, "method": "NGS"}, "alterations": list(detected)})
            if histology:
                current["histology"] = histology
        else:
            current["status"] = "treatment_naive"
        data["current"] = current
        return data

    def choose(self, key: tuple[Any, ...]) -> tuple[str, ...] | None:
        if key in self.cache:
            return self.cache[key]
        from alknav.inputs.case_reader import parse_case_data
        from alknav.recommend.engine import recommend

        self.calls += 1
        answer: tuple[str, ...] | None = None
        try:
            result = recommend(parse_case_data(self.case(key)), self.kb)
        except AlknavError:
            self.refused += 1  # counted and reported; the patient leaves the modelled sequence
        else:
            for option in result.options:
                if option.category in ENGINE_CATEGORIES:
                    answer = self.agents_for(option.drugs, option.category)
                    if answer is not None:
                        break
        self.cache[key] = answer
        return answer


def _history_drugs(model: Model, agents: tuple[str, ...]) -> tuple[str, ...]:
    """Drugs named in a simulated case's history for a regimen of agents."""
    out: list[str] = []
    for a in agents:
        if a == CHEMO:
            out += ["carboplatin", "pemetrexed"]
        elif a == MET:
            out.append(model.file.agents[MET].drugs[0])
        else:
            out.append(a)
    return tuple(out)


def run_strategy(model: Model, cohort: m.Cohort, strategy: Strategy, seed: int, horizon: float,
                 policy: EnginePolicy | None = None) -> SequenceResult:
    """Every patient through the strategy's lines; the same seed gives every strategy the same
    patients and the same random draws per line (common random numbers)."""
    n, k = cohort.size, len(model.clone_ids)
    lines = len(strategy.steps) + (MAX_ENGINE_LINES if strategy.guided else 0)
    if strategy.guided and policy is None:
        raise CaseError("--strategy", "the 'alknav' strategy needs the knowledge base")
    regimens: list[tuple[str, ...]] = []
    kill_tables: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def regimen_index(agents: tuple[str, ...]) -> int:
        if agents not in regimens:
            regimens.append(agents)
            kill_tables.append((*m.regimen_kill(model, agents), *m.regimen_kill(model, agents, exposed=True)))
        return regimens.index(agents)

    start = np.zeros((n, lines))
    duration = np.full((n, lines), np.nan)
    event = np.full((n, lines), -1, dtype=np.int8)
    reg = np.full((n, lines), -1, dtype=np.int64)
    dominant = np.full((n, lines), -1, dtype=np.int64)
    elapsed = np.zeros(n)
    active = np.ones(n, dtype=bool)
    state_sys, state_cns = cohort.systemic.copy(), cohort.cns.copy()
    bm = cohort.brain_metastases.copy()
    histories = _Histories(n)
    last_event = np.zeros(n, dtype=np.int8)
    had_chemo = np.zeros(n, dtype=bool)
    tki_exposed = np.zeros(n, dtype=bool)
    chemo_share = _share(cohort.systemic, model.clone_index(CHEMO_REFRACTORY))
    line_seeds = np.random.SeedSequence(seed).spawn(lines + 1)[1:]  # child 0 made the cohort
    for line in range(lines):
        rng = np.random.default_rng(line_seeds[line])
        draws = rng.random((4, n, k))  # drawn for everyone so every strategy sees the same numbers
        if strategy.guided and line >= len(strategy.steps):
            assert policy is not None
            biopsy = rng.random((2, n, k))
            choice = _guided_choices(model, policy, active, line, state_sys, histories, bm, last_event, biopsy)
            for j, agents in enumerate(choice.options):
                if agents is not None:
                    reg[choice.patients[choice.pick == j], line] = regimen_index(agents)
            active &= reg[:, line] >= 0
        else:
            reg[active, line] = regimen_index(strategy.steps[line])
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        exp = tki_exposed[idx, None]
        ks = np.where(exp, np.stack([kt[2] for kt in kill_tables])[reg[idx, line]],
                      np.stack([kt[0] for kt in kill_tables])[reg[idx, line]])
        kc = np.where(exp, np.stack([kt[3] for kt in kill_tables])[reg[idx, line]],
                      np.stack([kt[1] for kt in kill_tables])[reg[idx, line]])
        chemo_now = np.array([CHEMO in r for r in regimens])[reg[idx, line]]
        fresh = idx[chemo_now & ~had_chemo[idx]]
        if fresh.size:  # chemo-refractoriness does not depend on ALK: it is restored in every clone
            for state in (state_sys, state_cns):
                state[fresh] = _reequilibrate(state[fresh], chemo_share[fresh], model.clone_index(CHEMO_REFRACTORY))
        had_chemo[idx] |= chemo_now
        tki_now = np.array([any(a in TKIS for a in r) for r in regimens])[reg[idx, line]]
        sub = m.Cohort(cohort.growth[idx], cohort.kill_factor[idx], state_sys[idx], state_cns[idx], bm[idx],
                       cohort.death_time[idx])
        out = m.run_line(model, sub, ks, kc, elapsed[idx], horizon, draws[:, idx, :])
        start[idx, line] = elapsed[idx]
        duration[idx, line] = out.duration
        event[idx, line] = out.event
        dominant[idx, line] = out.dominant
        state_sys[idx], state_cns[idx] = out.systemic, out.cns
        elapsed[idx] += out.duration
        bm[idx] |= out.event == m.PROGRESSION_CNS
        last_event[idx] = out.event
        if strategy.guided:
            histories.extend(idx, reg[idx, line], out.duration, regimens, model)
        progressed = (out.event == m.PROGRESSION_SYSTEMIC) | (out.event == m.PROGRESSION_CNS)
        adapting = np.array([model.adapts(r) for r in regimens])[reg[idx, line]] & progressed
        if adapting.any():  # tolerant cells that outlasted a potent ALK TKI no longer need ALK
            rows = idx[adapting]
            for state in (state_sys, state_cns):
                state[rows] = _adapt(state[rows], model.shared["adaptive_share"], model.clone_index(TOLERANT),
                                     model.clone_index(ADAPTED))
        tki_exposed[idx] |= tki_now
        active[idx] = progressed
    engine = {}
    if policy is not None and strategy.guided:
        engine = {"engine_calls": policy.calls, "engine_refused": policy.refused, "cached_answers": len(policy.cache)}
    return SequenceResult(strategy, regimens, start, duration, event, reg, dominant, cohort.brain_metastases, engine)


def _share(state: np.ndarray, j: int) -> np.ndarray:
    total = state.sum(axis=1)
    share: np.ndarray = np.divide(state[:, j], total, out=np.zeros_like(total), where=total > 0)
    return share


def _reequilibrate(state: np.ndarray, share: np.ndarray, j: int) -> np.ndarray:
    """Chemotherapy-refractory cells back at the patient's own share of the burden, taken evenly from
    every clone: refractoriness to platinum doublets is a trait independent of ALK signalling, so an
    ALK TKI that killed the ALK-dependent refractory cells has not made the tumour chemo-sensitive."""
    total = state.sum(axis=1)
    others = total - state[:, j]
    scale = np.divide(total * (1 - share), others, out=np.zeros_like(total), where=others > 0)
    out: np.ndarray = state * scale[:, None]
    out[:, j] = total * share
    return out


def _adapt(state: np.ndarray, share: float, tolerant: int, adapted: int) -> np.ndarray:
    out = state.copy()
    moved = share * out[:, tolerant]
    out[:, tolerant] -= moved
    out[:, adapted] += moved
    return out


History = tuple[tuple[tuple[str, ...], int], ...]


class _Histories:
    """Each patient's treatment history as an id into a table of distinct histories, so that
    building engine cases costs one Python step per distinct history, not per patient."""

    def __init__(self, n: int) -> None:
        self.ids = np.zeros(n, dtype=np.int64)
        self.table: list[History] = [()]
        self.index: dict[History, int] = {(): 0}

    def extend(self, idx: np.ndarray, regimen: np.ndarray, months: np.ndarray, regimens: list[tuple[str, ...]],
               model: Model) -> None:
        buckets = np.searchsorted(np.array([u for u, _ in MONTH_BUCKETS[:-1]]), months, side="right")
        rows = np.stack([self.ids[idx], regimen, buckets], axis=1)
        uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
        new_ids = np.empty(len(uniq), dtype=np.int64)
        for u, (hist, r, b) in enumerate(uniq.tolist()):
            entry = (*self.table[hist], (_history_drugs(model, regimens[r]), MONTH_BUCKETS[b][1]))
            if entry not in self.index:
                self.index[entry] = len(self.table)
                self.table.append(entry)
            new_ids[u] = self.index[entry]
        self.ids[idx] = new_ids[inverse.ravel()]


@dataclass
class _Choice:
    patients: np.ndarray  # active patient indices
    pick: np.ndarray  # per patient, index into options
    options: list[tuple[str, ...] | None]


def _guided_choices(model: Model, policy: EnginePolicy, active: np.ndarray, line: int, state: np.ndarray,
                    histories: _Histories, bm: np.ndarray, last_event: np.ndarray, biopsy: np.ndarray) -> _Choice:
    """The regimen the engine picks for each active patient, one engine question per distinct case."""
    sh = model.shared
    idx = np.flatnonzero(active)
    clones = model.file.clones
    labels = [c.alteration if (c.detectable and c.alteration) else None for c in clones]
    if line == 0:
        cols = np.stack([np.zeros(idx.size, dtype=np.int64), bm[idx].astype(np.int64)], axis=1)
    else:
        total = state[idx].sum(axis=1, keepdims=True)
        share = np.divide(state[idx], total, out=np.zeros_like(state[idx]), where=total > 0)
        tissue = biopsy[0, idx, 0] >= sh["plasma_share"]
        sens = np.where(tissue, sh["tissue_sensitivity"], sh["plasma_sensitivity"])
        seen = (share >= sh["detection_share"]) & (biopsy[1, idx, :] < sens[:, None])
        reportable = np.array([lab is not None for lab in labels])
        mask = (seen & reportable[None, :]) @ (1 << np.arange(len(clones), dtype=np.int64))
        histo = np.zeros(idx.size, dtype=np.int64)
        for j, c in enumerate(clones):
            if c.histology:
                histo = np.where(tissue & (share[:, j] >= HISTOLOGY_SHARE), j + 1, histo)
        cns_only = (last_event[idx] == m.PROGRESSION_CNS).astype(np.int64)
        cols = np.stack([histories.ids[idx], mask, histo, tissue.astype(np.int64), bm[idx].astype(np.int64),
                         cns_only], axis=1)
    uniq, inverse = np.unique(cols, axis=0, return_inverse=True)
    options: list[tuple[str, ...] | None] = []
    for row in uniq.tolist():
        if line == 0:
            key: tuple[Any, ...] = ((), (), None, None, bool(row[1]), None)
        else:
            hist, bits, histo_j, tis, b, cns = row
            found = tuple(sorted(lab for j, lab in enumerate(labels) if lab and bits >> j & 1))
            histology = clones[histo_j - 1].histology if histo_j else None
            key = (histories.table[hist], found, histology, "tissue" if tis else "plasma", bool(b),
                   "cns_only" if cns else "systemic")
        options.append(policy.choose(key))
    return _Choice(idx, inverse.ravel(), options)
