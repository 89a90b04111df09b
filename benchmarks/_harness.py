"""Shared helpers for the whole-process benchmarks: run a command as users do, interleave it with
its baseline in the same run (so machine load hits both alike), print medians and ratios.

`--src DIR` runs another source tree of alknav with this interpreter (PYTHONPATH=DIR, or DIR/src for
a checkout), e.g. an unchanged checkout for before/after figures. `ALKNAV_CACHE_DIR` points at a temporary folder so a
benchmark never touches the user's cache.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "alknav" / "examples" / "demo_case.yaml"
# the console script's body; `python -c` instead of .venv/bin/alknav so --src can swap the tree (a tree
# from before the entry point alknav.entry existed runs alknav.cli.main)
_CLI = ("import sys; sys.argv[0] = 'alknav'\n"
        "try:\n    from alknav.entry import main\nexcept ImportError:\n    from alknav.cli import main\nmain()")


def tree(src: Path) -> Path:
    """The folder that holds the alknav package: `src` itself, or `src/src` for a checkout. Anything else
    stops the benchmark: PYTHONPATH at a folder without alknav would silently run the installed tree
    instead, and a 'before' row would then measure the same code as 'now'."""
    for folder in (src, src / "src"):
        if (folder / "alknav" / "__init__.py").is_file():
            return folder
    raise SystemExit(f"{src}: no alknav package here or in {src / 'src'} (give a checkout or its src folder)")


def env(src: Path | None, cache_dir: Path) -> dict[str, str]:
    out = {**os.environ, "ALKNAV_CACHE_DIR": str(cache_dir)}
    if src is not None:
        src = tree(src)
        out["PYTHONPATH"] = str(src)
    return out


def alknav(*args: str) -> list[str]:
    return [sys.executable, "-c", _CLI, *args]


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


# CPU seconds (user + system) of every process `run` waited for, by the order of the runs; benchmarks
# report them beside wall time because on a shared machine CPU time is far steadier than wall time
CPU: list[float] = []


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: Sequence[str], environ: dict[str, str], stdout: int | None = subprocess.DEVNULL) -> float:
    """Wall time of one whole process (its CPU time, children included, is appended to CPU); a failure
    stops the benchmark (a fast wrong answer is no answer)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(cmd, env=environ, stdout=stdout, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    CPU.append(_children_cpu() - cpu)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[3:] or cmd)} failed ({done.returncode}): {done.stderr.decode()[-400:]}")
    return took


def compile_tree(src: Path | None) -> None:
    """Byte-compile the alknav tree being measured, as `pip install` of a wheel does, so no run pays
    for compiling sources (PYTHONDONTWRITEBYTECODE would otherwise make every run compile them)."""
    import compileall

    compileall.compile_dir(str((tree(src) if src is not None else ROOT / "src") / "alknav"), quiet=2)


CPU_TIMES: dict[str, list[float]] = {}


def interleaved(jobs: dict[str, Callable[[], float]], runs: int) -> dict[str, list[float]]:
    """Each round runs every job once, in turn, so slow spells of the shared machine hit all of them.
    Returns wall times; the CPU time of each job's processes goes to CPU_TIMES under the same name."""
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(runs):
        for name, job in jobs.items():
            before = len(CPU)
            times[name].append(job())
            CPU_TIMES.setdefault(name, []).append(sum(CPU[before:]))
    return times


def cpu_table(title: str, names: Sequence[str], baseline: str) -> None:
    """Median CPU seconds (user + sys, whole process) of jobs run by `interleaved`, with ratios."""
    table(f"{title}, CPU time (user + sys)", [(n, median(CPU_TIMES[n]), f"min {min(CPU_TIMES[n]):.3f}")
                                             for n in names], baseline)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min), {os.cpu_count()} CPUs"


def table(title: str, rows: list[tuple[str, float, str]], baseline: str, unit: str = "s") -> None:
    """rows: (name, median, note). The ratio column is median / the baseline's median."""
    base = next(v for n, v, _ in rows if n == baseline)
    print(f"\n{title}  [{load()}]")
    width = max(len(n) for n, _, _ in rows)
    print(f"  {'what':<{width}}  {'median':>9}  {'ratio':>6}  note")
    for name, value, note in rows:
        shown = f"{value:.3f} {unit}" if unit == "s" else f"{value:.0f} {unit}"
        print(f"  {name:<{width}}  {shown:>9}  {value / base:6.2f}  {note}")


def median(values: list[float]) -> float:
    return statistics.median(values)
