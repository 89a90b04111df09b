"""The knowledge base covers what issue 2 asks for, and its facts hang together."""

from __future__ import annotations

import pytest

from alknav.kb import schema as s
from alknav.kb.loader import KnowledgeBase

APPROVED_IN_CHINA = ["crizotinib", "ceritinib", "alectinib", "brigatinib", "ensartinib", "iruplinalkib", "lorlatinib"]
INVESTIGATIONAL = ["neladalkib", "zotizalkib"]
TABLE2 = ["envonalkib", "zg-0418", "repotrectinib", "entrectinib", "foritinib", "conteltinib", "unecritinib",
          "ficonalkib", "zotizalkib", "neladalkib", "tgrx-326", "apg-2449", "xzp-3621", "ty-2136", "plb1003"]
REGIMEN_AGENTS = ["carboplatin", "cisplatin", "pemetrexed", "etoposide", "bevacizumab", "atezolizumab",
                  "nivolumab", "capmatinib", "tepotinib", "savolitinib", "gilteritinib"]
SEED_MUTATIONS = ["L1196M", "G1269A", "C1156Y", "G1202R", "I1171T", "I1171N", "I1171S", "S1206Y", "E1210K",
                  "G1128A", "F1174C", "F1174V", "F1174L", "L1152R", "L1152V", "V1180L", "L1196Q",
                  "T1151Tins", "L1198F", "L1256F"]
SEED_COMPOUNDS = [{"G1202R", "L1196M"}, {"G1202R", "G1269A"}, {"G1202R", "L1198F"}, {"L1196M", "L1198F"},
                  {"G1202R", "C1156F"}, {"G1202R", "G1269A", "L1204V"}, {"I1171N", "F1174I"}]
TRIALS = ["profile1014", "ascend4", "alex", "alesia", "alta1l", "exalt3", "inspire", "crown", "intellect",
          "alta2", "ascend9", "alta3", "checkmate370", "nlctg1501"]


def test_all_61_seed_references_present(kb: KnowledgeBase) -> None:
    numbers = {n for ref in kb.references.values() for n in ref.seed_ref_nos}
    assert numbers == set(range(1, 62))


@pytest.mark.parametrize("drug", APPROVED_IN_CHINA + INVESTIGATIONAL + TABLE2 + REGIMEN_AGENTS)
def test_drug_present(kb: KnowledgeBase, drug: str) -> None:
    assert drug in kb.drugs


@pytest.mark.parametrize("drug", APPROVED_IN_CHINA)
def test_approved_tki_has_full_profile(kb: KnowledgeBase, drug: str) -> None:
    d = kb.drugs[drug]
    assert d.drug_class is s.DrugClass.alk_tki and d.generation in (1, 2, 3)
    assert d.name_zh and d.aliases
    regions = {a.region for a in d.approvals}
    assert {s.Region.CN, s.Region.US, s.Region.EU} <= regions
    cn = next(a for a in d.approvals if a.region is s.Region.CN)
    assert cn.status is s.ApprovalStatus.approved
    assert d.cns_penetration is not None and d.pgp_substrate is not None
    assert d.adverse_events
    if drug != "iruplinalkib":  # no label or paper giving its dose could be read yet (see README)
        assert d.dose is not None


@pytest.mark.parametrize("drug", INVESTIGATIONAL)
def test_fourth_generation_is_investigational(kb: KnowledgeBase, drug: str) -> None:
    d = kb.drugs[drug]
    assert d.investigational and d.generation == 4
    assert not any(a.status is s.ApprovalStatus.approved for a in d.approvals)


@pytest.mark.parametrize("mutation", SEED_MUTATIONS)
def test_seed_mutation_has_calls_for_approved_tkis(kb: KnowledgeBase, mutation: str) -> None:
    m = kb.mutations[mutation]
    assert {c.drug for c in m.calls}, f"{mutation} has no drug calls"


