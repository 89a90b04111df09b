"""Candidate options: every ALK TKI in the knowledge base, investigational ALK agents as trial
options, and the regimens (chemotherapy, combinations, local therapy) the knowledge lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from alknav.interpret.facts import CaseFacts, CloneCall, clone_call, coverage
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.recommend.result import Msg, msg

if TYPE_CHECKING:
    from alknav.kb import schema as s
else:  # at run time `s` is only read for enums (the schema re-exports them): no pydantic classes
    from alknav.kb import enums as s


@dataclass
class Candidate:
    key: str
    label: Msg
    drugs: list[str]
    category: str
    regimen: s.Regimen | None = None
    calls: list[CloneCall] = field(default_factory=list)
    coverage: str = "no_mutation"


def is_trial_agent(kb: KnowledgeBase, drug: s.Drug) -> bool:
    """An ALK-directed agent to offer as a clinical-trial option: not approved for ALK-positive NSCLC,
    and either fourth-generation or backed by ALK mutation calls in the knowledge base (e.g.
    gilteritinib), with at least one open trial recorded. Other investigational agents have nothing in
    the KB to rank them by."""
    if drug.drug_class is s.DrugClass.alk_tki and not drug.investigational:
        return False
    if not any(t.open for t in drug.active_trials):  # a trial option needs a trial a patient can enter
        return False
    has_alk_calls = drug.id in kb.drugs_with_calls()
    return has_alk_calls or (drug.investigational and drug.generation == 4)


def _with_calls(cand: Candidate, facts: CaseFacts, tki: str | None) -> Candidate:
    if tki is not None and facts.clones:
        cand.calls = [clone_call(c, tki) for c in facts.clones]
    cand.coverage = coverage(cand.calls)
    return cand


def best_tki(kb: KnowledgeBase, facts: CaseFacts) -> str | None:
    """The approved ALK TKI whose calls cover the clones best (for 'plus_best_tki' regimens)."""
    order = {"all_sensitive": 0, "no_mutation": 1, "some_intermediate": 2, "some_unknown": 3, "some_resistant": 4}
    tkis = [d for d in kb.drugs.values() if d.drug_class is s.DrugClass.alk_tki and not d.investigational]
    if not tkis:
        return None
    gen = {d.id: -(d.generation or 0) for d in tkis}

    def key(drug: s.Drug) -> tuple[int, int, str]:
        cov = coverage([clone_call(c, drug.id) for c in facts.clones])
        return order[cov], gen[drug.id], drug.id

    return min(tkis, key=key).id


def build_candidates(kb: KnowledgeBase, facts: CaseFacts, offered: set[str]) -> list[Candidate]:
    out: list[Candidate] = []
    for drug in kb.drugs.values():
        if drug.drug_class is s.DrugClass.alk_tki and not drug.investigational:
            out.append(_with_calls(Candidate(drug.id, msg(f"drug:{drug.id}"), [drug.id], "alk_tki"), facts, drug.id))
        elif is_trial_agent(kb, drug):
            label = msg("t:trial_option", drug=msg(f"drug:{drug.id}"))
            out.append(_with_calls(Candidate(f"trial:{drug.id}", label, [drug.id], "clinical_trial"), facts, drug.id))
    for reg in kb.regimens.values():
        if not (reg.always_candidate or reg.id in offered):
            continue
        drugs, tki = list(reg.drugs), None
        if reg.template is s.Template.plus_current_tki:
            if facts.current_tki is None or facts.last_tki_completed:  # nothing is being taken to continue
                continue
            tki = facts.current_tki
        elif reg.template is s.Template.plus_best_tki:
            tki = best_tki(kb, facts)
            if tki is None:
                continue
        label = msg(f"regimen:{reg.id}")
        if tki is not None:
            drugs.append(tki)
            label = (msg(f"regimen_tki:{reg.id}", tki=msg(f"drug:{tki}")) if reg.name_with_tki is not None
                     else msg("t:regimen_plus", regimen=label, drug=msg(f"drug:{tki}")))
        cand = Candidate(reg.id, label, drugs, reg.category.value, regimen=reg)
        out.append(_with_calls(cand, facts, tki))
    return out
