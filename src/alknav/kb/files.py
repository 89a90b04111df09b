"""Reading knowledge YAML files, and finding the line of a field when something is wrong.

The fast path parses with libyaml and keeps no position data; only when an issue must be
reported is the file composed again to find the line of the offending node.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from alknav.errors import Issue

try:  # libyaml is an order of magnitude faster; fall back to pure Python when it is missing
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader

Loc = tuple[str | int, ...]


def read_yaml(path: Path, display: str) -> tuple[Any, list[Issue]]:
    """Parse one file; a syntax error becomes an Issue with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Issue(display, None, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except OSError as exc:
        return None, [Issue(display, None, "", f"cannot read file: {exc.strerror}")]
    try:
        return yaml.load(text, Loader=_Loader), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Issue(display, line, "", f"invalid YAML: {problem}")]


def format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class LineFinder:
    """Maps a location (keys and list indices) in a parsed file back to a line number."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._root: yaml.Node | None = None
        self._loaded = False

    def line(self, loc: Loc) -> int | None:
        if not self._loaded:
            self._loaded = True
            try:
                self._root = yaml.compose(self._path.read_text(encoding="utf-8"), Loader=_Loader)
            except (yaml.YAMLError, OSError, UnicodeDecodeError):
                self._root = None
        node = self._root
        best = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            node = child
            best = node.start_mark.line + 1
        return best


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if key.value == part:
                return value  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def walk(data: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str, Any]]:
    """Yield (location of the parent, key, value) for every mapping entry in a parsed file."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield loc, str(key), value
            yield from walk(value, (*loc, str(key)))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from walk(item, (*loc, index))


def item_label(data: Any, loc: Loc, keys: tuple[str, ...] = ("id",)) -> str:
    """The name of the innermost list item on the way to `loc`: its first string value among `keys`."""
    node, label = data, ""
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict):
            label = next((str(node[k]) for k in keys if isinstance(node.get(k), str)), label)
    return label
