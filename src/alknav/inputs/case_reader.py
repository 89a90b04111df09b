"""Read a case file (YAML or JSON) into a validated Case, or raise CaseError naming the field.

Hostile input is refused before it costs anything: YAML aliases may not expand a document beyond
``MAX_NODES`` values (an "alias bomb" of a few hundred bytes otherwise grows to gigabytes), every
string is capped (``MAX_TEXT``, ``notes`` ``MAX_NOTES``) before any parser sees it, and integers too
long to be a value (``MAX_DIGITS``) stay text so that validation names their field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from alknav.errors import CaseError
from alknav.inputs.case_model import Case
from alknav.inputs.phenopacket import case_data_from_phenopacket

MAX_NODES = 100_000  # a real case has well under a thousand values
MAX_TEXT = 2_000  # any one string of a case; alterations are further bounded by their parser
MAX_NOTES = 20_000
PHENOPACKET_TEXT = 20_000  # free-text descriptions; mapped values are capped again as a case
MAX_KEY = 200
MAX_DIGITS = 50
MAX_EXTRA_REPORTED = 20


class _Refused(ValueError):
    pass


def _expanded_size(root: yaml.Node) -> int:
    """Values the document holds once every alias is expanded, counted without expanding: each
    node's size is computed once (aliases share nodes). Stops at MAX_NODES + 1."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes and not done:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if not done:
            sizes[key] = -1  # in progress: meeting it again below means the document contains itself
            stack.append((node, True))
            for child in children:
                if sizes.get(id(child)) == -1:
                    raise _Refused("an alias refers to the value that contains it")
                if id(child) not in sizes:
                    stack.append((child, False))
            continue
        total = 1 + sum(sizes[id(c)] for c in children)
        sizes[key] = min(total, MAX_NODES + 1)
    return sizes[id(root)]


# libyaml parses a case ~20x faster than the pure-Python parser (batches are mostly parsing)
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CaseLoader(_BASE_LOADER):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml where present), checked between composing and constructing: the
    node graph (where an alias is one shared node) is measured before any Python object is built."""

    measure = True

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        if node is not None and self.measure and _expanded_size(node) > MAX_NODES:
            raise _Refused(f"its aliases expand to more than {MAX_NODES} values (an alias bomb?); write the "
                           "values out instead of repeating anchors")
        return node

    def construct_yaml_int(self, node: yaml.Node) -> Any:
        text = str(node.value)
        return text if len(text) > MAX_DIGITS else super().construct_yaml_int(node)


_CaseLoader.add_constructor("tag:yaml.org,2002:int", _CaseLoader.construct_yaml_int)


class _NoAnchorLoader(_CaseLoader):
    """For a text without '&' and under MAX_NODES / 4 characters: it has no anchor, so no alias (libyaml
    refuses an alias to an undefined anchor), and a value takes a character of its own or is an empty
    key or value beside an indicator ('-', '?', ':'), so it holds under MAX_NODES values; measuring
    its node graph (a walk over every node of every case of a batch) would prove nothing more."""

    measure = False


def _loader(text: str) -> type[_CaseLoader]:
    return _NoAnchorLoader if "&" not in text and len(text) < MAX_NODES // 4 else _CaseLoader


def _json_int(text: str) -> int | str:
    return text if len(text.lstrip("-")) > MAX_DIGITS else int(text)


def _check_sizes(data: Any, limit: int = MAX_TEXT) -> None:
    """Refuse over-long strings and keys anywhere in the parsed data, naming the field."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            cap = MAX_NOTES if path == "notes" else limit
            if len(value) > cap:
                what = f"a number of {len(value)} digits" if value.isdigit() else f"{len(value)} characters"
                raise CaseError(path, f"{what}; at most {cap} characters are read here",
                                "number_too_long" if value.isdigit() else "text_too_long",
                                {"length": len(value), "cap": cap})
        elif isinstance(value, dict):
            for k, v in value.items():
                name = str(k)
                if len(name) > MAX_KEY:
                    raise CaseError(path, f"a field name of {len(name)} characters; at most {MAX_KEY}",
                                    "key_too_long", {"length": len(name), "cap": MAX_KEY})
                stack.append((v, f"{path}.{name}" if path else name))
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(value))


