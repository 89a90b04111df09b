"""Case + rendered result + knowledge base -> the plain strings the report template shows.

The report answers the question first: the patient in two lines, the recommended option with how
to give it safely, the warnings and the tests; then two or three alternatives, the options ruled
out (one table, with the reason), the figures, the details and the full trace. Every label goes
through the i18n table; clinical content comes from the rendered result or the knowledge base.
Nothing here reads a clock or the environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import alknav.outputs.report.localise as localise
from alknav.errors import LookupFailed
from alknav.inputs.case_model import Case
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.kb.names import normalize_name
from alknav.kb.query import SOURCE_KIND_LABELS, cite, find_drug, short_ref
from alknav.outputs.i18n import t, term
from alknav.outputs.render import Option, RenderedResult, level_words

ALTERNATIVES = 3
_ADMIN_ORDER = ("dose", "dose_other_region", "dose_levels", "interaction", "population", "toxicity", "monitoring")


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
class AdminRow:
    label: str
    text: str
    detail: str
    citations: list[str]


@dataclass(frozen=True)
class OptionView:
    rank: int
    name: str
    category: str
    level: str
    level_label: str
    clinical: bool
    tied: bool
    availability: str
    efficacy: list[Cited]
    efficacy_trials: list[str]
    facts: list[Cited]
    clone_calls: list[Row]
    admin: list[AdminRow]
    citations: list[str]


@dataclass(frozen=True)
class RuledOutView:
    rank: int | None
    name: str
    category: str
    reason: str
    citations: list[str]


@dataclass(frozen=True)
class WarningView:
    severity: str
    severity_label: str
    message: str
    option: str
    citations: list[str]


@dataclass(frozen=True)
class TestView:
    test: str
    why: str
    citations: list[str]


@dataclass(frozen=True)
class TraceView:
    rule: str
    description: str
    target: str
    effect: str
    citations: list[str]


@dataclass(frozen=True)
class Source:
    number: int
    label: str
    kind: str
    locator: str
    url: str


class Citations:
    """Numbers the sources in the order the report first cites them; the list closes the report."""

    def __init__(self, kb: KnowledgeBase, lang: str) -> None:
        self._kb, self._lang = kb, lang
        self._by_cite = kb.derived.setdefault("report_cite_index", {cite(kb, r): r for r in kb.references})
        self._numbers: dict[str, int] = {}

    def number(self, text: str) -> int:
        return self._numbers.setdefault(text, len(self._numbers) + 1)

    def sources(self) -> list[Source]:
        out = []
        for text, n in self._numbers.items():
            ref_id = self._by_cite.get(text)
            label = locator = text.split(": ", 1)[-1] if ref_id is None else ""
            kind = ""
            if ref_id is not None:
                ref = self._kb.references[ref_id]
                label = f"{short_ref(self._kb, ref_id)}. {ref.title}" + (f" {ref.journal}." if ref.journal else "")
                kind = t(self._lang, "src_" + SOURCE_KIND_LABELS.get(ref.kind, ref.kind).replace(" ", "_"))
                locator = text.split(": ", 1)[-1] if ref.kind in SOURCE_KIND_LABELS else text
            out.append(Source(n, label, kind, locator, link(locator)))
        return out


def link(locator: str) -> str:
    if locator.startswith("doi:"):
        return f"https://doi.org/{locator[4:]}"
    if locator.startswith("pmid:"):
        return f"https://pubmed.ncbi.nlm.nih.gov/{locator[5:]}/"
    if locator.startswith("nct:"):
        return f"https://clinicaltrials.gov/study/{locator[4:]}"
    if locator.startswith(("http://", "https://")):
        return locator
    return ""


@dataclass
class ReportView:
    lang: str
    case_id: str
    region: str
    kb_line: str
    generated: str
    summary: list[str]
    top: OptionView | None
    alternatives: list[OptionView]
    others: list[OptionView]
    ruled_out: list[RuledOutView]
    warnings: list[WarningView]
    tests: list[TestView]
    patient: list[Row]
    history: list[HistoryRow]
    alterations: list[AlterationRow]
    interpretation: list[Row]
    clones_distinct: bool
    trace: list[TraceView]
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


def _semi(lang: str) -> str:
    return "；" if lang == "zh" else "; "


def _cns_words(case: Case, lang: str) -> list[str]:
    cns = case.current.cns
    return [t(lang, k) for k, on in (("cns_brain", cns.brain_metastases), ("cns_lepto", cns.leptomeningeal),
                                     ("cns_symptomatic", cns.symptomatic)) if on]


_ALTERATION_ZH = ((re.compile(r" amplification$"), " 扩增"),
                  (re.compile(r" exon (\d+) skipping$"), r" \1 号外显子跳跃"),
                  (re.compile(r" fusion$"), " 融合"))


def alteration_words(text: str, lang: str) -> str:
    """A normalised alteration as the report shows it: the gene and the variant as written, the kind of
    change in words of the report's language ('MET amplification' -> 'MET 扩增')."""
    if lang == "zh":
        for pattern, words in _ALTERATION_ZH:
            text = pattern.sub(words, text)
    return text


