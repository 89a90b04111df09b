"""Provenance honesty: a fact's basis must be one its cited references, as read, can carry.

Each test builds a small knowledge base in a temporary folder (one trial whose results are the facts
under test, a handful of references of every kind) and checks that the validator rejects the
dishonest version of a fact and accepts the honest one. Only issues in the test's own trial file are
looked at, so the shared evidence-level and transcript files copied in do not matter.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from alknav.kb.loader import build, default_root, validate_kb
from alknav.kb.query import by_strength, cite, split_cite

SEED_DOI = "10.3969/j.issn.2095-1264.2025.01.12"


def _ref(rid: str, kind: str, read: str, **extra: Any) -> dict[str, Any]:
    ref = {"id": rid, "first_author": "Test A", "year": 2020, "journal": "J Test", "title": f"title {rid}",
           "kind": kind, "read": read}
    ref.update(extra or {"url": f"https://example.org/{rid}"})
    return ref


REFERENCES = [
    _ref("paper_abs", "article", "abstract", doi="10.1000/paper.abs"),
    _ref("paper_full", "article", "full_text", doi="10.1000/paper.full"),
    _ref("paper_title", "article", "title_only", doi="10.1000/paper.title"),
    _ref("congress_abs", "abstract", "abstract"),
    _ref("lin_review", "review", "abstract", first_author="Lin J J", year=2017, doi="10.1000/lin.review"),
    _ref("deep_review", "review", "full_text", first_author="Deep R", year=2019, doi="10.1000/deep.review"),
    _ref("us_label", "label", "label"),
    _ref("cn_label_title", "label", "title_only"),
    _ref("press", "news", "full_text"),
    _ref("page", "web", "full_text"),
    _ref("fda_notice", "regulator", "full_text"),
    _ref("ct_gov", "registry", "registry", nct="NCT01234567"),
    _ref("ct_gov_unread", "registry", "not_read", nct="NCT07654321"),
    _ref("seed", "review", "full_text", first_author="Dong F", year=2025, doi=SEED_DOI),
]


def _result(rid: str, refs: list[str], basis: str, passage: str = "what was read", **checked: Any) -> dict[str, Any]:
    return {"id": rid, "arm": "a", "endpoint": "ORR", "value": 50, "unit": "percent", "refs": refs,
            "checked": {"basis": basis, "passage": passage, **checked}}


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def make_kb(root: Path, results: list[dict[str, Any]], references: list[dict[str, Any]] | None = None) -> Path:
    """A minimal knowledge base: the shipped evidence levels and transcript, one trial holding `results`."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("evidence_levels.yaml", "transcript.yaml"):
        shutil.copy(default_root() / name, root / name)
    _write(root / "manifest.yaml", {
        "name": "test-kb", "version": "0", "date": "2026-01-01",
        "seed": f"Dong F, Peng W. Anti-tumor Pharmacy 2025. doi:{SEED_DOI}",
        "files": {"references": "references/", "drugs": "drugs.yaml", "trials": "trials/", "mutations": "mutations/",
                  "fusions": "fusions.yaml", "mechanisms": "mechanisms.yaml", "strategies": "strategies.yaml",
                  "errata": "errata/", "evidence_levels": "evidence_levels.yaml", "transcript": "transcript.yaml",
                  "regimens": "regimens.yaml", "rules": "rules.yaml", "safety": "safety/",
                  "medicines": "medicines.yaml"},
        "checked_on": {name: "2026-01-01" for name in (
            "evidence_levels.yaml", "transcript.yaml", "references/refs.yaml", "drugs.yaml", "trials/t.yaml",
            "mutations/m.yaml", "errata/e.yaml", "safety/s.yaml", "fusions.yaml", "mechanisms.yaml",
            "strategies.yaml", "regimens.yaml", "rules.yaml", "medicines.yaml")}})
    _write(root / "references" / "refs.yaml", {"references": references or REFERENCES})
    _write(root / "drugs.yaml", {"drugs": [{
        "id": "testinib", "inn": "testinib", "name_zh": "测试替尼", "drug_class": "alk_tki",
        "refs": ["paper_abs"], "checked": {"basis": "primary_abstract", "passage": "abstract read"}}]})
    _write(root / "trials" / "t.yaml", {"trials": [{
        "id": "t1", "name": "Test trial", "name_zh": "测试试验", "phase": "phase_2", "setting": "first_line",
        "arms": [{"id": "a", "regimen": ["testinib"]}], "results": results,
        "refs": ["paper_abs"], "checked": {"basis": "primary_abstract", "passage": "abstract read"}}]})
    _write(root / "mutations" / "m.yaml", {"mutations": []})
    _write(root / "errata" / "e.yaml", {"errata": []})
    _write(root / "safety" / "s.yaml", {})
    _write(root / "fusions.yaml", {"variants": [], "partners": []})
    for name, key in (("mechanisms", "mechanisms"), ("strategies", "strategies"), ("regimens", "regimens"),
                      ("rules", "rules"), ("medicines", "medicines")):
        _write(root / f"{name}.yaml", {key: []})
    return root


