"""The web case form: its fields, their words in English and Chinese, the choices it offers (words,
not codes) and the reading of a submitted form into a contract case.

The page has no script, so prior lines are a fixed number of rows that may be left blank. A blank
answer stays unknown: a blank tri-state (yes / no / unknown) leaves the field out of the case, never
``false``. Every refusal names the field in words of the page's language, and the page is drawn
again with what was typed."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from alknav.kb.knowledge_base import KnowledgeBase
from alknav.outputs.i18n import term

LINES = 5  # prior-line rows offered on the form
MAX_TEXT = 2000  # longest value kept from one field (the case reader caps every string the same way)

_ROW = ("regimen", "months", "response", "stopped", "toxicity", "grade")
ROW_FIELDS = tuple(f"h{i}_{name}" for i in range(LINES) for name in _ROW)

LABELS: dict[str, dict[str, Any]] = {
    "en": {
        "patient": "Patient", "age": "Age (years)", "sex": "Sex", "ecog": "ECOG performance status",
        "region": "Region (whose approvals apply)", "diagnosis": "Diagnosis", "histology": "Histology",
        "stage": "Stage (e.g. IVB)", "method": "ALK test method", "fusion": "ALK fusion (e.g. EML4-ALK)",
        "variant": "Fusion variant (optional, e.g. V3)",
        "lines": "Prior systemic therapy lines, oldest first (leave unused lines blank)", "line": "Line {n}",
        "regimen": "Regimen (drugs joined by +, e.g. carboplatin + pemetrexed)", "months": "Months on it",
        "response": "Best response", "stopped": "Why it stopped", "toxicity": "Toxicity that stopped it",
        "grade": "Toxicity grade (CTCAE)", "current": "Current situation", "status": "Current status",
        "pattern": "Progression pattern", "biopsy_sample": "Biopsy sample", "biopsy_method": "Biopsy test",
        "current_histology": "Histology at re-biopsy",
        "alterations_legend": "Alterations at progression",
        "alterations": "Alterations, one per line (e.g. ALK G1202R, MET amplification)",
        "compound": "Compound ALK mutation: mutations on one line (e.g. G1202R/L1196M)",
        "phase": "Phase of the compound mutations", "cns": "Central nervous system",
        "brain": "Brain metastases", "leptomeningeal": "Leptomeningeal disease",
        "symptomatic": "Symptomatic CNS disease",
        "comorbidities": "Comorbidities", "comorbidities_other": "Other comorbidities (comma-separated)",
        "clinical": "Clinical details", "child_pugh": "Child-Pugh class",
        "creatinine_clearance": "Creatinine clearance (mL/min)", "pregnancy_weeks": "Pregnancy (weeks)",
        "heart_rate": "Heart rate at rest (beats/min)", "breastfeeding": "Breastfeeding",
        "medications_legend": "Medicines and earlier treatment",
        "medications": "Concomitant medications (comma-separated, e.g. rosuvastatin, rifampicin)",
        "ici": "Prior immune checkpoint inhibitor", "notes": "Notes (kept in the report, never interpreted)",
        "unknown": "not known", "yes": "yes", "no": "no", "none": "none", "unchanged": "unchanged",
        "errors_title": "Please correct:",
        "field_error": "{label}: {message}",
        # shorter names for the error summary, where the example of the label is noise
        "short": {"regimen": "Regimen", "fusion": "ALK fusion", "variant": "Fusion variant", "stage": "Stage",
                  "alterations": "Alterations", "compound": "Compound ALK mutation",
                  "comorbidities_other": "Other comorbidities", "medications": "Concomitant medications",
                  "notes": "Notes", "region": "Region"},
    },
    "zh": {
        "patient": "患者", "age": "年龄（岁）", "sex": "性别", "ecog": "ECOG 体能状态",
        "region": "地区（适用哪一地区的获批情况）", "diagnosis": "诊断", "histology": "组织学类型",
        "stage": "分期（如 IVB）", "method": "ALK 检测方法", "fusion": "ALK 融合（如 EML4-ALK）",
        "variant": "融合变异体（可选，如 V3）",
        "lines": "既往全身治疗，按时间顺序（未用的行留空）", "line": "第 {n} 线",
        "regimen": "方案（药物用 + 连接，如 卡铂 + 培美曲塞）", "months": "用药时长（月）",
        "response": "最佳疗效", "stopped": "停药原因", "toxicity": "导致停药的不良反应",
        "grade": "不良反应分级（CTCAE）", "current": "当前情况", "status": "当前状态",
        "pattern": "进展模式", "biopsy_sample": "活检样本", "biopsy_method": "活检检测",
        "current_histology": "再活检组织学类型",
        "alterations_legend": "进展时的分子改变",
        "alterations": "分子改变，每行一个（如 ALK G1202R、MET 扩增写作 MET amplification）",
        "compound": "ALK 复合突变：同一行写出各突变（如 G1202R/L1196M）",
        "phase": "复合突变的相位", "cns": "中枢神经系统",
        "brain": "脑转移", "leptomeningeal": "软脑膜转移", "symptomatic": "有症状的中枢神经系统病灶",
        "comorbidities": "合并症", "comorbidities_other": "其他合并症（逗号分隔）",
        "clinical": "临床细节", "child_pugh": "Child-Pugh 分级",
        "creatinine_clearance": "肌酐清除率（mL/min）", "pregnancy_weeks": "妊娠周数",
        "heart_rate": "静息心率（次/分）", "breastfeeding": "哺乳",
        "medications_legend": "合并用药与既往治疗",
        "medications": "合并用药（逗号分隔，如 瑞舒伐他汀，利福平）",
        "ici": "既往使用免疫检查点抑制剂", "notes": "备注（保留在报告中，不参与分析）",
        "unknown": "不详", "yes": "是", "no": "否", "none": "无", "unchanged": "无变化", "errors_title": "请更正：",
        "field_error": "{label}：{message}",
        "short": {"regimen": "方案", "fusion": "ALK 融合", "variant": "融合变异体", "stage": "分期",
                  "alterations": "分子改变", "compound": "ALK 复合突变", "comorbidities_other": "其他合并症",
                  "medications": "合并用药", "notes": "备注", "region": "地区"},
    },
}

_MESSAGES: dict[str, dict[str, str]] = {
    "en": {"number": "must be a number", "integer": "must be a whole number", "range": "must be between {lo} and {hi}",
           "choice": "is not one of the choices offered",
           "regimen_needed": "name the regimen of this line, or clear the line",
           "grade_needed": "a grade needs the toxicity it belongs to", "compound_two": "name at least two mutations",
           "phase_needed": "a phase needs the compound mutations it belongs to", "too_long": "is too long"},
    "zh": {"number": "须为数字", "integer": "须为整数", "range": "须在 {lo} 到 {hi} 之间",
           "choice": "不是所提供的选项之一", "regimen_needed": "请填写该线的方案，或清空此行",
           "grade_needed": "填写分级时须同时选择对应的不良反应", "compound_two": "请至少写出两个突变",
           "phase_needed": "填写相位时须同时写出复合突变", "too_long": "内容过长"},
}

_WORDS: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "region": {"US": "United States", "CN": "China", "EU": "European Union", "JP": "Japan"},
        "ecog": {"0": "0 — fully active", "1": "1 — restricted in strenuous activity",
                 "2": "2 — up and about, self-care, no work", "3": "3 — limited self-care, in bed or chair >50%",
                 "4": "4 — completely disabled"},
        "histology": {"adenocarcinoma": "Adenocarcinoma", "squamous": "Squamous cell carcinoma",
                      "adenosquamous": "Adenosquamous carcinoma", "large_cell": "Large cell carcinoma",
                      "nos": "NSCLC, not otherwise specified"},
        "current_histology": {"sclc": "Small cell transformation", "squamous": "Squamous transformation"},
        "method": {"NGS": "Next-generation sequencing (DNA)", "RNA-NGS": "RNA sequencing", "FISH": "FISH",
                   "IHC": "Immunohistochemistry (IHC)", "RT-PCR": "RT-PCR"},
        "response": {"CR": "Complete response (CR)", "PR": "Partial response (PR)", "SD": "Stable disease (SD)",
                     "PD": "Progressive disease (PD)", "NE": "Not evaluable (NE)"},
        "stopped": {"progression": "Progression", "toxicity": "Toxicity", "completed": "Completed as planned",
                    "other": "Other reason", "ongoing": "Still ongoing"},
        "biopsy_method": {"NGS": "Next-generation sequencing", "PCR": "PCR", "other": "Other"},
        "phase": {"cis": "Same allele (cis)", "trans": "Different alleles (trans)", "unknown": "Phase unknown"},
        "child_pugh": {"A": "Child-Pugh A (mild)", "B": "Child-Pugh B (moderate)", "C": "Child-Pugh C (severe)"},
        "grade": {str(g): f"Grade {g}" for g in range(1, 6)},
    },
    "zh": {
        "region": {"US": "美国", "CN": "中国", "EU": "欧盟", "JP": "日本"},
        "ecog": {"0": "0 — 活动能力完全正常", "1": "1 — 不能从事较重体力活动", "2": "2 — 生活自理，不能工作",
                 "3": "3 — 生活部分自理，卧床或坐椅 >50%", "4": "4 — 完全失能"},
        "histology": {"adenocarcinoma": "腺癌", "squamous": "鳞状细胞癌", "adenosquamous": "腺鳞癌",
                      "large_cell": "大细胞癌", "nos": "非小细胞肺癌，未特指"},
        "current_histology": {"sclc": "小细胞转化", "squamous": "鳞癌转化"},
        "method": {"NGS": "二代测序（DNA）", "RNA-NGS": "RNA 测序", "FISH": "荧光原位杂交（FISH）",
                   "IHC": "免疫组化（IHC）", "RT-PCR": "RT-PCR"},
        "response": {"CR": "完全缓解（CR）", "PR": "部分缓解（PR）", "SD": "疾病稳定（SD）",
                     "PD": "疾病进展（PD）", "NE": "不可评估（NE）"},
        "stopped": {"progression": "疾病进展", "toxicity": "不良反应", "completed": "按计划完成",
                    "other": "其他原因", "ongoing": "仍在用药"},
        "biopsy_method": {"NGS": "二代测序", "PCR": "PCR", "other": "其他"},
        "phase": {"cis": "同一等位基因（顺式）", "trans": "不同等位基因（反式）", "unknown": "相位不详"},
        "child_pugh": {"A": "Child-Pugh A 级（轻度）", "B": "Child-Pugh B 级（中度）", "C": "Child-Pugh C 级（重度）"},
        "grade": {str(g): f"{g} 级" for g in range(1, 6)},
    },
}

TRI_STATE = ("brain", "leptomeningeal", "symptomatic", "breastfeeding", "ici")
_NUMBERS: dict[str, tuple[float, float, bool]] = {  # field -> (lowest, highest, whole numbers only)
    "age": (0, 120, True), "creatinine_clearance": (0, 250, False), "pregnancy_weeks": (0, 44, False),
    "heart_rate": (15, 250, True), **{f"h{i}_months": (0, 600, False) for i in range(LINES)},
}


def default_region(lang: str) -> str:
    return "CN" if lang == "zh" else "US"


def choices(kb: KnowledgeBase, lang: str) -> dict[str, list[tuple[str, str]]]:
    """Every select's options as (value, words in ``lang``); a blank value first where blank is allowed."""
    words = _WORDS[lang]
    label = LABELS[lang]
    blank = [("", label["unknown"])]
    out: dict[str, list[tuple[str, str]]] = {
        "region": list(words["region"].items()),
        "sex": blank + [(v, term(lang, "sex", v)) for v in ("F", "M", "other")],
        "status": [(v, term(lang, "status", v)) for v in ("progression", "treatment_naive", "toxicity")],
        "pattern": blank + [(v, term(lang, "pattern", v)) for v in ("systemic", "cns_only", "oligoprogression")],
        "biopsy_sample": blank + [(v, term(lang, "sample", v)) for v in ("plasma", "tissue", "csf")],
        "current_histology": [("", label["unchanged"]), *list(words["current_histology"].items())],
        "toxicity": [("", label["none"]),
                     *((code.id, getattr(code.name, lang)) for code in kb.toxicity_codes.values())],
        "comorbidities": [(code.id, getattr(code.name, lang)) for code in kb.comorbidity_codes.values()],
    }
    for name in ("ecog", "histology", "method", "response", "stopped", "biopsy_method", "phase", "child_pugh",
                 "grade"):
        out[name] = blank + list(words[name].items())
    for name in TRI_STATE:
        out[name] = [*blank, ("yes", label["yes"]), ("no", label["no"])]
    return out


