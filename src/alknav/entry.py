"""The `alknav` console entry point: plain `alknav recommend` arguments run the command from
alknav.cli_core without building the typer app (see there); everything else goes to alknav.cli."""

from __future__ import annotations

import os
import sys

from alknav.cli_core import guarded, parse_recommend, run_recommend


def main() -> None:
    """The `alknav` console entry point."""
    # Third-party pydantic plugins observe every validated value, i.e. patient data, and finding them
    # scans the metadata of every installed package: the CLI and the service it starts load none.
    # PYDANTIC_DISABLE_PLUGINS set to anything (even empty) is left as the user set it.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    args = sys.argv[1:]
    fast = parse_recommend(args[1:]) if args[:1] == ["recommend"] else None
    if fast is not None:
        guarded(lambda: run_recommend(**fast))
        return
    from alknav.cli import app

    guarded(app)