def _extra_fields(model: Any, path: str = "") -> list[str]:
    """Dotted names of the fields the case format does not define (kept, but unused)."""
    from pydantic import BaseModel

    out: list[str] = []
    for name in model.model_extra or {}:
        if not (path == "" and name == "unmapped"):
            out.append(f"{path}{name}")
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, BaseModel):
                where = f"{path}{name}[{i}]." if isinstance(value, list) else f"{path}{name}."
                out.extend(_extra_fields(item, where))
    return out


def _report_extras(case: Case) -> None:
    """The contract promises that extra fields are reported, not silently dropped: list them with
    what the input conversion could not use (``unmapped``), which every output shows."""
    extra = case.model_extra if case.model_extra is not None else {}
    unmapped = extra.get("unmapped")
    if unmapped is not None and (not isinstance(unmapped, list) or not all(isinstance(u, str) for u in unmapped)):
        raise CaseError("unmapped", "must be a list of texts (what an input conversion could not use)",
                        "unmapped_not_list")
    names = _extra_fields(case)
    if not names:
        return
    shown = ", ".join(names[:MAX_EXTRA_REPORTED])
    more = f" and {len(names) - MAX_EXTRA_REPORTED} more" if len(names) > MAX_EXTRA_REPORTED else ""
    note = f"fields not in the case format, ignored: {shown}{more}"
    extra["unmapped"] = list(dict.fromkeys([*(unmapped or []), note]))  # read again (a carried case): once

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


_NUMBER_ERRORS = ("int_parsing", "int_type", "float_parsing", "float_type", "int_from_float", "finite_number")
_RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _invalid(err: Any, shown: str) -> tuple[str, dict[str, object]]:
    """The i18n key and values of a validation error, by its kind (the English is pydantic's own)."""
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "value_missing", {}
    if kind in _NUMBER_ERRORS:
        return "value_number", {"shown": shown}
    if kind in ("bool_parsing", "bool_type"):
        return "value_bool", {"shown": shown}
    if kind in ("enum", "literal_error"):
        return "value_choice", {"expected": ctx.get("expected", ""), "shown": shown}
    if kind in _RANGE_ERRORS:
        limit = next((ctx[k] for k in ("ge", "gt", "le", "lt") if k in ctx), "")
        return "value_" + kind, {"limit": limit, "shown": shown}
    if kind in ("too_long", "string_too_long"):
        return "value_too_long", {"limit": ctx.get("max_length", "")}
    return "value_invalid", {"detail": err.get("msg", ""), "shown": shown}


def parse_case_data(data: Any, source: str = "case") -> Case:
    """A parsed mapping -> Case. Errors name the field, e.g. 'patient.age: ...'."""
    if not isinstance(data, dict):
        raise CaseError("", f"{source}: a case must be a mapping of fields (got {type(data).__name__})",
                        "not_mapping", {"source": source, "type": type(data).__name__})
    try:
        _check_sizes(data)
    except RecursionError:
        raise CaseError("", f"{source}: nested too deeply to be a case", "too_deep", {"source": source}) from None
    try:
        case = Case.model_validate(data)
    except RecursionError:
        raise CaseError("", f"{source}: nested too deeply to be a case", "too_deep", {"source": source}) from None
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = _field(tuple(err["loc"]))
        value = err.get("input")
        shown = f" (got {value!r})" if isinstance(value, str | int | float | bool) and len(repr(value)) < 60 else ""
        raise CaseError(field, f"{err['msg']}{shown}", *_invalid(err, shown)) from None
    _report_extras(case)
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


def load_case_text(text: str, source: str = "case") -> Any:
    """Case text (JSON, or YAML through the hardened loader that bounds aliases) -> the data it holds,
    not yet validated; CaseError (field 'file') when it cannot be read."""
    if not text.strip():
        raise CaseError("file", f"{source}: the file is empty", "file_empty", {"source": source})
    try:
        return json.loads(text, parse_int=_json_int) if text.lstrip().startswith("{") else \
            yaml.load(text, Loader=_loader(text))  # libyaml's safe loader, aliases bounded
    except _Refused as exc:
        raise CaseError("file", f"{source}: refused: {exc}", "file_refused", {"source": source, "reason": exc}) \
            from None
    except (RecursionError, MemoryError):
        raise CaseError("file", f"{source}: nested too deeply to be a case file", "too_deep",
                        {"source": source}) from None
    except json.JSONDecodeError as exc:
        raise CaseError("file", f"{source}: invalid JSON at line {exc.lineno}: {exc.msg}", "invalid_json",
                        {"source": source, "line": exc.lineno, "problem": exc.msg}) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise CaseError("file", f"{source}: invalid YAML{line}: {getattr(exc, 'problem', exc)}", "invalid_yaml",
                        {"source": source, "line": mark.line + 1 if mark is not None else "?",
                         "problem": getattr(exc, "problem", exc)}) from None
    except ValueError as exc:  # e.g. a JSON number Python will not convert
        raise CaseError("file", f"{source}: unreadable value: {exc}", "unreadable_value",
                        {"source": source, "problem": exc}) from None


