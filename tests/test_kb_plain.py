"""The knowledge base as plain twins (alknav.kb.plain, what the compiled cache stores): a twin for every
schema class, the same values and behaviour as the validated pydantic objects, the same answers for
every golden scenario, and a cached run that never imports the schemas."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from alknav.errors import CaseError
from alknav.inputs.case_reader import parse_case_data
from alknav.kb import cache as compiled
from alknav.kb import convert, enums, plain, twins
from alknav.kb.loader import KnowledgeBase, default_root, load_kb
from alknav.outputs.render import render_result
from alknav.recommend.engine import recommend

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))
DEMO = REPO / "src" / "alknav" / "examples" / "demo_case.yaml"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_kb_twins", REPO / "scripts" / "gen_kb_twins.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
SCHEMA_CLASSES: list[type[BaseModel]] = gen.schema_classes()


@pytest.fixture(scope="module")
def fresh() -> KnowledgeBase:
    """The validated pydantic knowledge base (no cache involved)."""
    kb = load_kb(cache=False)
    assert isinstance(kb.manifest, BaseModel)
    return kb


@pytest.fixture(scope="module")
def cached(fresh: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The twin knowledge base, written to a cache entry and read back as a cached run reads it."""
    folder = tmp_path_factory.mktemp("cache")
    folder.chmod(0o700)
    key = compiled.cache_key(default_root())
    assert compiled.write(folder, key, fresh)
    kb = compiled.read(folder, key)
    assert kb is not None and isinstance(kb.manifest, plain.Plain)
    return kb


# --------------------------------------------------------------------------- the twins match the schema


def test_twins_module_is_generated_from_the_current_schema() -> None:
    current = (REPO / "src" / "alknav" / "kb" / "twins.py").read_text(encoding="utf-8")
    assert current == gen.render(), "alknav/kb/twins.py is out of date: run python scripts/gen_kb_twins.py"


def test_schema_has_its_model_classes() -> None:
    assert len(SCHEMA_CLASSES) > 60 and all(issubclass(c, BaseModel) for c in SCHEMA_CLASSES)


def _properties(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_") and not hasattr(BaseModel, name)
            and isinstance(inspect.getattr_static(cls, name), property)}


@pytest.mark.parametrize("model", SCHEMA_CLASSES, ids=lambda c: c.__name__)
def test_every_schema_class_has_a_twin(model: type[BaseModel]) -> None:
    twin = twins.TWINS.get(model.__name__)
    assert twin is not None and getattr(twins, model.__name__) is twin
    assert issubclass(twin, plain.Plain) and twin.__module__ == "alknav.kb.twins"
    assert list(twin.__slots__) == list(model.model_fields), "same fields, same order"
    assert _properties(twin) >= _properties(model), "the schema's properties (alknav.kb.mixins)"
    assert "BaseModel" not in {b.__name__ for b in twin.__mro__}


