"""A recommendation as a FHIR R4 Bundle, shaped after the HL7 Genomics Reporting IG (STU3, 3.0.0).

``to_fhir(case, result, kb)`` returns a Bundle (type ``collection``) holding:

- one DiagnosticReport (profile ``genomic-report``; code LOINC 81247-9 "Master HL7 genetic variant
  reporting panel", plus 51969-4 "Genetic analysis report" that STU3 fixes); ``conclusion`` is the
  disclaimer followed by the top option; alterations that could not be coded as variants (unreadable
  strings, histologic transformation) are reported as ``genomic-report-note`` extensions;
- one Patient with only an id (the case id, made FHIR-safe), gender and age when given; no names;
- one Variant Observation (LOINC 69548-6) per recognised genomic alteration, plus one for the ALK
  fusion of the diagnosis: protein changes carry a pHGVS component (48005-3, system varnomen.hgvs.org,
  on the ALK protein accession of the knowledge base), fusions and amplifications carry the DNA change
  type (48019-4, Sequence Ontology), copy numbers 82155-3;
- one Therapeutic Implication Observation per option among the first five: medication assessed
  (51963-7; INN text, RxNorm only where listed below), level of evidence (93044-6, as text), the
  per-clone calls (51961-1, as text), the rationale (conclusion-string), citations as
  ``workflow-relatedArtifact`` extensions, derivedFrom every variant Observation.

Ids and ``urn:uuid`` full URLs are hashes of each resource's content, so the same case and result
give the same bundle byte for byte. ``validate_fhir(bundle)`` parses the bundle with the R4B models of
``fhir.resources`` (R4B shares these resources with R4) and checks what those models leave open:
required code values, resolvable references, and the profile shapes this module promises.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

from alknav.errors import AlknavError
from alknav.inputs.alterations import parse_alteration
from alknav.inputs.case_model import Case
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.kb.query import split_cite
from alknav.outputs.render import Option, RenderedResult, render_result
from alknav.recommend.result import Result

IG = "http://hl7.org/fhir/uv/genomics-reporting"
PROFILE_REPORT = f"{IG}/StructureDefinition/genomic-report"
PROFILE_VARIANT = f"{IG}/StructureDefinition/variant"
PROFILE_IMPLICATION = f"{IG}/StructureDefinition/therapeutic-implication"
EXT_REPORT_NOTE = f"{IG}/StructureDefinition/genomic-report-note"
EXT_RELATED_ARTIFACT = "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact"
EXT_AGE = "urn:alknav:fhir:StructureDefinition:age-in-years"  # local: R4 Patient has no age element

LOINC = "http://loinc.org"
SO = "http://sequenceontology.org"
HGVS = "http://varnomen.hgvs.org"
HGNC = "http://www.genenames.org/geneId"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
TBD = f"{IG}/CodeSystem/tbd-codes-cs"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"

TOP_OPTIONS = 5

# HGNC ids and RxNorm codes are knowledge data (genes.yaml `hgnc`, drugs.yaml `codes`); a gene or drug
# without one is sent as text rather than with a code nobody confirmed.

_THREE = {"A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu", "G": "Gly",
          "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe", "P": "Pro", "S": "Ser",
          "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val", "*": "Ter"}

_WORDS = {"en": {"top": "Top option", "level": "evidence level", "none": "No option could be ranked.",
                 "rank": "Rank", "not_coded": "Not coded as a variant", "unread": "not interpreted"},
          "zh": {"top": "首选方案", "level": "证据等级", "none": "未能给出排序方案。", "rank": "排序",
                 "not_coded": "未作为变异编码", "unread": "无法解读"}}

_OBS_STATUS = frozenset({"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                         "entered-in-error", "unknown"})
_REPORT_STATUS = _OBS_STATUS | {"partial", "appended"}
_BUNDLE_TYPES = frozenset({"document", "message", "transaction", "transaction-response", "batch",
                           "batch-response", "history", "searchset", "collection"})
_GENDERS = frozenset({"male", "female", "other", "unknown"})
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class FhirValidationError(AlknavError, ValueError):
    """A bundle that is not valid FHIR R4 (or not the shape alknav promises); ``problems`` lists each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"invalid FHIR bundle: {problems[0]}{more}" if problems else "invalid FHIR bundle")


