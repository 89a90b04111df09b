"""GA4GH Phenopacket v2 (JSON) -> the same Case as a case file.

Parsed and checked with the `phenopackets` package (protobuf schema). Mapped: subject sex and
age, the lung-cancer disease (histology, stage), ALK fusion and other variants from the
interpretations, drug treatments in medicalActions (in order, with response and reason stopped).
Everything else that carries clinical content is listed in ``case.unmapped`` so the output can say
what was not used.
"""

from __future__ import annotations

import re
from typing import Any

from alknav.errors import CaseError

_RESPONSE = {"complete": "CR", "partial": "PR", "stable": "SD", "progressive": "PD", "progression": "PD"}
_STOP = {"progress": "progression", "toxic": "toxicity", "adverse": "toxicity", "complet": "completed"}
_HISTOLOGY = {"adenocarcinoma": "adenocarcinoma", "squamous": "squamous", "adenosquamous": "adenosquamous",
              "large cell": "large_cell"}


def _parse(data: dict[str, Any], source: str) -> Any:
    from google.protobuf.json_format import ParseDict, ParseError
    from phenopackets import Phenopacket

    try:
        return ParseDict(data, Phenopacket(), ignore_unknown_fields=False)
    except ParseError as exc:
        raise CaseError("phenopacket", f"{source}: not a valid Phenopacket v2: {exc}", "phenopacket_invalid",
                        {"source": source, "detail": exc}) from None


def _age(iso: str) -> int | None:
    # at most three digits: a longer "age" is no age (and int() of thousands of digits fails)
    m = re.match(r"^P(\d{1,3})Y", iso or "")
    return int(m.group(1)) if m else None


def _variant_strings(vd: Any) -> list[str]:
    """Alteration strings a case file would carry for one VariationDescriptor."""
    gene = vd.gene_context.symbol if vd.HasField("gene_context") else ""
    label = vd.label or ""
    for expr in vd.expressions:
        if expr.syntax in ("hgvs.p", "hgvs.c", "hgvs", "hgvs.g"):
            return [expr.value if ":" in expr.value else f"{gene} {expr.value}".strip()]
    if label:
        return [label if not gene or label.upper().startswith(gene.upper()) else f"{gene} {label}"]
    return []


def case_data_from_phenopacket(data: dict[str, Any], source: str = "phenopacket") -> dict[str, Any]:
    """A Phenopacket v2 -> case data in the contract's shape; the case reader validates it."""
    pp = _parse(data, source)
    unmapped: list[str] = []
    patient: dict[str, Any] = {}
    if pp.HasField("subject"):
        if pp.subject.HasField("vital_status") and pp.subject.vital_status.status == 2:  # DECEASED
            raise CaseError("subject.vitalStatus", f"{source}: the subject is recorded as deceased; there is no "
                                                   "next treatment to recommend", "deceased", {"source": source})
        sex = {1: "F", 2: "M", 3: "other"}.get(pp.subject.sex)
        if sex:
            patient["sex"] = sex
        if pp.subject.HasField("time_at_last_encounter"):
            age = _age(pp.subject.time_at_last_encounter.age.iso8601duration)
            if age is not None:
                patient["age"] = age
    diagnosis: dict[str, Any] = {}
    for disease in pp.diseases:
        label = disease.term.label.lower()
        if disease.excluded:  # a disease ruled out is not a diagnosis
            unmapped.append(f"disease '{disease.term.label}' marked excluded (ruled out): not used")
            continue
        if "lung" not in label and "nsclc" not in label:
            unmapped.append(f"disease '{disease.term.label}'")
            continue
        for word, value in _HISTOLOGY.items():
            if word in label:
                diagnosis["histology"] = value
        stages = [s.label for s in disease.disease_stage]
        if stages:
            diagnosis["stage"] = re.sub(r"(?i)^stage\s*", "", stages[0])
    alterations: list[str] = []
    fusion: str | None = None
    for interp in pp.interpretations:
        for gi in interp.diagnosis.genomic_interpretations:
            status = gi.interpretation_status  # 1 REJECTED, 2 CANDIDATE, 3 CONTRIBUTORY, 4 CAUSATIVE
            if status == 1:
                unmapped.append(f"genomic interpretation of '{gi.subject_or_biosample_id}' marked REJECTED: not used")
                continue
            if not gi.HasField("variant_interpretation"):
                unmapped.append(f"genomic interpretation of '{gi.subject_or_biosample_id}' without a variant")
                continue
            vd = gi.variant_interpretation.variation_descriptor
            texts = _variant_strings(vd)
            if not texts:
                syntaxes = sorted({e.syntax for e in vd.expressions})
                why = (f"its expressions ({', '.join(syntaxes)}) are not read; give hgvs.p or hgvs.c"
                       if syntaxes else "no label or HGVS expression")
                unmapped.append(f"variant '{vd.id}': {why}")
                continue
            text = texts[0]
            if re.search(r"ALK", text) and re.search(r"(fusion|rearrang|-ALK|::ALK)", text, re.I):
                fusion = re.sub(r"\s*(fusion|rearrangement)$", "", text, flags=re.I).replace("::", "-")
            else:
                alterations.append(text)
    history: list[dict[str, Any]] = []
    for action in pp.medical_actions:
        if not action.HasField("treatment"):
            kind = action.WhichOneof("action") or "action"
            unmapped.append(f"medical action of type {kind}")
            continue
        entry: dict[str, Any] = {"regimen": [action.treatment.agent.label or action.treatment.agent.id]}
        resp = action.response_to_treatment.label.lower()
        for word, code in _RESPONSE.items():
            if word in resp:
                entry["best_response"] = code
        stop = action.treatment_termination_reason.label.lower()
        for word, code in _STOP.items():
            if word in stop:
                entry["stopped_for"] = code
        history.append(entry)
    if pp.phenotypic_features:
        unmapped.append(f"{len(pp.phenotypic_features)} phenotypic feature(s)")
    if pp.measurements:
        unmapped.append(f"{len(pp.measurements)} measurement(s)")
    if fusion is None:
        raise CaseError("diagnosis.alk", f"{source}: the phenopacket names no ALK fusion or rearrangement",
                        "phenopacket_no_alk", {"source": source})
    diagnosis["alk"] = {"fusion": fusion}
    return {
        "case_format": 1, "id": pp.id or None, "patient": patient, "diagnosis": diagnosis, "history": history,
        "current": {"status": "progression" if history else "treatment_naive", "alterations": alterations},
        "unmapped": unmapped,
    }