def row_choice(name: str) -> str:
    """The choice list of a form field ('h2_response' -> 'response')."""
    m = re.fullmatch(r"h\d+_(\w+)", name)
    return m.group(1) if m else name


def field_label(name: str, lang: str) -> str:
    """A form field in words, e.g. 'h1_months' -> 'Line 2 — Months on it'."""
    label = LABELS[lang]
    short: dict[str, str] = label["short"]
    m = re.fullmatch(r"h(\d+)_(\w+)", name)
    if m:
        key = m.group(2)
        return f"{label['line'].format(n=int(m.group(1)) + 1)} — {short.get(key, label[key])}"
    return str(short.get(name, label.get(name, name)))


@dataclass
class FormInput:
    """A submitted form: one value per field (several for the comorbidity boxes)."""

    values: dict[str, str] = field(default_factory=dict)
    comorbidities: list[str] = field(default_factory=list)

    @classmethod
    def from_items(cls, items: Sequence[tuple[str, Any]]) -> FormInput:
        form = cls()
        for key, value in items:
            if not isinstance(value, str):
                continue
            if key == "comorbidities":
                form.comorbidities.append(value[:200])
            else:
                form.values[key] = value[:MAX_TEXT * 10 if key in ("alterations", "notes") else MAX_TEXT]
        return form

    def get(self, name: str) -> str:
        return self.values.get(name, "").strip()


