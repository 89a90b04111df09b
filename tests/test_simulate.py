"""Sequencing simulator (issue 13): model invariants, calibration ordering, determinism, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from alknav.cli import app
from alknav.errors import CaseError
from alknav.kb.loader import KnowledgeBase, load_kb
from alknav.simulate import LABEL, stats
from alknav.simulate import model as m
from alknav.simulate.calibrate import fit_targets
from alknav.simulate.params import DATA_DIR, TKIS, Model, load_model, load_targets
from alknav.simulate.run import calibrated_model, parse_strategies, simulate, summarize
from alknav.simulate.strategies import EnginePolicy, parse_strategy

runner = CliRunner()


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


@pytest.fixture(scope="module")
def model(kb: KnowledgeBase) -> Model:
    return calibrated_model(kb)


def _median_pfs1(model: Model, kb: KnowledgeBase, sequence: str, n: int = 4000, seed: int = 7) -> float:
    res = simulate(kb, model, parse_strategies([sequence], model), n, seed)[0]
    ep = stats.endpoints(res)["pfs1"]
    med = stats.km_median(ep.time, ep.event)
    return med if med is not None else float("inf")


# ---------------------------------------------------------------- calibration and ordering


def test_first_line_ordering_crown_alex_profile(model: Model, kb: KnowledgeBase) -> None:
    """CROWN (lorlatinib) > ALEX (alectinib) > PROFILE 1014 (crizotinib) > its chemotherapy arm."""
    lor, alec, criz, chemo = (_median_pfs1(model, kb, s) for s in ("lorlatinib", "alectinib", "crizotinib",
                                                                   "chemotherapy"))
    assert lor > alec > criz > chemo
    assert 8 < criz < 14 and 28 < alec < 42 and 5 < chemo < 9  # near the trials' 10.9, 34.8 and 7.0 months


def test_ordering_follows_from_kb_calls_without_fitted_potency(model: Model, kb: KnowledgeBase) -> None:
    """With every ALK TKI given the same kill rate, the KB's per-mutation calls and CNS penetration
    alone still rank lorlatinib over alectinib over crizotinib (the ordering is not only the fit)."""
    same = model.with_values({f"kill.{d}": 1.2 for d in TKIS})
    lor, alec, criz = (_median_pfs1(same, kb, s) for s in ("lorlatinib", "alectinib", "crizotinib"))
    assert lor > alec > criz


def test_fit_reads_calibration_targets_only(kb: KnowledgeBase) -> None:
    targets = load_targets(kb)
    held_out = {t.id for t in targets if t.role == "validation"}
    used = {tid for goal in fit_targets(kb, targets).values() for tid in goal["targets"]}
    assert used and not used & held_out
    assert {"alesia_alec", "alta3_brig", "alta2_brig_after_alec", "crown_ic_hr", "kuo2021_alec_12m"} <= held_out
    calibration = {t.id for t in targets if t.role == "calibration"}
    assert {"lor_p2_after_2g", "chemo_after_2g", "crown_ic_criz", "crown_pfs2_criz"} <= calibration
    fits = fit_targets(kb, targets)
    assert fits["shared.adaptive_share"]["targets"] == ["lor_p2_after_2g"]
    assert fits["shared.persister_chemo_sensitivity"]["targets"] == ["chemo_after_2g"]


def test_calibrated_values_are_the_fitted_ones(kb: KnowledgeBase) -> None:
    import yaml

    fitted = yaml.safe_load((DATA_DIR / "calibrated.yaml").read_text(encoding="utf-8"))
    cal = calibrated_model(kb)
    for key, value in fitted["values"].items():
        group, _, name = key.partition(".")
        current = cal.kill[cal.agent_index(name)] if group == "kill" else cal.shared[name]
        assert current == pytest.approx(value)
    assert all(row["targets"] for row in fitted["fit"])


# ---------------------------------------------------------------- model invariants


def _one_line(model: Model, agents: tuple[str, ...], n: int = 3000, seed: int = 3) -> tuple[m.Cohort, m.LineOutcome]:
    cohort = m.make_cohort(model, n, np.random.default_rng(seed))
    ks, kc = m.regimen_kill(model, agents)
    draws = np.random.default_rng(seed + 1).random((4, n, len(model.clone_ids)))
    out = m.run_line(model, cohort, np.tile(ks, (n, 1)), np.tile(kc, (n, 1)), np.zeros(n), 240.0, draws)
    return cohort, out


@pytest.mark.parametrize("agent", [*TKIS, "chemotherapy"])
def test_resistant_clone_never_shrinks(model: Model, agent: str) -> None:
    cohort, out = _one_line(model, (agent,))
    resistant = np.flatnonzero(model.sens[model.agent_index(agent)] == 0)
    assert resistant.size  # every agent has clones it cannot touch
    for j in resistant:
        assert np.all(out.systemic[:, j] >= cohort.systemic[:, j] * (1 - 1e-12))
        assert np.all(out.cns[:, j] >= cohort.cns[:, j] * (1 - 1e-12))
    # and a clone the KB calls sensitive does shrink for most patients on a long response
    sens = model.sens[model.agent_index(agent), 0]
    if sens > 0:
        long = out.duration > 6
        # chemotherapy's kill is modest: where it stays below a patient's growth rate the tumour grows
        # slowly without responding (the non-responders), so its bar is lower than the TKIs'
        assert np.mean(out.systemic[long, 0] < cohort.systemic[long, 0]) > (0.8 if agent == "chemotherapy" else 0.9)


def test_kb_resistant_call_means_zero_effect(model: Model) -> None:
    g1202r = model.clone_ids.index("G1202R")
    assert model.sens[model.agent_index("alectinib"), g1202r] == 0.0  # KB: G1202R resistant to alectinib
    assert model.sens[model.agent_index("lorlatinib"), g1202r] == 1.0  # KB: sensitive to lorlatinib
    assert "KB call resistant" in model.call_notes["G1202R x alectinib"]


@pytest.mark.parametrize("sequence", ["alectinib>lorlatinib>chemotherapy", "crizotinib>brigatinib",
                                      "lorlatinib+met_inhibitor>chemotherapy"])
def test_burden_never_negative_and_times_sane(model: Model, kb: KnowledgeBase, sequence: str) -> None:
    for agents in parse_strategy(sequence, model).steps:
        _, out = _one_line(model, agents)
        for arr in (out.systemic, out.cns):
            assert np.all(np.isfinite(arr)) and np.all(arr >= 0)
        assert np.all(out.duration >= 0) and np.all(out.duration <= 240)
    res = simulate(kb, model, [parse_strategy(sequence, model)], 2000, 5)[0]
    given = ~np.isnan(res.duration)
    assert np.all(res.duration[given] >= 0)
    assert np.all(np.diff(np.where(given, res.start, 1e9), axis=1) >= 0)  # lines start in order


def test_progression_time_is_the_first_crossing() -> None:
    coef = np.array([[1e10, 1e4]])
    g = np.array([[-1.0, 0.3]])
    t = m.progression_time(coef, g, 1.2, 1e9, np.array([240.0]))[0]
    burden = (coef * np.exp(g * np.linspace(0, t, 2000)[:, None])).sum(axis=1)
    nadir = burden.min()
    assert burden[-1] == pytest.approx(max(1.2 * nadir, 1e9), rel=1e-3)
    assert np.all(burden[:-1][np.argmin(burden):] < burden[-1] * (1 + 1e-9))


def test_survival_curves_monotone(model: Model, kb: KnowledgeBase) -> None:
    results = simulate(kb, model, parse_strategies(["crizotinib>alectinib>lorlatinib", "alknav"], model), 1500, 2)
    for res in results:
        for name, ep in stats.endpoints(res).items():
            t, s = stats.km(ep.time, ep.event)
            assert np.all(np.diff(s) <= 1e-12), name
            assert np.all(np.diff(t) >= 0) and s[0] == 1.0 and np.all((s >= 0) & (s <= 1)), name


def test_bootstrap_interval_contains_median(model: Model, kb: KnowledgeBase) -> None:
    res = simulate(kb, model, parse_strategies(["alectinib>lorlatinib"], model), 3000, 4)
    summary = summarize(model, res, 4, 3000)
    for key in ("pfs1_median", "pfs2_median"):
        med = summary["strategies"][0][key]
        assert med["ci_low"] <= med["value"] <= med["ci_high"]
        assert med["ci_high"] - med["ci_low"] < 0.3 * med["value"]


# ---------------------------------------------------------------- determinism and Dask


def test_same_seed_same_result(model: Model, kb: KnowledgeBase) -> None:
    strategies = parse_strategies(["alectinib>lorlatinib>chemotherapy", "alknav"], model)
    a = summarize(model, simulate(kb, model, strategies, 1500, 11), 11, 1500)
    b = summarize(model, simulate(kb, model, strategies, 1500, 11), 11, 1500)
    c = summarize(model, simulate(kb, model, strategies, 1500, 12), 12, 1500)
    assert a == b
    assert a["strategies"][0]["pfs1_median"] != c["strategies"][0]["pfs1_median"]


def test_dask_local_cluster_equals_single_process(model: Model) -> None:
    """A sweep that refits the calibrated parameters for every set gives the same numbers on a
    2-worker local Dask cluster as in one process (small: 2 sets, 400 patients, 5 bisection steps)."""
    pytest.importorskip("dask.distributed")
    from alknav.simulate import sweep as sw

    tasks = sw.make_tasks(model, ["alectinib>lorlatinib", "lorlatinib>chemotherapy"], 2, 400, 21,
                          refit=True, fit_steps=5, fit_passes=1)
    drawn = set(dict(tasks[0].overrides))
    assert not drawn & {"kill.alectinib", "kill.chemotherapy", "shared.adaptive_share", "shared.occult_cns_log10"}
    assert {"kill.met_inhibitor", "shared.growth_rate", "shared.next_line_delay"} <= drawn  # assumed ones are drawn
    here = sw.run(tasks)
    client, cluster = sw.connect(None, 2)
    try:
        there = sw.run(tasks, client)
        assert len(client.scheduler_info()["workers"]) == 2  # really ran on a cluster
    finally:
        client.close()
        cluster.close()
    assert here == there
    assert here[0] != here[1]  # parameter sets differ, so results do
    assert {"kill.alectinib", "shared.adaptive_share", "shared.occult_cns_log10"} <= set(here[0]["fitted"])
    assert here[0]["fitted"] != here[1]["fitted"]  # refitted per set
    summary = sw.summarize(tasks, here, "single process")
    assert set(summary["summary"]) == {"alectinib>lorlatinib", "lorlatinib>chemotherapy"} and summary["refit"]


def test_sweep_without_refit_varies_calibrated_values(model: Model) -> None:
    from alknav.simulate import sweep as sw

    sets = sw.draw_sets(model, 3, 5, refit=False)
    assert all("kill.alectinib" in s for s in sets)
    value = float(model.kill[model.agent_index("alectinib")])
    assert all(0.74 * value <= s["kill.alectinib"] <= 1.26 * value for s in sets)


# ---------------------------------------------------------------- engine-guided strategy


def test_engine_policy_maps_and_caches(kb: KnowledgeBase, model: Model) -> None:
    policy = EnginePolicy(kb, model)
    assert policy.agents_for(["carboplatin", "pemetrexed"], "chemotherapy") == ("chemotherapy",)
    assert policy.agents_for(["capmatinib", "lorlatinib"], "alk_tki_combination") == ("lorlatinib", "met_inhibitor")
    assert policy.agents_for(["ceritinib"], "alk_tki") is None  # no parameters for it
    key = ((((("alectinib",), 18),)), ("ALK G1202R",), None, "plasma", False, "systemic")
    assert policy.choose(key) == ("lorlatinib",)  # the engine's answer for G1202R after alectinib
    policy.choose(key)
    assert policy.calls == 1 and len(policy.cache) == 1


# ---------------------------------------------------------------- parameters as data


def test_parameters_cite_kb_references(kb: KnowledgeBase, tmp_path: Path) -> None:
    for name in ("parameters.yaml", "targets.yaml"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    text = (tmp_path / "parameters.yaml").read_text(encoding="utf-8")
    (tmp_path / "parameters.yaml").write_text(text.replace("refs: [doebele2012]", "refs: [nosuchref2099]", 1),
                                              encoding="utf-8")
    with pytest.raises(CaseError) as info:
        load_model(kb, tmp_path)
    assert "nosuchref2099" in str(info.value) and "parameters.yaml:clones" in info.value.field


def test_only_a_calibration_target_sets_a_parameter(kb: KnowledgeBase, tmp_path: Path) -> None:
    """The fit/held-out split is data: a held-out target that names a parameter to fit is refused,
    and so is a target naming a parameter that is not calibrated."""
    for name in ("parameters.yaml", "targets.yaml"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    text = (tmp_path / "targets.yaml").read_text(encoding="utf-8")
    held = ("result: alta2_pfs_post_alectinib, prior_line: alectinib, sequence: brigatinib, endpoint: pfs1, "
            "follow_up: 12")
    assert held in text
    (tmp_path / "targets.yaml").write_text(text.replace(held, held + ", fits: shared.adaptive_share"), encoding="utf-8")
    with pytest.raises(CaseError, match="only a calibration target"):
        load_targets(kb, tmp_path)
    (tmp_path / "targets.yaml").write_text(text.replace("fits: shared.adaptive_share", "fits: shared.death_rate"),
                                           encoding="utf-8")
    with pytest.raises(CaseError, match="not a calibrated shared parameter"):
        load_targets(kb, tmp_path)


def test_every_parameter_states_provenance(kb: KnowledgeBase) -> None:
    model = load_model(kb)
    params = [*model.file.shared.values(), *(a.kill for a in model.file.agents.values())]
    params += [p for c in model.file.clones for p in (c.prevalence, c.mutation_rate) if p is not None]
    assert all(p.provenance.value in ("read", "derived", "assumed", "calibrated") for p in params)
    assert all(p.refs for p in params if p.provenance.value in ("read", "derived"))


# ---------------------------------------------------------------- CLI


def test_cli_json_keys_and_label(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "-s", "alectinib>lorlatinib>chemotherapy", "-s", "lorlatinib>chemotherapy",
                                 "--patients", "800", "--seed", "3", "--format", "json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["label"] == LABEL
    names = [s["strategy"] for s in doc["strategies"]]
    assert names == ["alectinib>lorlatinib>chemotherapy", "lorlatinib>chemotherapy"]
    for s in doc["strategies"]:
        for key in ("pfs1_median", "pfs2_median"):
            assert {"value", "ci_low", "ci_high"} <= set(s[key]) and s[key]["value"] > 0
    for name in ("km_pfs1.png", "km_pfs2.svg", "km_time_to_chemotherapy.png", "km_ic_progression.svg"):
        assert (tmp_path / name).stat().st_size > 1000
    assert "HYPOTHESIS-GENERATING" in (tmp_path / "km_pfs1.svg").read_text(encoding="utf-8")


def test_cli_text_and_html_carry_label() -> None:
    text = runner.invoke(app, ["simulate", "-s", "crizotinib>alectinib", "-n", "300"])
    assert text.exit_code == 0 and text.output.count("HYPOTHESIS-GENERATING") == 2
    page = runner.invoke(app, ["simulate", "-s", "crizotinib", "-n", "300", "--format", "html"])
    assert page.exit_code == 0 and page.output.startswith("<!doctype html>") and "<svg" in page.output
    assert page.output.count("HYPOTHESIS-GENERATING") >= 2


@pytest.mark.parametrize(("args", "field"), [
    (["-s", "alectinib", "--patients", "5"], "--patients"),
    (["-s", "alectinib>ceritinib"], "--strategy"),
    (["-s", "met_inhibitor"], "--strategy"),
    (["-s", "alectinib", "--format", "xml"], "--format"),
    (["-s", "alectinib", "--seed", "-1"], "--seed"),
    (["-s", "alectinib", "-n", "200", "--sweep", "2", "--scheduler", "localhost:8786"], "--scheduler"),
])
def test_cli_bad_input_names_the_option(args: list[str], field: str) -> None:
    result = runner.invoke(app, ["simulate", *args])
    assert result.exit_code == 2
    assert field in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------- the hybrid's two regimes


def _emergence(model: Model, rate: float, n: int = 20000) -> np.ndarray:
    k = model.clone_ids.index("G1202R")
    tuned = model.with_values({"mutation_rate.G1202R": rate})
    start = np.zeros((n, len(model.clone_ids)))
    start[:, 0] = 1e9
    g = np.full_like(start, -1.0)
    g[:, k] = 0.3  # the mutant grows; the source (sensitive) shrinks at 1 per month; no other clone can arise
    draws = np.random.default_rng(9).random((2, n, len(model.clone_ids)))
    return m._emerge(tuned, start, g, draws)[:, k]


def test_rare_mutants_arise_as_a_poisson_process(model: Model) -> None:
    """Stochastic regime: a survivor arises with probability 1 - exp(-mu g_k n0 / |g_src|)."""
    expected_arrivals = 1.0
    coef = _emergence(model, expected_arrivals / (0.3 * 1e9))
    assert np.mean(coef > 0) == pytest.approx(1 - np.exp(-expected_arrivals), abs=0.02)


def test_common_mutants_take_their_mean(model: Model) -> None:
    """Deterministic regime: many survivors are replaced by the mean u n0 / (g_k - g_src)."""
    rate = 1e-7
    coef = _emergence(model, rate)
    u = rate * model.shared["birth_rate"]
    assert np.allclose(coef, u * 1e9 / 1.3)
    assert (0.3 / model.shared["birth_rate"]) * u * 1e9 / 1.3 >= m.HYBRID_SWITCH


# ---------------------------------------------------------------- later lines (structure, not fit)


def test_tolerant_cells_turn_alk_independent_only_after_a_potent_tki(model: Model, kb: KnowledgeBase) -> None:
    from alknav.simulate.strategies import _adapt

    assert model.adapts(("alectinib",)) and model.adapts(("chemotherapy", "lorlatinib"))
    assert not model.adapts(("crizotinib",)) and not model.adapts(("chemotherapy",))
    t, a = model.clone_index("tolerant"), model.clone_index("alk_independent")
    state = np.zeros((1, len(model.clone_ids)))
    state[0, t] = 1e9
    out = _adapt(state, 0.25, t, a)
    assert out[0, a] == pytest.approx(2.5e8) and out.sum() == pytest.approx(state.sum())
    assert np.all(model.sens[[model.agent_index(d) for d in TKIS], a] == 0)  # no ALK TKI acts on them
    # after crizotinib (no adaptation) the ALK-independent state never drives progression on alectinib
    res = simulate(kb, model, parse_strategies(["crizotinib>alectinib", "alectinib>lorlatinib"], model), 2000, 4)
    assert not np.any(res[0].dominant[:, 1] == a)
    assert np.any(res[1].dominant[:, 1] == a)


def test_chemo_refractory_share_restored_in_every_clone() -> None:
    from alknav.simulate.strategies import _reequilibrate

    state = np.array([[1e9, 5e8, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    out = _reequilibrate(state, np.array([1e-3, 1e-3]), 3)
    assert out.sum(axis=1) == pytest.approx(state.sum(axis=1))
    assert out[0, 3] == pytest.approx(1e-3 * state[0].sum())
    assert out[0, 0] / out[0, 1] == pytest.approx(2.0)  # taken evenly from every clone
    assert np.all(out[1] == 0)


def test_later_lines_start_from_a_resistant_burden(model: Model, kb: KnowledgeBase) -> None:
    """Lorlatinib after crizotinib and alectinib, and chemotherapy after alectinib, are far shorter
    than the same drug first line (the trials: 6.6 vs NR, 4.3 vs 7.0 months)."""
    from alknav.simulate.calibrate import simulate_arm

    lor2 = simulate_arm(model, "lorlatinib", 3000, 9, "crizotinib>alectinib").pfs1
    chemo2 = simulate_arm(model, "chemotherapy", 3000, 9, "alectinib").pfs1
    later = [stats.km_median(e.time, e.event) for e in (lor2, chemo2)]
    assert later[0] is not None and later[1] is not None
    assert later[0] < 12 < _median_pfs1(model, kb, "lorlatinib")
    assert later[1] < _median_pfs1(model, kb, "chemotherapy")


# ---------------------------------------------------------------- report section (alknav report --simulate)


def test_report_simulation_section_en_zh(kb: KnowledgeBase, tmp_path: Path) -> None:
    import alknav
    from alknav.inputs.case_reader import read_case
    from alknav.outputs.i18n import t
    from alknav.outputs.report import render_html
    from alknav.recommend.engine import recommend

    case = read_case(Path(alknav.__file__).parent / "examples" / "demo_case.yaml")  # after alectinib
    result = recommend(case, kb)
    plain = render_html(case, result, kb, "en")
    assert 'id="simulation"' not in plain  # off by default
    for lang in ("en", "zh"):
        page = render_html(case, result, kb, lang, simulate=(600, 3))
        section = page[page.index('<section id="simulation">'):]
        section = section[:section.index("</section>")]
        assert section.count(t(lang, "r_sim_label")) == 2  # top and bottom of the section
        assert t(lang, "r_sim_title") in section and t(lang, "r_sim_pfs") in section
        assert section.count("<svg") == 2
        names = {"zh": ("洛拉替尼", "化疗", "阿来替尼"), "en": ("lorlatinib", "chemotherapy", "alectinib")}
        lor, chemo, alec = names[lang]
        assert f"{lor} → {chemo}" in section  # a fixed sequence, named in the report's language
        assert "alknav" in section and alec in section  # the guided row and the history simulated
    zh = render_html(case, result, kb, "zh", simulate=(600, 3))
    assert "仅供提出假设" in zh
    assert render_html(case, result, kb, "en", simulate=(600, 3)) == render_html(case, result, kb, "en",
                                                                                  simulate=(600, 3))


def test_report_cli_simulate(tmp_path: Path) -> None:
    import alknav

    demo = Path(alknav.__file__).parent / "examples" / "demo_case.yaml"
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(demo), "-o", str(out), "--simulate", "--sim-patients", "600"])
    assert res.exit_code == 0, res.output
    assert 'id="simulation"' in out.read_text(encoding="utf-8")
    bad = runner.invoke(app, ["report", str(demo), "-o", str(out), "--simulate", "--sim-patients", "10"])
    assert bad.exit_code == 2 and "--sim-patients" in bad.output


def test_report_section_history_the_simulator_cannot_model(kb: KnowledgeBase) -> None:
    from alknav.inputs.case_reader import parse_case_data
    from alknav.simulate import case_section

    case = parse_case_data({
        "case_format": 1, "id": "x", "diagnosis": {"histology": "adenocarcinoma", "stage": "IVB",
                                                 "alk": {"method": "NGS", "fusion": "EML4-ALK"}},
        "history": [{"regimen": ["ceritinib"], "months": 10, "stopped_for": "progression"}],
        "current": {"status": "progression"}})
    sec = case_section.build(case, kb, {"aria_pfs": "a", "aria_pfs2": "b", "x": "x", "y": "y"}, patients=500)
    assert not sec.available and "ceritinib" in sec.reason
