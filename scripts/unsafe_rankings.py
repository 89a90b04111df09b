"""Replay the unsafe rankings and accepted nonsense that outside testing reported (issue 8, sections
4 and 5) through the installed alknav, one line per case: what comes first, or the refusal.
Usage: python scripts/unsafe_rankings.py  (run with each version's venv to compare before/after)."""

from __future__ import annotations

import copy
from typing import Any

from alknav.errors import CaseError
from alknav.inputs.case_reader import parse_case_data
from alknav.kb.loader import load_kb
from alknav.recommend.engine import recommend

BASE: dict[str, Any] = {
    "case_format": 1, "id": "x", "patient": {"age": 55, "sex": "F", "ecog": 1, "region": "US"},
    "diagnosis": {"histology": "adenocarcinoma", "stage": "IVB", "alk": {"method": "NGS", "fusion": "EML4-ALK"}},
    "history": [{"regimen": ["alectinib"], "best_response": "PR", "months": 24, "stopped_for": "progression"}],
    "current": {"status": "progression", "biopsy": {"sample": "tissue", "method": "NGS"}, "alterations": [],
                "cns": {"brain_metastases": False, "leptomeningeal": False, "symptomatic": False}},
}
LORLA = {"regimen": ["lorlatinib"], "best_response": "PR", "months": 12, "stopped_for": "progression"}
NAIVE = {"history": [], "current": {"status": "treatment_naive"}}


def case(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(BASE)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key].update(value)
        else:
            out[key] = value
    return out


CASES: list[tuple[str, dict[str, Any]]] = [
    ("V1185L+L1196M after alectinib then lorlatinib",
     case(history=[BASE["history"][0], LORLA], current={"alterations": ["ALK V1185L+L1196M"]})),
    ("uncurated ALK A1200V after alectinib", case(current={"alterations": ["ALK A1200V"]})),
    ("treatment-naive with MET amplification", case(history=[], current={"status": "treatment_naive",
                                                                          "alterations": ["MET amplification"]})),
    ("MET amplification after alectinib", case(current={"alterations": ["MET amplification"]})),
    ("I1171N after alectinib (ensartinib extrapolated)", case(current={"alterations": ["ALK I1171N"]})),
    ("G1202R+L1196M after alectinib then lorlatinib",
     case(history=[BASE["history"][0], LORLA], current={"alterations": ["ALK G1202R+L1196M"]})),
    ("fusion: negative", case(diagnosis={"alk": {"method": "NGS", "fusion": "negative"}})),
    ("every ALK test negative", case(diagnosis={"alk": {"method": "NGS", "fusion": "EML4-ALK", "tests": [
        {"method": "IHC", "result": "negative"}, {"method": "FISH", "result": "negative"}]}})),
    ("TP53 R400H (TP53 has 393 residues)", case(current={"alterations": ["TP53 R400H"]})),
    ("600 months on one TKI", case(history=[{**BASE["history"][0], "months": 600}])),
    ("age 0, stage IVB", case(patient={"age": 0})),
    ("pregnancy in a man", case(patient={"sex": "M"}, comorbidities=["pregnancy"])),
    ("pregnancy at 80", case(patient={"age": 80}, comorbidities=["pregnancy"])),
    ("best response PD after 60 months", case(history=[{**BASE["history"][0], "best_response": "PD",
                                                        "months": 60}])),
    ("two ALK TKIs in one regimen", case(history=[{**BASE["history"][0], "regimen": ["alectinib", "lorlatinib"]}])),
    ("G1202R in a treatment-naive patient", case(history=[], current={"status": "treatment_naive",
                                                                       "alterations": ["ALK G1202R"]})),
    ("cns_only progression without CNS disease", case(current={"progression_pattern": "cns_only"})),
]


def _text(value: Any, kb: Any) -> str:
    """Option names are strings in older versions and language-neutral messages in newer ones."""
    if isinstance(value, str):
        return value
    from alknav.outputs.render import render_msg
    return render_msg(value, kb, "en")


def main() -> None:
    kb = load_kb()
    print("| case | first option (evidence) | second | warnings |")
    print("|---|---|---|---|")
    for title, data in CASES:
        try:
            result = recommend(parse_case_data(data), kb)
        except CaseError as exc:
            print(f"| {title} | refused: `{exc.field}` | | |")
            continue
        except Exception as exc:  # the older version may fail differently; report, don't stop
            print(f"| {title} | error {type(exc).__name__}: {str(exc)[:80]} | | |")
            continue
        opts = [f"{_text(o.name, kb)[:48]} ({o.evidence.level})" for o in result.options[:2]] + ["", ""]
        codes = ", ".join(sorted({w.code for w in result.warnings}))[:160]
        print(f"| {title} | {opts[0]} | {opts[1]} | {codes} |")


if __name__ == "__main__":
    main()
