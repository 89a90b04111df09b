"""Progress bars of annotate --maf / --vcf and cohort recommend: on standard error only, only for a
terminal (or ALKNAV_PROGRESS=1), never in the outputs; a piped run shows nothing."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from alknav import progress
from alknav.inputs.genomic.maf import annotate_maf
from alknav.kb.loader import KnowledgeBase

DATA = Path(__file__).parent / "data"
COHORT = DATA / "cohort"
EXE = [sys.executable, "-c", "from alknav.cli import main; main()"]
BAR = "\u2501"  # the heavy horizontal line rich draws bars with
ESC = "\x1b"

RUNS = {
    "maf": (["annotate", "--maf", str(COHORT / "cohort.maf")], "cohort.maf: reading"),
    "vcf": (["annotate", "--vcf", str(DATA / "vcf" / "alk_grch37.vcf")], "alk_grch37.vcf: reading"),
    "cohort": (["cohort", "recommend", "--maf", str(COHORT / "cohort.maf"), "--fusions",
                str(COHORT / "fusions.txt"), "--clinical", str(COHORT / "clinical.tsv")], "recommending"),
}


def _run(args: list[str], out: Path, env_value: str | None) -> tuple[str, bytes]:
    env = {k: v for k, v in os.environ.items() if k != progress.ENV}
    if env_value is not None:
        env[progress.ENV] = env_value
    done = subprocess.run([*EXE, *args, "-o", str(out)], capture_output=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    written = b"".join(p.read_bytes() for p in sorted(out.iterdir())) if out.is_dir() else out.read_bytes()
    return done.stderr.decode("utf-8", errors="replace"), written


@pytest.mark.parametrize("kind", sorted(RUNS))
def test_piped_run_shows_no_progress_and_forced_run_does(kind: str, tmp_path: Path) -> None:
    args, label = RUNS[kind]
    name = "out" if kind == "cohort" else "out.tsv"
    piped_err, piped_out = _run(args, _mk(tmp_path / "piped") / name, None)
    assert BAR not in piped_err and ESC not in piped_err and label not in piped_err, piped_err
    forced_err, forced_out = _run(args, _mk(tmp_path / "forced") / name, "1")
    assert BAR in forced_err and label in forced_err, forced_err
    assert forced_out == piped_out  # the bars never reach the outputs
    never_err, _ = _run(args, _mk(tmp_path / "never") / name, "0")
    assert BAR not in never_err and label not in never_err


def _mk(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_bars_drawn_on_an_injected_terminal_console(kb: KnowledgeBase, tmp_path: Path) -> None:
    screen = io.StringIO()
    with progress.shown(Console(file=screen, force_terminal=True, width=120)):
        annotate_maf(COHORT / "cohort.maf", tmp_path / "a.maf", kb)
    drawn = screen.getvalue()
    assert "cohort.maf: reading" in drawn and "cohort.maf: writing" in drawn and BAR in drawn
    lines = (COHORT / "cohort.maf").read_text(encoding="utf-8").splitlines()
    rows = len([x for x in lines if not x.startswith("#")]) - 1
    assert f"{rows}/{rows} rows" in drawn


def test_writing_bar_moves_per_batch(tmp_path: Path) -> None:
    import polars as pl
    from rich.progress import Progress

    from alknav.inputs.genomic.maf import _Watch

    with Progress(console=Console(file=io.StringIO(), force_terminal=True)) as bars:
        watch = _Watch(progress.Task(bars, bars.add_task("w", total=5)))
        watch(pl.Series([False, True, False]))
        watch(pl.Series([False]))
        assert bars.tasks[0].completed == 4  # rows seen so far, before done() fills the bar
    assert watch.malformed == 1


def test_no_bars_outside_a_command(kb: KnowledgeBase, tmp_path: Path) -> None:
    assert not progress.task("x", total=10).active
    screen = io.StringIO()
    with progress.shown(Console(file=screen, force_terminal=True)):
        assert progress.task("y").active
    assert not progress.task("z").active
    annotate_maf(COHORT / "cohort.maf", tmp_path / "b.maf", kb)  # library call: nothing to draw on


@pytest.mark.parametrize(("value", "mode"), [("", None), ("auto", None), ("1", True), ("always", True),
                                             ("0", False), ("never", False)])
def test_env_values(value: str, mode: bool | None) -> None:
    assert progress.wanted({progress.ENV: value}) is mode


def test_bad_env_value_is_named_and_progress_off(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="ALKNAV_PROGRESS='sometimes'"):
        progress.wanted({progress.ENV: "sometimes"})
    monkeypatch.setenv(progress.ENV, "sometimes")
    assert progress.stderr_console() is None
    assert "ALKNAV_PROGRESS='sometimes'" in capsys.readouterr().err


def test_count_text() -> None:
    assert progress.count_text(2_500_000, 10_000_000, "bytes") == "2.5/10.0 MB"
    assert progress.count_text(1234, None, "rows") == "1,234 rows"
    assert progress.count_text(3, 6, "samples") == "3/6 samples"
