"""The recommendation output (contract v1 fields, plus extras the contract welcomes)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(Out):
    level: str
    level_label: str = ""
    clinical: bool = True
    citations: list[str] = Field(default_factory=list)


class Availability(Out):
    region: str
    status: str  # approved | not_approved | investigational | unknown
    detail: str = ""


class Efficacy(Out):
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
    text: str
    citations: list[str] = Field(default_factory=list)


class AdminItem(Out):
    """One thing a prescriber must set up, from the label (dose, monitoring, interaction, ...)."""

    drug: str
    kind: str  # dose | dose_other_region | dose_levels | monitoring | interaction | population | toxicity
    text: str
    detail: str = ""  # schedule (monitoring), action (interaction, population), re-challenge (toxicity)
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
    rationale_facts: list[Fact] = Field(default_factory=list)
    expected_efficacy: list[Efficacy] = Field(default_factory=list)
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
    reasons: list[str]
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
    language: str = "en"
    region: str = "US"
    disclaimer: str = ""
