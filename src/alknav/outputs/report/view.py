"""Case + Result + knowledge base -> the plain strings the report template shows.

Every label goes through the i18n table; clinical content comes from the Result (already in the
report language) or the knowledge base. Nothing here reads a clock or the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import alknav.outputs.report.localise as localise
from alknav.errors import LookupFailed
from alknav.inputs.case_model import Case
from alknav.kb.loader import KnowledgeBase
from alknav.kb.query import find_drug
from alknav.outputs.i18n import t, term
from alknav.outputs.render import Option
from alknav.outputs.render import RenderedResult as Result


@dataclass(frozen=True)
class Row:
    label: str
    value: str


@dataclass(frozen=True)
class Cited:
    text: str
    citations: list[str]


@dataclass(frozen=True)
class HistoryRow:
    line: int
    regimen: str
    response: str
    months: str
    stopped: str
    toxicity: str


@dataclass(frozen=True)
class AlterationRow:
    input: str
    normalized: str
    kind: str
    recognized: bool
    reason: str


@dataclass(frozen=True)
class OptionView:
    rank: int
    name: str
    category: str
    level: str
    level_label: str
    clinical: bool
    availability: str
    availability_detail: str
    efficacy: list[Cited]
    efficacy_trials: list[str]
    facts: list[Cited]
    clone_calls: list[Row]
    citations: list[str]


@dataclass(frozen=True)
class WarningView:
    severity: str
    severity_label: str
    code: str
    message: str
    option: str
    citations: list[str]


@dataclass(frozen=True)
class TestView:
    test: str
    why: str
    citations: list[str]


@dataclass
class ReportView:
    lang: str
    case_id: str
    region: str
    kb_line: str
    generated: str
    patient: list[Row]
    history: list[HistoryRow]
    alterations: list[AlterationRow]
    interpretation: list[Row]
    clones_distinct: bool
    options: list[OptionView]
    warnings: list[WarningView]
    tests: list[TestView]
    excluded: list[Row]
    disclaimer: str
    efficacy_detail_dropped: bool = False
    figures: dict[str, str] = field(default_factory=dict)


def _drug_label(kb: KnowledgeBase, name: str, lang: str) -> str:
    try:
        return localise.drug_name(kb, find_drug(kb, name).id, lang)
    except LookupFailed:
        return name


def _paren(lang: str, text: str) -> str:
    return f"（{text}）" if lang == "zh" else f" ({text})"


def _sep(lang: str) -> str:
    return "、" if lang == "zh" else ", "


def patient_rows(case: Case, lang: str, case_id: str) -> list[Row]:
    p, d = case.patient, case.diagnosis
    alk = d.alk
    na = t(lang, "r_not_given")
    cns = case.current.cns
    cns_parts = [t(lang, k) for k, on in (("cns_brain", cns.brain_metastases), ("cns_lepto", cns.leptomeningeal),
                                          ("cns_symptomatic", cns.symptomatic)) if on]
    rows = [
        Row(t(lang, "r_case_id"), case_id or na),
        Row(t(lang, "r_age"), t(lang, "r_age_value", age=str(p.age)) if p.age is not None else na),
        Row(t(lang, "r_sex"), term(lang, "sex", p.sex.value) if p.sex else na),
        Row(t(lang, "r_ecog"), str(p.ecog) if p.ecog is not None else na),
        Row(t(lang, "r_region"), p.region.value),
        Row(t(lang, "r_histology"), term(lang, "hist", d.histology.value) if d.histology else na),
        Row(t(lang, "r_stage"), d.stage or na),
        Row(t(lang, "r_alk_fusion"), (alk.fusion if alk and alk.fusion else na)),
        Row(t(lang, "r_alk_variant"), (alk.variant if alk and alk.variant else na)),
        Row(t(lang, "r_alk_method"), (alk.method if alk and alk.method else na)),
    ]
    if alk and alk.tests:
        tests = [f"{x.method}{_paren(lang, term(lang, 'sample', x.sample)) if x.sample else ''}"
                 f"{t(lang, 'r_colon')}{term(lang, 'test', x.result)}" for x in alk.tests]
        rows.append(Row(t(lang, "r_alk_tests"), "; ".join(tests)))
    cur = case.current
    rows += [
        Row(t(lang, "r_status"), term(lang, "status", cur.status.value)),
        Row(t(lang, "r_pattern"), term(lang, "pattern", cur.progression_pattern.value)
            if cur.progression_pattern else na),
        Row(t(lang, "r_biopsy"), " ".join(x for x in (term(lang, "sample", cur.biopsy.sample or ""),
                                                      cur.biopsy.method or "") if x) if cur.biopsy else na),
        Row(t(lang, "r_cns"), _sep(lang).join(cns_parts) if cns_parts else t(lang, "cns_none")),
        Row(t(lang, "r_comorbidities"), _sep(lang).join(term(lang, "com", c) for c in case.comorbidities)
            or t(lang, "r_none")),
        Row(t(lang, "r_prior_ici"), t(lang, "r_yes" if case.prior_immune_checkpoint_inhibitor else "r_no")),
    ]
    return rows


def history_rows(case: Case, kb: KnowledgeBase, lang: str) -> list[HistoryRow]:
    out = []
    for i, h in enumerate(case.history, start=1):
        out.append(HistoryRow(
            line=i,
            regimen=" + ".join(_drug_label(kb, name, lang) for name in h.regimen),
            response=term(lang, "resp", h.best_response.value) + _paren(lang, h.best_response.value)
            if h.best_response else "—",
            months=localise.number(h.months) if h.months is not None else "—",
            stopped=term(lang, "stop", h.stopped_for.value) if h.stopped_for else "—",
            toxicity=h.toxicity or "—",
        ))
    return out


def alteration_rows(result: Result, lang: str) -> list[AlterationRow]:
    return [AlterationRow(input=str(a.get("input", "")), normalized=str(a.get("normalized") or "—"),
                          kind=term(lang, "kind", str(a.get("kind", "unknown"))),
                          recognized=bool(a.get("recognized")), reason=str(a.get("reason") or ""))
            for a in result.alterations]


def interpretation_rows(result: Result, kb: KnowledgeBase, lang: str) -> list[Row]:
    it = result.interpretation
    if not it:
        return []
    sep = _sep(lang)
    rows = [Row(t(lang, "r_line_now"), t(lang, "r_line_first" if it.get("line") == "first" else "r_line_later"))]
    prior = [localise.drug_name(kb, d, lang) for d in it.get("prior_alk_tkis") or []]
    rows.append(Row(t(lang, "r_prior_tkis"), sep.join(prior) or t(lang, "r_none")))
    if it.get("current_tki"):
        rows.append(Row(t(lang, "r_current_tki"), localise.drug_name(kb, str(it["current_tki"]), lang)))
    clones = []
    for c in it.get("clones") or []:
        label = "+".join(c.get("mutations") or [])
        curated = t(lang, "r_curated" if c.get("curated") else "r_not_curated")
        clones.append(label + _paren(lang, curated))
    rows.append(Row(t(lang, "r_clones"), "; ".join(clones) or t(lang, "r_none")))
    mechs = []
    for m in it.get("mechanisms") or []:
        mech = kb.mechanisms.get(str(m))
        mechs.append((mech.name.zh if lang == "zh" else mech.name.en) if mech else str(m))
    rows.append(Row(t(lang, "r_mechanisms"), sep.join(mechs) or t(lang, "r_none")))
    if it.get("fusion_variant"):
        rows.append(Row(t(lang, "r_alk_variant"), str(it["fusion_variant"])))
    if it.get("histology_now"):
        rows.append(Row(t(lang, "r_histology_now"), term(lang, "hist", str(it["histology_now"]))))
    return rows


def option_view(o: Option, kb: KnowledgeBase, lang: str) -> tuple[OptionView, bool]:
    dropped = False
    efficacy = []
    for e in o.expected_efficacy:
        text, lost = localise.efficacy_line(e, lang)
        dropped = dropped or lost
        efficacy.append(Cited(text, [e.citation] if e.citation else []))
    trials = list(dict.fromkeys(e.trial for e in o.expected_efficacy))
    view = OptionView(
        rank=o.rank, name=o.name, category=term(lang, "cat", o.category), level=o.evidence.level,
        level_label=o.evidence.level_label, clinical=o.evidence.clinical,
        availability=term(lang, "avail", o.availability.status),
        availability_detail=localise.availability_detail(kb, o.availability.detail, lang),
        efficacy=efficacy, efficacy_trials=trials,
        facts=[Cited(f.text, f.citations) for f in o.rationale_facts]
        or [Cited(o.rationale, [])],
        clone_calls=[Row(clone, t(lang, call)) for clone, call in o.clone_calls.items()],
        citations=o.evidence.citations,
    )
    return view, dropped


def build_view(case: Case, result: Result, kb: KnowledgeBase, *, generated: str | None = None,
               top: int | None = None) -> ReportView:
    lang = result.language
    case_id = result.case_id or case.id or ""
    options, dropped = [], False
    for o in result.options[:top] if top else result.options:
        view, lost = option_view(o, kb, lang)
        options.append(view)
        dropped = dropped or lost
    return ReportView(
        lang=lang,
        case_id=case_id,
        region=result.region,
        kb_line=t(lang, "r_kb_line", version=result.knowledge_version, date=kb.manifest.date),
        generated=t(lang, "r_generated", date=generated) if generated else "",
        patient=patient_rows(case, lang, case_id),
        history=history_rows(case, kb, lang),
        alterations=alteration_rows(result, lang),
        interpretation=interpretation_rows(result, kb, lang),
        clones_distinct=bool(result.interpretation.get("clones_possibly_distinct")),
        options=options,
        warnings=[WarningView(w.severity, term(lang, "sev", w.severity), w.code, w.message,
                              _sep(lang).join(localise.drug_name(kb, d.strip(), lang) for d in w.option.split(","))
                              if w.option else "", w.citations) for w in result.warnings],
        tests=[TestView(x.test, x.why, x.citations) for x in result.suggested_tests],
        excluded=[Row(x.name, "; ".join(x.reasons)) for x in result.excluded],
        disclaimer=result.disclaimer,
        efficacy_detail_dropped=dropped,
    )