def trial_errors(root: Path) -> list[str]:
    return [str(i) for i in validate_kb(root) if i.severity == "error" and i.file == "trials/t.yaml"]


def check(tmp_path: Path, result: dict[str, Any]) -> list[str]:
    return trial_errors(make_kb(tmp_path / "kb", [result]))


# --------------------------------------------------------------------------- the minimal KB itself


def test_minimal_kb_is_clean(tmp_path: Path) -> None:
    root = make_kb(tmp_path / "kb", [_result("ok", ["paper_abs"], "primary_abstract")])
    assert trial_errors(root) == []
    kb, _ = build(root)
    assert kb is not None and set(kb.references) == {r["id"] for r in REFERENCES}


# --------------------------------------------------------------------------- primary_* bases


@pytest.mark.parametrize(("refs", "basis", "ok"), [
    (["paper_title"], "primary_abstract", False),  # title-only is not an abstract
    (["paper_abs"], "primary_abstract", True),
    (["congress_abs"], "primary_abstract", True),  # a congress abstract is a primary source
    (["paper_full"], "primary_abstract", True),  # full text covers the abstract
    (["paper_abs"], "primary_full_text", False),
    (["paper_full"], "primary_full_text", True),
    (["deep_review"], "primary_full_text", False),  # a review is not a primary source
    (["lin_review"], "primary_abstract", False),
    (["press"], "primary_abstract", False),
    (["paper_title", "paper_abs"], "primary_abstract", True),  # one supporting reference is enough
])
def test_primary_basis_needs_primary_reference_read_deep_enough(tmp_path: Path, refs: list[str], basis: str,
                                                                ok: bool) -> None:
    errors = check(tmp_path, _result("r", refs, basis))
    assert (errors == []) is ok, errors
    if not ok:
        assert any("results[0].checked.basis" in e and f"basis '{basis}' needs" in e for e in errors), errors


def test_error_names_file_line_field(tmp_path: Path) -> None:
    errors = check(tmp_path, _result("r", ["paper_title"], "primary_abstract"))
    assert errors and errors[0].startswith("trials/t.yaml:"), errors
    assert "trials[0].results[0].checked.basis" in errors[0]
    assert "paper_title (article, read title_only)" in errors[0]


# --------------------------------------------------------------------------- label, regulator, registry


@pytest.mark.parametrize(("refs", "basis", "ok"), [
    (["us_label"], "drug_label", True),
    (["cn_label_title"], "drug_label", False),  # a label known only by its title
    (["page"], "drug_label", False),  # a dosing web page is not the label
    (["fda_notice"], "drug_label", False),
    (["fda_notice"], "regulatory_record", True),
    (["us_label"], "regulatory_record", True),
    (["press"], "regulatory_record", False),  # a company release of an approval is news
    (["ct_gov"], "trial_registry", True),
    (["ct_gov_unread"], "trial_registry", False),
    (["paper_abs"], "trial_registry", False),
])
def test_label_regulator_registry_bases(tmp_path: Path, refs: list[str], basis: str, ok: bool) -> None:
    errors = check(tmp_path, _result("r", refs, basis))
    assert (errors == []) is ok, errors


# --------------------------------------------------------------------------- news and web pages


