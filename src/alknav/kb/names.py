"""Name keys shared by the loader's checks and the look-ups (kept apart so that a look-up does not
import the checks)."""

from __future__ import annotations

import re

_IGNORED = re.compile(r"[\s\-_.®™]")


def normalize_name(name: str) -> str:
    """Case-, space- and hyphen-insensitive key: 'PF-06463922' == 'pf06463922'."""
    return _IGNORED.sub("", name).casefold()
