"""Row 4 of issue 11: `alknav report case.yaml -o x.html` and `-o x.pdf` as cold processes, against
`alknav recommend case.yaml --format json` (the same work without rendering) and the bare
interpreter importing yaml and pydantic, interleaved in one run. Aims: HTML under 1 s, PDF under 3 s.

    .venv/bin/python benchmarks/report_bench.py [--runs 5] [--src DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _harness import CPU_TIMES, DEMO, alknav, compile_tree, cpu_table, env, interleaved, median, python, run, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", type=Path, default=None, help="another alknav source tree (PYTHONPATH)")
    parser.add_argument("--before", type=Path, default=None,
                        help="also run this source tree (e.g. an unchanged checkout), interleaved, as 'before' rows")
    args = parser.parse_args()
    compile_tree(args.src)
    if args.before is not None:
        compile_tree(args.before)
    with tempfile.TemporaryDirectory(prefix="alknav-bench-") as tmp:
        environ = env(args.src, Path(tmp) / "cache")
        html, pdf = Path(tmp) / "r.html", Path(tmp) / "r.pdf"
        run(alknav("recommend", str(DEMO), "--format", "json"), environ)  # fills the knowledge cache

        def report(out: Path, environ: dict[str, str] = environ) -> float:
            out.unlink(missing_ok=True)
            took = run(alknav("report", str(DEMO), "-o", str(out)), environ)
            assert out.stat().st_size > 10_000, f"{out} is too small"
            return took

        floor_html, floor_pdf = Path(tmp) / "floor.html", Path(tmp) / "floor.pdf"
        run(alknav("report", str(DEMO), "-o", str(floor_html)), environ)  # the HTML the PDF row renders
        weasyprint_only = python(f"from weasyprint import HTML; HTML(filename={str(floor_html)!r})"
                                 f".write_pdf({str(floor_pdf)!r})")
        jobs = {
            "baseline: import yaml, pydantic": lambda: run(python("import yaml, pydantic"), environ),
            "recommend --format json": lambda: run(alknav("recommend", str(DEMO), "--format", "json"), environ),
            "report -o x.html": lambda: report(html),
            "report -o x.pdf": lambda: report(pdf),
            "floor: WeasyPrint alone, same HTML": lambda: run(weasyprint_only, environ),
        }
        if args.before is not None:
            before_env = env(args.before, Path(tmp) / "before-cache")
            run(alknav("recommend", str(DEMO), "--format", "json"), before_env)
            jobs["before: report -o x.html"] = lambda: report(html, before_env)
            jobs["before: report -o x.pdf"] = lambda: report(pdf, before_env)
        times = interleaved(jobs, args.runs)
    rows = [(name, median(t), f"min {min(t):.2f}") for name, t in times.items()]
    table(f"reports for the demo case, cold processes, {args.runs} interleaved runs"
          f"{' (src ' + str(args.src) + ')' if args.src else ''}", rows, rows[0][0])
    print(f"  aims: html < 1 s (measured {rows[2][1]:.2f} s), pdf < 3 s (measured {rows[3][1]:.2f} s) wall")
    cpu_table("reports for the demo case", list(times), rows[0][0])
    pdf_cpu, floor_cpu = (median(CPU_TIMES[n]) for n in ("report -o x.pdf", "floor: WeasyPrint alone, same HTML"))
    print(f"  report -o x.pdf / WeasyPrint alone: {rows[3][1] / rows[4][1]:.2f} wall, {pdf_cpu / floor_cpu:.2f} CPU")


if __name__ == "__main__":
    main()