# --------------------------------------------------------------------------- small builders


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [_coding(system, code, display)]}
    if text:
        out["text"] = text
    return out


def _component(system: str, code: str, display: str | None, **value: Any) -> dict[str, Any]:
    return {"code": _concept(system, code, display), **value}


def _categories() -> list[dict[str, Any]]:
    return [_concept(OBS_CATEGORY, "laboratory", "Laboratory"), _concept(V2_0074, "GE", "Genetics")]


def _digest(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _entry(prefix: str, resource: dict[str, Any], rid: str | None = None) -> dict[str, Any]:
    """A bundle entry whose id and urn:uuid come from the resource's content."""
    digest = _digest({"id": rid, **resource} if rid else resource)
    body = {"resourceType": resource["resourceType"], "id": rid or f"{prefix}-{digest[:16]}",
            **{k: v for k, v in resource.items() if k != "resourceType"}}
    return {"fullUrl": f"urn:uuid:{uuid.UUID(hex=digest[:32], version=5)}", "resource": body}


def _ref(entry: dict[str, Any]) -> dict[str, str]:
    return {"reference": entry["fullUrl"]}


def _gene(symbol: str, kb: KnowledgeBase) -> dict[str, Any]:
    known = kb.genes.get(symbol.upper())
    hgnc = known.hgnc if known else None
    if hgnc:
        return _component(LOINC, "48018-6", "Gene studied [ID]", valueCodeableConcept=_concept(HGNC, hgnc, symbol))
    return _component(LOINC, "48018-6", "Gene studied [ID]", valueCodeableConcept={"text": symbol})


def _somatic() -> dict[str, Any]:
    return _component(LOINC, "48002-0", "Genomic source class",
                      valueCodeableConcept=_concept(LOINC, "LA6684-0", "Somatic"))


def _change_type(code: str, display: str) -> dict[str, Any]:
    return _component(LOINC, "48019-4", "DNA change type", valueCodeableConcept=_concept(SO, code, display))


def three_letter(change: str) -> str | None:
    """'G1202R' -> 'Gly1202Arg', 'G1202del' -> 'Gly1202del', 'T1151Tins' -> 'Thr1151dup'; None otherwise."""
    m = re.fullmatch(r"([A-Z])(\d+)([A-Z*])", change)
    if m and m.group(1) in _THREE and m.group(3) in _THREE:
        return f"{_THREE[m.group(1)]}{m.group(2)}{_THREE[m.group(3)]}"
    m = re.fullmatch(r"([A-Z])(\d+)del", change)
    if m and m.group(1) in _THREE:
        return f"{_THREE[m.group(1)]}{m.group(2)}del"
    m = re.fullmatch(r"([A-Z])(\d+)_([A-Z])(\d+)del", change)
    if m and m.group(1) in _THREE and m.group(3) in _THREE:
        return f"{_THREE[m.group(1)]}{m.group(2)}_{_THREE[m.group(3)]}{m.group(4)}del"
    m = re.fullmatch(r"([A-Z])(\d+)\1ins", change)  # the literature's one-residue insertion is a duplication
    if m and m.group(1) in _THREE:
        return f"{_THREE[m.group(1)]}{m.group(2)}dup"
    return None


def _protein_component(gene: str, changes: list[str], kb: KnowledgeBase) -> dict[str, Any]:
    """pHGVS (48005-3). Coded on the ALK protein accession when every change converts; text otherwise."""
    long = [three_letter(c) for c in changes]
    one = changes[0] if len(changes) == 1 else f"[{';'.join(changes)}]"
    text = f"{gene} p.{one}"
    value: dict[str, Any] = {"text": text}
    if gene == "ALK" and all(long):
        body = long[0] if len(long) == 1 else f"[{';'.join(str(x) for x in long)}]"
        code = f"{kb.transcript.protein}:p.{body}"
        value = _concept(HGVS, code, code, text)
    return _component(LOINC, "48005-3", "Amino acid change (pHGVS)", valueCodeableConcept=value)


def _variant(components: list[dict[str, Any]], subject: dict[str, str], note: str | None = None) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation", "meta": {"profile": [PROFILE_VARIANT]}, "status": "final",
        "category": _categories(), "code": _concept(LOINC, "69548-6", "Genetic variant assessment"),
        "subject": subject, "valueCodeableConcept": _concept(LOINC, "LA9633-4", "Present"),
        "component": components,
    }
    if note:
        obs["note"] = [{"text": note}]
    return obs


