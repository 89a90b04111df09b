"""The expected-efficacy figure for an option: results of the most relevant cohort in the KB
(same regimen, the setting closest to the patient's, the strongest design, the newest update)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alknav.interpret.facts import CaseFacts
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.kb.query import cite
from alknav.recommend.candidates import Candidate
from alknav.recommend.result import Efficacy

if TYPE_CHECKING:
    from alknav.kb import schema as s
else:  # at run time `s` is only read for enums (the schema re-exports them): no pydantic classes
    from alknav.kb import enums as s

_PHASE_RANK = {"phase_3": 0, "phase_2": 1, "phase_1_2": 2, "phase_1b": 3, "phase_1": 4, "pooled": 2,
               "meta_analysis": 1, "prospective_cohort": 3, "retrospective": 4, "real_world": 4,
               "case_series": 6, "case_report": 7, "preclinical": 9}
_GENERATION_SETTINGS = {1: ["after_crizotinib"], 2: ["after_2nd_gen_tki", "after_next_gen_alk_tki"],
                        3: ["after_lorlatinib", "after_next_gen_alk_tki"]}
_ASSESSOR_RANK = {"BIRC": 0, "IRC": 0, "investigator": 1, "NR": 2, "not_applicable": 3}


def setting_keys(facts: CaseFacts, kb: KnowledgeBase) -> list[str]:
    """Trial settings from most to least relevant for this patient."""
    if facts.line == "first":
        return ["first_line", "alk_tki_naive"]
    cur = facts.current_tki
    keys = [f"after_{cur}"] if cur else []
    gen = kb.drugs[cur].generation if cur else None
    keys += _GENERATION_SETTINGS.get(gen or 0, [])
    return [*keys, "after_alk_tki"]


def _arm_match(arm: s.Arm, want: set[str], loose: bool) -> bool:
    have = set(arm.regimen)
    return have == want or (loose and bool(have & want) and have <= want | {"cisplatin", "carboplatin"})


def _arms_by_regimen(kb: KnowledgeBase) -> dict[frozenset[str], list[tuple[s.Trial, s.Arm]]]:
    """Every trial arm under its exact set of drugs, in the knowledge base's order (once per KB)."""
    index: dict[frozenset[str], list[tuple[s.Trial, s.Arm]]] | None = kb.derived.get("arms_by_regimen")
    if index is None:
        index = {}
        for trial in kb.trials.values():
            for arm in trial.arms:
                index.setdefault(frozenset(arm.regimen), []).append((trial, arm))
        kb.derived["arms_by_regimen"] = index
    return index


def expected_efficacy(kb: KnowledgeBase, cand: Candidate, facts: CaseFacts) -> list[Efficacy]:
    """The figures depend on the option, the settings and CNS disease only: worked out once per knowledge
    base for each of these (kb.derived) and shared (Efficacy is frozen)."""
    keys = setting_keys(facts, kb)
    memo: dict[tuple[object, ...], list[Efficacy]] = kb.derived.setdefault("expected_efficacy", {})
    key = (tuple(cand.drugs), cand.regimen.id if cand.regimen is not None else None, tuple(keys), facts.cns)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _expected_efficacy(kb, cand, keys, facts.cns)
    return list(found)


def _expected_efficacy(kb: KnowledgeBase, cand: Candidate, keys: list[str], cns: bool) -> list[Efficacy]:
    want = set(cand.drugs)
    listed = cand.regimen.trials if cand.regimen is not None else []
    best: tuple[tuple[int, int, int, int], s.Trial, s.Arm] | None = None
    if not listed:  # search every trial for arms of exactly this regimen (the larger arm wins)
        for trial, arm in _arms_by_regimen(kb).get(frozenset(want), ()):
            if trial.setting not in keys:
                continue
            key = (keys.index(trial.setting), _PHASE_RANK.get(trial.phase, 8), 0, -(arm.n or 0))
            if best is None or key < best[0]:
                best = (key, trial, arm)
    # a regimen may name its cohorts as 'trial' or 'trial.arm'
    cohorts = [(kb.trials[t.partition(".")[0]], t.partition(".")[2]) for t in listed]
    for order, (trial, arm_id) in enumerate(cohorts):
        rank_setting = keys.index(trial.setting) if trial.setting in keys else len(keys)
        for arm in trial.arms:
            if arm_id and arm.id != arm_id:
                continue
            if not arm_id and not _arm_match(arm, want, loose=True):
                continue
            # listed cohorts keep the curator's order
            key = (rank_setting, _PHASE_RANK.get(trial.phase, 8), order, -(arm.n or 0))
            if best is None or key < best[0]:
                best = (key, trial, arm)
    if best is None:
        return []
    _, trial, arm = best
    if "superseded_results" not in kb.derived:
        kb.derived["superseded_results"] = frozenset(
            r.update_of for t in kb.trials.values() for r in t.results if r.update_of)
    superseded = kb.derived["superseded_results"]
    results = [r for r in trial.results if r.arm == arm.id and r.id not in superseded]
    endpoints = [s.Endpoint.PFS, s.Endpoint.ORR] + ([s.Endpoint.iORR] if cns else [])
    out = []
    for endpoint in endpoints:
        pool = [r for r in results if r.endpoint is endpoint]
        if not pool:
            continue
        pick = min(pool, key=lambda r: (_population_rank(r.population), _ASSESSOR_RANK.get(r.assessor, 4)))
        out.append(Efficacy(
            trial=trial.name, trial_id=trial.id, setting=trial.setting, arm=arm.description or arm.id,
            endpoint=pick.endpoint.value + (f" ({pick.endpoint_detail})" if pick.endpoint_detail else ""),
            value=pick.value, value_text=pick.value_text, unit=pick.unit.value, ci_low=pick.ci_low,
            ci_high=pick.ci_high, assessor=pick.assessor, population=pick.population,
            citation=cite(kb, pick.refs[0]),
        ))
    return out


def _population_rank(population: str) -> int:
    text = population.lower()
    if not text or "itt" in text or "intention" in text or "overall" in text or "all " in text:
        return 0
    return 1
