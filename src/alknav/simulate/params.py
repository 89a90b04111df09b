"""Simulator parameters and targets: YAML data with provenance, checked against the knowledge base.

The files live in ``knowledge/simulation/``; every reference id must exist in the KB's references,
every mutation in ``mutations/`` and every target result in ``trials/``. Problems are raised as
``CaseError`` naming the file and field, like any other bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from alknav.errors import CaseError
from alknav.kb import schema as s
from alknav.kb.knowledge_base import KnowledgeBase

DATA_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "simulation"
TKIS = ("crizotinib", "alectinib", "brigatinib", "ensartinib", "lorlatinib")
CHEMO = "chemotherapy"
MET = "met_inhibitor"
CALIBRATED_SPREAD = 0.25  # +-25% around a fitted value in sensitivity sweeps


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Provenance(StrEnum):
    read = "read"
    derived = "derived"
    assumed = "assumed"
    calibrated = "calibrated"


class Param(_Strict):
    value: float
    low: float
    high: float
    unit: str
    provenance: Provenance
    refs: list[str] = Field(default_factory=list)
    note: str = ""

    @model_validator(mode="after")
    def _bounds(self) -> Param:
        if not self.low <= self.value <= self.high:
            raise ValueError(f"value {self.value} outside [low {self.low}, high {self.high}]")
        if self.provenance in (Provenance.read, Provenance.derived) and not self.refs:
            raise ValueError(f"a '{self.provenance.value}' parameter needs refs")
        return self


class SourceNote(_Strict):
    provenance: Provenance
    refs: list[str] = Field(default_factory=list)
    note: str = ""


class Agent(_Strict):
    kill: Param
    cns_level: s.Level3 | None = None  # ALK TKIs read theirs from drugs.yaml
    drugs: list[str] = Field(default_factory=list)  # INNs the engine may name for this agent


class Clone(_Strict):
    id: str
    label: str = ""
    mutation: str | None = None
    alteration: str | None = None
    histology: str | None = None
    parent: str | None = None
    detectable: bool = True
    sensitivity: dict[str, float] = Field(default_factory=dict)
    sensitivity_provenance: SourceNote | None = None
    chemo_sensitivity: float = Field(default=1.0, ge=0, le=1)
    prevalence: Param | None = None
    mutation_rate: Param | None = None
    log10_fraction: Param | None = None  # this clone's own share when present (default: the shared one)


class ParameterFile(_Strict):
    simulation_format: int = Field(ge=1, le=1)
    label: str
    shared: dict[str, Param]
    call_sensitivity: dict[s.Call, Param]
    cns_exposure: dict[s.Level3, Param]
    agents: dict[str, Agent]
    clones: list[Clone] = Field(min_length=2)


class Target(_Strict):
    id: str
    role: str = Field(pattern=r"^(calibration|validation)$")
    result: str
    sequence: str
    control: str | None = None
    prior_line: str | None = None
    endpoint: str = Field(pattern=r"^(pfs1|pfs2|pfs_rate|hr|pfs2_hr|ic_progression|ic_hr)$")
    at_months: float | None = None
    follow_up: float = Field(gt=0)
    note: str = ""


class TargetFile(_Strict):
    simulation_targets: int = Field(ge=1, le=1)
    targets: list[Target]


SHARED_KEYS = (
    "growth_rate", "growth_rate_sd", "birth_rate", "kill_sd", "burden_log10", "burden_log10_sd", "detection_systemic",
    "progression_factor", "brain_metastases", "cns_burden_log10", "occult_cns", "occult_cns_log10", "detection_cns",
    "preexisting_log10_fraction", "preexisting_log10_sd", "death_rate", "plasma_share", "plasma_sensitivity",
    "tissue_sensitivity", "detection_share",
)


@dataclass
class Model:
    """Parameters resolved against the KB into arrays the vectorised model uses."""

    file: ParameterFile
    shared: dict[str, float]
    clone_ids: list[str]
    agent_ids: list[str]
    sens: np.ndarray  # (agents, clones) share of the agent's full effect
    kill: np.ndarray  # (agents,) maximal kill rate per month
    cns: np.ndarray  # (agents,) CNS exposure relative to systemic
    prevalence: np.ndarray  # (clones,)
    mutation_rate: np.ndarray  # (clones,) per division
    parent: np.ndarray  # (clones,) index of the source clone of new mutants (0 = sensitive)
    log10_fraction: np.ndarray  # (clones,) mean log10 share when present; nan = the shared value
    call_notes: dict[str, str] = field(default_factory=dict)  # "clone x agent" -> where s came from

    @property
    def label(self) -> str:
        return " ".join(self.file.label.split())

    def agent_index(self, agent: str) -> int:
        return self.agent_ids.index(agent)

    def with_values(self, overrides: dict[str, float]) -> Model:
        """A copy with some parameters replaced: 'shared.NAME', 'kill.AGENT', 'prevalence.CLONE'."""
        out = Model(self.file, dict(self.shared), list(self.clone_ids), list(self.agent_ids), self.sens.copy(),
                    self.kill.copy(), self.cns.copy(), self.prevalence.copy(), self.mutation_rate.copy(),
                    self.parent.copy(), self.log10_fraction.copy(), dict(self.call_notes))
        for key, value in overrides.items():
            group, _, name = key.partition(".")
            if group == "shared" and name in out.shared:
                out.shared[name] = float(value)
            elif group == "kill" and name in out.agent_ids:
                out.kill[out.agent_ids.index(name)] = float(value)
            elif group == "prevalence" and name in out.clone_ids:
                out.prevalence[out.clone_ids.index(name)] = float(value)
            elif group == "mutation_rate" and name in out.clone_ids:
                out.mutation_rate[out.clone_ids.index(name)] = float(value)
            else:
                raise CaseError("parameters", f"unknown parameter '{key}'")
        return out

    def ranges(self) -> dict[str, tuple[float, float, float]]:
        """Every parameter the sensitivity sweep may vary: key -> (value, low, high)."""
        out: dict[str, tuple[float, float, float]] = {}
        for name, p in self.file.shared.items():
            if p.low < p.high:
                out[f"shared.{name}"] = (self.shared[name], p.low, p.high)
        for agent, a in self.file.agents.items():
            value = float(self.kill[self.agent_ids.index(agent)])
            if a.kill.provenance == Provenance.calibrated:
                # the file's bounds are the fit's search range, not an uncertainty: a fitted value
                # varies by CALIBRATED_SPREAD around itself (a stand-in for refitting every set)
                lo, hi = value * (1 - CALIBRATED_SPREAD), value * (1 + CALIBRATED_SPREAD)
                out[f"kill.{agent}"] = (value, max(lo, a.kill.low), min(hi, a.kill.high))
            elif a.kill.low < a.kill.high:
                out[f"kill.{agent}"] = (value, a.kill.low, a.kill.high)
        for c in self.file.clones:
            for group, opt in (("prevalence", c.prevalence), ("mutation_rate", c.mutation_rate)):
                if opt is not None and opt.low < opt.high:
                    current = self.prevalence if group == "prevalence" else self.mutation_rate
                    out[f"{group}.{c.id}"] = (float(current[self.clone_ids.index(c.id)]), opt.low, opt.high)
        return out


def _read(path: Path, model: type[BaseModel]) -> Any:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CaseError(path.name, f"cannot read: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise CaseError(f"{path.name}:{loc}", err["msg"]) from exc


def _check_refs(kb: KnowledgeBase, where: str, refs: list[str]) -> None:
    for ref in refs:
        if ref not in kb.references:
            raise CaseError(where, f"unknown reference id '{ref}'")


def _call_share(kb: KnowledgeBase, pf: ParameterFile, mutation: str, drug: str) -> tuple[float, str]:
    from alknav.kb import query as q  # the query module pulls difflib/regex; only needed here

    mut = kb.mutations[mutation]
    call = q.best_call(q.calls_by_drug(mut).get(drug, []))
    if call is None:
        return pf.call_sensitivity[s.Call.unknown].value, "no curated call (unknown)"
    how = f"KB call {call.call.value} (level {call.level}{', inferred' if q.weak_call(call) else ''})"
    return pf.call_sensitivity[call.call].value, how


def load_model(kb: KnowledgeBase, directory: Path | None = None) -> Model:
    """Read parameters.yaml, check every reference/mutation against the KB and build the arrays."""
    path = (directory or DATA_DIR) / "parameters.yaml"
    pf: ParameterFile = _read(path, ParameterFile)
    missing = [k for k in SHARED_KEYS if k not in pf.shared]
    if missing:
        raise CaseError(f"{path.name}:shared", f"missing parameter(s): {', '.join(missing)}")
    for name, p in pf.shared.items():
        _check_refs(kb, f"{path.name}:shared.{name}", p.refs)
    for level in (s.Level3.high, s.Level3.moderate, s.Level3.low, s.Level3.unknown):
        if level not in pf.cns_exposure:
            raise CaseError(f"{path.name}:cns_exposure", f"missing level '{level.value}'")
    for call in s.Call:
        if call not in pf.call_sensitivity:
            raise CaseError(f"{path.name}:call_sensitivity", f"missing call '{call.value}'")
    for tki in TKIS:
        if tki not in pf.agents or tki not in kb.drugs:
            raise CaseError(f"{path.name}:agents", f"ALK TKI '{tki}' needs an agent entry and a KB drug")
    for required in (CHEMO, MET):
        if required not in pf.agents or pf.agents[required].cns_level is None:
            raise CaseError(f"{path.name}:agents.{required}", "needs an entry with cns_level")
    agent_ids = list(pf.agents)
    clone_ids = [c.id for c in pf.clones]
    if clone_ids[0] != "sensitive":
        raise CaseError(f"{path.name}:clones[0]", "the first clone must be 'sensitive'")
    if len(set(clone_ids)) != len(clone_ids):
        raise CaseError(f"{path.name}:clones", "clone ids must be unique")
    n_a, n_c = len(agent_ids), len(clone_ids)
    sens = np.zeros((n_a, n_c))
    notes: dict[str, str] = {}
    prevalence = np.zeros(n_c)
    rate = np.zeros(n_c)
    parent = np.zeros(n_c, dtype=np.int64)
    log_frac = np.full(n_c, np.nan)
    for j, c in enumerate(pf.clones):
        where = f"{path.name}:clones[{j}]"
        if c.mutation is not None and c.mutation not in kb.mutations:
            raise CaseError(f"{where}.mutation", f"'{c.mutation}' is not a KB mutation")
        if c.parent is not None:
            if c.parent not in clone_ids[:j]:
                raise CaseError(f"{where}.parent", f"'{c.parent}' must be a clone listed before '{c.id}'")
            parent[j] = clone_ids.index(c.parent)
        for agent in c.sensitivity:
            if agent not in pf.agents:
                raise CaseError(f"{where}.sensitivity", f"unknown agent '{agent}'")
        if c.sensitivity_provenance is not None:
            _check_refs(kb, f"{where}.sensitivity_provenance", c.sensitivity_provenance.refs)
        for p_name, opt in (("prevalence", c.prevalence), ("mutation_rate", c.mutation_rate)):
            if j > 0 and opt is None:
                raise CaseError(f"{where}.{p_name}", "required for a resistant clone")
            if opt is not None:
                _check_refs(kb, f"{where}.{p_name}", opt.refs)
        prevalence[j] = c.prevalence.value if c.prevalence else 0.0
        if c.log10_fraction is not None:
            log_frac[j] = c.log10_fraction.value
        rate[j] = c.mutation_rate.value if c.mutation_rate else 0.0
        for i, agent in enumerate(agent_ids):
            if agent == CHEMO:
                sens[i, j] = c.chemo_sensitivity
                continue
            if agent in c.sensitivity:
                sens[i, j] = c.sensitivity[agent]
                notes[f"{c.id} x {agent}"] = "parameters.yaml"
            elif c.mutation is not None and agent in TKIS:
                sens[i, j], notes[f"{c.id} x {agent}"] = _call_share(kb, pf, c.mutation, agent)
            elif agent in TKIS and c.id in ("sensitive", "chemo_refractory"):
                sens[i, j] = 1.0  # ALK-dependent cells without an ALK resistance mechanism
            else:
                sens[i, j] = 0.0  # the MET inhibitor acts only where a clone lists it
    kill = np.array([pf.agents[a].kill.value for a in agent_ids])
    cns = np.zeros(n_a)
    for i, agent in enumerate(agent_ids):
        cns_level = pf.agents[agent].cns_level
        if cns_level is None:
            pen = kb.drugs[agent].cns_penetration
            cns_level = pen.level if pen is not None else s.Level3.unknown
        cns[i] = pf.cns_exposure[cns_level].value
    shared = {k: p.value for k, p in pf.shared.items()}
    return Model(pf, shared, clone_ids, agent_ids, sens, kill, cns, prevalence, rate, parent, log_frac, notes)


def load_targets(kb: KnowledgeBase, directory: Path | None = None) -> list[Target]:
    path = (directory or DATA_DIR) / "targets.yaml"
    tf: TargetFile = _read(path, TargetFile)
    results = {r.id: r for t in kb.trials.values() for r in t.results}
    for i, t in enumerate(tf.targets):
        if t.result not in results:
            raise CaseError(f"{path.name}:targets[{i}].result", f"'{t.result}' is not a KB trial result")
    return tf.targets


def trial_result(kb: KnowledgeBase, result_id: str) -> tuple[s.Trial, s.Result]:
    for trial in kb.trials.values():
        for r in trial.results:
            if r.id == result_id:
                return trial, r
    raise CaseError("result", f"'{result_id}' is not a KB trial result")
