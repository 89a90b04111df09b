"""Run the clinical invariants (alknav.testing.cases) on many generated cases and report the count
and every violation found. Usage: python scripts/invariants_run.py [N] [--seed S]"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alknav.inputs.case_reader import parse_case_data
from alknav.kb.loader import load_kb
from alknav.recommend.engine import recommend
from alknav.testing.cases import cases, violations


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    kb = load_kb()
    found: Counter[str] = Counter()
    examples: dict[str, dict] = {}  # type: ignore[type-arg]
    count = 0

    @settings(max_examples=args.n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(cases(kb), st.just(None))
    def run(case: dict, _: None) -> None:  # type: ignore[type-arg]
        nonlocal count
        count += 1
        if count % 5000 == 0:
            print(f"... {count} cases, {sum(found.values())} violations", file=sys.stderr, flush=True)
        parsed = parse_case_data(case)
        result = recommend(parsed, kb)
        for problem in violations(case, result, kb, again=recommend(parsed, kb)):
            key = problem.split(":")[0][:90]
            found[key] += 1
            if key not in examples:  # shown at once, so a long run can be acted on before it ends
                print(f"VIOLATION {problem}\n  case: {case}", file=sys.stderr, flush=True)
            examples.setdefault(key, case)

    started = time.perf_counter()
    import random
    random.seed(args.seed)
    run()
    elapsed = time.perf_counter() - started
    print(f"{count} generated cases in {elapsed:.0f} s; {sum(found.values())} violations of {len(found)} kinds")
    for key, n in found.most_common():
        print(f"  {n:6d}  {key}")
        print(f"          e.g. {examples[key]}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
