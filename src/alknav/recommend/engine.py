"""recommend(case, kb) -> Result: a pure function (no I/O, no clock, no globals).

1. facts: drugs received, ALK clones and their per-drug calls, bypass mechanisms, CNS, line;
2. case rules fire once (warnings, tests, extra regimens to consider);
3. candidate rules score every option; excluded options are kept with their reasons;
4. options are ranked by score, then evidence level, then name — deterministic.
Every step is recorded in the trace, with the references of the rule that fired.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from alknav.inputs.case_model import Case
from alknav.interpret.facts import CaseFacts, CloneCall, build_facts, coverage, regimen_key
from alknav.kb.enums import Region
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.kb.query import cite
from alknav.recommend import result as r
from alknav.recommend.candidates import Candidate, build_candidates
from alknav.recommend.efficacy import expected_efficacy
from alknav.recommend.result import Msg, joined, msg
from alknav.recommend.rules import availability, compiled_rules
from alknav.recommend.safety import OptionSafety, SafetyNote, option_safety

if TYPE_CHECKING:
    from alknav.kb import schema as s
else:  # at run time `s` is only read for enums (the schema re-exports them): no pydantic classes
    from alknav.kb import enums as s

_LEVEL_RANK = {"A": 0, "B": 1, "C": 2, "D": 3, "E": 4}
_CATEGORY_RANK = {"alk_tki": 0, "alk_tki_combination": 1, "chemoimmunotherapy": 2, "chemotherapy": 3,
                  "local_therapy": 4, "clinical_trial": 5, "best_supportive_care": 6}


@dataclass
class _Scored:
    cand: Candidate
    score: int = 0
    levels: list[str] = field(default_factory=list)
    facts: list[r.Fact] = field(default_factory=list)
    excluded: list[Msg] = field(default_factory=list)
    safety: OptionSafety = field(default_factory=OptionSafety)
    tier: int = 0


# Tiers order options before their scores, so that no weight can override a safety invariant:
# 0 an option with clinical evidence; 1 evidence only preclinical or weaker (it may not outrank
# clinical evidence); 2 a drug the tumour progressed on, with no curated call that the tumour's
# mutations re-sensitise it (it is shown, never first).
def _failed_drug(facts: CaseFacts, cand: Candidate) -> bool:
    return cand.category in ("alk_tki", "clinical_trial") and any(d in facts.failed_drugs for d in cand.drugs)


def _failed_regimen(facts: CaseFacts, cand: Candidate) -> bool:
    """The same regimen the tumour progressed on (e.g. carboplatin-pemetrexed with lorlatinib); local
    therapy while continuing a drug is a different plan, and TKIs alone are judged as failed drugs."""
    key = regimen_key(cand.drugs)
    return bool(key) and cand.category not in ("alk_tki", "local_therapy") and any(
        key <= f for f in facts.failed_regimens)


def _tier(kb: KnowledgeBase, facts: CaseFacts, item: _Scored) -> int:
    cand = item.cand
    if _failed_drug(facts, cand) and not (cand.calls and all(c.resensitises for c in cand.calls)):
        return 2
    if _failed_regimen(facts, cand):  # not offered again first
        return 2
    # A TKI called resistant to a clone found (alone, or continued around local therapy) sinks with the
    # failed drugs, whatever rules lifted it (e.g. CNS activity): other options' penalties, such as
    # pregnancy or poor performance status, must not bring it back to the top.
    if cand.category in ("alk_tki", "local_therapy") and coverage(cand.calls) == "some_resistant":
        return 2
    level_def = next((lv for lv in kb.evidence.levels if lv.id == _level(item)), None)
    return 0 if level_def is not None and level_def.clinical else 1


def _covers_with_clinical_evidence(kb: KnowledgeBase, item: _Scored) -> bool:
    """An approved, non-trial option whose clinical evidence covers every clone found."""
    cand = item.cand
    if cand.category == "clinical_trial" or item.tier != 0:
        return False
    if not cand.calls:
        return cand.category in ("alk_tki", "alk_tki_combination")
    return all(c.call == "sensitive" and not c.weak and any(b.evidence_type.value == "clinical" for b in c.basis)
               for c in cand.calls)


def _trials_below_covering_option(kb: KnowledgeBase, facts: CaseFacts, kept: list[_Scored]) -> list[_Scored]:
    """An investigational agent never ranks above an approved option that covers every clone with
    clinical evidence (after lorlatinib with a compound nothing approved covers, a trial may lead)."""
    anchor = next((i for i, x in enumerate(kept) if _covers_with_clinical_evidence(kb, x)), None)
    if anchor is None:
        return kept
    above = [x for x in kept[:anchor] if x.cand.category == "clinical_trial"]
    if not above:
        return kept
    rest = [x for x in kept if x not in above]
    at = rest.index(kept[anchor]) + 1
    return rest[:at] + above + rest[at:]


def _resistant_combinations_below_chemotherapy(kb: KnowledgeBase, kept: list[_Scored]) -> list[_Scored]:
    """Chemotherapy continuing a TKI called resistant to a clone found never ranks above the same
    chemotherapy alone: the continued TKI is then not known to add anything against that clone."""
    out = list(kept)
    for item in kept:
        cand = item.cand
        if cand.category != "alk_tki_combination" or coverage(cand.calls) != "some_resistant":
            continue
        plain = regimen_key([d for d in cand.drugs if kb.drugs[d].drug_class is not s.DrugClass.alk_tki])
        alone = next((x for x in out if x.cand.category == "chemotherapy" and regimen_key(x.cand.drugs) == plain), None)
        if alone is not None and out.index(item) < out.index(alone):
            out.remove(item)
            out.insert(out.index(alone) + 1, item)
    return out


def _test_key(english: str) -> str:
    """One test suggested by a rule, the work-up and a label is listed once: 'lipid panel', 'lipid
    panel (cholesterol, triglycerides)' and 'lipid panel (serum cholesterol and triglycerides)' are
    the same order; the first to suggest it keeps its wording and reason."""
    return " ".join(re.sub(r"\([^)]*\)", " ", english.lower()).split())


def _workup_tests(kb: KnowledgeBase, facts: CaseFacts, options: list[r.Option]) -> list[tuple[str, r.SuggestedTest]]:
    """The work-up every ALK-positive patient needs now, and the label monitoring of the first option
    (each with its English wording as the key that merges a test suggested twice)."""
    out = []
    status = facts.case.current.status.value
    sex = facts.case.patient.sex
    for item in kb.workup.values():
        if item.status_in and status not in item.status_in:
            continue
        if item.sex_in and sex is not None and sex.value not in item.sex_in:
            continue  # e.g. no pregnancy test for a man; unknown sex keeps it
        out.append((item.test.en, r.SuggestedTest(test=msg(f"workup.test:{item.id}"), why=msg(f"workup.why:{item.id}"),
                                                  citations=_cites(kb, item.refs))))
    if options:
        top = options[0]
        for adm in top.administration:
            if adm.kind != "monitoring" or adm.schedule is None:
                continue
            why = msg("t:monitoring_why", drug=msg(f"drug:{adm.drug}"), schedule=adm.schedule)
            key = kb.safety[adm.drug].monitoring[[m.id for m in kb.safety[adm.drug].monitoring].index(adm.code)].test.en
            out.append((key, r.SuggestedTest(test=adm.text, why=why, citations=adm.citations)))
    return out


def _cites(kb: KnowledgeBase, refs: list[str]) -> list[str]:
    cache: dict[str, str] = kb.derived.setdefault("cite", {})
    out = []
    for ref in refs:
        if ref not in cache:
            cache[ref] = cite(kb, ref)
        out.append(cache[ref])
    return list(dict.fromkeys(out))


def _fill_args(template: s.Lang, facts: CaseFacts, option: Msg | None = None) -> dict[str, r.MsgArg]:
    """The case details a rule message names ({unrecognized} {clones} {current_tki} {option} ...)."""
    wanted = [k for k in _FILL_KEYS if "{" + k + "}" in template.en or "{" + k + "}" in template.zh]
    values: dict[str, r.MsgArg] = {}
    for key in wanted:
        if key == "unrecognized":
            values[key] = joined([msg("t:unrecognized_item", input=a.input, reason=a.reason or "")
                                  for a in facts.alterations if not a.recognized], "semi")
        elif key == "unknown_medications":
            values[key] = joined([m.name for m in facts.medications if not m.classes])
        elif key == "unknown_comorbidities":
            values[key] = joined(list(facts.unknown_comorbidities))
        elif key == "unknown_toxicities":
            values[key] = joined([t.raw for t in facts.toxicities if t.code is None])
        elif key == "current_toxicity":
            values[key] = facts.current_toxicity.raw if facts.current_toxicity else ""
        elif key == "clones":
            values[key] = joined([c.label for c in facts.clones])
        elif key == "current_tki":
            values[key] = msg(f"drug:{facts.current_tki}") if facts.current_tki else ""
        elif key == "option":
            values[key] = option if option is not None else ""
    return values


_FILL_KEYS = ("unrecognized", "unknown_medications", "unknown_comorbidities", "unknown_toxicities",
              "current_toxicity", "clones", "current_tki", "option")


def _call_fact(kb: KnowledgeBase, call: CloneCall, drug: str) -> r.Fact:
    parts: list[Msg | str] = []
    for basis in call.basis:
        detail: list[Msg | str] = [msg(f"t:ev_{basis.evidence_type.value}"), msg("t:level_n", level=basis.level)]
        if basis.ic50_nm:
            ic50 = f"{basis.ic50_nm:g}"
            detail.append(msg("t:ic50_vs", ic50=ic50, wt=f"{basis.ic50_wt_nm:g}") if basis.ic50_wt_nm
                          else msg("t:ic50", ic50=ic50))
        parts.append(joined(detail, "comma"))
    if call.weak:  # shown, but it lifted nothing: say why
        parts.append(msg("t:weak_call"))
    text = msg("t:call_fact", clone=call.clone.label, drug=msg(f"drug:{drug}"), call=msg(f"t:{call.call}"),
               detail=joined(parts, "semi") if parts else msg("t:no_data"))
    refs = [ref for b in call.basis for ref in b.refs]
    return r.Fact(text=text, citations=_cites(kb, refs))


def recommend(case: Case, kb: KnowledgeBase, *, region: str | None = None) -> r.Result:
    if region is not None:
        case = case.model_copy(update={"patient": case.patient.model_copy(update={"region": Region(region)})})
    facts = build_facts(case, kb)
    trace: list[r.TraceStep] = []
    warnings: dict[str, r.Warning] = {}
    tests: dict[str, r.SuggestedTest] = {}
    offered: set[str] = set()

    def add_warning(rule: s.Rule, option: Msg | None) -> None:
        w = rule.then.warning
        if w is None or w.code in warnings:
            return
        message = msg(f"rule.warning:{rule.id}", **_fill_args(w.message, facts, option))
        warnings[w.code] = r.Warning(code=w.code, severity=w.severity.value, message=message, option=option,
                                     citations=_cites(kb, rule.refs))

    def add_test(rule: s.Rule) -> None:
        test = rule.then.test
        if test is None:
            return
        tests.setdefault(_test_key(test.test.en), r.SuggestedTest(
            test=msg(f"rule.test:{rule.id}"), why=msg(f"rule.why:{rule.id}", **_fill_args(test.why, facts)),
            citations=_cites(kb, rule.refs)))

    unmapped = (case.model_extra or {}).get("unmapped") or []
    if unmapped:  # input conversion (e.g. a Phenopacket) left clinical content unused: say so
        warnings["input_not_mapped"] = r.Warning(
            code="input_not_mapped", severity="caution",
            message=msg("t:unmapped", items=joined([str(x) for x in unmapped], "semi")))
    rules = compiled_rules(kb)
    live = [c for c in rules if c.case_matches(facts, kb)]  # each case condition is evaluated once
    for compiled in live:
        if compiled.per_candidate:
            continue
        rule = compiled.rule
        offered.update(rule.then.offer)
        add_warning(rule, None)
        add_test(rule)
        trace.append(r.TraceStep(rule=rule.id, effect=_effect_text(rule), citations=_cites(kb, rule.refs)))

    scored = [_Scored(c) for c in build_candidates(kb, facts, offered)]
    pending: list[tuple[_Scored | None, s.Rule | SafetyNote, Msg]] = []
    candidate_rules = [c for c in live if c.per_candidate]
    safety_memo: dict[str, OptionSafety] = {}  # drug -> its label items for this case

    def cites(refs: list[str]) -> list[str]:
        return _cites(kb, refs)

    for item in scored:
        cand = item.cand
        name = cand.label
        for compiled in candidate_rules:
            if not compiled.candidate_matches(cand, facts, kb):
                continue
            rule = compiled.rule
            item.score += rule.then.score
            fact = msg(f"rule:{rule.id}", **_fill_args(rule.description, facts, name))
            if rule.then.exclude:
                item.excluded.append(fact)
            if rule.then.score > 0 and rule.then.level:
                item.levels.append(_call_level(cand) if rule.then.level == "calls" else rule.then.level)
            if rule.then.score != 0 or rule.then.exclude:
                item.facts.append(r.Fact(text=fact, citations=_cites(kb, rule.refs)))
            if not rule.then.exclude:
                pending.append((item, rule, joined(list(map(_drug_msg, cand.drugs))) if cand.drugs else name))
                add_test(rule)
            trace.append(r.TraceStep(rule=rule.id, target=name, effect=_effect_text(rule),
                                     citations=_cites(kb, rule.refs)))
        for call in cand.calls:
            item.facts.append(_call_fact(kb, call, cand.drugs[-1]))
        item.safety = option_safety(kb, facts, cand.drugs, cites, safety_memo)
        item.score += item.safety.score
        item.facts.extend(item.safety.facts)
        item.excluded.extend(f.text for f in item.safety.excluded)
        for note in item.safety.warnings:
            pending.append((None, note, name))

    # A rule's warning about an option that ends up excluded would warn about something not offered;
    # label notes stay (they say why an option was excluded). Order is kept as the rules fired.
    for owner, source, name in pending:
        if not isinstance(source, SafetyNote):  # a rule (either knowledge-base form)
            if owner is not None and not owner.excluded:
                add_warning(source, name)
            continue
        key = f"{source.code}:{source.message.model_dump_json()}"
        if key not in warnings:
            warnings[key] = r.Warning(code=source.code, severity=source.severity, message=source.message,
                                      option=name, citations=source.citations)

    kept = [x for x in scored if not x.excluded]
    for x in kept:
        x.tier = _tier(kb, facts, x)
    kept.sort(key=lambda x: (x.tier, -x.score, _LEVEL_RANK.get(_level(x), 9),
                             _CATEGORY_RANK.get(x.cand.category, 9), x.cand.key))
    kept = _trials_below_covering_option(kb, facts, _resistant_combinations_below_chemotherapy(kb, kept))
    options = [_option(kb, facts, x, rank) for rank, x in enumerate(kept, start=1)]
    for key, suggested in _workup_tests(kb, facts, options):
        tests.setdefault(_test_key(key), suggested)
    for above, option in pairwise(options):  # equal footing is shown, not hidden
        option.tied = (option.score, option.evidence.level) == (above.score, above.evidence.level)
    return r.Result(
        case_id=case.id,
        knowledge_version=kb.version,
        alterations=[a.as_dict() for a in facts.alterations],
        options=options,
        warnings=list(warnings.values()),
        suggested_tests=list(tests.values()),
        interpretation=_interpretation(facts, kb),
        excluded=[r.Excluded(name=x.cand.label, drugs=x.cand.drugs, category=x.cand.category,
                             reasons=_unique(x.excluded),
                             citations=list(dict.fromkeys(c for f in x.facts for c in f.citations)))
                  for x in scored if x.excluded],
        trace=trace,
        region=facts.region,
    )


def _drug_msg(drug: str) -> Msg | str:
    return msg(f"drug:{drug}")


def _unique(messages: list[Msg]) -> list[Msg]:
    seen: dict[str, Msg] = {}
    for m in messages:
        seen.setdefault(m.model_dump_json(), m)
    return list(seen.values())


def _call_level(cand: Candidate) -> str:
    """The weakest level among the mutation x drug calls that decided the option's coverage."""
    levels = [c.level or "E" for c in cand.calls]
    return max(levels, key=lambda lv: _LEVEL_RANK.get(lv, 9)) if levels else "E"