def _comorbidity(kb: KnowledgeBase, lang: str, raw: str) -> str:
    """A comorbidity in words: the program's word list first, else the knowledge base vocabulary's own
    name (id or alias), else as typed."""
    word = term(lang, "com", raw)
    if word != raw:
        return word
    code = kb.derived.get("comorbidity_index", {}).get(normalize_name(raw))
    entry = kb.comorbidity_codes.get(code) if code else None
    return (entry.name.zh if lang == "zh" else entry.name.en) if entry is not None else raw


def summary_lines(case: Case, result: RenderedResult, kb: KnowledgeBase, lang: str) -> list[str]:
    """The patient in two lines: who (age, sex, ECOG, histology, stage, fusion), then the course so far
    and the decision point (prior lines, status, biopsy findings, CNS, comorbidities)."""
    p, d = case.patient, case.diagnosis
    who = []
    if p.age is not None or p.sex is not None:
        sex = t(lang, f"s_sex_{p.sex.value}") if p.sex else t(lang, "s_sex_none")
        who.append(t(lang, "s_age_sex", age=str(p.age), sex=sex) if p.age is not None else sex)
    if p.ecog is not None:
        who.append(f"ECOG {p.ecog}")
    tumour = term(lang, "hist", d.histology.value) if d.histology else t(lang, "s_nsclc")
    if d.stage:
        tumour += " " + t(lang, "s_stage", stage=d.stage)
    who.append(tumour)
    alk = d.alk
    if alk is not None:
        fusion = " ".join(x for x in (alk.fusion, alk.variant) if x)
        who.append(fusion + (_paren(lang, alk.method) if alk.method else ""))
    course = []
    for i, h in enumerate(case.history, start=1):
        regimen = " + ".join(_drug_label(kb, n, lang) for n in h.regimen)
        bits = [x for x in (term(lang, "resp", h.best_response.value) if h.best_response else "",
                            term(lang, "stop", h.stopped_for.value) if h.stopped_for else "") if x]
        months = t(lang, "s_months", months=localise.number(h.months)) if h.months is not None else ""
        course.append(f"{t(lang, 'fig_line', n=str(i))} {regimen}{' ' + months if months else ''}"
                      + (_paren(lang, _sep(lang).join(bits)) if bits else ""))
    line2 = [t(lang, "s_course", items=_semi(lang).join(course)) if course else t(lang, "r_history_none").rstrip("。.")]
    cur = case.current
    if course:  # a treatment-naive patient has no "now" beyond the line above
        now = term(lang, "status", cur.status.value)
        if cur.progression_pattern:
            now += _paren(lang, term(lang, "pattern", cur.progression_pattern.value))
        line2.append(t(lang, "s_now", status=now))
    found = [alteration_words(str(a.get("normalized") or a.get("input")), lang) for a in result.alterations
             if a.get("recognized")]
    if found:
        where = " ".join(x for x in (term(lang, "sample", cur.biopsy.sample or "") if cur.biopsy else "",
                                     cur.biopsy.method or "" if cur.biopsy else "") if x)
        line2.append((where + t(lang, "r_colon") if where else "") + _sep(lang).join(found))
    line2 += _cns_words(case, lang)
    if case.comorbidities:
        line2.append(t(lang, "s_comorbidities") + t(lang, "r_colon") +
                     _sep(lang).join(_comorbidity(kb, lang, c) for c in case.comorbidities))
    end = "。" if lang == "zh" else "."
    return [_semi(lang).join(who) + end, _semi(lang).join(line2) + end]


