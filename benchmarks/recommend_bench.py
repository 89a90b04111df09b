"""Benchmark the recommendation path (issue 3 aims: one case < 20 ms in-process, CLI cold start
< 1 s, batch >= 500 cases/s on one core).

Baselines measured in the same run: reading+validating the case alone (so the engine's own share
is visible), and a bare interpreter start (`python -c pass`) for the CLI figure.

    .venv/bin/python benchmarks/recommend_bench.py [--cases 2000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _cases() -> list[dict]:
    out = []
    for path in sorted((ROOT / "tests" / "scenarios").glob("*.yaml")):
        scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not scenario["expect"].get("error_field"):
            out.append(scenario["case"])
    return out


def _proc(args: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from alknav.inputs.case_reader import parse_case_data
    from alknav.kb.loader import load_kb
    from alknav.recommend.engine import recommend

    kb = load_kb()
    cases = _cases()
    for case in cases:  # warm caches (hgvs grammar) once, as a long-running service would
        recommend(parse_case_data(case), kb)

    per_case = []
    for case in cases:
        start = time.perf_counter()
        for _ in range(5):
            recommend(parse_case_data(case), kb)
        per_case.append((time.perf_counter() - start) / 5)
    demo = ROOT / "src" / "alknav" / "examples" / "demo_case.yaml"
    text = demo.read_text(encoding="utf-8")
    start = time.perf_counter()
    for _ in range(50):
        from alknav.inputs.case_reader import parse_case_text
        recommend(parse_case_text(text), kb)
    demo_ms = (time.perf_counter() - start) / 50 * 1000

    batch = [cases[i % len(cases)] for i in range(args.cases)]
    start = time.perf_counter()
    for case in batch:
        parse_case_data(case)
    parse_only = time.perf_counter() - start
    start = time.perf_counter()
    for case in batch:
        recommend(parse_case_data(case), kb)
    full = time.perf_counter() - start

    exe = str(Path(sys.executable).with_name("alknav"))
    bare = _proc([sys.executable, "-c", "pass"], args.runs)
    cli = _proc([exe, "recommend", str(demo), "--format", "json"], args.runs)

    print(f"cases: {len(cases)} distinct scenario cases, batch of {args.cases}")
    print(f"one case in-process: median {statistics.median(per_case) * 1000:.2f} ms, "
          f"max {max(per_case) * 1000:.2f} ms; demo case {demo_ms:.2f} ms (aim < 20 ms)")
    print(f"batch one core: {args.cases / full:.0f} cases/s (aim >= 500); "
          f"case reading alone {args.cases / parse_only:.0f} cases/s; engine share "
          f"{(full - parse_only) / full:.0%}")
    print(f"CLI cold start 'alknav recommend demo --format json': {cli * 1000:.0f} ms (aim < 1000 ms); "
          f"bare interpreter {bare * 1000:.0f} ms; ratio {cli / bare:.1f}x")


if __name__ == "__main__":
    main()
