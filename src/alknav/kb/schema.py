"""Pydantic schemas for every knowledge file.

Each fact that a clinician could act on carries ``refs`` (ids in the references files) and
``checked`` (how the claim was verified). The schemas forbid unknown fields so a typo in a
knowledge file is an error, not a silently ignored key.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

# the vocabularies (enums.py) and shared behaviour (mixins.py) live in pydantic-free modules, so code
# reading a cached knowledge base needs no schema; every name stays importable from here
from alknav.kb.enums import OPEN_TRIAL_STATUSES as OPEN_TRIAL_STATUSES
from alknav.kb.enums import Action as Action
from alknav.kb.enums import ApprovalStatus as ApprovalStatus
from alknav.kb.enums import Basis as Basis
from alknav.kb.enums import Call as Call
from alknav.kb.enums import Category as Category
from alknav.kb.enums import DrugClass as DrugClass
from alknav.kb.enums import Endpoint as Endpoint
from alknav.kb.enums import EvidenceType as EvidenceType
from alknav.kb.enums import Level3 as Level3
from alknav.kb.enums import LimitId as LimitId
from alknav.kb.enums import MechanismClass as MechanismClass
from alknav.kb.enums import MutationKind as MutationKind
from alknav.kb.enums import ReadLevel as ReadLevel
from alknav.kb.enums import Rechallenge as Rechallenge
from alknav.kb.enums import Region as Region
from alknav.kb.enums import Severity as Severity
from alknav.kb.enums import Template as Template
from alknav.kb.enums import TrialStatus as TrialStatus
from alknav.kb.enums import Unit as Unit
from alknav.kb.enums import YesNo as YesNo
from alknav.kb.mixins import ActiveTrialMixin, KeyedByDrugMixin

RefId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", min_length=2)]
DrugId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", min_length=2)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+:-]*$")]


class Strict(BaseModel):
    # defer_build: a schema is compiled on first validation, so loading the compiled cache builds none
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True)


# --------------------------------------------------------------------------- provenance


class CheckedSource(Strict):
    """One of several sources a fact rests on, with how that source itself was checked."""

    ref: RefId
    basis: Basis
    passage: str = Field(min_length=3, description="what was read in this source, in own words")


DATE = r"^\d{4}-\d{2}-\d{2}$"


class Checked(Strict):
    basis: Basis = Field(description="the basis of the fact as a whole; with `sources`, one of theirs")
    passage: str = Field(min_length=3, description="what was read, in own words")
    date: str | None = Field(
        default=None, pattern=DATE,
        description="the day this fact was last checked against its sources; when absent, the file's date in "
                    "manifest.yaml `checked_on` applies")
    sources: list[CheckedSource] = Field(
        default_factory=list,
        description="a fact resting on several sources (e.g. a paper and a press release) records each here")


class Cited(Strict):
    """Mixin: a fact with at least one reference and a statement of how it was checked."""

    refs: list[RefId] = Field(min_length=1)
    checked: Checked


class Lang(Strict):
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)


# --------------------------------------------------------------------------- references


class Reference(Strict):
    id: RefId
    doi: str | None = Field(default=None, pattern=r"^10\.\d{4,9}/\S+$")
    pmid: str | None = Field(default=None, pattern=r"^\d{5,9}$")
    url: str | None = None
    nct: str | None = Field(default=None, pattern=r"^NCT\d{8}$")
    first_author: str
    year: int = Field(ge=1950, le=2100)
    journal: str
    title: str
    kind: str = Field(
        default="article",
        pattern=r"^(article|review|abstract|case_report|label|registry|regulator|guideline|preprint|news|web"
                r"|reference_data)$",
        description="article = journal article; review; abstract = congress abstract; case_report; label = a "
                    "regulator-approved label or package insert; registry = trial registry record; regulator = "
                    "regulator notice or database; guideline; preprint; news = news item or press release; "
                    "web = other web page; reference_data = sequence/coordinate data",
    )
    seed_ref_nos: list[Annotated[int, Field(ge=1, le=61)]] = Field(
        default_factory=list, description="number(s) in the seed review's reference list"
    )
    read: ReadLevel = ReadLevel.not_read
    read_note: str = ""

    @model_validator(mode="after")
    def _locator(self) -> Reference:
        if not (self.doi or self.pmid or self.url or self.nct):
            raise ValueError("a reference needs a doi, pmid, nct or url")
        return self


class ReferenceFile(Strict):
    references: list[Reference]


# --------------------------------------------------------------------------- drugs


class Approval(Cited):
    region: Region
    status: ApprovalStatus
    date: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    lines: list[str] = Field(default_factory=list, description="e.g. first_line, after_crizotinib, after_alk_tki")
    line_only: str | None = Field(
        default=None, pattern=r"^(first|later)$",
        description="set only when the approved indication is limited to one line: first = patients not previously "
                    "treated with an ALK inhibitor, later = after an ALK inhibitor. In the other line the drug is "
                    "off-label in this region: the option's availability says so (not approved for this line); the "
                    "ranking rule not_approved_in_region reads the region only")
    indication: str = ""
    indication_alterations: list[str] = Field(
        default_factory=list,
        description="the alteration(s) the approved indication selects patients by, as alknav normalises them "
                    "(fnmatch patterns, e.g. 'MET exon 14 skipping', 'BRAF p.V600E'), when it is not the ALK "
                    "rearrangement itself. A drug approved in the region for such an indication, given to a tumour "
                    "without any of these alterations, is used off-label: the option's availability says so")
    indication_excludes_alk: bool = Field(
        default=False,
        description="the approved indication leaves out ALK-positive tumours (e.g. the US label of atezolizumab + "
                    "bevacizumab + carboplatin + paclitaxel: only tumours with no EGFR or ALK aberrations). Every "
                    "alknav patient is ALK-positive, so the use is off-label in this region: the option's "
                    "availability says so")


class CnsPenetration(Cited):
    level: Level3
    note: str = ""


class PgpSubstrate(Cited):
    value: YesNo
    note: str = ""


class Dose(Cited):
    text: str


class AdverseEvent(Cited):
    term: Lang
    note: str = ""


class DevelopmentStatus(Cited):
    phase: str = Field(pattern=r"^(approved|preclinical|phase_1|phase_1_2|phase_2|phase_3|discontinued|unknown)$")
    note: str = ""


class ActiveTrial(Cited, ActiveTrialMixin):
    """A trial of an investigational agent a patient could enter (status as read on `as_of`)."""

    nct: str | None = Field(default=None, pattern=r"^NCT\d{8}$")
    name: str
    phase: str = Field(pattern=r"^(phase_1|phase_1_2|phase_2|phase_3|expanded_access)$")
    setting: list[str] = Field(
        min_length=1, description="first_line | after_2nd_gen_tki | after_lorlatinib | after_alk_tki | any_line")
    status: TrialStatus
    as_of: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")
    regions: list[Region] = Field(default_factory=list, description="where it enrols; empty = not recorded")



class DrugCodes(Cited):
    """Terminology codes for exchange formats (FHIR); a code not confirmed is left out, never guessed."""

    rxnorm: str | None = Field(default=None, pattern=r"^\d{3,9}$", description="RxNorm ingredient RXCUI")
    atc: str | None = Field(default=None, pattern=r"^[A-Z]\d{2}[A-Z]{2}\d{2}$", description="WHO ATC code")
    ncit: str | None = Field(default=None, pattern=r"^C\d{2,7}$", description="NCI Thesaurus concept code")


class Drug(Strict):
    id: DrugId
    inn: str
    name_zh: str
    aliases: list[str] = Field(default_factory=list, description="brands, code names, other spellings")
    drug_class: DrugClass
    generation: int | None = Field(default=None, ge=1, le=4)
    targets: list[str] = Field(default_factory=list)
    originator: str = ""
    investigational: bool = False
    development: DevelopmentStatus | None = None
    approvals: list[Approval] = Field(default_factory=list)
    cns_penetration: CnsPenetration | None = None
    pgp_substrate: PgpSubstrate | None = None
    dose: Dose | None = None
    adverse_events: list[AdverseEvent] = Field(default_factory=list)
    active_trials: list[ActiveTrial] = Field(
        default_factory=list, description="investigational agents: trials open to patients (offered only then)")
    codes: DrugCodes | None = None
    first_approved: str | None = Field(
        default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
        description="first approval anywhere (any indication); bounds plausible treatment durations")
    refs: list[RefId] = Field(min_length=1)
    checked: Checked


class DrugFile(Strict):
    drugs: list[Drug]


# --------------------------------------------------------------------------- trials


class Result(Cited):
    id: Identifier
    arm: str
    endpoint: Endpoint
    endpoint_detail: str = ""
    endpoint_detail_zh: str = Field(default="", description="the qualifier in Chinese; required with "
                                                            "`endpoint_detail`")
    value: float | None = None
    value_text: str | None = Field(default=None, description="e.g. 'not reached'")
    unit: Unit
    ci_low: float | None = None
    ci_high: float | None = None
    ci_high_text: str | None = None
    assessor: str = Field(default="NR", pattern=r"^(BIRC|IRC|investigator|NR|not_applicable)$")
    population: str = ""
    population_zh: str = Field(default="", description="the population in Chinese; required with `population`")
    comparator_arm: str | None = None
    hazard_ratio: float | None = None
    hr_ci_low: float | None = None
    hr_ci_high: float | None = None
    p_value: str | None = None
    seed_value: str | None = Field(default=None, description="what the seed review says, when it differs or is cited")
    update_of: Identifier | None = Field(default=None, description="id of the result this one updates")
    data_cutoff: str | None = None

    @model_validator(mode="after")
    def _has_value(self) -> Result:
        if self.value is None and not self.value_text:
            raise ValueError("a result needs value or value_text")
        _needs_chinese(self.population, self.population_zh, "population")
        _needs_chinese(self.endpoint_detail, self.endpoint_detail_zh, "endpoint_detail")
        if self.ci_low is not None and self.ci_high is not None and self.ci_low > self.ci_high:
            raise ValueError("ci_low is above ci_high")
        if self.value is not None and self.ci_low is not None and self.value < self.ci_low:
            raise ValueError("value lies below its confidence interval")
        if self.value is not None and self.ci_high is not None and self.value > self.ci_high:
            raise ValueError("value lies above its confidence interval")
        hr, low, high = self.hazard_ratio, self.hr_ci_low, self.hr_ci_high
        if hr is not None and low is not None and high is not None and not low <= hr <= high:
            raise ValueError("hazard ratio lies outside its confidence interval")
        return self


def _needs_chinese(english: str, chinese: str, name: str) -> None:
    """Text the reports show has its Chinese beside it (`<name>_zh`, as drugs have `name_zh`): a Chinese
    report must never fall back to English or leave the fact out."""
    if english.strip() and not chinese.strip():
        raise ValueError(f"{name} has no Chinese: add {name}_zh")
    if chinese.strip() and not english.strip():
        raise ValueError(f"{name}_zh without {name}")
    if chinese.strip() and not _CJK.search(chinese):
        raise ValueError(f"{name}_zh has no Chinese character")


_CJK = re.compile(r"[\u4e00-\u9fff]")


class Arm(Strict):
    id: Identifier
    regimen: list[DrugId] = Field(default_factory=list)
    n: int | None = Field(default=None, ge=0)
    description: str = ""
    description_zh: str = Field(default="", description="the description in Chinese; required with `description`")

    @model_validator(mode="after")
    def _chinese(self) -> Arm:
        _needs_chinese(self.description, self.description_zh, "description")
        return self


class Trial(Strict):
    id: Identifier
    name: str
    name_zh: str = Field(min_length=1, description="the name in Chinese as a Chinese report shows it (an acronym "
                                                   "such as ALEX stays as it is)")
    aliases: list[str] = Field(default_factory=list)
    nct: str | None = Field(default=None, pattern=r"^NCT\d{8}$")
    phase: str = Field(
        pattern=r"^(preclinical|phase_1|phase_1b|phase_1_2|phase_2|phase_3|retrospective|prospective_cohort"
        r"|case_report|case_series|real_world|pooled|meta_analysis)$"
    )
    setting: str = Field(description="first_line, after_crizotinib, after_2nd_gen_tki, ...")
    population: str = ""
    population_zh: str = Field(default="", description="the population in Chinese; required with `population`")
    arms: list[Arm] = Field(min_length=1)
    results: list[Result] = Field(default_factory=list)
    safety_notes: list[str] = Field(default_factory=list)
    refs: list[RefId] = Field(min_length=1)
    checked: Checked


    @model_validator(mode="after")
    def _chinese(self) -> Trial:
        _needs_chinese(self.population, self.population_zh, "population")
        return self


class TrialFile(Strict):
    trials: list[Trial]


# --------------------------------------------------------------------------- evidence levels


class EvidenceLevelDef(Strict):
    id: Identifier
    label: Lang
    description: Lang
    clinical: bool
    escat: str
    oncokb_sensitivity: str
    oncokb_resistance: str


class EvidenceScheme(Strict):
    scheme: str
    description: Lang
    levels: list[EvidenceLevelDef]
    refs: list[RefId] = Field(min_length=1)
    checked: Checked


# --------------------------------------------------------------------------- mutations


class DrugCall(Cited):
    drug: DrugId
    call: Call
    evidence_type: EvidenceType
    level: Identifier
    ic50_nm: float | None = Field(default=None, gt=0)
    ic50_wt_nm: float | None = Field(default=None, gt=0, description="IC50 of the non-mutant fusion in the same assay")
    assay: str = ""
    note: str = ""
    extrapolated: bool = Field(
        default=False, description="inferred from another allele, residue or drug, not measured for this pair")
    resensitises: bool = Field(
        default=False, description="this mutation restores sensitivity to a drug the tumour progressed on "
                                   "(e.g. L1198F x crizotinib); only such a call lets a failed drug lead")


class Frequency(Cited):
    after: str = Field(description="drug id, 'crizotinib', 'second_generation', 'lorlatinib', ...")
    value_text: str
    value: float | None = Field(default=None, ge=0, le=100, description="percent")
    n: int | None = Field(default=None, ge=0)
    sample: str = ""


class Mutation(Strict):
    id: Identifier
    kind: MutationKind
    components: list[Identifier] = Field(default_factory=list, description="for compounds: the single mutations")
    aliases: list[str] = Field(default_factory=list)
    codon: int | None = Field(default=None, ge=1, le=1620)
    ref_aa: str | None = Field(default=None, pattern=r"^[ACDEFGHIKLMNPQRSTVWY]$")
    region: str = ""
    region_zh: str = ""
    description: Lang | None = None
    frequencies: list[Frequency] = Field(default_factory=list)
    calls: list[DrugCall] = Field(default_factory=list)
    refs: list[RefId] = Field(min_length=1)
    checked: Checked

    @model_validator(mode="after")
    def _compound_has_parts(self) -> Mutation:
        if self.kind is MutationKind.compound and len(self.components) < 2:
            raise ValueError("a compound mutation needs two or more components")
        if self.kind is not MutationKind.compound and self.components:
            raise ValueError("only compound mutations have components")
        return self


class MutationFile(Strict):
    mutations: list[Mutation]


# --------------------------------------------------------------------------- fusions


class FusionVariant(Cited):
    id: Identifier
    name: str
    aliases: list[str] = Field(default_factory=list)
    partner: str
    partner_exon: int = Field(ge=1)
    partner_exon_note: str = ""
    alk_exon: int = Field(ge=1, le=29)
    short_or_long: str = Field(default="unknown", pattern=r"^(short|long|unknown)$")
    frequency_text: str = ""
    outcome_notes: list[str] = Field(default_factory=list)


class FusionPartner(Cited):
    gene: str
    name_zh: str = ""
    note: str = ""


class VariantFinding(Cited):
    id: Identifier
    variants: list[Identifier]
    statement: Lang
    evidence_type: EvidenceType


class FusionFile(Strict):
    variants: list[FusionVariant]
    partners: list[FusionPartner]
    findings: list[VariantFinding] = Field(default_factory=list)


# --------------------------------------------------------------------------- mechanisms


class Mechanism(Cited):
    id: Identifier
    name: Lang
    mechanism_class: MechanismClass
    gene: str | None = None
    description: Lang
    frequencies: list[Frequency] = Field(default_factory=list)
    suggested_tests: list[Lang] = Field(default_factory=list)
    evidence_type: EvidenceType


class MechanismFile(Strict):
    mechanisms: list[Mechanism]


# --------------------------------------------------------------------------- strategies


class Strategy(Cited):
    id: Identifier
    name: Lang
    kind: str = Field(
        pattern=r"^(combination|local_therapy|sequencing|chemotherapy|chemoimmunotherapy|safety_signal|rechallenge)$"
    )
    regimen: list[DrugId] = Field(default_factory=list)
    setting: str
    evidence_type: EvidenceType
    level: Identifier
    summary: Lang
    trials: list[Identifier] = Field(default_factory=list)
    safety_signals: list[Lang] = Field(default_factory=list)


class StrategyFile(Strict):
    strategies: list[Strategy]


# --------------------------------------------------------------------------- errata


class Erratum(Cited):
    id: Identifier
    location: str = Field(description="where in the seed review: section, table, reference number")
    seed_says: str
    correction: str
    category: str = Field(pattern=r"^(spelling|mutation_name|alias|figure|citation|claim|identifier|other)$")
    kb_fields: list[str] = Field(default_factory=list, description="knowledge ids that hold the corrected fact")


class ErrataFile(Strict):
    errata: list[Erratum]


# --------------------------------------------------------------------------- transcript model


class Exon(Strict):
    exon: int = Field(ge=1)
    start: int = Field(ge=1)
    end: int = Field(ge=1)
    cds_start: int | None = None
    cds_end: int | None = None
    c_first: int | None = None
    c_last: int | None = None


class BuildModel(Strict):
    build: str = Field(pattern=r"^GRCh3[78]$")
    chrom: str
    strand: str = Field(pattern=r"^[+-]$")
    exons: list[Exon]


class PartnerExons(Strict):
    gene: str
    transcript: str
    chrom: str | None = None
    strand: str = Field(pattern=r"^[+-]$")
    builds: dict[str, list[Exon]]


class TranscriptModel(Cited):
    gene: str
    transcript: str
    refseq: str
    protein: str
    cds_length: int
    protein_length: int
    builds: list[BuildModel]
    kinase_cds: dict[str, str | int] = Field(description="c_start, c_end, first_codon, last_codon, sequence")
    hotspot_ref_aa: dict[str, str] = Field(default_factory=dict, description="codon -> reference amino acid")
    partners: list[PartnerExons] = Field(default_factory=list)


class TranscriptFile(Strict):
    alk: TranscriptModel


# --------------------------------------------------------------------------- manifest


class Manifest(Strict):
    name: str
    version: str
    date: str = Field(pattern=DATE, description="release date of this knowledge base")
    seed: str
    files: dict[str, str | list[str]]
    checked_on: dict[str, Annotated[str, StringConstraints(pattern=DATE)]] = Field(
        default_factory=dict,
        description="knowledge file (path as under files) -> the day its facts were last checked, for facts "
                    "without their own checked.date")


# --------------------------------------------------------------------------- regimens and rules


class Regimen(Cited):
    """A non-monotherapy option (single ALK TKIs and trial drugs come from drugs.yaml)."""

    id: Identifier
    name: Lang
    name_with_tki: Lang | None = Field(
        default=None, description="the name once the template's TKI is known, with {tki} where the drug goes "
                                  "(e.g. 'continuing {tki}'); without it the TKI is appended as ' + drug'")
    category: Category
    drugs: list[DrugId] = Field(default_factory=list)
    template: Template = Template.fixed
    always_candidate: bool = Field(default=False, description="considered for every case, not only when offered")
    trials: list[Identifier] = Field(
        default_factory=list, description="cohorts for the expected-efficacy figure: 'trial' or 'trial.arm'")
    level: Identifier
    approvals: list[Approval] = Field(
        default_factory=list,
        description="approvals of this combination as a whole (a label indicating these drugs together). An "
                    "option joining an ALK TKI to other drugs is off-label in a region without one, whatever the "
                    "single drugs' approvals")

    @model_validator(mode="after")
    def _tki_slot(self) -> Regimen:
        if self.name_with_tki is not None:
            if self.template is Template.fixed:
                raise ValueError("name_with_tki needs a template that adds a TKI (plus_current_tki or plus_best_tki)")
            if "{tki}" not in self.name_with_tki.en or "{tki}" not in self.name_with_tki.zh:
                raise ValueError("name_with_tki must say where the TKI goes with {tki}, in en and zh")
        return self


class RegimenFile(Strict):
    regimens: list[Regimen]


class Predicate(Strict):
    """All conditions given must hold. Case conditions read the patient; candidate_* read the option."""

    status_in: list[str] | None = None
    line: str | None = Field(default=None, pattern=r"^(first|later)$")
    last_tki_in: list[DrugId] | None = None
    last_tki_generation_in: list[int] | None = None
    last_tki_completed: bool | None = Field(default=None, description="the last ALK TKI was stopped_for: completed "
                                                                      "(e.g. adjuvant), not for progression")
    prior_drug_any: list[DrugId] | None = None
    prior_drug_none: list[DrugId] | None = Field(default=None, description="none of these drugs is in the history")
    prior_ici: bool | None = None
    cns: bool | None = None
    leptomeningeal: bool | None = None
    cns_symptomatic: bool | None = Field(default=None, description="current.cns.symptomatic")
    stage_group_in: list[str] | None = Field(
        default=None, description="early (stage I-II) | locally_advanced (III) | metastatic (IV), read from "
                                  "diagnosis.stage; a missing or unreadable stage matches nothing")
    transformed: bool | None = Field(default=None, description="a re-biopsy shows a new histology")
    prior_toxicity_any: list[str] | None = Field(default=None, description="words in history[].toxicity")
    pattern_in: list[str] | None = None
    comorbidity_any: list[str] | None = None
    alteration_any: list[str] | None = Field(default=None, description="glob on normalised alterations")
    alk_mutation: bool | None = None
    unphased_alk_mutations: bool | None = None
    compound_mutation: bool | None = None
    unrecognized_alteration: bool | None = None
    mechanism_found: bool | None = None
    histology_now_in: list[str] | None = None
    histology_any_in: list[str] | None = Field(
        default=None, description="the histology now: a re-biopsy's if it shows one, else the diagnosis's")
    fusion_variant_in: list[str] | None = None
    variant_label_mismatch: bool | None = None
    ecog_at_least: int | None = None
    first_tki_progressed_within_months: float | None = None
    biopsy_sample_in: list[str] | None = None
    region_in: list[str] | None = None
    no_approved_tki_covers_all_clones: bool | None = Field(
        default=None, description="every approved ALK TKI is called resistant to at least one clone")
    no_approved_tki_known_to_cover: bool | None = Field(
        default=None, description="no approved ALK TKI has curated calls covering every clone (unknown counts)")
    pregnant: bool | None = Field(default=None, description="comorbidity pregnancy or clinical.pregnancy_weeks")
    breastfeeding: bool | None = None
    child_pugh_in: list[str] | None = None
    creatinine_clearance_below: float | None = None
    heart_rate_below: int | None = None
    age_at_least: int | None = None
    medication_class_any: list[str] | None = Field(default=None, description="interaction classes of the "
                                                                            "concomitant medications")
    unknown_medication: bool | None = None
    unknown_comorbidity: bool | None = None
    unknown_toxicity: bool | None = None
    alk_diagnosis_any: list[str] | None = Field(
        default=None, description="ihc_only | fish_only | plasma_only | dna_only | discordant")
    plausibility_any: list[str] | None = Field(
        default=None, description="mutation_without_prior_tki | cns_only_without_cns_disease | "
                                  "response_inconsistent | implausible_duration")
    current_toxicity_any: list[str] | None = Field(
        default=None, description="toxicity codes (safety vocabulary) that ended the last regimen")
    current_toxicity_class_shared: bool | None = None
    candidate_drug_any: list[DrugId] | None = None
    candidate_category_in: list[Category] | None = None
    candidate_generation_in: list[int] | None = None
    candidate_not_earlier_generation: bool | None = Field(
        default=None, description="no ALK TKI in the option is of an earlier generation than the last TKI given")
    candidate_coverage_in: list[str] | None = Field(
        default=None, description="all_sensitive | some_intermediate | some_resistant | some_unknown | no_mutation"
    )
    candidate_cns_in: list[str] | None = None
    candidate_call_evidence_in: list[str] | None = Field(
        default=None, description="weakest evidence type among the option's mutation calls: clinical, preclinical, "
                                  "computational")
    candidate_approved_in_region: bool | None = None
    candidate_investigational: bool | None = None
    candidate_received_before: bool | None = None
    candidate_is_current_tki: bool | None = None
    candidate_failed_before: bool | None = Field(
        default=None, description="a single ALK-directed option whose drug the tumour progressed on")
    candidate_class_any: list[str] | None = Field(default=None, description="drug classes in the option")
    candidate_continues_current_tki: bool | None = Field(
        default=None, description="the option keeps the ALK TKI the patient is on (alone or combined)")


class Warning_(Strict):
    code: Identifier
    severity: Severity
    message: Lang


class SuggestedTest(Strict):
    test: Lang
    why: Lang


class Effect(Strict):
    score: int = 0
    exclude: bool = False
    offer: list[Identifier] = Field(default_factory=list, description="regimen ids to add as candidates")
    warning: Warning_ | None = None
    test: SuggestedTest | None = None
    level: Identifier | None = Field(default=None, description="evidence level this rule lends the option")


class Rule(Cited):
    id: Identifier
    description: Lang
    when: Predicate
    then: Effect


class RuleFile(Strict):
    rules: list[Rule]


# --------------------------------------------------------------------------- safety: labels, medicines, vocabulary


class PopulationWhen(Strict):
    """All conditions given must hold (read from patient, clinical and comorbidities)."""

    child_pugh_in: list[str] | None = None
    creatinine_clearance_below: float | None = None
    pregnancy: bool | None = None
    breastfeeding: bool | None = None
    sex_in: list[str] | None = None
    age_at_least: int | None = None
    ecog_at_least: int | None = None
    heart_rate_below: int | None = None
    comorbidity_any: list[str] | None = None
    region_in: list[Region] | None = Field(
        default=None, description="only where this region's label applies (e.g. a contraindication in one "
                                  "country's label); never used alone")

    @model_validator(mode="after")
    def _region_not_alone(self) -> PopulationWhen:
        if self.region_in is not None and not any(
                getattr(self, k) is not None for k in type(self).model_fields if k != "region_in"):
            raise ValueError("region_in narrows another condition; it cannot be the only one")
        return self


class RegionalDose(Cited):
    regions: list[Region] = Field(min_length=1)
    text: Lang


class DoseLevels(Cited):
    text: Lang = Field(description="the label's reduction steps, e.g. 100 mg -> 75 mg -> 50 mg")


class Monitoring(Cited):
    id: Identifier
    test: Lang = Field(description="plain words a clinician orders, e.g. 'lipid panel'")
    schedule: Lang
    why: Lang | None = None


class InteractionEffect(Cited):
    interaction_class: Identifier = Field(description="an id from medicines.yaml interaction_classes")
    action: Action
    message: Lang


class PopulationEffect(Cited):
    id: Identifier
    when: PopulationWhen
    action: Action
    message: Lang


class ToxicityAdvice(Cited):
    toxicity: Identifier = Field(description="an id from safety toxicity_codes")
    min_grade: int = Field(default=1, ge=1, le=5)
    rechallenge: Rechallenge
    message: Lang


class DrugSafety(Strict, KeyedByDrugMixin):
    drug: DrugId
    doses: list[RegionalDose] = Field(default_factory=list)
    dose_levels: DoseLevels | None = None
    monitoring: list[Monitoring] = Field(default_factory=list)
    interactions: list[InteractionEffect] = Field(default_factory=list)
    populations: list[PopulationEffect] = Field(default_factory=list)
    toxicities: list[ToxicityAdvice] = Field(default_factory=list)


class ToxicityCode(Cited):
    id: Identifier
    name: Lang
    aliases: list[str] = Field(default_factory=list)
    class_shared: bool = Field(description="common to ALK TKIs as a class: switching TKI may not remove it")
    note: Lang | None = None


class WorkupItem(Cited):
    """A test every ALK-positive patient needs at this point, whatever the option."""

    id: Identifier
    test: Lang
    why: Lang
    status_in: list[str] = Field(default_factory=list,
                                 description="treatment_naive | progression | toxicity; empty = all")
    sex_in: list[str] = Field(default_factory=list,
                              description="F | M | other: only for these sexes; empty = all. A case without a "
                                          "recorded sex always gets the item")


class VocabCode(Strict):
    id: Identifier
    name: Lang
    aliases: list[str] = Field(default_factory=list)


class Limit(Cited):
    """A threshold or ranking weight, kept as data so a clinician can read and change it."""

    id: LimitId
    value: float
    unit: str = Field(min_length=1)
    description: Lang


class SafetyFile(Strict):
    labels: list[DrugSafety] = Field(default_factory=list)
    limits: list[Limit] = Field(default_factory=list)
    toxicity_codes: list[ToxicityCode] = Field(default_factory=list)
    workup: list[WorkupItem] = Field(default_factory=list)
    comorbidity_codes: list[VocabCode] = Field(default_factory=list)


class InteractionClass(Cited):
    id: Identifier
    name: Lang
    description: Lang | None = None


class Medicine(Cited):
    """A non-anticancer medicine a patient may take, with the interaction classes it belongs to."""

    id: Identifier
    names: list[str] = Field(default_factory=list, description="brands, other spellings, Chinese names")
    classes: list[Identifier] = Field(min_length=1)
    substitute: Lang | None = Field(
        default=None, description="what can usually replace this medicine without the interaction (e.g. an "
                                  "antiepileptic that induces no CYP3A). When set, a label contraindication of the "
                                  "combination asks for the switch instead of excluding the cancer drug")


class DrugInteractionClasses(Cited, KeyedByDrugMixin):
    """The interaction classes an anticancer drug belongs to as a perpetrator (e.g. lorlatinib, a moderate
    CYP3A inducer), from its own label: the engine applies the other drugs' label interaction items of these
    classes to options that give both drugs together. A drug not listed, or a class not listed, is unknown
    (not read), never 'no interaction'."""

    drug: DrugId
    classes: list[Identifier] = Field(min_length=1)


class MedicineFile(Strict):
    interaction_classes: list[InteractionClass] = Field(default_factory=list)
    medicines: list[Medicine] = Field(default_factory=list)
    drug_classes: list[DrugInteractionClasses] = Field(
        default_factory=list, description="anticancer drugs as perpetrators of interaction classes, for "
                                          "interactions between the drugs of one regimen")


# --------------------------------------------------------------------------- genes


class Gene(Cited):
    """A gene alknav may name in an alteration: its protein length bounds plausible residues."""

    id: Identifier = Field(description="HGNC symbol")
    protein_length: int = Field(ge=1, le=40000)
    uniprot: str = Field(pattern=r"^[A-Z0-9]{6,10}$")
    hgnc: str | None = Field(default=None, pattern=r"^HGNC:\d+$", description="HGNC id, for exchange formats")


class GeneFile(Strict):
    genes: list[Gene]