# --------------------------------------------------------------------------- alterations -> variants


def _fusion_components(gene: str, partner: str | None, kb: KnowledgeBase) -> list[dict[str, Any]]:
    genes = [partner, gene] if partner and partner != gene else [gene]
    return [*(_gene(g, kb) for g in genes), _change_type("SO:0001565", "gene_fusion"), _somatic()]


def _alteration_variants(alt: dict[str, Any], kb: KnowledgeBase) -> list[tuple[list[dict[str, Any]], str]] | None:
    """Variant component lists (with a note text) for one Result alteration; None = not a coded variant."""
    kind, gene = str(alt.get("kind") or ""), str(alt.get("gene") or "")
    label = str(alt.get("normalized") or alt.get("input") or "")
    if not alt.get("recognized") or not gene:
        return None
    changes = [str(c) for c in alt.get("mutations") or []]
    if kind == "alk_compound_mutation" and changes:
        return [([_gene(gene, kb), _protein_component(gene, changes, kb), _somatic()], f"{label} (cis)")]
    if kind in ("alk_kinase_domain_mutation", "bypass_mutation", "other_mutation") and changes:
        return [([_gene(gene, kb), _protein_component(gene, [c], kb), _somatic()], f"{gene} p.{c}") for c in changes]
    if kind in ("alk_amplification", "bypass_amplification"):
        comps = [_gene(gene, kb), _change_type("SO:0001742", "copy_number_gain"), _somatic()]
        if alt.get("copy_number") is not None:
            comps.append(_component(LOINC, "82155-3", "Genomic structural variant copy number",
                                    valueQuantity={"value": alt["copy_number"], "system": UCUM, "code": "1"}))
        return [(comps, label)]
    if kind in ("alk_fusion", "bypass_fusion", "other_fusion"):
        return [(_fusion_components(gene, alt.get("partner"), kb), label)]
    if kind == "met_exon14_skipping":
        consequence = _component(TBD, "molecular-consequence", "Molecular Consequence",
                                 valueCodeableConcept=_concept(SO, "SO:0001572", "exon_loss_variant", label))
        return [([_gene(gene, kb), consequence, _somatic()], label)]
    if kind == "bypass_mutation":  # e.g. a deletion named in words: gene studied, described in the note
        return [([_gene(gene, kb), _somatic()], label)]
    return None


def _diagnosis_variant(case: Case, kb: KnowledgeBase) -> tuple[list[dict[str, Any]], str]:
    alk = case.diagnosis.alk
    fusion = (alk.fusion if alk else None) or "ALK rearrangement"
    parsed = parse_alteration(fusion, kb)
    partner = parsed.partner if parsed.recognized and parsed.kind == "alk_fusion" else None
    note = f"{fusion} (diagnosis)"
    if alk and alk.variant:
        note += f"; variant {alk.variant}"
    return _fusion_components("ALK", partner, kb), note


# --------------------------------------------------------------------------- options -> implications


def _medication(drug: str, kb: KnowledgeBase) -> dict[str, Any]:
    known = kb.drugs.get(drug)
    inn = known.inn if known else drug
    rx = known.codes.rxnorm if known and known.codes else None
    value: dict[str, Any] = _concept(RXNORM, rx, inn, inn) if rx else {"text": inn}
    return _component(LOINC, "51963-7", "Medication assessed [ID]", valueCodeableConcept=value)


def _citation(text: str) -> dict[str, Any]:
    kind, cite = split_cite(text)
    artifact: dict[str, Any] = {"type": "citation", "citation": text}
    if kind:
        artifact["label"] = kind
    if cite.startswith("doi:"):
        artifact["url"] = f"https://doi.org/{cite[4:]}"
    elif cite.startswith("pmid:"):
        artifact["url"] = f"https://pubmed.ncbi.nlm.nih.gov/{cite[5:]}/"
    elif cite.startswith("nct:"):
        artifact["url"] = f"https://clinicaltrials.gov/study/{cite[4:]}"
    elif cite.startswith(("http://", "https://")):
        artifact["url"] = cite
    return {"url": EXT_RELATED_ARTIFACT, "valueRelatedArtifact": artifact}


