"""Load the knowledge files, validate them against the schemas, and build look-up indexes.

``load_kb()`` returns a KnowledgeBase or raises KnowledgeError listing every issue with file,
line and field. ``validate_kb()`` returns the issues (errors and warnings) without raising.

pydantic and the schemas are imported only when files are validated (``build``): a knowledge base read
from the compiled cache (kb/cache.py) is made of plain objects and needs neither.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from alknav.errors import Issue, KnowledgeError
from alknav.kb.files import LineFinder, Loc, item_label, read_yaml
from alknav.kb.knowledge_base import KnowledgeBase as KnowledgeBase
from alknav.kb.knowledge_base import RawFile as RawFile

if TYPE_CHECKING:
    from pydantic import BaseModel

    from alknav.kb import schema as s

M = TypeVar("M", bound="BaseModel")


def default_root() -> Path:
    """The knowledge folder shipped inside the package."""
    return Path(str(resources.files("alknav") / "knowledge"))


def _kinds() -> dict[str, type[BaseModel]]:
    from alknav.kb import schema as s

    return {
        "references": s.ReferenceFile,
        "drugs": s.DrugFile,
        "trials": s.TrialFile,
        "mutations": s.MutationFile,
        "fusions": s.FusionFile,
        "mechanisms": s.MechanismFile,
        "strategies": s.StrategyFile,
        "errata": s.ErrataFile,
        "evidence_levels": s.EvidenceScheme,
        "transcript": s.TranscriptFile,
        "regimens": s.RegimenFile,
        "rules": s.RuleFile,
        "safety": s.SafetyFile,
        "medicines": s.MedicineFile,
        "genes": s.GeneFile,
    }


def _files_of(root: Path, entry: str | list[str]) -> list[Path]:
    if isinstance(entry, list):
        return [p for e in entry for p in _files_of(root, e)]
    target = root / entry
    if entry.endswith("/"):
        return sorted(target.glob("*.yaml")) if target.is_dir() else []
    return [target]


def _validate(raw: RawFile, model: type[M], issues: list[Issue]) -> M | None:
    from pydantic import ValidationError

    if raw.data is None:
        issues.append(raw.issue((), "file is empty"))
        return None
    try:
        return model.model_validate(raw.data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc: Loc = tuple(err["loc"])
            label = _entity_label(raw.data, loc)
            issues.append(raw.issue(loc, f"{err['msg']}{label}"))
        return None


def _entity_label(data: Any, loc: Loc) -> str:
    """' (in lorlatinib)' when the location sits inside a list item that has an id."""
    label = item_label(data, loc)
    return f" (in {label})" if label else ""


def _read_all(root: Path, issues: list[Issue]) -> tuple[s.Manifest | None, dict[str, list[tuple[RawFile, Any]]]]:
    from alknav.kb import schema as s

    manifest_path = root / "manifest.yaml"
    mraw = RawFile("manifest.yaml", manifest_path, None, LineFinder(manifest_path))
    mraw.data, errs = read_yaml(manifest_path, mraw.display)
    issues.extend(errs)
    manifest = _validate(mraw, s.Manifest, issues) if not errs else None
    if manifest is None:
        return None, {}
    loaded: dict[str, list[tuple[RawFile, Any]]] = {}
    for kind, model in _kinds().items():
        entry = manifest.files.get(kind)
        if entry is None:
            issues.append(mraw.issue(("files",), f"no entry for '{kind}'"))
            continue
        paths = _files_of(root, entry)
        if not paths or not paths[0].exists():
            issues.append(mraw.issue(("files", kind), f"'{entry}' has no knowledge file"))
            continue
        for path in paths:
            display = path.relative_to(root).as_posix()
            raw = RawFile(display, path, None, LineFinder(path))
            raw.data, errs = read_yaml(path, display)
            issues.extend(errs)
            parsed = _validate(raw, model, issues) if not errs else None
            loaded.setdefault(kind, []).append((raw, parsed))
    return manifest, loaded


def _collect(
    loaded: dict[str, list[tuple[RawFile, Any]]], kind: str, attr: str, issues: list[Issue]
) -> dict[str, Any]:
    """Merge the lists of one kind across its files, reporting duplicate ids."""
    out: dict[str, Any] = {}
    where: dict[str, str] = {}
    for raw, parsed in loaded.get(kind, []):
        if parsed is None:
            continue
        for index, item in enumerate(getattr(parsed, attr)):
            if item.id in out:
                issues.append(raw.issue((attr, index, "id"), f"duplicate id '{item.id}' (also in {where[item.id]})"))
                continue
            out[item.id] = item
            where[item.id] = raw.display
    return out


def _single(loaded: dict[str, list[tuple[RawFile, Any]]], kind: str) -> Any:
    items = [parsed for _raw, parsed in loaded.get(kind, []) if parsed is not None]
    return items[0] if items else None


def build(root: Path | None = None) -> tuple[KnowledgeBase | None, list[Issue]]:
    """Read, validate and cross-check the knowledge base at ``root``."""
    from alknav.kb import schema as s

    root = root or default_root()
    issues: list[Issue] = []
    manifest, loaded = _read_all(root, issues)
    if manifest is None:
        return None, issues
    fusions, evidence, transcript = (_single(loaded, k) for k in ("fusions", "evidence_levels", "transcript"))
    if evidence is None or transcript is None:
        return None, issues
    kb = KnowledgeBase(
        root=root,
        manifest=manifest,
        references=_collect(loaded, "references", "references", issues),
        drugs=_collect(loaded, "drugs", "drugs", issues),
        trials=_collect(loaded, "trials", "trials", issues),
        mutations=_collect(loaded, "mutations", "mutations", issues),
        fusions=fusions or s.FusionFile(variants=[], partners=[]),
        mechanisms=_collect(loaded, "mechanisms", "mechanisms", issues),
        strategies=_collect(loaded, "strategies", "strategies", issues),
        errata=_collect(loaded, "errata", "errata", issues),
        evidence=evidence,
        transcript=transcript.alk,
        regimens=_collect(loaded, "regimens", "regimens", issues),
        rules=_collect(loaded, "rules", "rules", issues),
        safety=_collect(loaded, "safety", "labels", issues),
        toxicity_codes=_collect(loaded, "safety", "toxicity_codes", issues),
        workup=_collect(loaded, "safety", "workup", issues),
        comorbidity_codes=_collect(loaded, "safety", "comorbidity_codes", issues),
        limits=_collect(loaded, "safety", "limits", issues),
        interaction_classes=_collect(loaded, "medicines", "interaction_classes", issues),
        medicines=_collect(loaded, "medicines", "medicines", issues),
        drug_classes=_collect(loaded, "medicines", "drug_classes", issues),
        genes=_collect(loaded, "genes", "genes", issues),
        raw={k: [raw for raw, _ in v] for k, v in loaded.items()},
    )
    from alknav.kb.checks import cross_check  # only when validating: a cached knowledge base needs no checks

    issues.extend(cross_check(kb))
    return kb, issues


def validate_kb(root: Path | None = None) -> list[Issue]:
    return build(root)[1]


def load_kb(root: Path | None = None, *, allow_warnings: bool = True, cache: bool = True) -> KnowledgeBase:
    """The validated knowledge base; raises KnowledgeError when any error (or warning) is found.

    With ``cache`` (and warnings allowed) a knowledge base that validated before is read from the
    compiled cache (kb/cache.py), keyed by the content of the knowledge files and alknav's code."""
    if cache and allow_warnings:
        from alknav.kb import cache as compiled

        return compiled.load(root or default_root(), _load_fresh)
    return _load_fresh(root, allow_warnings=allow_warnings)


def _load_fresh(root: Path | None, allow_warnings: bool = True) -> KnowledgeBase:
    kb, issues = build(root)
    errors = [i for i in issues if i.severity == "error" or not allow_warnings]
    if kb is None or errors:
        raise KnowledgeError(errors or issues)
    return kb
