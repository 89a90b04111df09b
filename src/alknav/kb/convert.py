"""A validated (pydantic) knowledge base turned into plain twins (alknav.kb.plain, alknav.kb.twins): what
the compiled cache (kb/cache.py) stores. Only writing an entry needs this; reading one does not."""

from __future__ import annotations

import copy
import dataclasses
from typing import TYPE_CHECKING, Any

from alknav.kb.plain import Plain
from alknav.kb.twins import TWINS

if TYPE_CHECKING:
    from alknav.kb.knowledge_base import KnowledgeBase

SCHEMA_MODULE = "alknav.kb.schema"


_PLAIN_VALUES = (str, int, float, bool, type(None))


def to_plain(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``value`` with every alknav.kb.schema instance in it replaced by its twin (containers copied;
    other objects, including pydantic models of other modules, kept). An object met twice becomes one twin."""
    if memo is None:
        memo = {}
    kind = type(value)
    if kind in _PLAIN_VALUES:
        return value
    if kind is list:
        return [to_plain(v, memo) for v in value]
    if kind is dict:
        return {k: to_plain(v, memo) for k, v in value.items()}
    if kind in (tuple, frozenset, set):
        return kind(to_plain(v, memo) for v in value)
    twin = _twin_of(kind)
    if twin is None:
        return value
    found = memo.get(id(value))
    if found is None:
        found = memo[id(value)] = twin(*[to_plain(getattr(value, name), memo) for name in twin.__slots__])
    return found


_TWIN_OF: dict[type, type[Plain] | None] = {}


def _twin_of(kind: type) -> type[Plain] | None:
    """The twin of a schema class (checked against its fields once), None for any other class."""
    if kind in _TWIN_OF:
        return _TWIN_OF[kind]
    fields = getattr(kind, "__pydantic_fields__", None)
    twin = None
    if fields is not None and kind.__module__ == SCHEMA_MODULE:
        twin = TWINS[kind.__name__]
        if list(twin.__slots__) != list(fields):
            raise TypeError(f"alknav.kb.twins.{kind.__name__} does not match the schema: run scripts/gen_kb_twins.py")
    _TWIN_OF[kind] = twin
    return twin


def plain_kb(kb: KnowledgeBase) -> KnowledgeBase:
    """A copy of ``kb`` holding twins instead of pydantic models, without the parsed YAML (``raw``:
    it serves validation only) and the identity caches (KnowledgeBase.__getstate__). ``kb`` itself is
    left as it was. Derived caches are converted where they are dicts, lists, tuples or sets; an object
    of another kind (a dataclass) is kept as it is."""
    out = copy.copy(kb)  # through __getstate__: `derived` without the identity caches
    memo: dict[int, Any] = {}
    for item in dataclasses.fields(kb):
        if item.name not in ("root", "raw"):
            setattr(out, item.name, to_plain(getattr(out, item.name), memo))
    out.raw = {}
    return out