class FormErrors(Exception):
    """Fields the form could not read: form field name -> message in the page's language."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def _split(text: str, separators: str) -> list[str]:
    return [part.strip() for part in re.split(separators, text) if part.strip()]


def read_form(form: FormInput, kb: KnowledgeBase, lang: str) -> tuple[dict[str, Any], list[int]]:
    """The form as a contract case, and for each history entry the form row it came from. Raises
    FormErrors naming every field that cannot be read."""
    msg = _MESSAGES[lang]
    offered = choices(kb, lang)
    errors: dict[str, str] = {}
    numbers: dict[str, float] = {}

    for name, (lo, hi, whole) in _NUMBERS.items():
        text = form.get(name).replace(",", ".")
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            errors[name] = msg["number"]
            continue
        if not math.isfinite(value):
            errors[name] = msg["number"]
        elif whole and value != int(value):
            errors[name] = msg["integer"]
        elif not lo <= value <= hi:
            errors[name] = msg["range"].format(lo=f"{lo:g}", hi=f"{hi:g}")
        else:
            numbers[name] = int(value) if whole else value

    for name in [*offered, *ROW_FIELDS]:
        if name == "comorbidities" or name in _NUMBERS:
            continue
        kind = row_choice(name)
        if kind not in offered or name in errors:
            continue
        chosen = form.get(name)
        if chosen and chosen not in {v for v, _ in offered[kind]}:
            errors[name] = msg["choice"]
    known = {v for v, _ in offered["comorbidities"]}
    if any(c not in known for c in form.comorbidities):
        errors["comorbidities"] = msg["choice"]

    history: list[dict[str, Any]] = []
    rows: list[int] = []
    for i in range(LINES):
        filled = {k: form.get(f"h{i}_{k}") for k in _ROW}
        if not any(filled.values()):
            continue
        if not filled["regimen"]:
            errors[f"h{i}_regimen"] = msg["regimen_needed"]
            continue
        if filled["grade"] and not filled["toxicity"]:
            errors[f"h{i}_grade"] = msg["grade_needed"]
        entry: dict[str, Any] = {"regimen": _split(filled["regimen"], r"\s*\+\s*|，|,")}
        if f"h{i}_months" in numbers:
            entry["months"] = numbers[f"h{i}_months"]
        if filled["response"]:
            entry["best_response"] = filled["response"]
        if filled["stopped"]:
            entry["stopped_for"] = filled["stopped"]
        if filled["toxicity"]:
            entry["toxicity"] = filled["toxicity"] + (f"_g{filled['grade']}" if filled["grade"] else "")
        history.append(entry)
        rows.append(i)

    alterations: list[Any] = _split(form.get("alterations"), r"[\r\n]+")
    compound = _split(form.get("compound"), r"\s*[/+,;，]\s*|\s+")
    if compound:
        if len(compound) < 2:
            errors["compound"] = msg["compound_two"]
        item: dict[str, Any] = {"gene": "ALK", "mutations": [re.sub(r"^ALK\s*", "", m, flags=re.I) for m in compound]}
        if form.get("phase"):
            item["phase"] = form.get("phase")
        alterations.append(item)
    elif form.get("phase"):
        errors["phase"] = msg["phase_needed"]

    if errors:
        raise FormErrors(errors)

    patient: dict[str, Any] = {"region": form.get("region") or default_region(lang)}
    if "age" in numbers:
        patient["age"] = numbers["age"]
    if form.get("sex"):
        patient["sex"] = form.get("sex")
    if form.get("ecog"):
        patient["ecog"] = int(form.get("ecog"))
    alk: dict[str, Any] = {"fusion": form.get("fusion")}
    for key in ("variant", "method"):
        if form.get(key):
            alk[key] = form.get(key)
    diagnosis: dict[str, Any] = {"alk": alk}
    for key in ("histology", "stage"):
        if form.get(key):
            diagnosis[key] = form.get(key)

    status = form.get("status") or ("progression" if history else "treatment_naive")
    current: dict[str, Any] = {"status": status, "alterations": alterations}
    if form.get("pattern"):
        current["progression_pattern"] = form.get("pattern")
    biopsy = {k: form.get(f"biopsy_{k}") for k in ("sample", "method") if form.get(f"biopsy_{k}")}
    if biopsy:
        current["biopsy"] = biopsy
    if form.get("current_histology"):
        current["histology"] = form.get("current_histology")
    cns_keys = {"brain": "brain_metastases", "leptomeningeal": "leptomeningeal", "symptomatic": "symptomatic"}
    cns = {key: form.get(name) == "yes" for name, key in cns_keys.items() if form.get(name)}
    if cns:
        current["cns"] = cns  # a blank answer is left out: unknown, not "no"

    clinical: dict[str, Any] = {k: numbers[k] for k in ("creatinine_clearance", "pregnancy_weeks", "heart_rate")
                                if k in numbers}
    if form.get("child_pugh"):
        clinical["child_pugh"] = form.get("child_pugh")
    if form.get("breastfeeding"):
        clinical["breastfeeding"] = form.get("breastfeeding") == "yes"

    case: dict[str, Any] = {
        "case_format": 1, "id": "web-form", "patient": patient, "diagnosis": diagnosis, "history": history,
        "current": current,
        "comorbidities": list(dict.fromkeys([*form.comorbidities,
                                             *_split(form.get("comorbidities_other"), r"[,，;；\n]")])),
        "concomitant_medications": _split(form.get("medications"), r"[,，;；\n]"),
    }
    if clinical:
        case["clinical"] = clinical
    if form.get("ici"):
        case["prior_immune_checkpoint_inhibitor"] = form.get("ici") == "yes"
    if form.get("notes"):
        case["notes"] = form.get("notes")
    return case, rows


_PATHS: tuple[tuple[str, str], ...] = (  # contract path prefix -> form field (first match wins)
    ("patient.age", "age"), ("patient.sex", "sex"), ("patient.ecog", "ecog"), ("patient.region", "region"),
    ("patient", "age"), ("diagnosis.histology", "histology"), ("diagnosis.stage", "stage"),
    ("diagnosis.alk.variant", "variant"), ("diagnosis.alk.method", "method"), ("diagnosis", "fusion"),
    ("current.status", "status"), ("current.progression_pattern", "pattern"),
    ("current.biopsy.method", "biopsy_method"), ("current.biopsy", "biopsy_sample"),
    ("current.histology", "current_histology"), ("current.cns.leptomeningeal", "leptomeningeal"),
    ("current.cns.symptomatic", "symptomatic"), ("current.cns", "brain"), ("current.alterations", "alterations"),
    ("current", "status"), ("comorbidities", "comorbidities_other"), ("clinical.child_pugh", "child_pugh"),
    ("clinical.creatinine_clearance", "creatinine_clearance"), ("clinical.pregnancy_weeks", "pregnancy_weeks"),
    ("clinical.heart_rate", "heart_rate"), ("clinical.breastfeeding", "breastfeeding"),
    ("clinical", "child_pugh"), ("concomitant_medications", "medications"),
    ("prior_immune_checkpoint_inhibitor", "ici"), ("notes", "notes"),
)
_HISTORY_KEYS = {"regimen": "regimen", "months": "months", "best_response": "response", "stopped_for": "stopped",
                 "toxicity": "toxicity"}


def form_field(path: str, rows: Sequence[int], case: Mapping[str, Any]) -> str:
    """The form field that a case error's path (e.g. 'history[1].months') came from."""
    m = re.match(r"history\[(\d+)\](?:\.(\w+))?", path)
    if m:
        index = int(m.group(1))
        row = rows[index] if index < len(rows) else 0
        return f"h{row}_{_HISTORY_KEYS.get(m.group(2) or '', 'regimen')}"
    if path.startswith("history"):
        return "h0_regimen"
    m = re.match(r"current\.alterations\[(\d+)\]", path)
    if m:
        items = case.get("current", {}).get("alterations", [])
        index = int(m.group(1))
        if index < len(items) and isinstance(items[index], dict):
            return "phase" if ".phase" in path else "compound"
    for prefix, name in _PATHS:
        if path == prefix or path.startswith((prefix + ".", prefix + "[")):
            return name
    return ""


