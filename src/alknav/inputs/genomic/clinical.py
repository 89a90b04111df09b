"""The per-sample clinical table (TSV) that turns genomic files into cases.

Documented in docs/clinical-tsv.md. One row per sample; SAMPLE_ID is required; every other column
is optional. Values are checked here only for shape (the case model checks vocabulary, and the
error then names the sample and the column)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alknav.inputs.genomic.records import InputFileError

COLUMNS = {
    "SAMPLE_ID": "sample identifier, as in the genomic files (Tumor_Sample_Barcode)",
    "PATIENT_ID": "optional patient identifier (not used in output)",
    "PRIOR_THERAPIES": "regimens oldest first, ';' between regimens, '+' between drugs of one regimen",
    "LAST_RESPONSE": "best response to the last regimen: CR, PR, SD, PD or NE",
    "LAST_MONTHS": "months on the last regimen",
    "STATUS": "treatment_naive, progression or toxicity (default: progression if PRIOR_THERAPIES else naive)",
    "PROGRESSION_PATTERN": "systemic, cns_only or oligoprogression",
    "HISTOLOGY": "diagnostic histology (adenocarcinoma, squamous, adenosquamous, large_cell, nos)",
    "CURRENT_HISTOLOGY": "histology at re-biopsy when transformed (e.g. sclc)",
    "ALK_FUSION": "e.g. EML4-ALK, or 'ALK rearrangement' (a fusion file may supply it instead)",
    "ALK_VARIANT": "e.g. V1, V3, E6;A20",
    "REGION": "CN, US, EU or JP",
    "BRAIN_METASTASES": "yes or no",
    "BIOPSY_SAMPLE": "plasma, tissue or csf",
    "COMORBIDITIES": "';'-separated, e.g. hyperlipidemia;interstitial_lung_disease",
    "PRIOR_ICI": "yes or no",
    "AGE": "years", "SEX": "F, M or other", "ECOG": "0-4",
    "ONCOTREE_CODE": "informational (e.g. LUAD)",
}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_UNKNOWN = {"", "unknown", "na", "n/a", "nan", ".", "-", "not known"}


@dataclass
class ClinicalRow:
    sample: str
    line: int
    values: dict[str, str]
    unknown_columns: list[str] = field(default_factory=list)

    def get(self, column: str) -> str:
        return self.values.get(column, "").strip()

    def flag(self, column: str, file: str) -> bool | None:
        """yes -> True, no -> False, blank or unknown -> None (left out of the case: unknown is not no)."""
        value = self.get(column).lower()
        if value in _YES:
            return True
        if value in _NO:
            return False
        if value in _UNKNOWN:
            return None
        raise InputFileError(file, self.line, f"{column} must be yes, no or blank (unknown), not "
                                              f"'{self.get(column)}'")

    def case_fields(self, file: str) -> dict[str, Any]:
        """The parts of a contract case this row supplies."""
        history = []
        regimens = [r for r in self.get("PRIOR_THERAPIES").split(";") if r.strip()]
        for i, regimen in enumerate(regimens):
            entry: dict[str, Any] = {"regimen": [d.strip() for d in regimen.split("+") if d.strip()],
                                     "stopped_for": "progression"}
            if i == len(regimens) - 1:
                if self.get("LAST_RESPONSE"):
                    entry["best_response"] = self.get("LAST_RESPONSE").upper()
                if self.get("LAST_MONTHS"):
                    entry["months"] = self.get("LAST_MONTHS")
                if self.get("STATUS") == "toxicity":
                    entry["stopped_for"] = "toxicity"
            history.append(entry)
        patient: dict[str, Any] = {}
        for column, key in (("AGE", "age"), ("SEX", "sex"), ("ECOG", "ecog"), ("REGION", "region")):
            if self.get(column):
                patient[key] = self.get(column)
        diagnosis: dict[str, Any] = {"alk": {}}
        if self.get("HISTOLOGY"):
            diagnosis["histology"] = self.get("HISTOLOGY")
        if self.get("ALK_FUSION"):
            diagnosis["alk"]["fusion"] = self.get("ALK_FUSION")
        if self.get("ALK_VARIANT"):
            diagnosis["alk"]["variant"] = self.get("ALK_VARIANT")
        current: dict[str, Any] = {
            "status": self.get("STATUS") or ("progression" if history else "treatment_naive")}
        brain = self.flag("BRAIN_METASTASES", file)
        if brain is not None:
            current["cns"] = {"brain_metastases": brain}
        if self.get("PROGRESSION_PATTERN"):
            current["progression_pattern"] = self.get("PROGRESSION_PATTERN")
        if self.get("CURRENT_HISTOLOGY"):
            current["histology"] = self.get("CURRENT_HISTOLOGY")
        if self.get("BIOPSY_SAMPLE"):
            current["biopsy"] = {"sample": self.get("BIOPSY_SAMPLE")}
        fields: dict[str, Any] = {"patient": patient, "diagnosis": diagnosis, "history": history, "current": current}
        comorbidities = [c.strip() for c in self.get("COMORBIDITIES").split(";") if c.strip()]
        if comorbidities:
            fields["comorbidities"] = comorbidities
        prior_ici = self.flag("PRIOR_ICI", file)
        if prior_ici is not None:
            fields["prior_immune_checkpoint_inhibitor"] = prior_ici
        return fields


MAX_CELL = 2_000


def _cells(path: Path, number: int, line: str) -> list[str]:
    """One line's cells; csv errors (e.g. a cell over the csv module's size limit) and over-long
    cells become file errors naming the line."""
    try:
        row = next(csv.reader([line], delimiter="\t"))
    except csv.Error as exc:
        raise InputFileError(str(path), number, f"unreadable row ({exc})") from None
    longest = max((len(c) for c in row), default=0)
    if longest > MAX_CELL:
        raise InputFileError(str(path), number, f"a cell of {longest} characters; at most {MAX_CELL}")
    return row


def read_clinical(path: Path) -> dict[str, ClinicalRow]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(str(path), None, f"cannot read ({exc})") from None
    lines = [ln for ln in io.StringIO(text, newline=None).read().split("\n")]
    body = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")]
    if not body:
        raise InputFileError(str(path), None, "empty file: no header line")
    header_line, header_text = body[0]
    header = _cells(path, header_line, header_text)
    if "SAMPLE_ID" not in header:
        raise InputFileError(str(path), header_line, f"clinical table needs a SAMPLE_ID column; found "
                                                     f"{', '.join(header[:10])}")
    unknown = [c for c in header if c not in COLUMNS]
    out: dict[str, ClinicalRow] = {}
    for number, line in body[1:]:
        row = _cells(path, number, line)
        if len(row) != len(header):
            raise InputFileError(str(path), number, f"malformed row: {len(row)} fields, header has {len(header)}")
        values = dict(zip(header, row, strict=True))
        sample = values["SAMPLE_ID"].strip()
        if not sample:
            raise InputFileError(str(path), number, "empty SAMPLE_ID")
        if sample in out:
            raise InputFileError(str(path), number, f"sample '{sample}' appears twice (first on line "
                                                    f"{out[sample].line})")
        out[sample] = ClinicalRow(sample, number, values, unknown)
    return out
