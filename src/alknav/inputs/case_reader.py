"""Read a case file (YAML or JSON) into a validated Case, or raise CaseError naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alknav.errors import CaseError
from alknav.inputs.case_model import Case


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
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
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


def _check_consistency(case: Case) -> None:
    alk = case.diagnosis.alk
    positive = alk is not None and (
        bool(alk.fusion and alk.fusion.strip())
        or any(t.result == "positive" for t in alk.tests)
    )
    if not positive:
        raise CaseError("diagnosis.alk", "no ALK rearrangement: give diagnosis.alk.fusion or a positive ALK test")
    if alk is not None and alk.tests and all(t.result == "negative" for t in alk.tests) and not alk.fusion:
        raise CaseError("diagnosis.alk.tests", "every ALK test is negative")
    status = case.current.status.value
    if status == "treatment_naive" and case.history:
        raise CaseError("history", "current.status is treatment_naive but history lists prior therapy")
    if status != "treatment_naive" and not case.history:
        raise CaseError("current.status", f"current.status is {status} but history is empty (no prior therapy)")
    for i, entry in enumerate(case.history[:-1]):
        if entry.stopped_for is not None and entry.stopped_for.value == "ongoing":
            raise CaseError(f"history[{i}].stopped_for", "only the last regimen can be ongoing")
