"""Row 1 of issue 11: `alknav recommend case.yaml` as a cold process, against the bare interpreter
importing what any case reader needs (`python -c "import yaml, pydantic"`), interleaved in one run.

Aim: under 0.4 s, and within 0.15 s of the baseline. Rows:
  baseline            python -c "import yaml, pydantic"
  recommend text      alknav recommend demo_case.yaml            (rich text, the default)
  recommend json      alknav recommend demo_case.yaml --format json
  recommend, no cache the same with an empty knowledge cache each time (what the first run pays)

    .venv/bin/python benchmarks/startup_bench.py [--runs 15] [--src DIR]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from _harness import CPU_TIMES, DEMO, alknav, compile_tree, cpu_table, env, interleaved, median, python, run, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--src", type=Path, default=None, help="another alknav source tree (PYTHONPATH)")
    parser.add_argument("--before", type=Path, default=None,
                        help="also run this source tree (e.g. an unchanged checkout), interleaved, as 'before' rows")
    args = parser.parse_args()
    compile_tree(args.src)
    if args.before is not None:
        compile_tree(args.before)
    with tempfile.TemporaryDirectory(prefix="alknav-bench-") as tmp:
        cache, cold = Path(tmp) / "cache", Path(tmp) / "cold"
        warm_env, cold_env = env(args.src, cache), env(args.src, cold)
        run(alknav("recommend", str(DEMO)), warm_env)  # fills the cache the warm rows use

        def cold_run() -> float:
            shutil.rmtree(cold, ignore_errors=True)
            return run(alknav("recommend", str(DEMO), "--format", "json"), cold_env)

        jobs = {
            "baseline: import yaml, pydantic": lambda: run(python("import yaml, pydantic"), warm_env),
            "recommend (text)": lambda: run(alknav("recommend", str(DEMO)), warm_env),
            "recommend --format json": lambda: run(alknav("recommend", str(DEMO), "--format", "json"), warm_env),
            "recommend json, empty cache": cold_run,
        }
        if args.before is not None:
            before_env = env(args.before, Path(tmp) / "before-cache")
            run(alknav("recommend", str(DEMO)), before_env)  # fills the before tree's cache
            jobs["before: recommend (text)"] = lambda: run(alknav("recommend", str(DEMO)), before_env)
            jobs["before: recommend --format json"] = lambda: run(alknav("recommend", str(DEMO), "--format", "json"),
                                                                  before_env)
        times = interleaved(jobs, args.runs)
    rows = [(name, median(t), f"min {min(t):.3f}") for name, t in times.items()]
    base = rows[0][1]
    table(f"one case, cold process, {args.runs} interleaved runs{' (src ' + str(args.src) + ')' if args.src else ''}",
          rows, rows[0][0])
    print(f"  recommend json - baseline = {rows[2][1] - base:.3f} s wall (aim <= 0.15 s; absolute aim < 0.4 s)")
    cpu_table("one case, cold process", list(times), rows[0][0])
    cpu_base, cpu_json = (median(CPU_TIMES[n]) for n in (rows[0][0], rows[2][0]))
    print(f"  recommend json - baseline = {cpu_json - cpu_base:.3f} s CPU")


if __name__ == "__main__":
    main()
