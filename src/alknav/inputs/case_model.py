"""The case file, as fixed by shared/contracts/case-format.md (contract v1).

Extra fields are accepted (the contract welcomes them) and reported back as ignored; wrong
types and unknown vocabulary values are errors naming the field.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alknav.kb.enums import Region


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)


class Sex(StrEnum):
    F = "F"
    M = "M"
    other = "other"


class Patient(Loose):
    age: int | None = Field(default=None, ge=0, le=120)
    sex: Sex | None = None
    ecog: int | None = Field(default=None, ge=0, le=4, strict=True)
    region: Region = Region.US


class Histology(StrEnum):
    adenocarcinoma = "adenocarcinoma"
    squamous = "squamous"
    adenosquamous = "adenosquamous"
    large_cell = "large_cell"
    nos = "nos"
    sclc = "sclc"  # only as a transformed histology under `current`


class AlkTest(Loose):
    method: str
    sample: str | None = None
    result: str = Field(pattern=r"^(positive|negative|failed|equivocal)$")
    detail: str | None = None


class AlkDiagnosis(Loose):
    method: str | None = None
    fusion: str | None = None
    variant: str | None = None
    tests: list[AlkTest] = Field(default_factory=list)


class Diagnosis(Loose):
    histology: Histology | None = None
    stage: str | None = None
    alk: AlkDiagnosis | None = None

    @field_validator("stage", mode="before")
    @classmethod
    def _stage_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value


class Response(StrEnum):
    CR = "CR"
    PR = "PR"
    SD = "SD"
    PD = "PD"
    NE = "NE"


class StoppedFor(StrEnum):
    progression = "progression"
    toxicity = "toxicity"
    completed = "completed"
    other = "other"
    ongoing = "ongoing"


class HistoryEntry(Loose):
    regimen: list[str] = Field(min_length=1)
    best_response: Response | None = None
    months: float | None = Field(default=None, ge=0, le=600, allow_inf_nan=False)
    stopped_for: StoppedFor | None = None
    toxicity: str | None = None

    @field_validator("regimen", mode="before")
    @classmethod
    def _one_drug(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Status(StrEnum):
    treatment_naive = "treatment_naive"
    progression = "progression"
    toxicity = "toxicity"


class Pattern(StrEnum):
    systemic = "systemic"
    cns_only = "cns_only"
    oligoprogression = "oligoprogression"


class Biopsy(Loose):
    sample: str | None = Field(default=None, pattern=r"^(plasma|tissue|csf)$")
    method: str | None = None


class Cns(Loose):
    brain_metastases: bool = False
    leptomeningeal: bool = False
    symptomatic: bool = False


class StructuredAlteration(Loose):
    gene: str = "ALK"
    mutations: list[str] = Field(default_factory=list)
    phase: str | None = Field(default=None, pattern=r"^(cis|trans|unknown)$")
    alteration: str | None = None
    kind: str | None = None


class Current(Loose):
    status: Status = Status.progression
    progression_pattern: Pattern | None = None
    biopsy: Biopsy | None = None
    alterations: list[str | StructuredAlteration] = Field(default_factory=list, max_length=500)
    histology: Histology | None = None
    cns: Cns = Field(default_factory=Cns)


class ChildPugh(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class Clinical(Loose):
    """Structured clinical details (contract revision 1.1). Bounds refuse impossible values only;
    values a clinician could meet but rarely does are questioned later as warnings."""

    child_pugh: ChildPugh | None = None
    creatinine_clearance: float | None = Field(default=None, ge=0, le=250, allow_inf_nan=False)
    pregnancy_weeks: float | None = Field(default=None, ge=0, le=44, allow_inf_nan=False)
    heart_rate: int | None = Field(default=None, ge=15, le=250)
    breastfeeding: bool | None = None

    @field_validator("child_pugh", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


class Case(Loose):
    case_format: int = 1
    id: str | None = None
    patient: Patient = Field(default_factory=Patient)
    diagnosis: Diagnosis
    history: list[HistoryEntry] = Field(default_factory=list, max_length=50)
    current: Current = Field(default_factory=Current)
    comorbidities: list[str] = Field(default_factory=list, max_length=100)
    clinical: Clinical = Field(default_factory=Clinical)
    concomitant_medications: list[str] = Field(default_factory=list, max_length=100)
    prior_immune_checkpoint_inhibitor: bool = False
    notes: str | None = Field(default=None, max_length=20_000)

    @field_validator("case_format")
    @classmethod
    def _known_format(cls, value: int) -> int:
        if value != 1:
            raise ValueError(f"case_format {value} is not supported (this alknav reads 1)")
        return value

    @field_validator("clinical", mode="before")
    @classmethod
    def _none_is_blank(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("history", "comorbidities", "concomitant_medications", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value
