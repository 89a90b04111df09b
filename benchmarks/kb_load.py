"""Benchmark: cold load + validation of the whole knowledge base.

Reports (1) in-process load+validate time (median of N fresh loads, nothing cached between them),
(2) a cold `python -c` process that imports alknav and loads the KB, and (3) as the baseline in
the same run, a bare `python -c "import yaml, pydantic"` process, so the ratio separates our
work from interpreter start-up. Aim (issue 2): load + validation under 0.3 s.

    .venv/bin/python benchmarks/kb_load.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def _proc(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from alknav.kb.loader import build

    in_process = []
    for _ in range(args.runs):
        start = time.perf_counter()
        kb, issues = build()
        in_process.append(time.perf_counter() - start)
    assert kb is not None and not [i for i in issues if i.severity == "error"]
    baseline = _proc("import yaml, pydantic", args.runs)
    cold = _proc("from alknav.kb.loader import load_kb; load_kb(cache=False)", args.runs)  # from YAML
    size = sum(p.stat().st_size for p in kb.root.rglob("*.yaml"))
    print(f"knowledge files: {size / 1024:.0f} KiB; {len(kb.references)} refs, {len(kb.drugs)} drugs, "
          f"{len(kb.trials)} trials, {len(kb.mutations)} mutations")
    print(f"in-process load+validate (median of {args.runs}): {statistics.median(in_process) * 1000:.1f} ms")
    print(f"baseline process 'import yaml, pydantic':      {baseline * 1000:.1f} ms")
    print(f"cold process import alknav + load_kb():       {cold * 1000:.1f} ms")
    print(f"cold process minus baseline:                  {(cold - baseline) * 1000:.1f} ms "
          f"(ratio cold/baseline {cold / baseline:.2f})")


if __name__ == "__main__":
    main()