def test_a_schema_change_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A field added to a schema class makes the generated module stale and the conversion refuse."""
    from alknav.kb import schema

    class Lang(schema.Strict):  # the schema's Lang with one more field
        en: str
        zh: str
        ja: str = ""

    Lang.__module__ = schema.__name__
    monkeypatch.setattr(schema, "Lang", Lang)
    assert gen.render() != (REPO / "src" / "alknav" / "kb" / "twins.py").read_text(encoding="utf-8")
    with pytest.raises(TypeError, match="does not match the schema"):
        convert.to_plain(Lang(en="a", zh="b"))


# --------------------------------------------------------------------------- same values, same behaviour


def _pairs(a: Any, b: Any) -> Iterator[tuple[BaseModel, plain.Plain]]:
    """(pydantic object, its twin) for every knowledge object in `a`, walked alongside `b`."""
    if isinstance(a, BaseModel):
        assert type(b).__name__ == type(a).__name__ and isinstance(b, plain.Plain)
        yield a, b
        for name in type(a).model_fields:
            yield from _pairs(getattr(a, name), getattr(b, name))
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            yield from _pairs(x, y)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for k in a:
            yield from _pairs(a[k], b[k])
    else:
        assert a is b or (a == b and type(a) is type(b)), (a, b)


def _kb_pairs(fresh: KnowledgeBase, other: KnowledgeBase) -> Iterator[tuple[BaseModel, plain.Plain]]:
    for name in KnowledgeBase.__dataclass_fields__:
        if name not in ("root", "raw", "derived"):
            yield from _pairs(getattr(fresh, name), getattr(other, name))


def test_twins_hold_the_same_values_and_dump_alike(fresh: KnowledgeBase, cached: KnowledgeBase) -> None:
    seen = 0
    for model, twin in _kb_pairs(fresh, cached):
        seen += 1
        for prop in _properties(type(model)):
            assert getattr(twin, prop) == getattr(model, prop), prop
        for exclude_none in (False, True):
            python = model.model_dump(exclude_none=exclude_none)
            assert twin.model_dump(exclude_none=exclude_none) == python
            assert plain.as_dict(twin, exclude_none=exclude_none) == plain.as_dict(model, exclude_none=exclude_none)
            dumped = json.dumps(model.model_dump(mode="json", exclude_none=exclude_none), ensure_ascii=False)
            assert json.dumps(twin.model_dump(mode="json", exclude_none=exclude_none), ensure_ascii=False) == dumped
        assert repr(twin) == repr(model)
    assert seen > 5000
    assert cached.derived.keys() >= {"medicine_index", "toxicity_index", "comorbidity_index"}


def test_shared_objects_stay_shared(fresh: KnowledgeBase) -> None:
    """An object held in two places is one twin, as it was one pydantic object."""
    lang = next(iter(fresh.rules.values())).description
    converted = convert.to_plain({"a": lang, "b": [lang]})
    assert converted["a"] is converted["b"][0] and isinstance(converted["a"], twins.Lang)


def test_twins_pickle_round_trip(cached: KnowledgeBase) -> None:
    again = pickle.loads(pickle.dumps(cached, protocol=pickle.HIGHEST_PROTOCOL))
    for name in ("drugs", "trials", "mutations", "rules", "safety", "transcript", "manifest", "fusions"):
        before, after = getattr(cached, name), getattr(again, name)
        assert after == before and after is not before, name
    drug = next(iter(cached.drugs.values()))
    assert drug.drug_class is enums.DrugClass(drug.drug_class.value), "enum members are the same objects"
    reduced = drug.__reduce__()
    assert reduced[0] is twins.Drug and reduced[1] == tuple(getattr(drug, f) for f in twins.Drug.__slots__)
    lang = twins.Lang("a", "b")
    assert pickle.loads(pickle.dumps(lang)) == lang and hash(pickle.loads(pickle.dumps(lang))) == hash(lang)
    assert lang != twins.Lang("a", "c") and lang != ("a", "b")


# --------------------------------------------------------------------------- the same answers


def _answer(path: Path, kb: KnowledgeBase) -> dict[str, str]:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))["case"]
    try:
        result = recommend(parse_case_data(case, path.name), kb)
    except CaseError as exc:
        return {"error": f"{exc.field}: {exc}"}
    return {lang: render_result(result, kb, lang).model_dump_json() for lang in ("en", "zh")}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_renders_the_same_from_either_form(path: Path, fresh: KnowledgeBase, cached: KnowledgeBase) -> None:
    assert _answer(path, cached) == _answer(path, fresh)


def test_enough_scenarios() -> None:
    assert len(SCENARIOS) > 50


# --------------------------------------------------------------------------- a cached run needs no schema


_WRAPPER = """
import sys
sys.argv = ["alknav", "recommend", sys.argv[1], "--format", "json"]
from alknav.entry import main
try:
    main()
finally:
    sys.stdout.flush()
    sys.stderr.write("\\nloaded: " + " ".join(sorted(m for m in sys.modules if m.startswith("alknav.kb"))) + "\\n")
"""


def _run(cache: Path) -> tuple[str, set[str]]:
    env = {**os.environ, "ALKNAV_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", _WRAPPER, str(DEMO)], capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    loaded = done.stderr.rsplit("loaded: ", 1)[1].split()
    return done.stdout, set(loaded)


def test_cached_recommend_does_not_import_the_schema(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first, loaded_first = _run(cache)  # a miss: validates the YAML (pydantic schemas) and writes the entry
    assert "alknav.kb.schema" in loaded_first and list(cache.glob("kb-*.pickle"))
    second, loaded = _run(cache)
    assert "alknav.kb.schema" not in loaded and "alknav.kb.twins" in loaded, sorted(loaded)
    assert second == first and json.loads(second)


# --------------------------------------------------------------------------- `s` at run time is the enums


def _runtime_attributes(tree: ast.Module, alias: str) -> set[str]:
    """Names read as `alias.<name>` outside annotations and `if TYPE_CHECKING:` blocks."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        parts: list[ast.AST | None] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            parts = [a.annotation for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
                     if a is not None] + [node.returns]
        elif isinstance(node, ast.AnnAssign):
            parts = [node.annotation]
        elif isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            parts = list(node.body)
        skip.update(id(n) for part in parts if part is not None for n in ast.walk(part))
    return {node.attr for node in ast.walk(tree) if id(node) not in skip and isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == alias}


RUNTIME_ENUM_ALIAS = "from alknav.kb import enums as s"
ALIASED = sorted(p for p in (REPO / "src" / "alknav").rglob("*.py") if RUNTIME_ENUM_ALIAS in p.read_text("utf-8"))


def test_modules_reading_the_kb_alias_the_enums() -> None:
    assert {p.name for p in ALIASED} >= {"engine.py", "rules.py", "safety.py", "facts.py"}


@pytest.mark.parametrize("path", ALIASED, ids=lambda p: p.relative_to(REPO / "src").as_posix())
def test_runtime_schema_alias_reads_only_enums(path: Path) -> None:
    """Where `s` is the schema for mypy but alknav.kb.enums at run time, code may read only enums and
    constants through it at run time (a schema class there would fail on a cached knowledge base)."""
    names = _runtime_attributes(ast.parse(path.read_text(encoding="utf-8")), "s")
    assert names, "the alias is read at run time"
    missing = sorted(n for n in names if not hasattr(enums, n))
    assert not missing, f"{path.name} reads {missing} through `s` at run time; only alknav.kb.enums is there"