def _implication(option: Option, kb: KnowledgeBase, subject: dict[str, str], variants: list[dict[str, str]],
                 words: dict[str, str]) -> dict[str, Any]:
    comps = [_medication(d, kb) for d in option.drugs]
    if not option.drugs:
        comps.append(_component(TBD, "therapy-assessed", "Therapy Assessed",
                                valueCodeableConcept={"text": option.name}))
    level = option.evidence.level_label or option.evidence.level
    comps.append(_component(LOINC, "93044-6", "Level of evidence", valueCodeableConcept={"text": level}))
    for clone, call in sorted(option.clone_calls.items()):
        comps.append(_component(LOINC, "51961-1", "Genetic variation's effect on drug efficacy",
                                valueCodeableConcept={"text": f"ALK {clone}: {call}"}))
    summary = f"{words['rank']} {option.rank}: {option.name}. {option.rationale}".strip()
    comps.append(_component(TBD, "conclusion-string", "Clinical Conclusion", valueString=summary))
    obs: dict[str, Any] = {
        "resourceType": "Observation", "meta": {"profile": [PROFILE_IMPLICATION]}, "status": "final",
        "category": _categories(),
        "code": _concept(TBD, "therapeutic-implication", "Therapeutic Implication", option.name),
        "subject": subject, "derivedFrom": variants, "component": comps,
    }
    cites = list(dict.fromkeys(option.evidence.citations))
    if cites:
        obs["extension"] = [_citation(c) for c in cites]
    return obs


# --------------------------------------------------------------------------- patient, report, bundle


def _patient(case: Case) -> dict[str, Any]:
    patient: dict[str, Any] = {"resourceType": "Patient"}
    if case.patient.sex is not None:
        patient["gender"] = {"F": "female", "M": "male"}.get(case.patient.sex.value, "other")
    if case.patient.age is not None:
        patient["extension"] = [{"url": EXT_AGE, "valueAge": {"value": case.patient.age, "unit": "a",
                                                              "system": UCUM, "code": "a"}}]
    return patient


def _patient_id(case: Case) -> str:
    raw = case.id or ""
    safe = re.sub(r"[^A-Za-z0-9.\-]+", "-", raw).strip("-")[:64]
    return safe or f"case-{_digest(case.model_dump(mode='json'))[:16]}"


def _report_note(text: str) -> dict[str, Any]:
    return {"url": EXT_REPORT_NOTE, "valueAnnotation": {"text": text}}


def _conclusion(result: RenderedResult, words: dict[str, str]) -> str:
    top = result.options[0] if result.options else None
    tail = f"{words['top']}: {top.name} ({words['level']} {top.evidence.level})." if top else words["none"]
    return f"{result.disclaimer} {tail}".strip()


def to_fhir(case: Case, neutral: Result, kb: KnowledgeBase, lang: str = "en") -> dict[str, Any]:
    """The recommendation as a FHIR R4 Bundle (type collection) in ``lang``, Genomics Reporting style;
    deterministic."""
    result = render_result(neutral, kb, lang)
    words = _WORDS.get(lang, _WORDS["en"])
    patient = _entry("patient", _patient(case), _patient_id(case))
    subject = _ref(patient)

    variant_entries: dict[str, dict[str, Any]] = {}
    notes: list[str] = []

    def add_variant(components: list[dict[str, Any]], note: str) -> None:
        # the same finding named twice (e.g. the fusion in diagnosis and in the alterations) is one Observation
        key = _digest(components)
        if key not in variant_entries:
            variant_entries[key] = _entry("variant", _variant(components, subject, note))

    add_variant(*_diagnosis_variant(case, kb))
    for alt in result.alterations:
        coded = _alteration_variants(alt, kb)
        if coded is None:
            reason = alt.get("reason") or alt.get("normalized") or words["unread"]
            notes.append(f"{words['not_coded']}: '{alt.get('input', '')}' ({reason})")
            continue
        for components, note in coded:
            add_variant(components, note)
    variants = list(variant_entries.values())
    variant_refs = [_ref(v) for v in variants]

    implications = [_entry("implication", _implication(o, kb, subject, variant_refs, words))
                    for o in result.options[:TOP_OPTIONS]]

    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport", "meta": {"profile": [PROFILE_REPORT]}, "status": "final",
        "category": [_concept(V2_0074, "GE", "Genetics")],
        "code": {"coding": [_coding(LOINC, "81247-9", "Master HL7 genetic variant reporting panel"),
                            _coding(LOINC, "51969-4", "Genetic analysis report")]},
        "subject": subject, "result": [_ref(e) for e in [*variants, *implications]],
        "conclusion": _conclusion(result, words),
    }
    if notes:
        report["extension"] = [_report_note(n) for n in notes]
    entries = [_entry("report", report), patient, *variants, *implications]
    return {"resourceType": "Bundle", "id": f"alknav-{_digest(entries)[:16]}", "type": "collection",
            "entry": entries}


