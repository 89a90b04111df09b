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
    # At progression on this agent, a share (shared.adaptive_share) of the drug-tolerant cells has
    # become ALK-independent (no ALK TKI acts on them any more); see parameters.yaml.
    tolerant_adapts: bool = False
    adapts_note: SourceNote | None = None


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
    persister: bool = False  # chemo sensitivity is shared.persister_chemo_sensitivity (cross-tolerance)
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
    fits: str | None = None  # calibration only: the one parameter this target sets (e.g. shared.adaptive_share)
    note: str = ""

    @model_validator(mode="after")
    def _fits_calibration_only(self) -> Target:
        if self.fits and self.role != "calibration":
            raise ValueError("only a calibration target may set a parameter (fits)")
        return self


class TargetFile(_Strict):
    simulation_targets: int = Field(ge=1, le=1)
    targets: list[Target]


SHARED_KEYS = (
    "growth_rate", "growth_rate_sd", "birth_rate", "kill_sd", "burden_log10", "burden_log10_sd", "detection_systemic",
    "progression_factor", "brain_metastases", "cns_burden_log10", "occult_cns", "occult_cns_log10", "detection_cns",
    "preexisting_log10_fraction", "preexisting_log10_sd", "death_rate", "plasma_share", "plasma_sensitivity",
    "tissue_sensitivity", "detection_share", "adaptive_share", "next_line_delay",
    "persister_chemo_sensitivity",
)
TOLERANT, ADAPTED, CHEMO_REFRACTORY = "tolerant", "alk_independent", "chemo_refractory"


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
    # sens after ALK TKI exposure: TKI-induced persisters are cross-tolerant to chemotherapy
    sens_exposed: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def label(self) -> str:
        return " ".join(self.file.label.split())

    def agent_index(self, agent: str) -> int:
        return self.agent_ids.index(agent)

    def clone_index(self, clone: str) -> int:
        return self.clone_ids.index(clone)

    def adapts(self, agents: tuple[str, ...]) -> bool:
        """Whether progression on this regimen turns tolerant cells ALK-independent."""
        return any(self.file.agents[a].tolerant_adapts for a in agents)

    def with_values(self, overrides: dict[str, float]) -> Model:
        """A copy with some parameters replaced: 'shared.NAME', 'kill.AGENT', 'prevalence.CLONE'."""
        out = Model(self.file, dict(self.shared), list(self.clone_ids), list(self.agent_ids), self.sens.copy(),
                    self.kill.copy(), self.cns.copy(), self.prevalence.copy(), self.mutation_rate.copy(),
                    self.parent.copy(), self.log10_fraction.copy(), dict(self.call_notes), self.sens_exposed.copy())
        for key, value in overrides.items():
            group, _, name = key.partition(".")
            if group == "shared" and name in out.shared:
                out.shared[name] = float(value)
                if name == "persister_chemo_sensitivity":
                    out._set_persister_chemo()
            elif group == "kill" and name in out.agent_ids:
                out.kill[out.agent_ids.index(name)] = float(value)
            elif group == "prevalence" and name in out.clone_ids:
                out.prevalence[out.clone_ids.index(name)] = float(value)
            elif group == "mutation_rate" and name in out.clone_ids:
                out.mutation_rate[out.clone_ids.index(name)] = float(value)
            else:
                raise CaseError("parameters", f"unknown parameter '{key}'")
        return out

    def _set_persister_chemo(self) -> None:
        """Persisters induced by an ALK TKI are cross-tolerant to chemotherapy (Sharma 2010): after
        TKI exposure, chemotherapy acts on them at shared.persister_chemo_sensitivity of its effect.
        In a TKI-naive tumour the same cells are ordinary ALK-dependent cells for chemotherapy."""
        i = self.agent_ids.index(CHEMO)
        self.sens_exposed = self.sens.copy()
        for j, c in enumerate(self.file.clones):
            if c.persister:
                self.sens_exposed[i, j] = self.shared["persister_chemo_sensitivity"]

    def ranges(self, include_calibrated: bool = True) -> dict[str, tuple[float, float, float]]:
        """Every parameter the sensitivity sweep may vary: key -> (value, low, high). Without
        include_calibrated, fitted parameters are left out (a sweep that refits them per set)."""
        out: dict[str, tuple[float, float, float]] = {}
        for name, p in self.file.shared.items():
            if p.provenance == Provenance.calibrated and not include_calibrated:
                continue
            if p.provenance == Provenance.calibrated:
                value = self.shared[name]
                out[f"shared.{name}"] = (value, max(value * (1 - CALIBRATED_SPREAD), p.low),
                                         min(value * (1 + CALIBRATED_SPREAD), p.high))
            elif p.low < p.high:
                out[f"shared.{name}"] = (self.shared[name], p.low, p.high)
        for agent, a in self.file.agents.items():
            value = float(self.kill[self.agent_ids.index(agent)])
            if a.kill.provenance == Provenance.calibrated and not include_calibrated:
                continue
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
    for required_clone in (TOLERANT, ADAPTED, CHEMO_REFRACTORY):
        if required_clone not in [c.id for c in pf.clones]:
            raise CaseError(f"{path.name}:clones", f"needs a clone '{required_clone}'")
    for a_name, a in pf.agents.items():
        if a.adapts_note is not None:
            _check_refs(kb, f"{path.name}:agents.{a_name}.adapts_note", a.adapts_note.refs)
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
    out = Model(pf, shared, clone_ids, agent_ids, sens, kill, cns, prevalence, rate, parent, log_frac, notes)
    out._set_persister_chemo()
    return out


def load_targets(kb: KnowledgeBase, directory: Path | None = None) -> list[Target]:
    path = (directory or DATA_DIR) / "targets.yaml"
    tf: TargetFile = _read(path, TargetFile)
    pf_shared = _read((directory or DATA_DIR) / "parameters.yaml", ParameterFile).shared
    results = {r.id: r for t in kb.trials.values() for r in t.results}
    for i, t in enumerate(tf.targets):
        if t.result not in results:
            raise CaseError(f"{path.name}:targets[{i}].result", f"'{t.result}' is not a KB trial result")
        if t.fits:
            group, _, name = t.fits.partition(".")
            p = pf_shared.get(name) if group == "shared" else None
            if p is None or p.provenance != Provenance.calibrated:
                raise CaseError(f"{path.name}:targets[{i}].fits", f"'{t.fits}' is not a calibrated shared parameter")
    return tf.targets


def trial_result(kb: KnowledgeBase, result_id: str) -> tuple[s.Trial, s.Result]:
    for trial in kb.trials.values():
        for r in trial.results:
            if r.id == result_id:
                return trial, r
    raise CaseError("result", f"'{result_id}' is not a KB trial result")