def _yes_no(value: Any) -> str:
    return "yes" if value is True else "no" if value is False else ""


def form_from_case(case: Mapping[str, Any], kb: KnowledgeBase, lang: str) -> FormInput:
    """A contract case (the one a result page carries) back as form values: the way back from a
    result to the form. Values the form cannot hold (a sixth prior line, a free-text toxicity, a test
    method the form does not offer) are added to the notes, so nothing typed is silently dropped."""
    offered = choices(kb, lang)
    values: dict[str, str] = {}
    lost: list[str] = []

    def put(name: str, value: Any, path: str) -> None:
        if value is None or value == "":
            return
        text = f"{value:g}" if isinstance(value, float) else str(value)
        kind = row_choice(name)
        if kind in offered and name not in _NUMBERS and text not in {v for v, _ in offered[kind]}:
            lost.append(f"{path}: {text}")
            return
        values[name] = text

    patient = case.get("patient") or {}
    for key in ("age", "sex", "ecog", "region"):
        put(key, patient.get(key), f"patient.{key}")
    diagnosis = case.get("diagnosis") or {}
    for key in ("histology", "stage"):
        put(key, diagnosis.get(key), f"diagnosis.{key}")
    alk = diagnosis.get("alk") or {}
    for key in ("fusion", "variant", "method"):
        put(key, alk.get(key), f"diagnosis.alk.{key}")
    for i, entry in enumerate(case.get("history") or []):
        if i >= LINES:
            lost.append(f"history[{i}]: " + " + ".join(entry.get("regimen") or []))
            continue
        put(f"h{i}_regimen", " + ".join(entry.get("regimen") or []), f"history[{i}].regimen")
        put(f"h{i}_months", entry.get("months"), f"history[{i}].months")
        put(f"h{i}_response", entry.get("best_response"), f"history[{i}].best_response")
        put(f"h{i}_stopped", entry.get("stopped_for"), f"history[{i}].stopped_for")
        toxicity = str(entry.get("toxicity") or "")
        m = re.fullmatch(r"(.+?)(?:_g([1-5]))?", toxicity)
        if toxicity and m and m.group(1) in kb.toxicity_codes:
            values[f"h{i}_toxicity"] = m.group(1)
            if m.group(2):
                values[f"h{i}_grade"] = m.group(2)
        elif toxicity:
            lost.append(f"history[{i}].toxicity: {toxicity}")
    current = case.get("current") or {}
    put("status", current.get("status"), "current.status")
    put("pattern", current.get("progression_pattern"), "current.progression_pattern")
    biopsy = current.get("biopsy") or {}
    put("biopsy_sample", biopsy.get("sample"), "current.biopsy.sample")
    put("biopsy_method", biopsy.get("method"), "current.biopsy.method")
    put("current_histology", current.get("histology"), "current.histology")
    lines: list[str] = []
    for item in current.get("alterations") or []:
        if isinstance(item, str):
            lines.append(item)
        elif isinstance(item, dict) and str(item.get("gene", "")).upper() == "ALK" and item.get("mutations") \
                and "compound" not in values:
            values["compound"] = "/".join(str(x) for x in item["mutations"])
            put("phase", item.get("phase"), "current.alterations.phase")
        elif isinstance(item, dict):
            lines.append(" ".join(str(x) for x in (item.get("gene"), *(item.get("mutations") or [])) if x))
    if lines:
        values["alterations"] = "\n".join(lines)
    cns = current.get("cns") or {}
    for name, key in (("brain", "brain_metastases"), ("leptomeningeal", "leptomeningeal"),
                      ("symptomatic", "symptomatic")):
        put(name, _yes_no(cns.get(key)), f"current.cns.{key}")
    known = {v for v, _ in offered["comorbidities"]}
    comorbidities = [str(c) for c in case.get("comorbidities") or []]
    other = [c for c in comorbidities if c not in known]
    if other:
        values["comorbidities_other"] = ", ".join(other)
    clinical = case.get("clinical") or {}
    for key in ("creatinine_clearance", "pregnancy_weeks", "heart_rate", "child_pugh"):
        put(key, clinical.get(key), f"clinical.{key}")
    put("breastfeeding", _yes_no(clinical.get("breastfeeding")), "clinical.breastfeeding")
    if case.get("concomitant_medications"):
        values["medications"] = ", ".join(str(m) for m in case["concomitant_medications"])
    if case.get("prior_immune_checkpoint_inhibitor"):
        values["ici"] = "yes"
    notes = str(case.get("notes") or "")
    if lost:
        notes = "\n".join(x for x in (notes, *lost) if x)
    if notes:
        values["notes"] = notes
    return FormInput(values=values, comorbidities=[c for c in comorbidities if c in known])