@pytest.mark.parametrize(("refs", "basis", "ok"), [
    (["press"], "news_or_web", True),
    (["page"], "news_or_web", True),
    (["press"], "secondary_review", False),  # resting only on news, it must say news_or_web
    (["paper_abs"], "news_or_web", False),  # news_or_web must rest on a news item or web page
    (["press"], "seed_review", False),
    (["page"], "peer_kb", True),  # a knowledge-base row published as a web page
    (["press"], "peer_kb", False),
])
def test_news_and_web_support_only_bases_that_say_so(tmp_path: Path, refs: list[str], basis: str, ok: bool) -> None:
    errors = check(tmp_path, _result("r", refs, basis))
    assert (errors == []) is ok, errors


@pytest.mark.parametrize(("refs", "basis", "warned"), [
    (["press"], "secondary_review", True),  # rests on news only: must say news_or_web
    (["press"], "news_or_web", False),
    (["press", "paper_title"], "secondary_review", True),  # a title-only paper adds nothing read
    (["press", "lin_review"], "secondary_review", False),  # a review was read too
    (["page"], "secondary_review", False),  # web pages (drug compendia) may be secondary sources
])
def test_secondary_review_resting_only_on_news_is_an_error(tmp_path: Path, refs: list[str], basis: str,
                                                          warned: bool) -> None:
    issues = validate_kb(make_kb(tmp_path / "kb", [_result("r", refs, basis)]))
    flagged = [i for i in issues if i.file == "trials/t.yaml" and "only sources read are news" in i.message]
    assert bool(flagged) is warned, flagged
    assert all(i.severity == "error" for i in flagged)


def test_paper_mixed_with_press_release_under_the_papers_basis_is_an_error(tmp_path: Path) -> None:
    errors = check(tmp_path, _result("r", ["paper_abs", "press"], "primary_abstract",
                                     "median from the abstract; its CI from the press release"))
    assert any("cites news item 'press' under basis 'primary_abstract'" in e for e in errors), errors


def test_paper_mixed_with_press_release_recorded_per_source_is_accepted(tmp_path: Path) -> None:
    sources = [{"ref": "paper_abs", "basis": "primary_abstract", "passage": "median from the abstract"},
               {"ref": "press", "basis": "news_or_web", "passage": "confidence interval from the press release"}]
    assert check(tmp_path, _result("r", ["paper_abs", "press"], "primary_abstract", sources=sources)) == []


# --------------------------------------------------------------------------- checked.sources


def test_source_with_a_basis_its_reference_cannot_carry_is_an_error(tmp_path: Path) -> None:
    sources = [{"ref": "paper_abs", "basis": "primary_abstract", "passage": "abstract"},
               {"ref": "press", "basis": "primary_abstract", "passage": "the press release"}]
    errors = check(tmp_path, _result("r", ["paper_abs", "press"], "primary_abstract", sources=sources))
    assert any("checked.sources[1].basis" in e and "'press'" in e for e in errors), errors


def test_source_not_among_the_facts_refs_is_an_error(tmp_path: Path) -> None:
    sources = [{"ref": "paper_abs", "basis": "primary_abstract", "passage": "abstract"},
               {"ref": "paper_full", "basis": "primary_full_text", "passage": "not cited by the fact"}]
    errors = check(tmp_path, _result("r", ["paper_abs"], "primary_abstract", sources=sources))
    assert any("checked.sources[1].ref" in e and "not among the fact's refs" in e for e in errors), errors


def test_seed_may_be_a_source_of_a_seed_review_fact_without_being_cited(tmp_path: Path) -> None:
    sources = [{"ref": "seed", "basis": "seed_review", "passage": "figure from the seed, section 2"},
               {"ref": "press", "basis": "news_or_web", "passage": "a news report gives the same figure"}]
    assert check(tmp_path, _result("r", ["paper_title", "press"], "seed_review", sources=sources)) == []


def test_fact_basis_must_be_one_of_the_sources_bases(tmp_path: Path) -> None:
    sources = [{"ref": "paper_abs", "basis": "primary_abstract", "passage": "abstract"},
               {"ref": "press", "basis": "news_or_web", "passage": "press release"}]
    errors = check(tmp_path, _result("r", ["paper_abs", "press", "paper_full"], "primary_full_text", sources=sources))
    assert any("is not the basis of any of checked.sources" in e for e in errors), errors


# --------------------------------------------------------------------------- reviews and their tables


