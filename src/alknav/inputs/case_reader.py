"""Read a case file (YAML or JSON) into a validated Case, or raise CaseError naming the field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alknav.errors import CaseError
from alknav.inputs.case_model import Case

# libyaml parses a case ~20x faster than the pure-Python parser (batches are mostly parsing)
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _field(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("str", "StructuredAlteration", "list[str]", "constrained-str") or str(part).startswith(
                ("function-", "constrained-")):  # union branch names pydantic adds
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_case_data(data: Any, source: str = "case") -> Case:
    """A parsed mapping -> Case. Errors name the field, e.g. 'patient.age: ...'."""
    if not isinstance(data, dict):
        raise CaseError("", f"{source}: a case must be a mapping of fields (got {type(data).__name__})")
    try:
        case = Case.model_validate(data)
    except RecursionError:
        raise CaseError("", f"{source}: nested too deeply to be a case") from None
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = _field(tuple(err["loc"]))
        value = err.get("input")
        shown = f" (got {value!r})" if isinstance(value, str | int | float | bool) and len(repr(value)) < 60 else ""
        raise CaseError(field, f"{err['msg']}{shown}") from None
    _check_consistency(case)
    return case


def read_case(path: Path) -> Case:
    """Read YAML or JSON (by content; JSON is YAML) from a file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CaseError("file", f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise CaseError("file", f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise CaseError("file", f"{path}: {exc.strerror}") from None
    return parse_case_text(text, str(path))


def parse_case_text(text: str, source: str = "case") -> Case:
    if not text.strip():
        raise CaseError("file", f"{source}: the file is empty")
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, Loader=_YAML_LOADER)
    except RecursionError:
        raise CaseError("file", f"{source}: nested too deeply to be a case file") from None
    except json.JSONDecodeError as exc:
        raise CaseError("file", f"{source}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise CaseError("file", f"{source}: invalid YAML{line}: {getattr(exc, 'problem', exc)}") from None
    if isinstance(data, dict) and "case_format" not in data and \
            {"subject", "metaData", "interpretations", "medicalActions"} & set(data):
        from alknav.inputs.phenopacket import case_from_phenopacket

        return case_from_phenopacket(data, source)
    return parse_case_data(data, source)


_NEGATIVE_FUSION = re.compile(
    r"^\s*(alk[\s_-]*)?(negative|neg|none|no|not[\s_-]*detected|wild[\s_-]*type|wt|absent|n/?a|-)"
    r"([\s_-]*(alk|fusion|rearrangement))?\s*$", re.IGNORECASE)


def _check_diagnosis(case: Case) -> None:
    """Refuse what is not ALK-positive disease; caveats on how it was shown come later as warnings."""
    alk = case.diagnosis.alk
    fusion = (alk.fusion or "").strip() if alk is not None else ""
    if fusion and _NEGATIVE_FUSION.match(fusion):
        raise CaseError("diagnosis.alk.fusion", f"'{fusion}' says the tumour is ALK-negative; alknav answers only "
                                                "for ALK-positive NSCLC")
    positive = alk is not None and (bool(fusion) or any(t.result == "positive" for t in alk.tests))
    if not positive:
        raise CaseError("diagnosis.alk", "no ALK rearrangement: give diagnosis.alk.fusion or a positive ALK test")
    assert alk is not None
    results = [t.result for t in alk.tests]
    if results and "positive" not in results and all(r in ("negative", "failed") for r in results) \
            and "negative" in results:
        raise CaseError("diagnosis.alk.tests", "every ALK test listed is negative (or failed): the tumour is not "
                                               "shown to be ALK-positive; repeat testing (RNA NGS or IHC) first")
    dna = [t for t in alk.tests if t.result == "positive" and _dna_only_method(t.method)]
    others_pos = [t for t in alk.tests if t.result == "positive" and not _dna_only_method(t.method)]
    rna_or_ihc_neg = [t for t in alk.tests if t.result == "negative" and _rna_or_ihc(t.method)]
    if dna and not others_pos and rna_or_ihc_neg:
        raise CaseError("diagnosis.alk.tests", "a DNA-level ALK rearrangement with negative RNA and/or IHC testing "
                                               "makes no fusion transcript or protein: this is not ALK-positive "
                                               "disease for treatment; confirm with RNA NGS and ALK IHC")


def _dna_only_method(method: str) -> bool:
    m = method.upper()
    return ("DNA" in m or m in ("NGS", "CTDNA", "PLASMA NGS")) and "RNA" not in m


def _rna_or_ihc(method: str) -> bool:
    m = method.upper()
    return "RNA" in m or "IHC" in m or "RT-PCR" in m


def _check_patient(case: Case) -> None:
    age, sex = case.patient.age, case.patient.sex
    if age is not None and age < 12:
        raise CaseError("patient.age", f"age {age} is not plausible for non-small cell lung cancer treated with "
                                       "these drugs (their labels are for adults); check the age")
    pregnant = case.clinical.pregnancy_weeks is not None or any(
        c.strip().lower() in ("pregnancy", "pregnant") for c in case.comorbidities)
    where = "clinical.pregnancy_weeks" if case.clinical.pregnancy_weeks is not None else "comorbidities"
    if pregnant and sex is not None and sex.value == "M":
        raise CaseError(where, "pregnancy is recorded for a male patient; check sex and pregnancy")
    if pregnant and age is not None and age > 60:
        raise CaseError(where, f"pregnancy at age {age} is not plausible; check age and pregnancy")
    months = [e.months for e in case.history if e.months is not None]
    for i, entry in enumerate(case.history):
        if entry.months is not None and entry.months > 360:
            raise CaseError(f"history[{i}].months", f"{entry.months:g} months (over 30 years) on one regimen is "
                                                    "not plausible; check the duration")
    if age is not None and months and sum(months) > max(age - 12, 1) * 12:
        raise CaseError("history", f"the treatments add up to {sum(months):g} months, longer than the patient's "
                                   f"life since childhood (age {age}); check months and age")


def _check_consistency(case: Case) -> None:
    _check_diagnosis(case)
    _check_patient(case)
    status = case.current.status.value
    if status == "treatment_naive" and case.history:
        raise CaseError("history", "current.status is treatment_naive but history lists prior therapy")
    if status != "treatment_naive" and not case.history:
        raise CaseError("current.status", f"current.status is {status} but history is empty (no prior therapy)")
    for i, entry in enumerate(case.history[:-1]):
        if entry.stopped_for is not None and entry.stopped_for.value == "ongoing":
            raise CaseError(f"history[{i}].stopped_for", "only the last regimen can be ongoing")
