"""The compiled knowledge cache (kb/cache.py): equivalent to a fresh load, and a stale, damaged or
foreign entry is rebuilt from YAML, never trusted. Every test uses its own cache folder."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

import pytest
import yaml

from alknav.errors import CaseError, KnowledgeError
from alknav.inputs.case_reader import parse_case_data
from alknav.kb import cache as compiled
from alknav.kb import loader
from alknav.kb.loader import KnowledgeBase, load_kb
from alknav.kb.plain import Plain, as_dict
from alknav.recommend.engine import recommend

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ALKNAV_CACHE_DIR", str(folder))
    return folder


@pytest.fixture()
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Path | None]:
    """Records every load that went to YAML (loader.build), i.e. every cache miss."""
    calls: list[Path | None] = []
    real = loader.build

    def counting(root: Path | None = None) -> Any:
        calls.append(root)
        return real(root)

    monkeypatch.setattr(loader, "build", counting)
    return calls


def _entry(folder: Path) -> tuple[Path, Path]:
    pickles = sorted(folder.glob("kb-*.pickle"))
    assert len(pickles) == 1, pickles
    return pickles[0], pickles[0].with_suffix(".sha256")


def _answers(kb: KnowledgeBase) -> list[str]:
    out = []
    for path in SCENARIOS:
        case = yaml.safe_load(path.read_text(encoding="utf-8"))["case"]
        try:
            out.append(recommend(parse_case_data(case, path.name), kb).model_dump_json())
        except CaseError as exc:
            out.append(f"error {exc.field}: {exc}")
    return out


def test_cached_load_recommends_exactly_as_a_fresh_load(cache_dir: Path, builds: list[Path | None]) -> None:
    load_kb()  # fills the cache
    assert len(builds) == 1 and _entry(cache_dir)
    cached = load_kb()
    assert len(builds) == 1, "the second load must come from the cache"
    fresh = load_kb(cache=False)
    assert len(builds) == 2
    assert cached is not fresh and cached.raw == {} and fresh.raw
    assert cached.version == fresh.version and cached.root == fresh.root
    for name in ("drugs", "mutations", "trials", "rules", "safety", "references", "medicines"):
        # the entry holds plain twins of the validated pydantic objects (alknav.kb.plain): same values
        assert {k: as_dict(v) for k, v in getattr(cached, name).items()} == \
               {k: as_dict(v) for k, v in getattr(fresh, name).items()}, name
        assert all(isinstance(v, Plain) for v in getattr(cached, name).values()), name
    assert cached.derived.keys() >= {"medicine_index", "toxicity_index", "comorbidity_index"}
    assert len(SCENARIOS) > 50
    assert _answers(cached) == _answers(fresh)


def test_corrupted_entry_is_rebuilt(cache_dir: Path, builds: list[Path | None]) -> None:
    load_kb()
    data, digest = _entry(cache_dir)
    damaged = bytearray(data.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    data.write_bytes(bytes(damaged))
    kb = load_kb()
    assert len(builds) == 2, "a damaged entry must not be read"
    assert kb.drugs and kb.derived["medicine_index"]
    assert hashlib.sha256(data.read_bytes()).hexdigest() == digest.read_text().strip(), "rewritten whole"
    load_kb()
    assert len(builds) == 2


@pytest.mark.parametrize("damage", ["truncated", "no digest", "garbage with matching digest", "other key"])
def test_damaged_or_foreign_entry_is_never_trusted(cache_dir: Path, builds: list[Path | None], damage: str) -> None:
    load_kb()
    data, digest = _entry(cache_dir)
    if damage == "truncated":
        data.write_bytes(data.read_bytes()[:1000])
    elif damage == "no digest":
        digest.unlink()
    else:
        payload = b"not a pickle" if damage.startswith("garbage") else \
            pickle.dumps(("0" * 64, load_kb(cache=False)))  # a valid entry filed under another key
        data.write_bytes(payload)
        digest.write_text(hashlib.sha256(payload).hexdigest() + "\n")
    kb = load_kb()
    assert kb.drugs and len(builds) == 2 + (damage == "other key")


def test_changed_knowledge_file_misses_the_cache(cache_dir: Path, builds: list[Path | None], kb_copy: Path) -> None:
    first = load_kb(kb_copy)
    assert len(builds) == 1
    manifest = kb_copy / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    changed = text.replace(f'version: "{first.version}"', 'version: "9.9.9-test"', 1)
    assert changed != text
    manifest.write_text(changed, encoding="utf-8")
    second = load_kb(kb_copy)
    assert len(builds) == 2 and second.version == "9.9.9-test"
    assert len(list(cache_dir.glob("kb-*.pickle"))) == 2


def test_invalid_knowledge_is_never_cached(cache_dir: Path, builds: list[Path | None], kb_copy: Path) -> None:
    (kb_copy / "drugs.yaml").write_text("drugs: [{id: x}]\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(KnowledgeError, match=r"drugs\.yaml"):
            load_kb(kb_copy)
    assert len(builds) == 2 and not list(cache_dir.glob("kb-*"))


def test_unusable_folder_means_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         builds: list[Path | None]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("ALKNAV_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    assert load_kb().drugs and load_kb().drugs
    assert len(builds) == 2
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # others could write entries: not used
    monkeypatch.setenv("ALKNAV_CACHE_DIR", str(shared))
    load_kb()
    assert len(builds) == 3 and not list(shared.iterdir())
    monkeypatch.setenv("ALKNAV_CACHE_DIR", "")  # turned off
    load_kb()
    assert len(builds) == 4


def test_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ALKNAV_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compiled.cache_dir() == tmp_path / "alknav"


def test_identity_caches_are_never_stored(cache_dir: Path) -> None:
    """Caches keyed by object ids (shared label items and their renderings) are left out of a stored
    knowledge base: after a reload the ids would name other objects."""
    from alknav.kb.knowledge_base import IDENTITY_CACHES
    from alknav.outputs.render import render_result

    kb = load_kb()
    case = yaml.safe_load(SCENARIOS[0].read_text(encoding="utf-8"))["case"]
    first = render_result(recommend(parse_case_data(case, "x"), kb), kb, "zh").model_dump_json()
    assert set(kb.derived) >= IDENTITY_CACHES  # the run filled them
    stored = kb.__getstate__()["derived"]
    assert not IDENTITY_CACHES & set(stored) and set(stored) == set(kb.derived) - IDENTITY_CACHES
    fresh = load_kb()  # from the cache written before any use
    assert not IDENTITY_CACHES & set(fresh.derived)
    assert render_result(recommend(parse_case_data(case, "x"), fresh), fresh, "zh").model_dump_json() == first
