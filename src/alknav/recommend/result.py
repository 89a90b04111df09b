"""The engine's result: language-neutral. Texts are messages (a template key and its arguments),
rendered into English or Chinese by alknav.outputs.render; everything else is codes, numbers and
citations. The JSON contract (shared/contracts/case-format.md) is the rendered form."""

from __future__ import annotations

import json
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Msg(Out):
    """A text in no language yet. ``key`` names a template: ``t:<word>`` (program wording),
    ``rule:<id>`` / ``rule.warning:<id>`` / ``rule.test:<id>`` / ``rule.why:<id>`` (knowledge/rules*.yaml),
    ``drug:<id>``, ``regimen:<id>``, ``level:<id>``, ``workup.test:<id>`` / ``workup.why:<id>``,
    ``label.<part>:<drug>:<item>`` (knowledge/safety), ``class:<id>`` (interaction classes), or
    ``join:<list|semi|comma>`` (the ``items`` argument joined the way the language joins them)."""

    key: str
    args: dict[str, MsgArg] = Field(default_factory=dict)


MsgArg = Union[Msg, list[Union[Msg, str]], str, int, float]  # noqa: UP007 (a recursive alias needs Union)
Msg.model_rebuild()


_new = object.__new__
_set = object.__setattr__


def _message(key: str, args: dict[str, Any]) -> Msg:
    """Msg(key=key, args=args), without validation when every argument already has its type."""
    copied = {}
    for name, value in args.items():
        kind = type(value)
        if kind is str or kind is Msg or kind is int or kind is float:
            copied[name] = value
        elif kind is list and all(type(v) is str or type(v) is Msg for v in value):
            copied[name] = list(value)
        else:
            return Msg(key=key, args=args)  # anything unusual is validated (and coerced) as before
    if type(key) is not str:
        return Msg(key=key, args=args)
    model = _new(Msg)
    _set(model, "__dict__", {"key": key, "args": copied})
    _set(model, "__pydantic_fields_set__", {"key", "args"})
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


_LEAVES: dict[str, Msg] = {}  # messages without arguments (a drug's name, a level, ...), one object each


def msg(key: str, **args: MsgArg) -> Msg:
    if args:
        return _message(key, args)
    # nothing changes a message once built, so one object per key serves every result (keys come from
    # the program and the knowledge base, so the dict stays as small as they are)
    found = _LEAVES.get(key)
    if found is None:
        found = _LEAVES[key] = _message(key, args)
    return found


def joined(items: list[Msg | str], how: str = "list") -> Msg:
    return _message(f"join:{how}", {"items": items})


class Evidence(Out):
    level: str
    clinical: bool = True
    citations: list[str] = Field(default_factory=list)


class Availability(Out):
    region: str
    status: str  # approved | off_label | not_approved | investigational | unknown
    detail: Msg | None = None


class Efficacy(Out):
    """One trial result, as curated (trial names, arms and endpoint qualifiers are knowledge data).
    Frozen: shared by every result of a knowledge base that shows it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trial: str
    trial_id: str
    setting: str
    arm: str
    endpoint: str
    value: float | None = None
    value_text: str | None = None
    unit: str
    ci_low: float | None = None
    ci_high: float | None = None
    assessor: str = ""
    population: str = ""
    citation: str = ""


class Fact(Out):
    text: Msg
    citations: list[str] = Field(default_factory=list)


class AdminItem(Out):
    """One thing a prescriber must set up, from the label (dose, monitoring, interaction, ...). Frozen:
    the label's own items (dose, monitoring) are shared by every result of a knowledge base."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    drug: str
    kind: str  # dose | dose_other_region | dose_levels | monitoring | interaction | population | toxicity
    text: Msg
    schedule: Msg | None = None  # monitoring
    action: str = ""  # interaction, population: the label's action; toxicity: the re-challenge rule
    regions: list[str] = Field(default_factory=list)  # dose, dose_other_region: where this dose applies
    code: str = ""
    citations: list[str] = Field(default_factory=list)


class Option(Out):
    rank: int
    name: Msg
    drugs: list[str]
    category: str
    evidence: Evidence
    availability: Availability
    score: int
    tied: bool = Field(default=False, description="same score and evidence level as the option ranked above")
    rationale_facts: list[Fact] = Field(default_factory=list)
    expected_efficacy: list[Efficacy] = Field(default_factory=list)
    clone_calls: dict[str, str] = Field(default_factory=dict, description="ALK clone -> call for this option")
    administration: list[AdminItem] = Field(default_factory=list)
    concern: str = Field(default="", description="failed_before (the tumour progressed on it) or resistant_clone "
                                                  "(a clone is called resistant): shown, not advised")


class Warning(Out):
    code: str
    severity: str
    message: Msg
    option: Msg | None = None
    citations: list[str] = Field(default_factory=list)


class SuggestedTest(Out):
    test: Msg
    why: Msg
    citations: list[str] = Field(default_factory=list)


class TraceStep(Out):
    rule: str
    target: Msg | None = None  # None: the rule fired on the case
    effect: str  # codes: "score +50; exclude; consider <regimen>; warning <code>; test"
    citations: list[str] = Field(default_factory=list)


class Excluded(Out):
    name: Msg
    drugs: list[str]
    category: str = ""
    reasons: list[Msg]
    citations: list[str] = Field(default_factory=list)


class Result(Out):
    case_id: str | None
    knowledge_version: str
    alterations: list[dict[str, Any]]
    options: list[Option]
    warnings: list[Warning]
    suggested_tests: list[SuggestedTest]
    interpretation: dict[str, Any] = Field(default_factory=dict)
    excluded: list[Excluded] = Field(default_factory=list)
    trace: list[TraceStep] = Field(default_factory=list)
    region: str = "US"


# ------------------------------------------------------------------ stored form

RESULT_FORMAT = "alknav.result/1"


class ResultFormatError(ValueError):
    """A stored result that cannot be read back (another format, damaged, or a field it lacks)."""


def dump_result(result: Result) -> str:
    """The stable JSON form of a result: ``{"format": RESULT_FORMAT, "result": {...}}``, message keys
    and arguments as they are. Field order follows the model and dicts keep their order, so the same
    result always gives the same text and ``load_result`` gives back a result that renders identically
    (keys are not sorted: rendering keeps the order of ``interpretation`` and ``alterations``)."""
    return '{"format":' + json.dumps(RESULT_FORMAT) + ',"result":' + result.model_dump_json() + "}"


def load_result(text: str | bytes) -> Result:
    """``dump_result`` read back; ResultFormatError naming the field when it is not one."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ResultFormatError(f"stored result: not JSON ({type(exc).__name__}: {str(exc)[:100]})") from None
    if not isinstance(data, dict) or data.get("format") != RESULT_FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ResultFormatError(f"stored result: format: expected {RESULT_FORMAT!r}, found {found!r}")
    try:
        return Result.model_validate(data.get("result"))
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in err["loc"]) or "result"
        raise ResultFormatError(f"stored result: result.{where}: {err['msg']}") from None