def patient_rows(case: Case, lang: str, case_id: str, kb: KnowledgeBase) -> list[Row]:
    p, d = case.patient, case.diagnosis
    alk = d.alk
    na = t(lang, "r_not_given")
    cns_parts = _cns_words(case, lang)
    rows = [
        Row(t(lang, "r_case_id"), case_id or na),
        Row(t(lang, "r_age"), t(lang, "r_age_value", age=str(p.age)) if p.age is not None else na),
        Row(t(lang, "r_sex"), term(lang, "sex", p.sex.value) if p.sex else na),
        Row(t(lang, "r_ecog"), str(p.ecog) if p.ecog is not None else na),
        Row(t(lang, "r_region"), t(lang, f"regname_{p.region.value}")),
        Row(t(lang, "r_histology"), term(lang, "hist", d.histology.value) if d.histology else na),
        Row(t(lang, "r_stage"), d.stage or na),
        Row(t(lang, "r_alk_fusion"), (alk.fusion if alk and alk.fusion else na)),
        Row(t(lang, "r_alk_variant"), (alk.variant if alk and alk.variant else na)),
        Row(t(lang, "r_alk_method"), (alk.method if alk and alk.method else na)),
    ]
    if alk and alk.tests:
        tests = [f"{x.method}{_paren(lang, term(lang, 'sample', x.sample)) if x.sample else ''}"
                 f"{t(lang, 'r_colon')}{term(lang, 'test', x.result)}" for x in alk.tests]
        rows.append(Row(t(lang, "r_alk_tests"), _semi(lang).join(tests)))
    cur = case.current
    rows += [
        Row(t(lang, "r_status"), term(lang, "status", cur.status.value)),
        Row(t(lang, "r_pattern"), term(lang, "pattern", cur.progression_pattern.value)
            if cur.progression_pattern else na),
        Row(t(lang, "r_biopsy"), " ".join(x for x in (term(lang, "sample", cur.biopsy.sample or ""),
                                                      cur.biopsy.method or "") if x) if cur.biopsy else na),
        Row(t(lang, "r_cns"), _sep(lang).join(cns_parts) if cns_parts else t(lang, "cns_none")),
        Row(t(lang, "r_comorbidities"), _sep(lang).join(_comorbidity(kb, lang, c) for c in case.comorbidities)
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
            toxicity=_toxicity(kb, h.toxicity, lang) if h.toxicity else "—",
        ))
    return out


def _toxicity(kb: KnowledgeBase, raw: str, lang: str) -> str:
    """A toxicity code in words (hepatotoxicity_g3 -> 'hepatotoxicity, grade 3'); free text as written."""
    m = re.match(r"^([a-z_]+?)(?:_g(\d))?$", raw.strip())
    if m and m.group(1) in kb.toxicity_codes:
        name = kb.toxicity_codes[m.group(1)].name
        words = name.zh if lang == "zh" else name.en
        return words + (_paren(lang, t(lang, "s_grade", grade=m.group(2))) if m.group(2) else "")
    return raw


def alteration_rows(result: RenderedResult, lang: str) -> list[AlterationRow]:
    return [AlterationRow(input=str(a.get("input", "")),
                          normalized=alteration_words(str(a.get("normalized") or "—"), lang),
                          kind=term(lang, "kind", str(a.get("kind", "unknown"))),
                          recognized=bool(a.get("recognized")), reason=str(a.get("reason") or ""))
            for a in result.alterations]


def interpretation_rows(result: RenderedResult, kb: KnowledgeBase, lang: str) -> list[Row]:
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
    rows.append(Row(t(lang, "r_clones"), _semi(lang).join(clones) or t(lang, "r_none")))
    mechs = []
    for m in it.get("mechanisms") or []:
        mech = kb.mechanisms.get(str(m))
        mechs.append((mech.name.zh if lang == "zh" else mech.name.en) if mech else str(m))
    rows.append(Row(t(lang, "r_mechanisms"), sep.join(mechs) or t(lang, "r_none")))
    if it.get("histology_now"):
        rows.append(Row(t(lang, "r_histology_now"), term(lang, "hist", str(it["histology_now"]))))
    return rows


def _admin(o: Option, lang: str) -> list[AdminRow]:
    rows = []
    for kind in _ADMIN_ORDER:
        for item in o.administration:
            if item.kind != kind:
                continue
            detail = item.detail if kind == "monitoring" else ""
            text = item.text + (_paren(lang, item.detail) if kind == "dose_other_region" else "")
            rows.append(AdminRow(t(lang, "adm_" + kind), text, detail, item.citations))
    return rows


def option_view(o: Option, lang: str) -> tuple[OptionView, bool]:
    dropped = False
    efficacy = []
    for e in o.expected_efficacy:
        text, lost = localise.efficacy_line(e, lang)
        dropped = dropped or lost
        efficacy.append(Cited(text, [e.citation] if e.citation else []))
    trials = list(dict.fromkeys(e.trial for e in o.expected_efficacy))
    availability = term(lang, "avail", o.availability.status)
    if o.availability.detail:
        availability += " — " + o.availability.detail
    view = OptionView(
        rank=o.rank, name=o.name, category=term(lang, "cat", o.category), level=o.evidence.level,
        level_label=level_words(o.evidence.level, o.evidence.level_label), clinical=o.evidence.clinical,
        tied=o.tied, availability=availability, efficacy=efficacy, efficacy_trials=trials,
        facts=[Cited(f.text, f.citations) for f in o.rationale_facts] or [Cited(o.rationale, [])],
        clone_calls=[Row(clone, t(lang, call)) for clone, call in o.clone_calls.items()],
        admin=_admin(o, lang), citations=o.evidence.citations,
    )
    return view, dropped