def parse_case_text(text: str, source: str = "case") -> Case:
    data = load_case_text(text, source)
    if isinstance(data, dict) and "case_format" not in data and \
            {"subject", "metaData", "interpretations", "medicalActions"} & set(data):
        _check_sizes(data, limit=PHENOPACKET_TEXT)
        return parse_case_data(case_data_from_phenopacket(data, source), source)
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
                                                "for ALK-positive NSCLC", "alk_negative", {"fusion": fusion})
    positive = alk is not None and (bool(fusion) or any(t.result == "positive" for t in alk.tests))
    if not positive:
        raise CaseError("diagnosis.alk", "no ALK rearrangement: give diagnosis.alk.fusion or a positive ALK test",
                        "no_alk")
    assert alk is not None
    results = [t.result for t in alk.tests]
    if results and "positive" not in results and all(r in ("negative", "failed") for r in results) \
            and "negative" in results:
        raise CaseError("diagnosis.alk.tests", "every ALK test listed is negative (or failed): the tumour is not "
                                               "shown to be ALK-positive; repeat testing (RNA NGS or IHC) first",
                        "alk_tests_negative")
    dna = [t for t in alk.tests if t.result == "positive" and _dna_only_method(t.method)]
    others_pos = [t for t in alk.tests if t.result == "positive" and not _dna_only_method(t.method)]
    rna_or_ihc_neg = [t for t in alk.tests if t.result == "negative" and _rna_or_ihc(t.method)]
    if dna and not others_pos and rna_or_ihc_neg:
        raise CaseError("diagnosis.alk.tests", "a DNA-level ALK rearrangement with negative RNA and/or IHC testing "
                                               "makes no fusion transcript or protein: this is not ALK-positive "
                                               "disease for treatment; confirm with RNA NGS and ALK IHC",
                        "alk_dna_only")


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
                                       "these drugs (their labels are for adults); check the age",
                        "age_implausible", {"age": age})
    pregnant = case.clinical.pregnancy_weeks is not None or any(
        c.strip().lower() in ("pregnancy", "pregnant") for c in case.comorbidities)
    where = "clinical.pregnancy_weeks" if case.clinical.pregnancy_weeks is not None else "comorbidities"
    if pregnant and sex is not None and sex.value == "M":
        raise CaseError(where, "pregnancy is recorded for a male patient; check sex and pregnancy", "pregnancy_male")
    if pregnant and age is not None and age > 60:
        raise CaseError(where, f"pregnancy at age {age} is not plausible; check age and pregnancy", "pregnancy_age",
                        {"age": age})
    months = [e.months for e in case.history if e.months is not None]
    for i, entry in enumerate(case.history):
        if entry.months is not None and entry.months > 360:
            raise CaseError(f"history[{i}].months", f"{entry.months:g} months (over 30 years) on one regimen is "
                                                    "not plausible; check the duration", "months_implausible",
                            {"months": f"{entry.months:g}"})
    if age is not None and months and sum(months) > max(age - 12, 1) * 12:
        raise CaseError("history", f"the treatments add up to {sum(months):g} months, longer than the patient's "
                                   f"life since childhood (age {age}); check months and age", "months_lifetime",
                        {"months": f"{sum(months):g}", "age": age})


def _check_consistency(case: Case) -> None:
    _check_diagnosis(case)
    _check_patient(case)
    status = case.current.status.value
    if status == "treatment_naive" and case.history:
        raise CaseError("history", "current.status is treatment_naive but history lists prior therapy",
                        "naive_with_history")
    if status != "treatment_naive" and not case.history:
        raise CaseError("current.status", f"current.status is {status} but history is empty (no prior therapy)",
                        "status_without_history", {"status": status})
    for i, entry in enumerate(case.history[:-1]):
        if entry.stopped_for is not None and entry.stopped_for.value == "ongoing":
            raise CaseError(f"history[{i}].stopped_for", "only the last regimen can be ongoing", "ongoing_not_last")