def _level(item: _Scored) -> str:
    """The option's evidence level: the strongest rule that supports it. A clone without a call is
    'no data': it neither lowers nor raises the level (the calls' own levels are shown beside each
    clone; a preclinical call does not lower a clinical sequencing rule)."""
    if item.levels:
        return min(item.levels, key=lambda lv: _LEVEL_RANK.get(lv, 9))
    if item.cand.regimen is not None:
        return item.cand.regimen.level
    return "E"


def _effect_text(rule: s.Rule) -> str:
    e = rule.then
    parts = []
    if e.score:
        parts.append(f"score {e.score:+d}")
    if e.exclude:
        parts.append("exclude")
    if e.offer:
        parts.append("consider " + ", ".join(e.offer))
    if e.warning:
        parts.append(f"warning {e.warning.code}")
    if e.test:
        parts.append("test")
    return "; ".join(parts) or "noted"


def _option(kb: KnowledgeBase, facts: CaseFacts, item: _Scored, rank: int) -> r.Option:
    cand = item.cand
    level = _level(item)
    level_def = next((lv for lv in kb.evidence.levels if lv.id == level), None)
    status, detail = availability(kb, cand, facts.region, facts.line, facts.normalized)
    citations = list(dict.fromkeys(c for f in item.facts for c in f.citations))
    if cand.regimen is not None:
        citations += [c for c in _cites(kb, cand.regimen.refs) if c not in citations]
    elif cand.category == "clinical_trial":  # the agent's own record (development status, sources)
        citations += [c for d in cand.drugs for c in _cites(kb, kb.drugs[d].refs) if c not in citations]
    if not citations:  # nothing fired for or against it: cite the drugs' own records
        citations = [c for d in cand.drugs for c in _cites(kb, kb.drugs[d].refs)]
    efficacy = expected_efficacy(kb, cand, facts)
    citations += [e.citation for e in efficacy if e.citation and e.citation not in citations]
    concern = ""
    if _failed_drug(facts, cand) or _failed_regimen(facts, cand):
        concern = "failed_before"
    elif any(c.call == "resistant" for c in cand.calls):
        concern = "resistant_clone"
    return r.Option(
        rank=rank, name=cand.label, drugs=cand.drugs, category=cand.category,
        evidence=r.Evidence(level=level, clinical=level_def.clinical if level_def else False, citations=citations),
        availability=r.Availability(region=facts.region, status=status, detail=detail),
        score=item.score, rationale_facts=item.facts, expected_efficacy=efficacy,
        clone_calls={c.clone.label: c.call for c in cand.calls},
        administration=item.safety.items, concern=concern,
    )


def _interpretation(facts: CaseFacts, kb: KnowledgeBase) -> dict[str, object]:
    return {
        "line": facts.line,
        "prior_alk_tkis": facts.prior_tkis,
        "current_tki": facts.current_tki,
        "clones": [{"mutations": c.mutations, "curated": c.entry is not None, "from": c.source}
                   for c in facts.clones],
        "clones_possibly_distinct": facts.unphased,
        "mechanisms": [m.id for m in facts.mechanisms],
        "fusion_variant": facts.fusion_variant,
        "histology_now": facts.histology_now,
        "cns_disease": facts.cns,
        "not_mapped_from_input": (facts.case.model_extra or {}).get("unmapped") or [],
    }
