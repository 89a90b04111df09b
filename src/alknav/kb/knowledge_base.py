"""The loaded knowledge base and its parsed files (the loader builds them; checks and queries read them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alknav.errors import Issue
from alknav.kb.files import LineFinder, Loc, format_loc

if TYPE_CHECKING:
    from alknav.kb import schema as s


@dataclass
class RawFile:
    """One parsed knowledge file, kept for cross-checks and line look-ups."""

    display: str
    path: Path
    data: Any
    lines: LineFinder

    def issue(self, loc: Loc, message: str, severity: str = "error") -> Issue:
        return Issue(self.display, self.lines.line(loc), format_loc(loc), message, severity)


# derived caches that hold shared objects by identity (recommend.safety, outputs.render)
IDENTITY_CACHES = frozenset({"label_items", "label_item_ids", "rendered_label_items"})


@dataclass
class KnowledgeBase:
    root: Path
    manifest: s.Manifest
    references: dict[str, s.Reference]
    drugs: dict[str, s.Drug]
    trials: dict[str, s.Trial]
    mutations: dict[str, s.Mutation]
    fusions: s.FusionFile
    mechanisms: dict[str, s.Mechanism]
    strategies: dict[str, s.Strategy]
    errata: dict[str, s.Erratum]
    evidence: s.EvidenceScheme
    transcript: s.TranscriptModel
    regimens: dict[str, s.Regimen] = field(default_factory=dict)
    rules: dict[str, s.Rule] = field(default_factory=dict)
    safety: dict[str, s.DrugSafety] = field(default_factory=dict)  # drug id -> label-derived safety
    toxicity_codes: dict[str, s.ToxicityCode] = field(default_factory=dict)
    workup: dict[str, s.WorkupItem] = field(default_factory=dict)
    comorbidity_codes: dict[str, s.VocabCode] = field(default_factory=dict)
    limits: dict[str, s.Limit] = field(default_factory=dict)
    interaction_classes: dict[str, s.InteractionClass] = field(default_factory=dict)
    medicines: dict[str, s.Medicine] = field(default_factory=dict)
    drug_classes: dict[str, s.DrugInteractionClasses] = field(default_factory=dict)  # drug -> perpetrator classes
    genes: dict[str, s.Gene] = field(default_factory=dict)
    raw: dict[str, list[RawFile]] = field(repr=False, default_factory=dict)
    drug_index: dict[str, str] = field(repr=False, default_factory=dict)
    mutation_index: dict[frozenset[str], str] = field(repr=False, default_factory=dict)
    mutation_aliases: dict[str, str] = field(repr=False, default_factory=dict)
    residues: dict[int, str] = field(repr=False, default_factory=dict)  # ALK codon -> reference amino acid
    derived: dict[str, Any] = field(repr=False, default_factory=dict)  # caches computed from this KB only

    def __getstate__(self) -> dict[str, Any]:
        """The stored (pickled) form leaves out the caches that hold or are keyed by object ids: ids do
        not survive a reload, and a stale one could name an unrelated object."""
        state = dict(self.__dict__)
        state["derived"] = {k: v for k, v in self.derived.items() if k not in IDENTITY_CACHES}
        return state

    def drugs_with_calls(self) -> frozenset[str]:
        """Drugs that at least one ALK mutation has a curated call for."""
        if "drugs_with_calls" not in self.derived:
            self.derived["drugs_with_calls"] = frozenset(c.drug for m in self.mutations.values() for c in m.calls)
        return self.derived["drugs_with_calls"]  # type: ignore[no-any-return]

    def limit(self, which: s.LimitId) -> float:
        """A threshold or ranking weight from safety/limits.yaml (the validator requires each one)."""
        return self.limits[which.value].value

    @property
    def version(self) -> str:
        return self.manifest.version
