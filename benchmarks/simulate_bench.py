"""Whole-process benchmark of `alknav simulate`: 100,000 virtual patients x 6 strategies.

Runs the installed CLI as a user would (`alknav simulate ... --format json`), --repeats times,
and reports per run the wall time, the CPU time, the peak resident memory of the process (getrusage of the
child) and the load average before the run, then the medians. The issue's goal: under 60 s and
2 GB on the 2-core machine. Not run by the test suite.

    .venv/bin/python benchmarks/simulate_bench.py [--patients 100000] [--repeats 3] [--no-alknav]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXED = ["alectinib>lorlatinib>chemotherapy", "lorlatinib>chemotherapy", "brigatinib>lorlatinib>chemotherapy",
         "crizotinib>alectinib>lorlatinib>chemotherapy", "ensartinib>lorlatinib>chemotherapy"]


def one_run(cli: str, strategies: list[str], patients: int, seed: int) -> dict[str, float]:
    args = [cli, "simulate", "--patients", str(patients), "--seed", str(seed), "--format", "json"]
    for s in strategies:
        args += ["--strategy", s]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    # os.wait4 gives this child's own peak RSS (ru_maxrss, KiB on Linux); stderr goes to a file so
    # reading stdout to the end cannot deadlock, and the child is reaped here, not by Popen.
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err_file)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err_file.seek(0)
            sys.exit(f"simulate failed ({proc.returncode}): {err_file.read().decode()[-500:]}")
    doc = json.loads(out)
    assert len(doc["strategies"]) == len(strategies)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
            "load_before": load}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-alknav", action="store_true", help="six fixed strategies instead of five plus 'alknav'")
    args = ap.parse_args()
    cli = str(Path(sys.executable).parent / "alknav")
    strategies = [*FIXED, "crizotinib>lorlatinib>chemotherapy"] if args.no_alknav else [*FIXED, "alknav"]
    runs = []
    for i in range(args.repeats):
        r = one_run(cli, strategies, args.patients, args.seed)
        runs.append(r)
        print(f"run {i + 1}: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU, peak RSS {r['peak_rss_mb']:.0f} MB, "
              f"load before {r['load_before']:.2f}")
    print(json.dumps({
        "patients": args.patients, "strategies": strategies, "cores": os.cpu_count(), "runs": runs,
        "median_wall_s": round(statistics.median(r["wall_s"] for r in runs), 2),
        "median_cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 2),
        "median_peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in runs), 1),
    }, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
