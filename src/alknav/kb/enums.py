"""The knowledge base's fixed vocabularies (StrEnums) and constants, without pydantic.

They live apart from the pydantic schemas (alknav.kb.schema, which re-exports every name here) so that
code reading a loaded knowledge base (the recommend path, the compiled cache's plain objects in
alknav.kb.plain) needs neither pydantic's model machinery nor the schema classes: an enum member read
from a cached knowledge base is the very object the schema validated into.
"""

from __future__ import annotations

from enum import StrEnum


class Basis(StrEnum):
    """How a claim was checked, strongest first."""

    primary_full_text = "primary_full_text"  # the primary paper's full text was read
    primary_abstract = "primary_abstract"  # only the primary paper's abstract was read
    drug_label = "drug_label"  # a regulator's label / approval record was read
    regulatory_record = "regulatory_record"  # regulator announcement, approval database
    trial_registry = "trial_registry"  # ClinicalTrials.gov or similar registry record
    peer_kb = "peer_kb"  # an open knowledge base (CIViC, CGI, MOAlmanac) row was read
    secondary_review = "secondary_review"  # rests on a review other than the seed
    news_or_web = "news_or_web"  # rests on a news item, press release or web page (not peer reviewed)
    seed_review = "seed_review"  # rests only on the seed review (Dong & Peng 2025)
    reference_data = "reference_data"  # coordinate / sequence facts from shared/reference


class ReadLevel(StrEnum):
    full_text = "full_text"
    abstract = "abstract"
    title_only = "title_only"
    label = "label"
    registry = "registry"
    not_read = "not_read"


class Region(StrEnum):
    CN = "CN"
    US = "US"
    EU = "EU"
    JP = "JP"


class ApprovalStatus(StrEnum):
    approved = "approved"
    not_approved = "not_approved"
    investigational = "investigational"
    withdrawn = "withdrawn"
    unknown = "unknown"


class Level3(StrEnum):
    high = "high"
    moderate = "moderate"
    low = "low"
    unknown = "unknown"


class YesNo(StrEnum):
    yes = "yes"
    no = "no"
    unknown = "unknown"


class DrugClass(StrEnum):
    alk_tki = "alk_tki"
    chemotherapy = "chemotherapy"
    antiangiogenic = "antiangiogenic"
    immune_checkpoint_inhibitor = "immune_checkpoint_inhibitor"
    met_inhibitor = "met_inhibitor"
    cdk46_inhibitor = "cdk46_inhibitor"
    trk_inhibitor = "trk_inhibitor"
    other_kinase_inhibitor = "other_kinase_inhibitor"
    other = "other"


class TrialStatus(StrEnum):
    """ClinicalTrials.gov overall status, as recorded on `as_of`."""

    recruiting = "recruiting"
    not_yet_recruiting = "not_yet_recruiting"
    enrolling_by_invitation = "enrolling_by_invitation"
    expanded_access = "expanded_access"
    active_not_recruiting = "active_not_recruiting"
    completed = "completed"
    terminated = "terminated"
    withdrawn = "withdrawn"
    suspended = "suspended"
    unknown = "unknown"


OPEN_TRIAL_STATUSES = frozenset({TrialStatus.recruiting, TrialStatus.not_yet_recruiting,
                                 TrialStatus.enrolling_by_invitation, TrialStatus.expanded_access})


class Endpoint(StrEnum):
    PFS = "PFS"
    OS = "OS"
    ORR = "ORR"
    iORR = "iORR"
    DCR = "DCR"
    iPFS = "iPFS"
    PFS2 = "PFS2"
    TTD = "TTD"
    DOR = "DOR"
    OS_rate = "OS_rate"
    PFS_rate = "PFS_rate"
    CNS_progression = "CNS_progression"
    AE_rate = "AE_rate"
    discontinuation_rate = "discontinuation_rate"
    other = "other"


class Unit(StrEnum):
    months = "months"
    percent = "percent"
    count = "count"  # type: ignore[assignment]  # shadows str.count; the value is what matters
    ratio = "ratio"


class Call(StrEnum):
    sensitive = "sensitive"
    intermediate = "intermediate"
    resistant = "resistant"
    unknown = "unknown"


class EvidenceType(StrEnum):
    clinical = "clinical"
    preclinical = "preclinical"
    computational = "computational"


class MutationKind(StrEnum):
    substitution = "substitution"
    insertion = "insertion"
    deletion = "deletion"
    compound = "compound"


class MechanismClass(StrEnum):
    alk_dependent = "alk_dependent"
    alk_independent = "alk_independent"
    primary = "primary"
    pharmacologic = "pharmacologic"
    definition = "definition"


class Category(StrEnum):
    alk_tki = "alk_tki"
    alk_tki_combination = "alk_tki_combination"
    chemotherapy = "chemotherapy"
    chemoimmunotherapy = "chemoimmunotherapy"
    local_therapy = "local_therapy"
    clinical_trial = "clinical_trial"
    best_supportive_care = "best_supportive_care"


class Template(StrEnum):
    fixed = "fixed"  # exactly `drugs`
    plus_current_tki = "plus_current_tki"  # `drugs` + the ALK TKI the patient is on now (continued)
    plus_best_tki = "plus_best_tki"  # `drugs` + the ALK TKI that best covers the tumour's ALK mutations


class Severity(StrEnum):
    info = "info"
    caution = "caution"
    warning = "warning"
    contraindication = "contraindication"


class Action(StrEnum):
    """What a label finding asks of the prescriber, strongest first."""

    contraindicated = "contraindicated"  # the label forbids it: the option is excluded
    avoid = "avoid"  # the label says avoid: the option is ranked down and warned
    reduce_dose = "reduce_dose"  # give at a lower dose the label states
    monitor = "monitor"  # give, with the monitoring the label states
    caution = "caution"  # a precaution the prescriber must read
    no_adjustment = "no_adjustment"  # the label says no change is needed
    no_data = "no_data"  # the label says it was not studied


class Rechallenge(StrEnum):
    forbidden = "forbidden"  # permanently discontinue: never re-offer this drug
    reduced_dose = "reduced_dose"  # resume at a lower dose after recovery
    same_dose = "same_dose"
    no_data = "no_data"


class LimitId(StrEnum):
    """The numbers the engine reads from the knowledge base instead of code (see safety/limits.yaml)."""

    assumed_toxicity_grade = "assumed_toxicity_grade"
    best_response_pd_max_months = "best_response_pd_max_months"
    trial_use_before_approval_months = "trial_use_before_approval_months"
    score_avoid = "score_avoid"
    score_avoid_within_regimen = "score_avoid_within_regimen"
    score_reduce_dose = "score_reduce_dose"
    score_no_data = "score_no_data"