def test_seed_mutation_typos_resolve_to_the_real_residue(kb: KnowledgeBase) -> None:
    """The seed's 'D1230N' (residue 1230 is A) and 'I1151Tins' (1151 is T) are errata kept as aliases."""
    from alknav.kb.query import find_mutation

    assert find_mutation(kb, "I1151Tins").mutation.id == "T1151Tins"  # type: ignore[union-attr]
    assert find_mutation(kb, "V1180L").mutation is not None
    assert any("D1230N" in e.seed_says for e in kb.errata.values())


@pytest.mark.parametrize("parts", SEED_COMPOUNDS, ids=lambda p: "+".join(sorted(p)))
def test_seed_compound_present(kb: KnowledgeBase, parts: set[str]) -> None:
    assert frozenset(parts) in kb.mutation_index
    m = kb.mutations[kb.mutation_index[frozenset(parts)]]
    assert m.kind is s.MutationKind.compound and m.calls


@pytest.mark.parametrize("trial", TRIALS)
def test_trial_present_with_results(kb: KnowledgeBase, trial: str) -> None:
    t = kb.trials[trial]
    assert t.results, trial
    for r in t.results:
        assert r.refs and r.checked


def test_quantitative_calls_exist(kb: KnowledgeBase) -> None:
    ic50 = [c for m in kb.mutations.values() for c in m.calls if c.ic50_nm is not None]
    assert len(ic50) >= 20
    for c in ic50:  # an IC50 is preclinical by nature
        assert c.evidence_type is s.EvidenceType.preclinical and c.level in ("D", "E")


def test_investigational_drug_calls_are_not_clinical_standard(kb: KnowledgeBase) -> None:
    for m in kb.mutations.values():
        for c in m.calls:
            if kb.drugs[c.drug].investigational:
                assert c.level != "A", f"{m.id} x {c.drug} rated A for an investigational drug"


def test_errata_cover_known_seed_mistakes(kb: KnowledgeBase) -> None:
    said = " ".join(e.seed_says for e in kb.errata.values())
    for mistake in ("V118L", "G3709R", "alcetinib"):
        assert mistake in said, f"no erratum for {mistake}"
    assert len(kb.errata) >= 10


def test_every_fact_has_basis(kb: KnowledgeBase) -> None:
    bases = [c.checked.basis for m in kb.mutations.values() for c in m.calls]
    bases += [r.checked.basis for t in kb.trials.values() for r in t.results]
    assert bases and all(isinstance(b, s.Basis) for b in bases)


def test_fusions_and_mechanisms(kb: KnowledgeBase) -> None:
    variants = {v.id.lower(): v for v in kb.fusions.variants}
    assert (variants["v1"].partner_exon, variants["v1"].alk_exon) == (13, 20)
    assert (variants["v2"].partner_exon, variants["v2"].alk_exon) == (20, 20)
    partners = {p.gene for p in kb.fusions.partners}
    assert {"EML4", "KIF5B", "KLC1", "TFG", "PTPN3", "HIP1", "NPM1"} <= partners
    genes = {m.gene for m in kb.mechanisms.values() if m.gene}
    assert {"MET", "KRAS", "EGFR", "KIT", "IGF1R", "MYC"} <= genes
    classes = {m.mechanism_class for m in kb.mechanisms.values()}
    assert s.MechanismClass.alk_independent in classes and s.MechanismClass.alk_dependent in classes


def test_bilingual_names(kb: KnowledgeBase) -> None:
    for d in kb.drugs.values():
        assert d.name_zh.strip(), d.id
    for m in kb.mechanisms.values():
        assert m.name.zh and m.name.en


def test_abcp_label_regions_differ_for_alk_positive_tumours(kb: KnowledgeBase) -> None:
    """Atezolizumab + bevacizumab + carboplatin + paclitaxel: the US label leaves out EGFR/ALK-altered tumours;
    the EU label indicates it in ALK-positive NSCLC after failure of targeted therapy."""
    approvals = {a.region.value: a for a in kb.regimens["atezolizumab_bevacizumab_carboplatin_paclitaxel"].approvals}
    assert approvals["US"].status is s.ApprovalStatus.approved and approvals["US"].indication_excludes_alk
    assert approvals["EU"].status is s.ApprovalStatus.approved and not approvals["EU"].indication_excludes_alk
    assert "after_alk_tki" in approvals["EU"].lines
