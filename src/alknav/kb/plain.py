"""The knowledge base as plain objects: what the compiled cache (kb/cache.py) stores instead of pydantic models.

Why. A cached knowledge base was validated when it was built; reading it needs the values, not
validation. Yet a pickle of pydantic instances makes every process create the schema's pydantic
classes (the metaclass alone costs tens of milliseconds) and restore each instance through pydantic's
own state. The cache therefore stores *twins*: for every pydantic class of alknav.kb.schema a class of
the same name in alknav.kb.twins, with ``__slots__`` for the same fields in the same order, and a
compact pickled form (the class and a tuple of the values). A cached run reads the knowledge base
without importing alknav.kb.schema.

How the twins are defined. alknav.kb.twins is a module generated from the schema by
scripts/gen_kb_twins.py; tests/test_kb_plain.py regenerates it and fails on any difference. Chosen
over classes built at run time from field names stored in the cache entry because a pickle names its
classes by module and name, so a static module unpickles with no extra step; readers and mypy see
real classes; the mixins (alknav.kb.mixins) attach to a twin exactly as to its schema class; and the
module is part of the cache key (every kb/*.py is), so a regenerated twin rebuilds old entries.

Both forms read alike, so code reading a knowledge base works on either (the fresh pydantic one from
``load_kb(cache=False)``, ``build()`` or a cache miss, and the twins from a cache hit):

- the same attribute names and values; nested models, lists and dicts are converted recursively and
  enum members are the very same objects (alknav.kb.enums);
- the same properties (``ActiveTrial.open``, ``DrugSafety.id``, ...), written once in alknav.kb.mixins;
- ``model_dump(mode=..., exclude_none=...)`` gives what pydantic's gives (``as_dict`` serves both);
- equality and hashing by type and values, as frozen pydantic models compare.

alknav.kb.convert turns a validated knowledge base into twins (kb/cache.py, when it writes an entry).

A twin is not frozen by code: nothing writes to a knowledge object (the pydantic form would refuse
it, and the tests run on both forms).
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class Plain:
    """Base of every twin. Subclasses (alknav.kb.twins) declare ``__slots__`` = the schema's fields."""

    __slots__: tuple[str, ...] = ()  # a twin's fields, in the schema's order

    def _values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in self.__slots__])

    def __reduce__(self) -> tuple[type[Plain], tuple[Any, ...]]:
        return type(self), self._values()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Plain)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def model_dump(self, *, mode: str = "python", exclude_none: bool = False) -> dict[str, Any]:
        """As pydantic's ``model_dump`` with these two options (the only ones read on knowledge objects)."""
        return _dump(self, mode == "json", exclude_none)


def as_dict(obj: Any, *, mode: str = "python", exclude_none: bool = False) -> dict[str, Any]:
    """A knowledge object (either form) as a dict, as pydantic's ``model_dump`` gives it."""
    if isinstance(obj, Plain):
        return _dump(obj, mode == "json", exclude_none)
    return obj.model_dump(mode=mode, exclude_none=exclude_none)  # type: ignore[no-any-return]


def _dump(obj: Plain, json: bool, exclude_none: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in obj.__slots__:
        value = getattr(obj, name)
        if value is None and exclude_none:
            continue
        out[name] = _value(value, json, exclude_none)
    return out


def _value(value: Any, json: bool, exclude_none: bool) -> Any:
    if isinstance(value, Plain):
        return _dump(value, json, exclude_none)
    if isinstance(value, list):
        return [_value(v, json, exclude_none) for v in value]
    if isinstance(value, dict):
        return {k: _value(v, json, exclude_none) for k, v in value.items()}
    if json and isinstance(value, Enum):
        return value.value
    return value
