"""alknav's mutation x drug calls against open peer knowledge bases (CIViC, CGI, MOAlmanac).

Every disagreement must be fixed or listed, with a reason, in tests/data/peer_kb_known_differences.yaml;
listed entries that no longer disagree are stale and fail too. The comparison itself lives in
scripts/peer_kb_crosscheck.py (see docs/peer-kb-crosscheck.md for the reviewed result).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from alknav.kb.loader import KnowledgeBase

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "peer_kb_crosscheck.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("peer_kb_crosscheck", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


pkc = _load_script()
PEER_DIR: Path = pkc.DEFAULT_PEER_DIR



@pytest.fixture(scope="module")
def rows(kb: KnowledgeBase) -> list[Any]:
    if not (PEER_DIR / "civic_alk.tsv").exists():
        pytest.skip(f"peer knowledge-base files not available at {PEER_DIR} (/work/shared is absent)")
    return pkc.read_peers(kb, PEER_DIR)


@pytest.fixture(scope="module")
def comparisons(kb: KnowledgeBase, rows: list[Any]) -> list[Any]:
    return pkc.compare(kb, rows)


@pytest.fixture(scope="module")
def known() -> list[dict[str, Any]]:
    return pkc.load_known()


# --------------------------------------------------------------------------- mapping (no peer files needed)


@pytest.mark.parametrize(
    ("variant", "statement", "expected"),
    [
        ("EML4-ALK C1156Y", "", "C1156Y"),
        ("ALK FUSION G1202R", "", "G1202R"),
        ("EML4-ALK  V1180L", "", "V1180L"),  # double space, as in the CIViC export
        ("EML4-ALK C1156Y-L1198F", "", "C1156Y+L1198F"),  # one compound, not two rows
        ("EML4-ALK T1151INST", "", "T1151Tins"),
        ("HIP1-ALK I1171N", "", "I1171N"),
        ("F1174L", "", "F1174L"),
        ("ALK FUSION I1171", "The I1171T mutation in ALK fusions was found", "I1171T"),
    ],
)
def test_civic_variant_names_map(kb: KnowledgeBase, variant: str, statement: str, expected: str) -> None:
    category, mid, _ = pkc.parse_civic_variant(kb, variant, statement)
    assert (category, mid) == ("mutation", expected)


@pytest.mark.parametrize(
    ("variant", "category"),
    [("EML4-ALK", "fusion_or_gene_level"), ("ALK FUSIONS", "fusion_or_gene_level"),
     ("EML4-ALK e6-e20", "fusion_or_gene_level"), ("MUTATION", "generic"), ("F1245V", "mutation_not_in_alknav"),
     ("ALK FUSION I1171", "mutation_not_in_alknav")],  # codon only and no substitution in the statement
)
def test_civic_non_mutation_names(kb: KnowledgeBase, variant: str, category: str) -> None:
    assert pkc.parse_civic_variant(kb, variant, "")[0] == category


def test_cgi_insertion_and_single_mutations_map(kb: KnowledgeBase) -> None:
    assert pkc.parse_cgi_alteration(kb, "ALK::consequence::inframe_insertion:.1151T.", "")[1] == "T1151Tins"
    assert pkc.parse_cgi_alteration(kb, "ALK:C1156Y,L1196M", "ALK:L1196M")[1] == "L1196M"
    assert pkc.parse_cgi_alteration(kb, "ALK:.", "")[0] == "generic"


@pytest.mark.parametrize(
    ("name", "drug_id"),
    [("PF-06463922", "lorlatinib"), ("CH5424802", "alectinib"), ("AP26113", "brigatinib"), ("LDK378", "ceritinib"),
     ("Lorlatinib (ALK&ROS1 inhibitor)", "lorlatinib"), ("Entrictinib", "entrectinib"), ("TAE684", None),
     ("Luminespib", None)],
)
def test_drug_names_map(kb: KnowledgeBase, name: str, drug_id: str | None) -> None:
    assert pkc.map_drug(kb, name) == drug_id


def test_every_peer_file_is_read(rows: list[Any]) -> None:
    sources = {r.source for r in rows}
    assert sources == {"civic", "cgi", "moalmanac", "moalmanac_regulatory"}
    assert all(r.category for r in rows)
    # the residue-level rows alknav has ids for are actually compared, not silently dropped
    assert sum(1 for r in rows if r.category == "mutation") >= 80


def test_sequential_rows_compare_each_drug(comparisons: list[Any]) -> None:
    eid841 = {c.drug for c in comparisons if c.row_id == "EID841"}
    assert eid841 == {"crizotinib", "ceritinib"}  # Luminespib is not an alknav drug


# --------------------------------------------------------------------------- disagreements


def test_no_unlisted_disagreement(comparisons: list[Any], known: list[dict[str, Any]]) -> None:
    unlisted, _ = pkc.check_known(comparisons, known)
    assert not unlisted, "disagreements with peer KBs neither fixed nor listed in peer_kb_known_differences.yaml:\n" + (
        "\n".join(f"  {c.source} {c.row_id}: {c.mutation} x {c.drug}: peer {c.peer_says} ({c.citation}), "
                  f"alknav {c.alknav_says} ({c.alknav_level})" for c in unlisted)
    )


def test_no_stale_known_difference(comparisons: list[Any], known: list[dict[str, Any]]) -> None:
    _, stale = pkc.check_known(comparisons, known)
    assert not stale, "entries in peer_kb_known_differences.yaml that no longer disagree (remove them):\n" + (
        "\n".join(f"  {pkc.known_key(e)}" for e in stale)
    )


def test_known_differences_are_well_formed(comparisons: list[Any], known: list[dict[str, Any]]) -> None:
    keys = [pkc.known_key(e) for e in known]
    assert len(keys) == len(set(keys)), "duplicate entries"
    by_key = {c.key: c for c in comparisons}
    for entry in known:
        assert entry["status"] in ("accepted", "unresolved", "pending_correction"), entry
        reason = str(entry.get("reason", ""))
        assert len(reason) > 30, f"{pkc.known_key(entry)}: reason must say what alknav's call rests on"
        assert (entry["status"] == "pending_correction") == reason.startswith("pending correction:"), entry
        current = by_key.get(pkc.known_key(entry))
        if current is not None:  # recorded directions still describe the disagreement
            assert (entry["peer_says"], entry["alknav_says"]) == (current.peer_says, current.alknav_says), entry


def test_ic50_values_attributed_to_civic_rows_are_in_those_rows(kb: KnowledgeBase, rows: list[Any]) -> None:
    bad = [t for t in pkc.ic50_trace(kb, rows) if not t["found"]]
    assert not bad, f"IC50 values not found in the CIViC rows their calls cite: {bad}"
