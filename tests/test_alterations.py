"""The alteration parser: every contract notation, and properties that must hold for any input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alknav.inputs.alterations import parse_alteration
from alknav.kb.loader import KnowledgeBase

CONTRACT = [
    ("ALK G1202R", "ALK p.G1202R", "alk_kinase_domain_mutation"),
    ("G1202R", "ALK p.G1202R", "alk_kinase_domain_mutation"),
    ("ALK p.G1202R", "ALK p.G1202R", "alk_kinase_domain_mutation"),
    ("ALK p.Gly1202Arg", "ALK p.G1202R", "alk_kinase_domain_mutation"),
    ("NP_004295.2:p.Gly1202Arg", "ALK p.G1202R", "alk_kinase_domain_mutation"),
    ("NM_004304.5:c.3604G>A", "ALK p.G1202R", "alk_kinase_domain_mutation"),
    ("ALK c.3586C>A", "ALK p.L1196M", "alk_kinase_domain_mutation"),
    ("ALK I1151Tins", "ALK p.T1151Tins", "alk_kinase_domain_mutation"),
    ("ALK T1151_L1152insT", "ALK p.T1151Tins", "alk_kinase_domain_mutation"),
    ("ALK G1202del", "ALK p.G1202del", "alk_kinase_domain_mutation"),
    ("ALK G1202R/L1196M", "ALK p.[L1196M;G1202R]", "alk_compound_mutation"),
    ("ALK G1202R+L1196M", "ALK p.[L1196M;G1202R]", "alk_compound_mutation"),
    ("ALK amplification", "ALK amplification", "alk_amplification"),
    ("MET amplification", "MET amplification", "bypass_amplification"),
    ("MET exon 14 skipping", "MET exon 14 skipping", "met_exon14_skipping"),
    ("KRAS G12C", "KRAS p.G12C", "bypass_mutation"),
    ("EGFR L858R", "EGFR p.L858R", "bypass_mutation"),
    ("NTRK1 fusion", "NTRK1 fusion", "bypass_fusion"),
    ("EML4-ALK", "EML4-ALK fusion", "alk_fusion"),
    ("SCLC transformation", "sclc transformation", "histologic_transformation"),
]


@pytest.mark.parametrize(("text", "normalized", "kind"), CONTRACT, ids=[c[0] for c in CONTRACT])
def test_contract_notations(kb: KnowledgeBase, text: str, normalized: str, kind: str) -> None:
    alt = parse_alteration(text, kb)
    assert alt.recognized, alt.reason
    assert (alt.normalized, alt.kind) == (normalized, kind)


@pytest.mark.parametrize(("text", "reason"), [
    ("ALK A1202R", "residue 1202 is G"),
    ("ALK G3709R", "no residue 3709"),
    ("NM_004304.5:c.3604A>G", "has G at c.3604"),
    ("NM_004304.5:c.100A>G", "outside"),
    ("NM_000546.6:p.Arg273His", "not ALK"),
    ("ALK", "names no alteration"),
    ("", "empty"),
])
def test_unreadable_is_kept_with_reason(kb: KnowledgeBase, text: str, reason: str) -> None:
    alt = parse_alteration(text, kb)
    assert not alt.recognized and alt.kind == "unknown"
    assert reason in (alt.reason or "")
    assert alt.input == text


def test_structured_items(kb: KnowledgeBase) -> None:
    cis = parse_alteration({"gene": "ALK", "mutations": ["G1202R", "L1196M"], "phase": "cis"}, kb)
    assert cis.kind == "alk_compound_mutation" and cis.components == ["L1196M", "G1202R"]
    unphased = parse_alteration({"gene": "ALK", "mutations": ["G1202R", "I1171N"]}, kb)
    assert unphased.kind == "alk_kinase_domain_mutation" and unphased.phase == "unknown"
    assert unphased.components == ["I1171N", "G1202R"]
    met = parse_alteration({"gene": "MET", "alteration": "amplification"}, kb)
    assert met.kind == "bypass_amplification"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_random_strings_never_crash(kb: KnowledgeBase, text: str) -> None:
    alt = parse_alteration(text, kb)
    assert alt.input == text
    assert alt.recognized or alt.reason


_RESIDUES = st.sampled_from([1151, 1152, 1156, 1171, 1174, 1180, 1196, 1198, 1202, 1203, 1206, 1210, 1269])
_AA = st.sampled_from(list("ACDEFGHIKLMNPQRSTVWY"))
_THREE = {"A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu", "G": "Gly",
          "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe", "P": "Pro", "S": "Ser",
          "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val"}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_RESIDUES, _AA), min_size=1, max_size=3, unique_by=lambda x: x[0]),
       st.sampled_from(["one", "three", "p1", "acc", "bare"]), st.sampled_from(["/", "+", " + "]))
def test_valid_notations_round_trip(kb: KnowledgeBase, changes: list[tuple[int, str]], style: str,
                                    sep: str) -> None:
    """Every spelling of the same ALK change(s) gives one normalised form, which parses to itself."""
    parts = []
    for codon, alt_aa in changes:
        ref = kb.residues[codon]
        if alt_aa == ref:
            alt_aa = "A" if ref != "A" else "G"
        parts.append((ref, codon, alt_aa))
    one = sep.join(f"{r}{c}{a}" for r, c, a in parts)
    three = sep.join(f"{_THREE[r]}{c}{_THREE[a]}" for r, c, a in parts)
    text = {"one": f"ALK {one}", "three": f"ALK p.{three}" if len(parts) == 1 else f"ALK {three}",
            "p1": f"ALK p.{one}" if len(parts) == 1 else f"ALK {one}",
            "acc": f"NP_004295.2:p.{three}" if len(parts) == 1 else f"ALK {one}", "bare": one}[style]
    first = parse_alteration(text, kb)
    assert first.recognized, (text, first.reason)
    canonical = parse_alteration(f"ALK {one}", kb)
    assert first.normalized == canonical.normalized
    again = parse_alteration(first.normalized, kb)
    assert again.recognized and again.normalized == first.normalized


def test_genomic_hgvs_on_chromosome_2(kb: KnowledgeBase) -> None:
    """g. substitutions in ALK translate on either build; a wrong REF or a position outside ALK is refused."""
    g37 = parse_alteration("NC_000002.11:g.29443613C>T", kb)
    g38 = parse_alteration("NC_000002.12:g.29220747C>T", kb)  # GRCh37 - 222866
    assert (g37.normalized, g38.normalized) == ("ALK p.G1202R", "ALK p.G1202R")
    wrong = parse_alteration("NC_000002.11:g.29443613A>T", kb)
    assert not wrong.recognized and "contradicts GRCh37" in (wrong.reason or "")
    outside = parse_alteration("NC_000002.11:g.100C>T", kb)
    assert not outside.recognized and "not in ALK" in (outside.reason or "")


def test_substitution_fast_path_equals_hgvs_grammar() -> None:
    """Plain substitutions skip the hgvs grammar; for every pair of the 20 amino acids, 1- and
    3-letter, the answer is the grammar's, and anything else is left to the grammar."""
    import itertools

    from alknav.genetic_code import THREE_TO_ONE
    from alknav.inputs.alterations import _hgvs_parser, _substitution

    aas = "ACDEFGHIKLMNPQRSTVWY"
    three = {one: name for name, one in THREE_TO_ONE.items() if one in aas}
    for ref, alt in itertools.product(aas, aas):
        for pos in (1, 1202, 99999):
            for body in (f"{ref}{pos}{alt}", f"{three[ref]}{pos}{three[alt]}"):
                posedit = _hgvs_parser().parse_p_posedit(body)
                assert type(posedit.edit).__name__ == "AASub"
                start, new = posedit.pos.start, posedit.edit.alt
                grammar = f"{THREE_TO_ONE.get(start.aa, start.aa)}{int(start.pos)}{THREE_TO_ONE.get(new, new)}"
                assert _substitution(body) == grammar, body
    for other in ("G1202*", "Gly1202Ter", "Xaa12Gly", "G01202R", "G1202Arg", "G1202_L1203del", "G1202fs",
                  "B12C", "G1202RR"):
        assert _substitution(other) is None, other
