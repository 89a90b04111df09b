"""Every reader under the fuzz harness at a small budget (scripts/fuzz_readers.py N runs longer):
no crash, no row lost, every refusal one bounded printable line."""

from __future__ import annotations

from typing import Any

from tests.security.fuzz import run, summary


def test_readers_survive_fuzzing(kb: Any) -> None:
    tallies = run(25, kb, seed=0)
    assert set(tallies) == {"case", "phenopacket", "maf", "vcf", "fusions", "cna", "clinical"}
    report = summary(tallies, 0)
    assert all(t.tried >= 25 for t in tallies.values()), report
    assert sum(t.crashes for t in tallies.values()) == 0, report
    assert sum(t.lost for t in tallies.values()) == 0, report
    # the mutations reach both outcomes: files still read, and files refused
    assert all(t.clean_answers > 0 for t in tallies.values()), report