def test_table_of_a_review_read_only_to_its_abstract_is_an_error(tmp_path: Path) -> None:
    errors = check(tmp_path, _result("r", ["lin_review"], "secondary_review",
                                     "Lin 2017 Table 2 lists this mutation as reported resistance"))
    assert any("checked.passage" in e and "'Table 2' of 'lin_review'" in e for e in errors), errors


def test_table_of_a_review_read_in_full_is_accepted(tmp_path: Path) -> None:
    assert check(tmp_path, _result("r", ["deep_review"], "secondary_review",
                                   "Deep et al. 2019 Table 3 lists this mutation")) == []


def test_seed_table_is_accepted_and_abstract_level_claim_is_accepted(tmp_path: Path) -> None:
    assert check(tmp_path, _result("r", ["lin_review"], "secondary_review",
                                   "Lin 2017 review abstract; the seed's Table 1 gives the figure")) == []
    assert check(tmp_path, _result("r2", ["lin_review"], "secondary_review", "Lin 2017 abstract names it")) == []


def test_secondary_review_resting_on_the_seed_alone_is_an_error(tmp_path: Path) -> None:
    errors = check(tmp_path, _result("r", ["seed"], "secondary_review"))
    assert any("basis 'secondary_review' needs a source other than the seed" in e for e in errors), errors
    assert check(tmp_path / "b", _result("r", ["seed"], "seed_review")) == []


def test_secondary_review_on_a_title_only_reference_is_an_error(tmp_path: Path) -> None:
    errors = check(tmp_path, _result("r", ["paper_title"], "secondary_review"))
    assert errors, "a reference known only by its title supports nothing"


# --------------------------------------------------------------------------- the packaged knowledge, broken on purpose


def test_real_call_claiming_an_unread_table_is_caught(kb_copy: Path) -> None:
    path = kb_copy / "mutations" / "single.yaml"
    text = path.read_text(encoding="utf-8")
    marker = "Lin 2017 review table (flattened text, columns inferred; unverified)"
    assert marker in text, "fixture: the relabelled Lin 2017 calls are expected in single.yaml"
    at = text.index(marker, text.index("passage: \"Lin 2017 review table"))  # a call's passage, not a comment
    path.write_text(text[:at] + "Lin 2017 Table 2" + text[at + len(marker):], encoding="utf-8")
    errors = [str(i) for i in validate_kb(kb_copy) if i.severity == "error" and i.file == "mutations/single.yaml"]
    assert any("'Table 2' of 'lin2017_review'" in e for e in errors), errors


def test_real_reference_demoted_to_title_only_breaks_its_primary_facts(kb_copy: Path) -> None:
    path = kb_copy / "references" / "seed_review.yaml"
    text = path.read_text(encoding="utf-8")
    block = text[text.index("- id: hida2018"):]
    old = block[:block.index("read: abstract") + len("read: abstract")]
    path.write_text(text.replace(old, old.replace("read: abstract", "read: title_only")), encoding="utf-8")
    errors = [str(i) for i in validate_kb(kb_copy) if i.severity == "error" and "hida2018" in str(i)]
    assert any("sources" in e and "basis 'primary_abstract' needs" in e for e in errors), errors


# --------------------------------------------------------------------------- citations show the source kind


def test_cite_shows_the_kind_of_non_article_sources(tmp_path: Path) -> None:
    kb, _ = build(make_kb(tmp_path / "kb", [_result("ok", ["paper_abs"], "primary_abstract")]))
    assert kb is not None
    assert cite(kb, "paper_abs") == "doi:10.1000/paper.abs"
    assert cite(kb, "press") == "news: https://example.org/press"
    assert cite(kb, "page") == "web page: https://example.org/page"
    assert cite(kb, "us_label") == "label: https://example.org/us_label"
    assert cite(kb, "lin_review") == "review: doi:10.1000/lin.review"
    assert cite(kb, "ct_gov") == "registry: nct:NCT01234567"
    assert split_cite("news: https://example.org/press") == ("news", "https://example.org/press")
    assert split_cite("doi:10.1/x") == ("", "doi:10.1/x")
    assert by_strength(kb, ["press", "page", "paper_title", "paper_abs", "us_label"]) == \
        ["us_label", "paper_abs", "paper_title", "page", "press"]
