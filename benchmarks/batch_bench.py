"""Row 2 of issue 11: `alknav recommend DIR --format json` over N case files (default 1,000), the
whole process, against reading and parsing the same files with libyaml in one process (the least
any batch must do), interleaved in one run. Aim: >= 1,000 cases/s.

The cases are the golden scenarios' cases (tests/scenarios, those that are answered) written as YAML
files, cycled to N files. The output is checked: one JSON line per file, none an error.

    .venv/bin/python benchmarks/batch_bench.py [--cases 1000] [--runs 5] [--src DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import yaml
from _harness import CPU_TIMES, ROOT, alknav, compile_tree, cpu_table, env, interleaved, median, python, run, table


def write_cases(folder: Path, count: int) -> None:
    cases = []
    for path in sorted((ROOT / "tests" / "scenarios").glob("*.yaml")):
        scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not scenario["expect"].get("error_field"):
            cases.append(scenario["case"])
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        text = yaml.safe_dump(cases[i % len(cases)], allow_unicode=True, sort_keys=False)
        (folder / f"case_{i:05d}.yaml").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", type=Path, default=None, help="another alknav source tree (PYTHONPATH)")
    parser.add_argument("--before", type=Path, default=None,
                        help="also run this source tree (e.g. an unchanged checkout), interleaved, as a 'before' row")
    parser.add_argument("--jobs", type=int, default=0, help="also run with --jobs N (forked workers) as a row")
    args = parser.parse_args()
    compile_tree(args.src)
    if args.before is not None:
        compile_tree(args.before)
    with tempfile.TemporaryDirectory(prefix="alknav-bench-") as tmp:
        folder, out = Path(tmp) / "cases", Path(tmp) / "out.jsonl"
        write_cases(folder, args.cases)
        environ = env(args.src, Path(tmp) / "cache")
        run(alknav("recommend", str(folder / "case_00000.yaml"), "--format", "json"), environ)  # fills the cache
        read_all = (f"import pathlib, yaml\nfor p in sorted(pathlib.Path({str(folder)!r}).iterdir()):\n"
                    "    yaml.load(p.read_text(encoding='utf-8'), Loader=yaml.CSafeLoader)")

        def batch(environ: dict[str, str] = environ, extra: tuple[str, ...] = ()) -> float:
            with out.open("wb") as fh:
                took = run(alknav("recommend", str(folder), "--format", "json", *extra), environ, stdout=fh.fileno())
            lines = out.read_text(encoding="utf-8").splitlines()
            assert len(lines) == args.cases and not any('"error"' in line[:200] for line in lines), "bad output"
            assert all(json.loads(line)["options"] for line in lines[:50])
            return took

        jobs = {"baseline: read + parse files (libyaml)": lambda: run(python(read_all), environ),
                "alknav recommend DIR --format json": batch,  # as users run it: processes per idle CPU
                "... --jobs 1 (one process)": lambda: batch(extra=("--jobs", "1"))}
        if args.jobs:
            jobs[f"... --jobs {args.jobs}"] = lambda: batch(extra=("--jobs", str(args.jobs)))
        if args.before is not None:
            before_env = env(args.before, Path(tmp) / "before-cache")
            run(alknav("recommend", str(folder / "case_00000.yaml"), "--format", "json"), before_env)
            jobs["before: alknav recommend DIR --format json"] = lambda: batch(before_env)
        times = interleaved(jobs, args.runs)
    rows = [(name, median(t), f"{args.cases / median(t):,.0f} cases/s") for name, t in times.items()]
    table(f"{args.cases} case files, whole process, {args.runs} interleaved runs"
          f"{' (src ' + str(args.src) + ')' if args.src else ''}", rows, rows[0][0])
    print(f"  aim: >= 1,000 cases/s; measured {args.cases / rows[1][1]:,.0f} cases/s (wall)")
    cpu_table(f"{args.cases} case files", list(times), rows[0][0])
    print(f"  CPU-time rate: {args.cases / median(CPU_TIMES[rows[1][0]]):,.0f} cases per CPU second")


if __name__ == "__main__":
    main()
