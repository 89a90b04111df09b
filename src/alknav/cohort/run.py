"""Recommend for every sample of a cohort, and summarise resistance mechanisms by prior TKI."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from alknav import progress
from alknav.cohort.assemble import Inputs, SampleCase, build_cases
from alknav.errors import AlknavError, CaseError
from alknav.inputs.case_reader import parse_case_data
from alknav.interpret.facts import build_facts
from alknav.kb.knowledge_base import KnowledgeBase
from alknav.outputs.render import render_result
from alknav.recommend.engine import recommend

SUMMARY_COLUMNS = ["sample", "status", "rank1", "rank1_category", "rank1_evidence", "rank2", "alterations",
                   "warnings", "error"]


NOT_ALK_POSITIVE = "not_alk_positive"


def _not_alk_positive(exc: AlknavError) -> bool:
    """The refusal of a sample whose files show no ALK rearrangement (or show it negative): a sample
    outside alknav's question, not an unreadable one."""
    return isinstance(exc, CaseError) and exc.field.startswith("diagnosis.alk")


def recommend_cohort(inputs: Inputs, kb: KnowledgeBase, out_dir: Path, *, lang: str = "en",
                     region: str | None = None) -> dict[str, int]:
    """Writes recommendations.jsonl (one line per sample) and summary.tsv into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cases = build_cases(inputs, kb)
    counts = Counter[str]()
    bar = progress.task("recommending", total=len(cases), unit="samples")
    with (out_dir / "recommendations.jsonl").open("w", encoding="utf-8") as jl, \
            (out_dir / "summary.tsv").open("w", encoding="utf-8", newline="") as tsv:
        writer = csv.DictWriter(tsv, fieldnames=SUMMARY_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for sample, item in sorted(cases.items()):
            line: dict[str, Any] = {"sample": sample, "provenance": item.provenance, "not_used": item.not_used}
            row = dict.fromkeys(SUMMARY_COLUMNS, "")
            row.update({"sample": sample, "alterations": ";".join(item.case["current"]["alterations"])})
            try:
                result = render_result(recommend(parse_case_data(item.case, f"sample {sample}"), kb, region=region),
                                       kb, lang)
            except AlknavError as exc:
                status = NOT_ALK_POSITIVE if _not_alk_positive(exc) else "error"
                counts[status] += 1
                line["status"] = status
                line["error"] = {"field": getattr(exc, "field", ""), "message": str(exc)}
                row.update({"status": status, "error": str(exc)})
            else:
                counts["ok"] += 1
                line["status"] = "ok"
                line.update(result.model_dump(mode="json", exclude={"trace"}))
                opts = result.options
                row.update({
                    "status": "ok",
                    "rank1": " + ".join(opts[0].drugs) or opts[0].name if opts else "",
                    "rank1_category": opts[0].category if opts else "",
                    "rank1_evidence": opts[0].evidence.level if opts else "",
                    "rank2": (" + ".join(opts[1].drugs) or opts[1].name) if len(opts) > 1 else "",
                    "warnings": ";".join(w.code for w in result.warnings),
                })
            jl.write(json.dumps(line, ensure_ascii=False) + "\n")
            writer.writerow(row)
            bar.advance(1)  # a sample costs an engine run: one update each is nothing beside it
    bar.done()
    return dict(counts)


def mechanism_classes(item: SampleCase, kb: KnowledgeBase) -> list[str]:
    """Resistance mechanism classes of one sample (for frequencies); 'none identified' if none."""
    try:
        facts = build_facts(parse_case_data(item.case, f"sample {item.sample}"), kb)
    except AlknavError as exc:
        return [NOT_ALK_POSITIVE] if _not_alk_positive(exc) else ["unreadable case"]
    classes: list[str] = []
    for clone in facts.clones:
        classes.append("ALK compound mutation" if len(clone.mutations) > 1 else f"ALK {clone.mutations[0]}")
    for mech in facts.mechanisms:
        classes.append(mech.name.en)
    if facts.histology_now:
        classes.append(f"{facts.histology_now} transformation")
    return sorted(set(classes)) or ["none identified"]


def summarize_cohort(inputs: Inputs, kb: KnowledgeBase, out_dir: Path, *, fmt: str = "png") -> dict[str, Any]:
    """mechanisms_by_prior_tki.tsv and a stacked bar figure of mechanism frequency by last TKI."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cases = build_cases(inputs, kb)
    table: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    outside = 0  # samples that are not ALK-positive: counted apart, not in the frequencies
    for item in cases.values():
        classes = mechanism_classes(item, kb)
        if classes == [NOT_ALK_POSITIVE]:
            outside += 1
            continue
        history = item.case.get("history") or []
        last = " + ".join(history[-1]["regimen"]) if history else "treatment-naive"
        totals[last] += 1
        for cls in classes:
            table[last][cls] += 1
    rows = []
    for tki in sorted(table):
        for cls, n in table[tki].most_common():
            rows.append({"last_therapy": tki, "mechanism": cls, "samples": n, "of": totals[tki],
                         "percent": round(100 * n / totals[tki], 1)})
    with (out_dir / "mechanisms_by_prior_tki.tsv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["last_therapy", "mechanism", "samples", "of", "percent"],
                                delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    figure = out_dir / f"mechanisms_by_prior_tki.{fmt}"
    _plot(table, totals, figure)
    return {"samples": len(cases) - outside, "groups": len(table), "figure": str(figure),
            NOT_ALK_POSITIVE: outside}


def _plot(table: dict[str, Counter[str]], totals: Counter[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    groups = sorted(table)
    mechanisms = sorted({m for c in table.values() for m in c})
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(groups) + 3), 4.5))
    bottom = [0.0] * len(groups)
    cmap = plt.get_cmap("tab20")
    for i, mech in enumerate(mechanisms):
        values = [100 * table[g][mech] / totals[g] for g in groups]
        ax.bar(groups, values, bottom=bottom, label=mech, color=cmap(i % 20))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("% of samples (a sample can have several mechanisms)")
    ax.set_xlabel("last therapy before the biopsy")
    ax.set_title("Resistance mechanisms by prior therapy")
    ax.set_xticks(range(len(groups)), [f"{g}\n(n={totals[g]})" for g in groups])
    if mechanisms:  # an empty cohort (e.g. no ALK-positive sample) has no legend to draw
        ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else None)
    plt.close(fig)
