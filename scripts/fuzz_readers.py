#!/usr/bin/env python3
"""Fuzz every reader for longer than CI does: ``scripts/fuzz_readers.py N [--random]`` runs N
hypothesis examples per reader and prints inputs tried, clean answers and errors, crashes and
rows lost (exit 1 when any crash or lost row). --random draws a new seed instead of the fixed one."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.security.fuzz import main

if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    sys.exit(main(int(args[0]) if args else 200, None if "--random" in sys.argv else 0))