# --------------------------------------------------------------------------- validation


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _codes(concept: Any) -> set[tuple[str, str]]:
    if not isinstance(concept, dict):
        return set()
    return {(str(c.get("system")), str(c.get("code"))) for c in concept.get("coding") or [] if isinstance(c, dict)}


def _resource_problems(where: str, res: dict[str, Any]) -> list[str]:
    kind, problems = res.get("resourceType"), []
    rid = res.get("id")
    if not isinstance(rid, str) or not _FHIR_ID.match(rid):
        problems.append(f"{where}.id: {rid!r} is not a FHIR id")
    if kind == "Observation" and res.get("status") not in _OBS_STATUS:
        problems.append(f"{where}.status: {res.get('status')!r} is not an Observation status")
    if kind == "DiagnosticReport":
        if res.get("status") not in _REPORT_STATUS:
            problems.append(f"{where}.status: {res.get('status')!r} is not a DiagnosticReport status")
        if (LOINC, "81247-9") not in _codes(res.get("code")):
            problems.append(f"{where}.code: LOINC 81247-9 missing")
        if not any((V2_0074, "GE") in _codes(c) for c in res.get("category") or []):
            problems.append(f"{where}.category: Genetics (v2-0074 GE) missing")
    if kind == "Patient":
        if res.get("gender") is not None and res.get("gender") not in _GENDERS:
            problems.append(f"{where}.gender: {res.get('gender')!r} is not an administrative gender")
        if "name" in res:
            problems.append(f"{where}.name: alknav never writes a patient name")
    profiles = (res.get("meta") or {}).get("profile") or []
    if PROFILE_VARIANT in profiles and (LOINC, "69548-6") not in _codes(res.get("code")):
        problems.append(f"{where}.code: a Variant needs LOINC 69548-6")
    if PROFILE_IMPLICATION in profiles:
        if not res.get("derivedFrom"):
            problems.append(f"{where}.derivedFrom: a Therapeutic Implication derives from at least one finding")
        if any(k.startswith("value") for k in res):
            problems.append(f"{where}: a Therapeutic Implication carries no value[x]")
    return problems


def validate_fhir(bundle: dict[str, Any]) -> None:
    """Raise FhirValidationError unless ``bundle`` parses as a FHIR R4(B) Bundle and keeps alknav's shape."""
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:
        errors = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise FhirValidationError(errors or [str(exc)]) from exc
    problems: list[str] = []
    if bundle.get("type") not in _BUNDLE_TYPES:
        problems.append(f"type: {bundle.get('type')!r} is not a Bundle type")
    entries = bundle.get("entry") or []
    urls = [e.get("fullUrl") for e in entries]
    if len(set(urls)) != len(urls):
        problems.append("entry.fullUrl: duplicates")
    for i, entry in enumerate(entries):
        problems += _resource_problems(f"entry.{i}.resource", entry.get("resource") or {})
    known = {u for u in urls if u}
    problems += [f"reference {r!r} does not resolve inside the bundle" for r in _references(bundle)
                 if r not in known]
    if problems:
        raise FhirValidationError(problems)
