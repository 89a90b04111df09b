"""Clinical invariants on generated cases (hypothesis). scripts/invariants_run.py runs the same
checks on hundreds of thousands of cases."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from alknav.inputs.case_reader import parse_case_data
from alknav.kb.loader import KnowledgeBase, load_kb
from alknav.recommend.engine import recommend
from alknav.testing.cases import cases, violations

KB = load_kb()


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(KB))
def test_invariants_hold_on_generated_cases(case: dict) -> None:  # type: ignore[type-arg]
    parsed = parse_case_data(case)
    first = recommend(parsed, KB)
    problems = violations(case, first, KB, again=recommend(parsed, KB))
    assert not problems, "\n".join(problems)


def test_invariant_checker_can_fail(kb: KnowledgeBase) -> None:
    """The checker reports a harmful answer: a failed drug and a resistant drug put first."""
    case = {"case_format": 1, "diagnosis": {"alk": {"fusion": "EML4-ALK"}},
            "history": [{"regimen": ["alectinib"], "stopped_for": "progression", "months": 20}],
            "current": {"status": "progression", "alterations": ["ALK G1202R"]}}
    result = recommend(parse_case_data(case), kb)
    failed = next(o for o in result.options if o.drugs == ["alectinib"])
    hacked = result.model_copy(update={"options": [failed, *[o for o in result.options if o is not failed]]})
    problems = violations(case, hacked, kb)
    assert any("already failed" in p for p in problems)
    assert any("resistant" in p for p in problems)


def test_invariant_checker_reports_a_combination_shown_as_approved(kb: KnowledgeBase) -> None:
    """ALK TKI + MET inhibitor with no approval of the combination: 'approved' is reported, 'off_label' is not."""
    case = {"case_format": 1, "patient": {"region": "US"}, "diagnosis": {"alk": {"fusion": "EML4-ALK"}},
            "history": [{"regimen": ["alectinib"], "stopped_for": "progression", "months": 20},
                        {"regimen": ["lorlatinib"], "stopped_for": "progression", "months": 12}],
            "current": {"status": "progression", "alterations": ["MET amplification"]}}
    result = recommend(parse_case_data(case), kb)
    combo = next(o for o in result.options if set(o.drugs) == {"capmatinib", "lorlatinib"})
    assert combo.availability.status == "off_label"
    assert not any("combination shown as approved" in p for p in violations(case, result, kb))
    hacked_combo = combo.model_copy(update={"availability": combo.availability.model_copy(
        update={"status": "approved", "detail": None})})
    hacked = result.model_copy(update={"options": [hacked_combo if o is combo else o for o in result.options]})
    assert any("combination shown as approved" in p for p in violations(case, hacked, kb))
