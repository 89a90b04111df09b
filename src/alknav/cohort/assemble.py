"""Genomic records + the clinical table -> one contract case per sample.

Where an alteration came from (file and line) stays with the case under `provenance`, so a
reviewer can trace every alteration back to its input row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alknav.inputs.alterations import parse_alteration
from alknav.inputs.genomic.clinical import ClinicalRow, read_clinical
from alknav.inputs.genomic.records import GenomicRecord
from alknav.kb.knowledge_base import KnowledgeBase


@dataclass
class Inputs:
    """The files of a cohort run (any may be absent)."""

    maf: list[Path] = field(default_factory=list)
    vcf: list[Path] = field(default_factory=list)
    fusions: list[Path] = field(default_factory=list)
    cna: list[Path] = field(default_factory=list)
    clinical: Path | None = None
    build: str | None = None
    reference: Path | None = None
    min_copies: float | None = None
    alk_positive: bool = False  # every sample is ALK-positive by cohort definition

    def records(self, kb: KnowledgeBase, sample: str | None = None) -> Iterable[GenomicRecord]:
        from alknav.inputs.genomic.cna import DEFAULT_MIN_COPIES, read_cna
        from alknav.inputs.genomic.maf import read_maf

        for path in self.maf:
            yield from read_maf(path, kb, sample=sample)
        for path in self.vcf:
            from alknav.inputs.genomic.vcf import read_vcf

            yield from read_vcf(path, kb, build=self.build, reference=self.reference, sample=sample)
        for path in self.fusions:
            from alknav.inputs.genomic.fusions import read_fusions

            yield from read_fusions(path, kb, build=self.build, sample=sample)
        for path in self.cna:
            yield from read_cna(path, min_copies=DEFAULT_MIN_COPIES if self.min_copies is None else self.min_copies,
                                    sample=sample)


@dataclass
class SampleCase:
    sample: str
    case: dict[str, Any]
    provenance: list[dict[str, Any]]
    not_used: list[dict[str, Any]]


def _is_alk_fusion(record: GenomicRecord, kb: KnowledgeBase) -> bool:
    if record.alteration is None:
        return False
    alt = parse_alteration(record.alteration, kb)
    return alt.recognized and alt.kind == "alk_fusion"


def build_cases(inputs: Inputs, kb: KnowledgeBase, only: str | None = None) -> dict[str, SampleCase]:
    clinical: dict[str, ClinicalRow] = read_clinical(inputs.clinical) if inputs.clinical else {}
    cases: dict[str, SampleCase] = {}

    def entry(sample: str) -> SampleCase:
        if sample not in cases:
            row = clinical.get(sample)
            # what no file says stays out of the case (unknown), never written as "no"
            base: dict[str, Any] = row.case_fields(str(inputs.clinical)) if row else {
                "patient": {}, "diagnosis": {"alk": {}}, "history": [], "current": {"status": "treatment_naive"}}
            base["current"].setdefault("alterations", [])
            if inputs.alk_positive and not base["diagnosis"]["alk"].get("fusion"):
                base["diagnosis"]["alk"]["fusion"] = "ALK rearrangement"
            case: dict[str, Any] = {"case_format": 1, "id": sample, **base}
            cases[sample] = SampleCase(sample, case, [], [])
        return cases[sample]

    for record in inputs.records(kb, only):
        sample = record.sample or "(no sample)"
        if only is not None and sample != only:
            continue
        item = entry(sample)
        where = {"file": record.file, "line": record.line}
        if record.alteration is None:
            item.not_used.append({**where, "gene": record.gene, "reason": record.reason})
            continue
        if _is_alk_fusion(record, kb):
            alk: dict[str, Any] = item.case["diagnosis"]["alk"]
            alk["fusion"] = record.alteration.split(" fusion")[0]
            variant = record.detail.get("variant")
            if variant and not alk.get("variant"):
                alk["variant"] = variant
            alk.setdefault("method", "RNA-NGS")
        else:
            if record.alteration not in item.case["current"]["alterations"]:
                item.case["current"]["alterations"].append(record.alteration)
        item.provenance.append({**where, "alteration": record.alteration, "source": record.source})
    for sample in clinical:
        if only is None or sample == only:
            entry(sample)
    return cases
