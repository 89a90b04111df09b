"""Report wording for curated trial results ("not reached", who assessed it): fixed phrases go through
the i18n table; trial names, arms, populations and endpoint qualifiers have their Chinese in the
knowledge base (the Chinese rendered result carries it). A qualifier without Chinese (a knowledge base
of another origin) is left out of the Chinese report, and the report says so."""

from __future__ import annotations

import re

from alknav.kb.knowledge_base import KnowledgeBase
from alknav.outputs.i18n import t, term
from alknav.recommend.result import Efficacy


def drug_name(kb: KnowledgeBase, drug_id: str, lang: str) -> str:
    drug = kb.drugs.get(drug_id)
    if drug is None:
        return drug_id
    return drug.name_zh if lang == "zh" and drug.name_zh else drug.inn


def endpoint_parts(e: Efficacy) -> tuple[str, str]:
    """'ORR (confirmed ORR, first interim analysis)' -> ('ORR', 'confirmed ORR, first interim analysis')."""
    base, _, rest = e.endpoint.partition(" (")
    return base, rest[:-1] if rest.endswith(")") else rest


def number(value: float) -> str:
    return f"{value:g}"


def _value_text(text: str, lang: str) -> str:
    return t(lang, "value_not_reached") if text.strip().lower() in ("not reached", "nr") else text


def efficacy_line(e: Efficacy, lang: str) -> tuple[str, bool]:
    """One efficacy figure in words, and whether an English-only qualifier was left out."""
    base, detail = endpoint_parts(e)
    label = term(lang, "ep", base)
    unit = term(lang, "unit", e.unit) if e.unit in ("months", "percent") else f" {e.unit}"
    value = f"{number(e.value)}{unit}" if e.value is not None else _value_text(e.value_text or "", lang)
    text = f"{label} {value}"
    if e.ci_low is not None:
        high = number(e.ci_high) if e.ci_high is not None else t(lang, "ci_nr")
        text += f"（{t(lang, 'ci')} {number(e.ci_low)}–{high}）" if lang == "zh" else \
            f" ({t(lang, 'ci')} {number(e.ci_low)}–{high})"
    assessed = e.assessor not in ("", "NR", "not_applicable")
    if lang == "en":
        if detail:
            text += f"; {detail}"
        if assessed:
            text += f"; assessed by {e.assessor}"
        return text, False
    chinese = bool(_CJK.search(detail))
    if detail and chinese:
        text += f"；{detail}"
    if assessed:
        who = t(lang, "who_investigator") if e.assessor == "investigator" else e.assessor + " "
        text += "；" + t(lang, "assessed_by", who=who)
    return text, bool(detail) and not chinese


_CJK = re.compile(r"[\u4e00-\u9fff]")
