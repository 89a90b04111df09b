"""Rich renderings of knowledge-base look-ups (the CLI prints these; JSON goes elsewhere)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from alknav.errors import Issue
from alknav.kb import schema as s
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.kb.query import MutationMatch, calls_by_drug, cite, short_ref

CALL_STYLE = {
    "sensitive": "bold green",
    "intermediate": "bold yellow",
    "resistant": "bold red",
    "unknown": "dim",
}
CALL_SHORT = {"sensitive": "S", "intermediate": "I", "resistant": "R", "unknown": "?"}


def _refs(kb: KnowledgeBase, refs: list[str]) -> str:
    return "; ".join(f"{short_ref(kb, r)} {cite(kb, r)}" for r in refs)


def issues_table(issues: list[Issue]) -> Table:
    table = Table(title=f"{len(issues)} issue(s)", show_lines=False, expand=True)
    for col in ("severity", "where", "field", "problem"):
        table.add_column(col, overflow="fold")
    for i in issues:
        style = "red" if i.severity == "error" else "yellow"
        table.add_row(Text(i.severity, style=style), f"{i.file}:{i.line or '?'}", i.field, i.message)
    return table


def drug_view(kb: KnowledgeBase, drug: s.Drug) -> RenderableType:
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("INN", f"{drug.inn}  ({drug.name_zh})")
    head.add_row("aliases", ", ".join(drug.aliases) or "—")
    head.add_row("class", f"{drug.drug_class.value}" + (f", generation {drug.generation}" if drug.generation else ""))
    head.add_row("targets", ", ".join(drug.targets) or "—")
    if drug.originator:
        head.add_row("originator", drug.originator)
    if drug.investigational:
        head.add_row("status", Text("investigational — offer only within clinical trials", style="bold yellow"))
    if drug.development:
        head.add_row("development", f"{drug.development.phase} {drug.development.note}".strip())
    for label, fact in (("CNS penetration", drug.cns_penetration), ("P-gp substrate", drug.pgp_substrate)):
        if fact is not None:
            value = getattr(fact, "level", None) or getattr(fact, "value", None)
            head.add_row(label, f"{value.value if value else ''} {fact.note}  [{_refs(kb, fact.refs)}]".strip())
    if drug.dose:
        head.add_row("dose", f"{drug.dose.text}  [{_refs(kb, drug.dose.refs)}]")
    parts: list[RenderableType] = [head]
    if drug.approvals:
        t = Table(title="approvals", expand=True)
        for col in ("region", "status", "date", "lines", "basis", "source"):
            t.add_column(col, overflow="fold")
        for a in drug.approvals:
            t.add_row(a.region.value, a.status.value, a.date or "—", ", ".join(a.lines), a.checked.basis.value,
                      _refs(kb, a.refs))
        parts.append(t)
    if drug.adverse_events:
        t = Table(title="characteristic adverse events", expand=True)
        for col in ("event", "不良反应", "source"):
            t.add_column(col, overflow="fold")
        for ae in drug.adverse_events:
            t.add_row(ae.term.en, ae.term.zh, _refs(kb, ae.refs))
        parts.append(t)
    trials = [t for t in kb.trials.values() if any(drug.id in a.regimen for a in t.arms)]
    if trials:
        parts.append(Text("trials: " + ", ".join(t.name for t in trials)))
    parts.append(Text(f"sources: {_refs(kb, drug.refs)}  (checked: {drug.checked.basis.value})", style="dim"))
    return Panel(Group(*parts), title=f"[bold]{drug.inn}[/]", subtitle=f"knowledge {kb.version}")


def _calls_table(kb: KnowledgeBase, mut: s.Mutation) -> Table:
    t = Table(title=f"drug sensitivity — {mut.id}", expand=True)
    for col in ("drug", "call", "evidence", "level", "IC50 nM (WT)", "basis", "source"):
        t.add_column(col, overflow="fold")
    for drug_id, calls in calls_by_drug(mut).items():
        for c in calls:
            ic50 = f"{c.ic50_nm:g}" + (f" ({c.ic50_wt_nm:g})" if c.ic50_wt_nm else "") if c.ic50_nm else "—"
            t.add_row(kb.drugs[drug_id].inn, Text(c.call.value, style=CALL_STYLE[c.call.value]),
                      c.evidence_type.value, c.level, ic50, c.checked.basis.value, _refs(kb, c.refs))
    return t


def mutation_view(kb: KnowledgeBase, match: MutationMatch) -> RenderableType:
    parts: list[RenderableType] = []
    mut = match.mutation
    if mut is None:
        parts.append(Text(
            f"The combination {' + '.join(match.parts)} is not curated as a compound mutation. "
            "Calls for its parts follow; a regimen must overcome every part.", style="yellow"))
        if match.unknown_parts:
            parts.append(Text(f"not in the knowledge base: {', '.join(match.unknown_parts)}", style="red"))
        for comp in match.components:
            parts.append(mutation_view(kb, MutationMatch(comp.id, [comp.id], comp, [], [])))
        return Group(*parts)
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("kind", mut.kind.value + (f" of {' + '.join(mut.components)}" if mut.components else ""))
    if mut.aliases:
        head.add_row("aliases", ", ".join(mut.aliases))
    if mut.region:
        head.add_row("region", f"{mut.region} {mut.region_zh}".strip())
    if mut.description:
        head.add_row("about", mut.description.en)
        head.add_row("说明", mut.description.zh)
    parts.append(head)
    if mut.frequencies:
        t = Table(title="reported frequency", expand=True)
        for col in ("after", "frequency", "n", "sample", "source"):
            t.add_column(col, overflow="fold")
        for f in mut.frequencies:
            t.add_row(f.after, f.value_text, str(f.n or "—"), f.sample, _refs(kb, f.refs))
        parts.append(t)
    parts.append(_calls_table(kb, mut))
    errata = [e for e in kb.errata.values() if mut.id in e.kb_fields or f"mutation:{mut.id}" in e.kb_fields]
    for e in errata:
        parts.append(Text(f"erratum {e.id}: the review says '{e.seed_says}' — {e.correction}", style="magenta"))
    parts.append(Text(f"sources: {_refs(kb, mut.refs)}", style="dim"))
    return Panel(Group(*parts), title=f"[bold]ALK {mut.id}[/]", subtitle=f"knowledge {kb.version}")


def matrix_view(kb: KnowledgeBase, table: dict[str, dict[str, s.DrugCall | None]]) -> Table:
    drugs = list(next(iter(table.values()), {}).keys())
    t = Table(title="ALK mutation × drug (S sensitive, I intermediate, R resistant, ? unknown; "
                    "lower-case = preclinical evidence only)", expand=False)
    t.add_column("mutation", style="bold")
    for d in drugs:
        t.add_column(kb.drugs[d].inn[:11], justify="center")
    for mid, row in table.items():
        cells: list[Text | str] = []
        for d in drugs:
            call = row[d]
            if call is None:
                cells.append(Text("·", style="dim"))
                continue
            letter = CALL_SHORT[call.call.value]
            if call.evidence_type is not s.EvidenceType.clinical:
                letter = letter.lower()
            cells.append(Text(letter, style=CALL_STYLE[call.call.value]))
        t.add_row(mid, *cells)
    return t


def trials_view(kb: KnowledgeBase, trials: list[s.Trial]) -> Table:
    t = Table(title=f"trials and studies ({len(trials)})", expand=True)
    for col in ("trial", "phase", "setting", "arm", "endpoint", "value", "95% CI", "assessor", "review said", "source"):
        t.add_column(col, overflow="fold")
    for trial in trials:
        for r in trial.results:
            value = f"{r.value:g}" if r.value is not None else (r.value_text or "")
            unit = {"months": " mo", "percent": "%", "count": "", "ratio": ""}[r.unit.value]
            ci = ""
            if r.ci_low is not None or r.ci_high is not None or r.ci_high_text:
                high = f"{r.ci_high:g}" if r.ci_high is not None else (r.ci_high_text or "NR")
                ci = f"{r.ci_low:g}–{high}" if r.ci_low is not None else f"–{high}"
            if r.hazard_ratio is not None:
                ci += f" HR {r.hazard_ratio:g}"
            t.add_row(trial.name, trial.phase, trial.setting, r.arm, f"{r.endpoint.value} {r.endpoint_detail}".strip(),
                      value + unit, ci, r.assessor, r.seed_value or "", _refs(kb, r.refs))
    return t
