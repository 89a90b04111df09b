"""How ``alknav --help`` reads: value names a person understands (FILE, DIR, TEXT, N) instead of
typer's Python types (``<bool>``, ``<list[Path]>``), no type at all for on/off flags, and the
service's environment variables for ``serve`` and ``keys``."""

from __future__ import annotations

import re
from typing import Any

from typer import core

ENVIRONMENT = (
    "\b\nEnvironment variables:\n"
    "  ALKNAV_DATA_DIR           store and web-secret folder (default ~/.local/share/alknav)\n"
    "  ALKNAV_DATABASE_URL       SQLAlchemy URL, e.g. postgresql+psycopg2://host/alknav\n"
    "  ALKNAV_MAX_REQUEST_BYTES  largest request body accepted (default 1000000)\n"
    "  ALKNAV_KB_DIR             knowledge folder instead of the packaged one\n"
    "  ALKNAV_SECRET_KEY         CSRF signing key, the same on every host (16+ characters)\n"
    "  ALKNAV_DEBUG              1: show a traceback on an internal error"
)

_NAMES = {"str": "TEXT", "int": "N", "float": "NUMBER", "Path": "PATH", "dir": "DIR", "file": "FILE",
          "path": "PATH"}
_original = core._TyperParameter.display_type


def _display_type(self: Any, ctx: Any) -> Any:
    if getattr(self, "is_flag", False):
        return None  # an on/off switch takes no value
    if getattr(self, "metavar", None):
        return self.metavar
    label = str(_original(self, ctx))
    m = re.fullmatch(r"<(?:list\[)?(\w+)\]?>", label)
    if not m:
        return label.strip("<>")
    word = _NAMES.get(m.group(1), m.group(1).upper())
    return f"{word}..." if label.startswith("<list[") and getattr(self, "param_type_name", "") == "option" else word


def install() -> None:
    """Once, before the first help is printed."""
    core._TyperParameter.display_type = _display_type  # type: ignore[method-assign]
