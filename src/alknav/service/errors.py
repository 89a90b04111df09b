"""HTTP errors in the CLI's shape: {"error": {"field": ..., "message": ...}}."""

from __future__ import annotations

from pydantic import BaseModel


class ApiError(Exception):
    def __init__(self, status: int, field: str, message: str, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.field = field
        self.message = message
        self.headers = headers
        super().__init__(f"{status} {field}: {message}")


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


def error_body(field: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"field": field, "message": message}}


def field_of(loc: tuple[int | str, ...]) -> str:
    """('query', 'version') -> 'version'; ('body', 'a', 0) -> 'a[0]'."""
    out = ""
    for part in loc[1:] if loc and loc[0] in ("query", "path", "header", "body", "cookie") else loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
