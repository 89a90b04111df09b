"""`alknav recommend / explain / demo`: formats, languages, regions, batch, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from alknav.cli import app

runner = CliRunner()
DATA = Path(__file__).parent / "data"
SCENARIOS = Path(__file__).parent / "scenarios"


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _case_file(tmp_path: Path, scenario: str, **changes: object) -> Path:
    case = yaml.safe_load((SCENARIOS / f"{scenario}.yaml").read_text())["case"]
    case.update(changes)
    path = tmp_path / f"{scenario}.yaml"
    path.write_text(yaml.safe_dump(case, allow_unicode=True), encoding="utf-8")
    return path


def test_json_output_follows_contract(tmp_path: Path) -> None:
    code, out = run("recommend", str(_case_file(tmp_path, "g1202r_after_alectinib")), "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    for key in ("case_id", "knowledge_version", "alterations", "options", "warnings", "suggested_tests"):
        assert key in data
    top = data["options"][0]
    assert top["rank"] == 1 and top["drugs"] == ["lorlatinib"] and top["category"] == "alk_tki"
    assert top["evidence"]["level"] and top["evidence"]["citations"]
    assert top["availability"]["region"] and top["rationale"]
    assert [o["rank"] for o in data["options"]] == list(range(1, len(data["options"]) + 1))
    allowed = {"alk_tki", "alk_tki_combination", "chemotherapy", "chemoimmunotherapy", "local_therapy",
               "clinical_trial", "best_supportive_care"}
    assert {o["category"] for o in data["options"]} <= allowed


def test_every_option_is_cited(tmp_path: Path) -> None:
    for scenario in ("fl_untreated_no_brain_mets", "met_amp_after_alectinib", "sclc_transformation_after_alectinib"):
        code, out = run("recommend", str(_case_file(tmp_path, scenario)), "--format", "json")
        assert code == 0
        for option in json.loads(out)["options"]:
            assert option["evidence"]["citations"], option["name"]


def test_expected_efficacy_from_a_cohort(tmp_path: Path) -> None:
    _code, out = run("recommend", str(_case_file(tmp_path, "fl_untreated_no_brain_mets")), "--format", "json")
    data = json.loads(out)
    alectinib = next(o for o in data["options"] if o["drugs"] == ["alectinib"])
    trials = {e["trial_id"] for e in alectinib["expected_efficacy"]}
    assert trials & {"alex", "alesia"}
    assert any(e["endpoint"].startswith("PFS") for e in alectinib["expected_efficacy"])


def test_chinese_output(tmp_path: Path) -> None:
    code, out = run("recommend", str(_case_file(tmp_path, "g1202r_after_alectinib")), "--format", "json",
                    "--lang", "zh")
    assert code == 0
    data = json.loads(out)
    assert data["options"][0]["name"] == "洛拉替尼"
    assert "临床" in data["disclaimer"]


def test_region_override_changes_availability(tmp_path: Path) -> None:
    path = _case_file(tmp_path, "fl_untreated_no_brain_mets")
    _, cn = run("recommend", str(path), "--format", "json", "--region", "CN")
    _, us = run("recommend", str(path), "--format", "json", "--region", "US")
    cn_status = {o["drugs"][0]: o["availability"]["status"] for o in json.loads(cn)["options"] if len(o["drugs"]) == 1}
    us_status = {o["drugs"][0]: o["availability"]["status"] for o in json.loads(us)["options"] if len(o["drugs"]) == 1}
    assert cn_status["iruplinalkib"] == "approved" and us_status["iruplinalkib"] != "approved"


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_human_formats(tmp_path: Path, fmt: str) -> None:
    code, out = run("recommend", str(_case_file(tmp_path, "g1202r_after_alectinib")), "--format", fmt)
    assert code == 0
    assert "orlatinib" in out and ("decision support" in out)


def test_explain_prints_rule_trace(tmp_path: Path) -> None:
    code, out = run("explain", str(_case_file(tmp_path, "g1202r_after_alectinib")), "--json")
    assert code == 0
    trace = json.loads(out)["trace"]
    rules = {step["rule"] for step in trace}
    assert {"mutation_coverage_all_sensitive", "mutation_coverage_resistant"} <= rules
    assert all(step["citations"] for step in trace)
    code, out = run("explain", str(_case_file(tmp_path, "g1202r_after_alectinib")))
    assert code == 0 and "mutation_coverage_all_sensitive" in out


def test_demo_runs_a_full_case() -> None:
    code, out = run("demo", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["case_id"] == "demo-001" and data["options"][0]["drugs"] == ["lorlatinib"]


def test_batch_directory_one_json_line_per_case(tmp_path: Path) -> None:
    for name in ("g1202r_after_alectinib", "fl_region_cn", "bad_unknown_drug"):
        _case_file(tmp_path, name)
    code, out = run("recommend", str(tmp_path))
    lines = [json.loads(line) for line in out.strip().splitlines() if line.startswith("{")]
    assert len(lines) == 3
    assert sum("error" in line for line in lines) == 1
    assert code == 2  # one case could not be read; the others were still answered


def test_phenopacket_input() -> None:
    code, out = run("recommend", str(DATA / "phenopacket_g1202r.json"), "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["alterations"][0]["normalized"] == "ALK p.G1202R"
    assert data["options"][0]["drugs"] == ["lorlatinib"]
    codes = {w["code"] for w in data["warnings"]}
    assert "input_not_mapped" in codes
    assert any("radiation" in item for item in data["interpretation"]["not_mapped_from_input"])


BAD = [
    ("not: [valid", "file", "invalid YAML"),
    ('{"case_format": 1, "diagnosis": ', "file", "invalid JSON"),
    ("", "file", "empty"),
    ("- a list", "", "mapping"),
    ("case_format: 1\ndiagnosis: {alk: {fusion: EML4-ALK}}\npatient: {age: old}\n", "patient.age", "integer"),
    ("case_format: 1\ndiagnosis: {histology: adenocarcinoma}\n", "diagnosis.alk", "no ALK rearrangement"),
    ("case_format: 1\ndiagnosis: {alk: {fusion: EML4-ALK}}\nhistory: [{regimen: [wonderinib]}]\n"
     "current: {status: progression}\n", "history[0].regimen[0]", "unknown drug 'wonderinib'"),
    ("case_format: 2\ndiagnosis: {alk: {fusion: EML4-ALK}}\n", "case_format", "not supported"),
    ("case_format: 1\ndiagnosis: {alk: {fusion: EML4-ALK}}\ncurrent: {status: progression}\n", "current.status",
     "history is empty"),
]


@pytest.mark.parametrize(("text", "field", "message"), BAD, ids=[b[2] for b in BAD])
def test_bad_input_exit_2_one_line(tmp_path: Path, text: str, field: str, message: str) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    code, out = run("recommend", str(path))
    assert code == 2
    lines = [line for line in out.strip().splitlines() if line]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in out
    code, out = run("recommend", str(path), "--format", "json")
    assert code == 2
    err = json.loads(out)["error"]
    assert err["field"] == field and message in err["message"]


def test_missing_file_and_bad_options(tmp_path: Path) -> None:
    code, out = run("recommend", str(tmp_path / "nope.yaml"))
    assert code == 2 and "no such file" in out
    path = _case_file(tmp_path, "fl_region_cn")
    assert run("recommend", str(path), "--lang", "fr")[0] == 2
    assert run("recommend", str(path), "--region", "XX")[0] == 2


def test_fhir_format(tmp_path: Path) -> None:
    code, out = run("recommend", str(_case_file(tmp_path, "g1202r_after_alectinib")), "--format", "fhir")
    assert code == 0, out
    bundle = json.loads(out)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert bundle["resourceType"] == "Bundle" and {"DiagnosticReport", "Observation", "Patient"} <= kinds


def test_unwritable_output_and_empty_directory(tmp_path: Path) -> None:
    exe = [sys.executable, "-c", "from alknav.cli import main; main()"]
    out = subprocess.run([*exe, "report", str(_case_file(tmp_path, "fl_region_cn")), "-o",
                          str(tmp_path / "no" / "such" / "dir" / "r.html")], capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "No such file" in out.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    code, text = run("recommend", str(empty))
    assert code == 2 and "no case files" in text


def test_deeply_nested_case_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"a": ' * 5000 + "1" + "}" * 5000)
    code, out = run("recommend", str(path))
    assert code == 2 and "nested too deeply" in out
    inf = tmp_path / "inf.yaml"
    inf.write_text("case_format: 1\ndiagnosis: {alk: {fusion: EML4-ALK}}\nhistory: [{regimen: [alectinib], "
                   "months: .inf}]\ncurrent: {status: progression}\n")
    code, out = run("recommend", str(inf))
    assert code == 2 and "history[0].months" in out


def test_batch_in_worker_processes_equals_one_process(tmp_path: Path) -> None:
    """--jobs shares a batch among forked processes; the lines, their order and the exit status are
    exactly those of one process (and those of recommending each file alone)."""
    names = ["g1202r_after_alectinib", "fl_region_cn", "bad_unknown_drug"] * 4
    for i, name in enumerate(names):
        path = _case_file(tmp_path, name)
        path.rename(tmp_path / f"{i:02d}_{name}.yaml")
    code1, one = run("recommend", str(tmp_path), "--jobs", "1")
    code2, two = run("recommend", str(tmp_path), "--jobs", "3")
    assert code1 == code2 == 2
    lines = [line for line in one.splitlines() if line.startswith("{")]
    assert len(lines) == 12 and [line for line in two.splitlines() if line.startswith("{")] == lines
    first = json.loads(lines[0])
    assert first["file"].endswith("00_g1202r_after_alectinib.yaml") and "trace" not in first
    code, alone = run("recommend", first["file"], "--format", "json")
    expected = json.loads(alone)
    expected.pop("trace", None)
    assert code == 0 and {k: v for k, v in first.items() if k != "file"} == expected
    assert "error" in json.loads(lines[2]) and json.loads(lines[2])["file"].endswith("bad_unknown_drug.yaml")


DEMO = Path(__file__).resolve().parents[1] / "src" / "alknav" / "examples" / "demo_case.yaml"


def test_output_file_top_and_all(tmp_path: Path) -> None:
    out = tmp_path / "rec.json"
    code, printed = run("recommend", str(DEMO), "--format", "json", "-o", str(out))
    assert code == 0 and "wrote" in printed
    every = json.loads(out.read_text(encoding="utf-8"))["options"]
    assert len(every) > 3
    code, printed = run("recommend", str(DEMO), "--format", "json", "--top", "2")
    assert code == 0 and [o["rank"] for o in json.loads(printed)["options"]] == [1, 2]
    text = tmp_path / "rec.txt"
    assert run("recommend", str(DEMO), "--top", "1", "-o", str(text))[0] == 0
    one = text.read_text(encoding="utf-8")
    assert f"{len(every) - 1} more options" in one
    assert run("recommend", str(DEMO), "--all", "-o", str(text))[0] == 0
    assert "more options" not in text.read_text(encoding="utf-8")
    assert every[-1]["name"].split(" ")[0] in text.read_text(encoding="utf-8")
    code, printed = run("recommend", str(DEMO), "--top", "2", "--all")
    assert code == 2 and "--top N or --all" in printed
    md = tmp_path / "rec.md"
    assert run("recommend", str(DEMO), "--format", "markdown", "--top", "2", "-o", str(md))[0] == 0
    assert "\n3. **" not in md.read_text(encoding="utf-8") and "\n2. **" in md.read_text(encoding="utf-8")


def test_explain_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "trace.json"
    code, _ = run("explain", str(DEMO), "--json", "-o", str(out))
    assert code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["trace"]
    text = tmp_path / "trace.txt"
    assert run("explain", str(DEMO), "-o", str(text))[0] == 0
    assert "G1202R" in text.read_text(encoding="utf-8")
    bad, printed = run("recommend", str(DEMO), "-o", str(tmp_path / "no" / "such" / "dir.txt"))
    assert bad == 2 and "cannot write" in printed


def test_default_jobs_count_idle_cpus(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without --jobs, a large batch takes one process per CPU other processes leave idle."""
    import os

    from alknav import cli_core

    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.setattr(cli_core, "_busy_cpus", lambda: 0.0)
    assert cli_core._jobs(None, 1000) == 2
    assert cli_core._jobs(None, 150) == 1  # small batch: one process
    assert cli_core._jobs(None, 300) == 1  # two processes only from 400 files (200 each)
    assert cli_core._jobs(1, 1000) == 1 and cli_core._jobs(3, 1000) == 3 and cli_core._jobs(3, 2) == 2
    monkeypatch.setattr(cli_core, "_busy_cpus", lambda: 2.0)
    assert cli_core._jobs(None, 1000) == 1  # busy machine: one process
    monkeypatch.setattr(cli_core, "_busy_cpus", lambda: 1.0)
    assert cli_core._jobs(None, 1000) == 1
    monkeypatch.setattr(cli_core, "_busy_cpus", lambda: None)
    assert cli_core._jobs(None, 1000) == 1


def test_busy_cpus_reads_the_runnable_tasks(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Busy CPUs are the runnable tasks of /proc/loadavg less this process; without a readable
    /proc/loadavg, the 1-minute load average."""
    import io
    import os

    from alknav import cli_core

    text = {"value": "0.50 0.40 0.30 3/300 12345\n"}

    def fake_open(path: str, *args: object, **kwargs: object) -> io.StringIO:
        assert path == "/proc/loadavg"
        if text["value"] is None:
            raise OSError("no /proc")
        return io.StringIO(text["value"])

    monkeypatch.setattr(cli_core, "open", fake_open, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    assert cli_core._busy_cpus() == 2.0
    text["value"] = "0.00 0.00 0.00 1/300 12345\n"
    assert cli_core._busy_cpus() == 0.0
    text["value"] = "garbled"
    assert cli_core._busy_cpus() == 1.5
    text["value"] = None
    assert cli_core._busy_cpus() == 1.5