def _ruled_out(result: RenderedResult, lang: str) -> list[RuledOutView]:
    out = []
    for o in result.options:
        if o.concern == "failed_before":
            reason = t(lang, "ro_failed")
        elif o.concern == "resistant_clone":
            clones = [c for c, call in o.clone_calls.items() if call == "resistant"]
            reason = t(lang, "ro_resistant", clones=_sep(lang).join(clones))
        else:
            continue
        out.append(RuledOutView(o.rank, o.name, term(lang, "cat", o.category), reason, o.evidence.citations[:3]))
    for x in result.excluded:
        out.append(RuledOutView(None, x.name, term(lang, "cat", x.category) if x.category else "",
                                _semi(lang).join(r.rstrip("。.") for r in x.reasons), x.citations[:3]))
    return out


_EFFECT = re.compile(r"^(score) ([+-]\d+)$|^(exclude)$|^(consider) (.+)$|^(warning) (.+)$|^(test)$")


def _effect_words(effect: str, kb: KnowledgeBase, lang: str) -> str:
    words = []
    for part in effect.split("; "):
        m = _EFFECT.match(part)
        if m is None:
            words.append(t(lang, "tr_noted"))
        elif m.group(1):
            words.append(t(lang, "tr_score", score=m.group(2)))
        elif m.group(3):
            words.append(t(lang, "tr_exclude"))
        elif m.group(4):
            names = [kb.regimens[x.strip()].name for x in m.group(5).split(",") if x.strip() in kb.regimens]
            words.append(t(lang, "tr_consider", regimens=_sep(lang).join(n.zh if lang == "zh" else n.en
                                                                            for n in names)))
        elif m.group(6):
            words.append(t(lang, "tr_warning"))
        else:
            words.append(t(lang, "tr_test"))
    return _semi(lang).join(words)


def trace_rows(result: RenderedResult, kb: KnowledgeBase, lang: str) -> list[TraceView]:
    out = []
    for step in result.trace:
        rule = kb.rules.get(step.rule)
        text = (rule.description.zh if lang == "zh" else rule.description.en) if rule else ""
        out.append(TraceView(step.rule, re.sub(r"\{[a-z_]+\}", "…", text), step.target,
                             _effect_words(step.effect, kb, lang), step.citations))
    return out


def build_view(case: Case, result: RenderedResult, kb: KnowledgeBase, *, generated: str | None = None,
               top: int | None = None) -> ReportView:
    lang = result.language
    case_id = result.case_id or case.id or ""
    advised = [o for o in result.options if not o.concern]
    views, dropped = [], False
    for o in advised[:top] if top else advised:
        view, lost = option_view(o, lang)
        views.append(view)
        dropped = dropped or lost
    return ReportView(
        lang=lang,
        case_id=case_id,
        region=result.region,
        kb_line=t(lang, "r_kb_line", version=result.knowledge_version, date=kb.manifest.date),
        generated=t(lang, "r_generated", date=generated) if generated else "",
        summary=summary_lines(case, result, kb, lang),
        top=views[0] if views else None,
        alternatives=views[1:1 + ALTERNATIVES],
        others=views[1 + ALTERNATIVES:],
        ruled_out=_ruled_out(result, lang),
        warnings=[WarningView(w.severity, term(lang, "sev", w.severity), w.message, w.option or "", w.citations)
                  for w in sorted(result.warnings, key=lambda w: _SEVERITY_ORDER.get(w.severity, 9))],
        tests=_tests(result, views[0] if views else None),
        patient=patient_rows(case, lang, case_id, kb),
        history=history_rows(case, kb, lang),
        alterations=alteration_rows(result, lang),
        interpretation=interpretation_rows(result, kb, lang),
        clones_distinct=bool(result.interpretation.get("clones_possibly_distinct")),
        trace=trace_rows(result, kb, lang),
        disclaimer=result.disclaimer,
        efficacy_detail_dropped=dropped,
    )


def _tests(result: RenderedResult, top: OptionView | None) -> list[TestView]:
    """The suggested tests, less the recommended option's label monitoring (shown with how to give it)."""
    monitored = {(a.text, a.detail) for a in top.admin if a.detail} if top else set()
    return [TestView(x.test, x.why, x.citations) for x in result.suggested_tests
            if not any(x.test == text and detail in x.why for text, detail in monitored)]


_SEVERITY_ORDER = {"contraindication": 0, "warning": 1, "caution": 2, "info": 3}
