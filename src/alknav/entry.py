"""The `alknav` console entry point: plain `alknav recommend` arguments run the command from
alknav.cli_core without building the typer app (see there); everything else goes to alknav.cli."""

from __future__ import annotations

import os
import sys
import types
from typing import Any

from alknav.cli_core import guarded, parse_recommend, run_recommend

_OFF = ("__all__", "1", "true")  # the values pydantic's plugin loader reads as "no plugins"
_LOADER = "pydantic.plugin._loader"


class _NoPluginScan(types.ModuleType):
    """Stands in for pydantic's plugin loader, which imports importlib.metadata (about 50 M
    instructions, 3% of a one-case run) only to return no plugins when they are off. While
    PYDANTIC_DISABLE_PLUGINS turns them off it answers as pydantic's does (none); otherwise, and for
    anything else asked of it, it loads pydantic's own module and hands over."""

    def get_plugins(self) -> Any:
        if os.environ.get("PYDANTIC_DISABLE_PLUGINS") in _OFF:
            return ()
        return self._real().get_plugins()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system probing (__path__, __file__, ...): not a package
            raise AttributeError(name)
        return getattr(self._real(), name)

    def _real(self) -> Any:
        import importlib

        if sys.modules.get(_LOADER) is self:
            del sys.modules[_LOADER]
        return importlib.import_module(_LOADER)


def _skip_plugin_scan() -> None:
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") in _OFF and _LOADER not in sys.modules:
        sys.modules[_LOADER] = _NoPluginScan(_LOADER)


def main() -> None:
    """The `alknav` console entry point."""
    # Third-party pydantic plugins observe every validated value, i.e. patient data, and finding them
    # scans the metadata of every installed package: the CLI and the service it starts load none.
    # PYDANTIC_DISABLE_PLUGINS set to anything (even empty) is left as the user set it.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    _skip_plugin_scan()
    args = sys.argv[1:]
    fast = parse_recommend(args[1:]) if args[:1] == ["recommend"] else None
    if fast is not None:
        guarded(lambda: run_recommend(**fast))
        return
    from alknav.cli import app

    guarded(app)
