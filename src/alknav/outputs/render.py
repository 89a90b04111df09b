"""A language-neutral Result rendered into one language: the contract's JSON shape
(shared/contracts/case-format.md, output) with every message turned into English or Chinese words.

Each output (text, markdown, JSON, report, FHIR, web) renders through ``render_result``, so one result
reads the same wherever it is shown. Templates come from the knowledge base (rules, labels, work-up,
drug and regimen names, evidence labels) and from the program's word list (alknav.outputs.i18n).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from alknav.kb.knowledge_base import KnowledgeBase
from alknav.outputs.i18n import t
from alknav.recommend import result as r
from alknav.recommend.safety import label_item_ids

if TYPE_CHECKING:
    from alknav.kb import schema as s

LANGS = ("en", "zh")
_SEPARATORS = {"en": {"list": ", ", "semi": "; ", "comma": ", ", "or": " or "},
               "zh": {"list": "、", "semi": "；", "comma": "，", "or": "或"}}


class MessageError(ValueError):
    """A message names a template the knowledge base does not hold (a result from another KB version)."""


def _lang(value: s.Lang, lang: str) -> str:
    return value.zh if lang == "zh" else value.en


def _by_id(items: list[Any], ident: str) -> Any:
    return next(x for x in items if x.id == ident)


def _template(kb: KnowledgeBase, key: str, lang: str) -> str:
    found: dict[str, str] = kb.derived.setdefault(f"templates:{lang}", {})  # the KB never changes under it
    text = found.get(key)
    if text is None:
        kind, _, ref = key.partition(":")
        parts = ref.split(":")
        try:
            text = found[key] = _TEMPLATES[kind](kb, parts, lang)
        except (KeyError, IndexError, StopIteration, ValueError, AttributeError) as exc:
            raise MessageError(f"message '{key}' has no template in knowledge base {kb.version}") from exc
    return text


def _optional(text: s.Lang | None, ident: str, lang: str) -> str:
    """An optional curated text a message names; its absence is a missing template, not a blank."""
    if text is None:
        raise ValueError(ident)
    return _lang(text, lang)


def _rule_warning(kb: KnowledgeBase, p: list[str], lang: str) -> str:
    w = kb.rules[p[0]].then.warning
    assert w is not None
    return _lang(w.message, lang)


def _rule_test(kb: KnowledgeBase, p: list[str], lang: str, part: str) -> str:
    test = kb.rules[p[0]].then.test
    assert test is not None
    return _lang(test.test if part == "test" else test.why, lang)


def _level(kb: KnowledgeBase, p: list[str], lang: str) -> str:
    level = next(lv for lv in kb.evidence.levels if lv.id == p[0])
    return _lang(level.label, lang)


def _drug(kb: KnowledgeBase, p: list[str], lang: str) -> str:
    drug = kb.drugs[p[0]]
    return drug.name_zh if lang == "zh" and drug.name_zh else drug.inn


def _dose_levels(kb: KnowledgeBase, p: list[str], lang: str) -> str:
    levels = kb.safety[p[0]].dose_levels
    assert levels is not None
    return _lang(levels.text, lang)


_TEMPLATES: dict[str, Callable[[KnowledgeBase, list[str], str], str]] = {
    "t": lambda kb, p, lang: t(lang, p[0]),
    "rule": lambda kb, p, lang: _lang(kb.rules[p[0]].description, lang),
    "rule.warning": _rule_warning,
    "rule.test": lambda kb, p, lang: _rule_test(kb, p, lang, "test"),
    "rule.why": lambda kb, p, lang: _rule_test(kb, p, lang, "why"),
    "drug": _drug,
    "regimen": lambda kb, p, lang: _lang(kb.regimens[p[0]].name, lang),
    "regimen_tki": lambda kb, p, lang: _optional(kb.regimens[p[0]].name_with_tki, p[0], lang),
    "medicine.substitute": lambda kb, p, lang: _optional(kb.medicines[p[0]].substitute, p[0], lang),
    "level": _level,
    "workup.test": lambda kb, p, lang: _lang(kb.workup[p[0]].test, lang),
    "workup.why": lambda kb, p, lang: _lang(kb.workup[p[0]].why, lang),
    "label.dose": lambda kb, p, lang: _lang(kb.safety[p[0]].doses[int(p[1])].text, lang),
    "label.dose_levels": _dose_levels,
    "label.monitoring": lambda kb, p, lang: _lang(_by_id(kb.safety[p[0]].monitoring, p[1]).test, lang),
    "label.schedule": lambda kb, p, lang: _lang(_by_id(kb.safety[p[0]].monitoring, p[1]).schedule, lang),
    "label.interaction": lambda kb, p, lang: _lang(
        next(i for i in kb.safety[p[0]].interactions if i.interaction_class == p[1]).message, lang),
    "label.population": lambda kb, p, lang: _lang(_by_id(kb.safety[p[0]].populations, p[1]).message, lang),
    "label.toxicity": lambda kb, p, lang: _lang(kb.safety[p[0]].toxicities[int(p[1])].message, lang),
    "class": lambda kb, p, lang: _lang(kb.interaction_classes[p[0]].name, lang),
}


def _arg(kb: KnowledgeBase, value: r.MsgArg, lang: str) -> str:
    if isinstance(value, r.Msg):
        return render_msg(value, kb, lang)
    if isinstance(value, list):
        return _SEPARATORS[lang]["list"].join(_arg(kb, v, lang) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def render_msg(message: r.Msg, kb: KnowledgeBase, lang: str) -> str:
    """One message in words. Placeholders are replaced literally ({name}), so braces elsewhere in a
    curated text are left alone."""
    kind, _, how = message.key.partition(":")
    if kind == "join":
        items = message.args.get("items", [])
        parts = [_arg(kb, v, lang) for v in (items if isinstance(items, list) else [items])]
        return _SEPARATORS[lang].get(how, ", ").join(p for p in parts if p)
    text = _template(kb, message.key, lang)
    for name, value in message.args.items():
        text = text.replace("{" + name + "}", _arg(kb, value, lang))
    return text


# --------------------------------------------------------------------------- the rendered result (contract)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(Out):
    level: str
    level_label: str = ""
    clinical: bool = True
    citations: list[str] = Field(default_factory=list)


class Availability(Out):
    region: str
    status: str  # approved | off_label | not_approved | investigational | unknown
    detail: str = ""


class Fact(Out):
    text: str
    citations: list[str] = Field(default_factory=list)


class AdminItem(Out):
    """One thing a prescriber must set up, from the label (dose, monitoring, interaction, ...). Frozen:
    the label's own items are rendered once per knowledge base and language and shared."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    drug: str
    kind: str  # dose | dose_other_region | dose_levels | monitoring | interaction | population | toxicity
    text: str
    detail: str = ""  # schedule (monitoring), action (interaction, population), re-challenge (toxicity), regions
    code: str = ""
    citations: list[str] = Field(default_factory=list)


