"""Write reader records (VCF, fusion, copy-number) as a TSV with alknav's columns: one output line
per record, so every input row/record is accounted for."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from alknav.annotate.columns import COLUMNS, Tally, annotate_alteration, relevant_genes
from alknav.inputs.genomic.records import GenomicRecord
from alknav.kb.knowledge_base import KnowledgeBase

LEAD = ["INPUT_FILE", "INPUT_LINE", "SAMPLE", "GENE", "INPUT_ALTERATION", "ALTERATION_SOURCE", "BUILD", "DETAIL"]


def write_records(records: Iterable[GenomicRecord], kb: KnowledgeBase, out: Path,
                  extra: dict[str, dict[str, str]] | None = None) -> Tally:
    """`extra` maps sample -> columns to add (e.g. from the clinical table). Returns the summary counts;
    a record of no known gene (e.g. a malformed line) counts as in scope, so as not interpretable."""
    extra = extra or {}
    extra_cols = sorted({c for cols in extra.values() for c in cols})
    tally = Tally()
    genes = set(relevant_genes(kb))
    cache: dict[tuple[str | None, str | None], dict[str, str]] = {}
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(LEAD + extra_cols + COLUMNS)
        for rec in records:
            key = (rec.alteration, rec.reason)
            if key not in cache:
                cache[key] = annotate_alteration(rec.alteration, kb, rec.reason)
            cols = cache[key]
            tally.add(cols, in_scope=rec.gene is None or rec.gene.upper() in genes)
            sample_extra = extra.get(rec.sample or "", {})
            writer.writerow([rec.file, rec.line, rec.sample or "", rec.gene or "", rec.alteration or "",
                             rec.source, rec.build or "", json.dumps(rec.detail, sort_keys=True) if rec.detail else ""]
                            + [sample_extra.get(c, "") for c in extra_cols] + [cols[c] for c in COLUMNS])
    return tally
