"""render_pdf(html, out) -> page count, with WeasyPrint; nothing is fetched from the network."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from alknav.errors import AlknavError

CJK_FAMILY = "Noto Sans CJK"
_ZH = re.compile(r"<html[^>]*\blang=\"zh", re.IGNORECASE)


class ReportError(AlknavError):
    """A report cannot be produced (missing renderer or font)."""


class CjkFontMissing(ReportError):
    def __init__(self) -> None:
        super().__init__(f"a Chinese PDF needs the '{CJK_FAMILY} SC' font, which fontconfig cannot find; "
                         "install it (Debian/Ubuntu: apt-get install fonts-noto-cjk) or write HTML instead")


def cjk_font_available() -> bool:
    """True when fontconfig knows a Noto Sans CJK face (the font the Chinese report names first)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        out = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return CJK_FAMILY.lower() in out.stdout.lower()


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The report is self-contained: refuse every resource WeasyPrint would fetch."""
    raise ReportError(f"the report refers to an external resource ({url[:60]}); nothing is fetched")


# The Linux sonames of the libraries WeasyPrint cannot work without (its text/ffi.py).
_SONAMES = ("libgobject-2.0.so.0", "libpango-1.0.so.0", "libharfbuzz.so.0", "libfontconfig.so.1",
            "libpangoft2-1.0.so.0")
_IMPORT_LOCK = threading.Lock()


def _not_found(name: str) -> None:
    return None


def _import_weasyprint() -> Any:
    """WeasyPrint's HTML class, imported without its slowest step on Linux.

    For each library WeasyPrint first tries the Windows and macOS names; cffi hands every miss to
    ctypes.util.find_library, which runs ldconfig and gcc (16 gcc runs, about 0.25 s of a cold PDF).
    When every required soname loads directly, find_library answers "not found" at once during the
    import, so WeasyPrint reaches the sonames, which the dynamic linker finds as find_library would
    have. Otherwise (or on any failure) the import runs unchanged."""
    if "weasyprint" not in sys.modules and sys.platform.startswith("linux"):
        import ctypes
        import ctypes.util

        with _IMPORT_LOCK:  # find_library is swapped process-wide: one import at a time (the service)
            try:
                for soname in _SONAMES:
                    ctypes.CDLL(soname)
            except OSError:
                pass
            else:
                real = ctypes.util.find_library
                ctypes.util.find_library = _not_found
                try:
                    from weasyprint import HTML  # type: ignore[import-untyped]

                    return HTML
                except OSError:  # a library only find_library knows: forget the half import, retry as is
                    for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
                        del sys.modules[name]
                finally:
                    ctypes.util.find_library = real
    from weasyprint import HTML

    return HTML


def render_pdf(html: str, out: Path) -> int:
    """Write ``html`` as PDF to ``out`` and return the number of pages."""
    if _ZH.search(html) and not cjk_font_available():
        raise CjkFontMissing()
    try:
        HTML = _import_weasyprint()
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ReportError("PDF output needs WeasyPrint (pip install weasyprint)") from exc
    quiet = _SvgCssNoise()
    logger = logging.getLogger("weasyprint")
    logger.addFilter(quiet)
    try:
        document = HTML(string=html, url_fetcher=_no_fetch).render()
        out.parent.mkdir(parents=True, exist_ok=True)
        document.write_pdf(str(out))
    finally:
        logger.removeFilter(quiet)
    return len(document.pages)


class _SvgCssNoise(logging.Filter):
    """WeasyPrint's HTML cascade does not know SVG presentation properties (text-anchor, stroke-*) in the
    figures' style attributes and warns once per element; its SVG renderer applies them all the same."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "unknown property" not in record.getMessage()
