"""The shipped ALK transcript facts agree with the reference protein and the shared worked examples."""

from __future__ import annotations

import csv

import pytest

from alknav.kb.checks import reference_protein_residues
from alknav.kb.loader import KnowledgeBase
from tests.conftest import SHARED


def test_kinase_domain_translates_to_known_motifs(kb: KnowledgeBase) -> None:
    residues = reference_protein_residues(kb)
    protein = "".join(residues[c] for c in range(1059, 1389))
    assert "*" not in protein
    for motif in ("LGHGAFGEVYEG", "HRDIAARNCLL", "DFGMARDIYRASYYRKGG"):
        assert motif in protein


def test_exon_tables_are_consistent(kb: KnowledgeBase) -> None:
    for build in kb.transcript.builds:
        assert len(build.exons) == 29
        coding = sum(e.cds_end - e.cds_start + 1 for e in build.exons if e.cds_start and e.cds_end)
        assert coding == kb.transcript.cds_length == 3 * kb.transcript.protein_length + 3
    b37, b38 = kb.transcript.builds
    assert all(x.start - y.start == 222866 for x, y in zip(b37.exons, b38.exons, strict=True))


@pytest.mark.skipif(not (SHARED / "reference").exists(), reason="../shared not present")
def test_hotspots_match_shared_reference(kb: KnowledgeBase) -> None:
    residues = reference_protein_residues(kb)
    with (SHARED / "reference" / "alk_hotspot_codons.tsv").open() as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            assert residues[int(row["residue"])] == row["ref_aa"]
