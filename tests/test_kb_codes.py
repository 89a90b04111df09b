"""Terminology codes are knowledge data: FHIR output takes HGNC ids and RxNorm codes from genes.yaml and
drugs.yaml, so a change in the data changes the bundle and a gene or drug without a code goes as text."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from alknav.inputs.case_reader import parse_case_data
from alknav.kb.loader import load_kb
from alknav.outputs.fhir import to_fhir
from alknav.recommend.engine import recommend

DEMO = Path(__file__).resolve().parents[1] / "src" / "alknav" / "examples" / "demo_case.yaml"


def _bundle_text(kb_root: Path | None) -> str:
    kb = load_kb(kb_root)
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    case = parse_case_data(data.get("case", data))
    return json.dumps(to_fhir(case, recommend(case, kb), kb))


def test_packaged_codes_are_in_the_data() -> None:
    kb = load_kb()
    assert kb.genes["ALK"].hgnc == "HGNC:427" and kb.genes["EML4"].hgnc == "HGNC:1316"
    coded = {d for d, drug in kb.drugs.items() if drug.codes and drug.codes.rxnorm}
    assert {"crizotinib", "ceritinib", "alectinib", "brigatinib", "lorlatinib"} <= coded


def test_fhir_reads_codes_from_the_knowledge_base(kb_copy: Path) -> None:
    before = _bundle_text(kb_copy)
    assert '"HGNC:1316"' in before
    genes = kb_copy / "genes.yaml"
    genes.write_text(genes.read_text(encoding="utf-8").replace('hgnc: "HGNC:1316", ', ""), encoding="utf-8")
    after = _bundle_text(kb_copy)
    assert '"HGNC:1316"' not in after and '"HGNC:427"' in after  # EML4 now sent as text only


def test_invalid_codes_are_refused(kb_copy: Path) -> None:
    from alknav.kb.loader import validate_kb

    drugs = kb_copy / "drugs.yaml"
    drugs.write_text(drugs.read_text(encoding="utf-8").replace('rxnorm: "2103164"', 'rxnorm: "lorbrena"'),
                     encoding="utf-8")
    errors = [str(i) for i in validate_kb(kb_copy) if i.severity == "error"]
    assert any("codes.rxnorm" in e for e in errors), errors[:3]
