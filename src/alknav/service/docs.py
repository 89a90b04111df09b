"""A self-contained API docs page (no script, no CDN): every operation of the OpenAPI schema."""

from __future__ import annotations

from html import escape
from typing import Any

_METHODS = ("get", "post", "put", "delete", "patch")


def _row(path: str, method: str, op: dict[str, Any]) -> str:
    params = ", ".join(escape(p["name"]) for p in op.get("parameters", []) if p.get("in") == "query")
    key = "X-API-Key" if op.get("security") else "public"
    codes = ", ".join(escape(str(c)) for c in op.get("responses", {}))
    return (f"<tr><td><code>{method.upper()}</code></td><td><code>{escape(path)}</code></td>"
            f"<td>{escape(op.get('summary', ''))}</td><td>{params}</td><td>{key}</td><td>{codes}</td></tr>")


def docs_page(schema: dict[str, Any]) -> str:
    info = schema.get("info", {})
    rows = [_row(path, method, op) for path, item in schema.get("paths", {}).items()
            for method, op in item.items() if method in _METHODS]
    description = escape(info.get("description", "")).replace("\n\n", "</p><p>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(info.get('title', ''))} API</title>
<link rel="stylesheet" href="/static/docs.css"></head>
<body><h1>{escape(info.get('title', ''))} API {escape(info.get('version', ''))}</h1><p>{description}</p>
<p>The full machine-readable description is at <a href="/openapi.json">/openapi.json</a>.</p>
<table><tr><th>method</th><th>path</th><th>what</th><th>query</th><th>auth</th><th>responses</th></tr>
{''.join(rows)}
</table></body></html>
"""
