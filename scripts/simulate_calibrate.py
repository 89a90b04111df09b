"""Fit the simulator's kill rates to the calibration targets and write calibrated.yaml.

Run from the repository root: `.venv/bin/python scripts/simulate_calibrate.py`. Held-out targets
(role: validation) are not read by the fit; `alknav simulate --validation` reports them.
"""

from __future__ import annotations

import json
import sys

from alknav.kb.loader import load_kb
from alknav.simulate.calibrate import fit, write_calibration
from alknav.simulate.params import load_model, load_targets


def main() -> int:
    kb = load_kb()
    model = load_model(kb)  # starting values from parameters.yaml, not a previous fit
    _, rows = fit(kb, model, load_targets(kb))
    path = write_calibration(rows)
    json.dump(rows, sys.stdout, indent=1)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