class Option(Out):
    rank: int
    name: str
    drugs: list[str]
    category: str
    evidence: Evidence
    rationale: str
    availability: Availability
    score: int
    tied: bool = Field(default=False, description="same score and evidence level as the option ranked above")
    concern: str = Field(default="", description="failed_before or resistant_clone: shown, not advised")
    rationale_facts: list[Fact] = Field(default_factory=list)
    expected_efficacy: list[r.Efficacy] = Field(default_factory=list)
    clone_calls: dict[str, str] = Field(default_factory=dict, description="ALK clone -> call for this option")
    administration: list[AdminItem] = Field(
        default_factory=list, description="how to give it safely: dose, dose levels, monitoring, interactions, "
                                          "special populations, re-challenge after toxicity (from the labels)")


class Warning(Out):
    code: str
    severity: str
    message: str
    option: str | None = None
    citations: list[str] = Field(default_factory=list)


class SuggestedTest(Out):
    test: str
    why: str
    citations: list[str] = Field(default_factory=list)


class TraceStep(Out):
    rule: str
    target: str
    effect: str
    citations: list[str] = Field(default_factory=list)


class Excluded(Out):
    name: str
    drugs: list[str]
    category: str = ""
    reasons: list[str]
    citations: list[str] = Field(default_factory=list)


class RenderedResult(Out):
    """The contract's output: one result in one language."""

    case_id: str | None
    knowledge_version: str
    alterations: list[dict[str, Any]]
    options: list[Option]
    warnings: list[Warning]
    suggested_tests: list[SuggestedTest]
    interpretation: dict[str, Any] = Field(default_factory=dict)
    excluded: list[Excluded] = Field(default_factory=list)
    trace: list[TraceStep] = Field(default_factory=list)
    language: str = "en"
    region: str = "US"
    disclaimer: str = ""


def level_words(level: str, label: str) -> str:
    """'A — approved or prospective trial' -> 'approved or prospective trial', for text that shows the
    level letter already (so a reader never sees 'A (A — ...)')."""
    return re.sub(rf"^{re.escape(level)}\s*[—–-]\s*", "", label)


def _admin(item: r.AdminItem, kb: KnowledgeBase, lang: str) -> AdminItem:
    """A label item in words. The label's own items (dose, monitoring: the engine keeps one object per
    drug and region for every result, see recommend.safety.label_item_ids) are rendered once per language."""
    if id(item) not in label_item_ids(kb):  # a patient's item, or one read back from a stored result
        return _render_admin(item, kb, lang)
    memo: dict[tuple[int, str], AdminItem] = kb.derived.setdefault("rendered_label_items", {})
    found = memo.get((id(item), lang))
    if found is None:
        found = memo[(id(item), lang)] = _render_admin(item, kb, lang)
    return found


