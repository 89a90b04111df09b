"""One root error; the CLI and the API translate these into messages and exit codes.

    AlknavError
    ├── KnowledgeError        the knowledge base failed to load or validate (carries Issues)
    ├── LookupFailed          a name (drug, mutation, trial) is not in the knowledge base
    └── CaseError             a case cannot be read: names the field and the problem
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MESSAGE_LIMIT = 500


def printable(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """One bounded, printable line: an error may quote bytes from a hostile file, and a newline,
    a terminal escape or a megabyte of them must not reach the user's terminal or the log."""
    out = text if text.isprintable() else "".join(
        ch if ch.isprintable() else ("\\n" if ch == "\n" else f"\\x{ord(ch):02x}" if ord(ch) < 256
                                     else f"\\u{ord(ch):04x}")
        for ch in text[:limit * 2])
    return out if len(out) <= limit else out[:limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in a knowledge file, located as precisely as the file allows."""

    file: str
    line: int | None
    field: str
    message: str
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class AlknavError(Exception):
    """Root of every error alknav raises on purpose."""


class KnowledgeError(AlknavError):
    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        errors = [i for i in issues if i.severity == "error"]
        first = str(errors[0]) if errors else "knowledge base invalid"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)


class LookupFailed(AlknavError):
    def __init__(self, kind: str, name: str, suggestions: list[str] | None = None) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = suggestions or []
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown {kind} '{name}'{hint}")


class CaseError(AlknavError):
    """A case that cannot be answered. ``field`` is a dotted path such as 'history[0].regimen[1]'.
    ``message`` is the English sentence (CLI, API, log); ``key`` and ``args`` name the same sentence in
    the i18n table (``alknav.outputs.i18n.case_error``), so a Chinese page can say it in Chinese."""

    def __init__(self, field: str, message: str, key: str = "", args: Mapping[str, object] | None = None) -> None:
        self.field = printable(field, 200)
        self.message = printable(message)
        self.key = key
        self.args_ = {k: printable(str(v), 200) for k, v in (args or {}).items()}
        super().__init__(f"{self.field}: {self.message}" if self.field else self.message)
