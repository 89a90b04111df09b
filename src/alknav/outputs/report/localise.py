"""Report wording for engine phrases that the Result carries in English only.

The engine writes a few fixed phrases in English whatever the language (the availability detail,
"not reached", the qualifier of a trial endpoint). The report rewrites those fixed phrases through
the i18n table; free text it cannot translate is left out of the Chinese report and said so.
"""

from __future__ import annotations

import re

from alknav.kb.loader import KnowledgeBase
from alknav.outputs.i18n import t, term
from alknav.recommend.result import Efficacy

_MISSING = re.compile(r"^not recorded as approved in (\w+): (.+)$")
_FIXED_DETAIL = {"available only within a clinical trial": "avail_trial_only", "local therapy": "avail_local"}


def drug_name(kb: KnowledgeBase, drug_id: str, lang: str) -> str:
    drug = kb.drugs.get(drug_id)
    if drug is None:
        return drug_id
    return drug.name_zh if lang == "zh" else drug.inn


def availability_detail(kb: KnowledgeBase, detail: str, lang: str) -> str:
    if not detail or lang == "en":
        return detail
    if detail in _FIXED_DETAIL:
        return t(lang, _FIXED_DETAIL[detail])
    m = _MISSING.match(detail)
    if m:
        by_inn = {d.inn.lower(): d.id for d in kb.drugs.values()}
        names = [drug_name(kb, by_inn.get(inn.strip().lower(), inn.strip()), lang) for inn in m.group(2).split(",")]
        return t(lang, "avail_missing", region=m.group(1), drugs="、".join(names))
    return detail


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
    if lang == "en":
        if detail:
            text += f"; {detail}"
        if e.assessor not in ("", "NR", "not_applicable"):
            text += f"; assessed by {e.assessor}"
        return text, False
    return text, bool(detail or e.population)