def _render_admin(item: r.AdminItem, kb: KnowledgeBase, lang: str) -> AdminItem:
    text = render_msg(item.text, kb, lang)
    # the regions a label applies to: codes in English (US, EU), names in Chinese (美国、欧盟)
    regions = "、".join(t(lang, f"regname_{r}") for r in item.regions) if lang == "zh" else ", ".join(item.regions)
    if item.kind == "dose" and item.regions:  # no dose for this region: say where this one applies
        text += f"（{regions}）" if lang == "zh" else f" ({regions})"
    if item.kind == "monitoring" and item.schedule is not None:
        detail = render_msg(item.schedule, kb, lang)
    elif item.kind == "dose_other_region":
        detail = regions
    else:
        detail = item.action
    return AdminItem(drug=item.drug, kind=item.kind, text=text, detail=detail, code=item.code,
                     citations=item.citations)


def _efficacy(e: r.Efficacy, kb: KnowledgeBase, lang: str) -> r.Efficacy:
    """A trial result with the trial's name, the arm and the population in ``lang`` (the knowledge base
    holds each in Chinese beside the English: ``name_zh``, ``description_zh``, ``population_zh``)."""
    trial = kb.trials.get(e.trial_id)
    if lang != "zh" or trial is None:
        return e
    arm = next((a for a in trial.arms if e.arm in (a.description, a.id)), None)
    population = next((x.population_zh for x in trial.results if x.population == e.population and x.population_zh),
                      e.population)
    endpoint = next((f"{x.endpoint.value} ({x.endpoint_detail_zh})" for x in trial.results
                     if x.endpoint_detail_zh and e.endpoint == f"{x.endpoint.value} ({x.endpoint_detail})"), e.endpoint)
    return e.model_copy(update={"trial": trial.name_zh, "arm": arm.description_zh or arm.id if arm else e.arm,
                                "population": population, "endpoint": endpoint})


def _option(o: r.Option, kb: KnowledgeBase, lang: str) -> Option:
    facts = [Fact(text=render_msg(f.text, kb, lang), citations=f.citations) for f in o.rationale_facts]
    end = t(lang, "sentence_end")
    rationale = "".join(f.text.rstrip(".。") + end for f in facts).strip() or t(lang, "no_rationale")
    level_def = next((lv for lv in kb.evidence.levels if lv.id == o.evidence.level), None)
    return Option(
        rank=o.rank, name=render_msg(o.name, kb, lang), drugs=o.drugs, category=o.category,
        evidence=Evidence(level=o.evidence.level, level_label=_lang(level_def.label, lang) if level_def else "",
                          clinical=o.evidence.clinical, citations=o.evidence.citations),
        rationale=rationale,
        availability=Availability(region=o.availability.region, status=o.availability.status,
                                  detail=render_msg(o.availability.detail, kb, lang) if o.availability.detail
                                  else ""),
        score=o.score, tied=o.tied, concern=o.concern, rationale_facts=facts,
        expected_efficacy=[_efficacy(e, kb, lang) for e in o.expected_efficacy], clone_calls=o.clone_calls,
        administration=[_admin(a, kb, lang) for a in o.administration],
    )


def render_result(result: r.Result, kb: KnowledgeBase, lang: str = "en") -> RenderedResult:
    """The whole result in ``lang`` (en or zh); the same result and language always give the same output."""
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not '{lang}'")

    def words(m: r.Msg) -> str:
        return render_msg(m, kb, lang)

    return RenderedResult(
        case_id=result.case_id,
        knowledge_version=result.knowledge_version,
        alterations=result.alterations,
        options=[_option(o, kb, lang) for o in result.options],
        warnings=[Warning(code=w.code, severity=w.severity, message=words(w.message),
                          option=words(w.option) if w.option is not None else None, citations=w.citations)
                  for w in result.warnings],
        suggested_tests=[SuggestedTest(test=words(x.test), why=words(x.why), citations=x.citations)
                         for x in result.suggested_tests],
        interpretation=result.interpretation,
        excluded=[Excluded(name=words(x.name), drugs=x.drugs, category=x.category,
                           reasons=[words(m) for m in x.reasons], citations=x.citations) for x in result.excluded],
        trace=[TraceStep(rule=step.rule, target=words(step.target) if step.target else t(lang, "case"),
                         effect=step.effect, citations=step.citations) for step in result.trace],
        language=lang,
        region=result.region,
        disclaimer=t(lang, "disclaimer"),
    )
