"""Text, JSON, figures (Kaplan-Meier PNG/SVG) and a standalone HTML page for a simulation.
Every output carries the hypothesis-generating label."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from alknav.simulate import LABEL, stats
from alknav.simulate.strategies import SequenceResult

CURVES = (("pfs1", "PFS1 (first line)"), ("pfs2", "PFS2 (through second line)"),
          ("time_to_chemotherapy", "Time to chemotherapy (share not yet on chemotherapy)"),
          ("ic_progression", "Intracranial progression during first line"))
GRID = 0.25  # months between plotted KM points (curves of 100,000 patients need no more)


def _fmt(m: dict[str, float | None] | None) -> str:
    if not m or m.get("value") is None:
        return "not reached"
    lo = "?" if m.get("ci_low") is None else f"{m['ci_low']:.1f}"
    hi = "NR" if m.get("ci_high") is None else f"{m['ci_high']:.1f}"
    return f"{m['value']:.1f} ({lo}-{hi})"


def text(summary: dict[str, Any], validation: list[dict[str, Any]] | None = None,
         sweep: dict[str, Any] | None = None) -> str:
    lines = [f"*** {LABEL} ***", "",
             f"{summary['patients']} virtual patients, seed {summary['seed']}; "
             "medians in months (bootstrap 95% interval)",
             ""]
    head = f"{'strategy':44} {'PFS1':>20} {'PFS2':>20} {'to chemotherapy':>20} {'IC progression':>20}"
    lines += [head, "-" * len(head)]
    for row in summary["strategies"]:
        lines.append(f"{row['strategy'][:44]:44} {_fmt(row['pfs1_median']):>20} {_fmt(row['pfs2_median']):>20} "
                     f"{_fmt(row['time_to_chemotherapy']):>20} {_fmt(row['ic_progression']):>20}")
    if summary["comparison"]:
        lines += ["", f"Hazard ratios versus {summary['comparison'][0]['versus']} (Cox, same virtual patients):"]
        for c in summary["comparison"]:
            hrs = ", ".join(f"{k.replace('_hr', '').upper()} HR {v:.2f}" for k, v in c.items() if k.endswith("_hr"))
            lines.append(f"  {c['strategy']}: {hrs}")
    lines += ["", "Dominant clone at each progression (share of progressions):"]
    for row in summary["strategies"]:
        lines.append(f"  {row['strategy']}")
        for mech in row["mechanisms"]:
            top = sorted(mech["dominant_clone"].items(), key=lambda kv: -kv[1])[:5]
            regs = ", ".join(f"{k} {v}" for k, v in sorted(mech["regimens"].items(), key=lambda kv: -kv[1])[:3])
            lines.append(f"    line {mech['line']} ({regs}): " + ", ".join(f"{k} {v:.0%}" for k, v in top)
                         + f"; CNS-first {mech['cns_share']:.0%}")
        if row.get("engine"):
            e = row["engine"]
            lines.append(f"    engine: {e['engine_calls']} distinct cases asked, {e['engine_refused']} refused")
    if validation:
        lines += ["", *validation_lines(validation)]
    if sweep:
        lines += ["", *sweep_lines(sweep)]
    lines += ["", f"*** {LABEL} ***"]
    return "\n".join(lines)


def validation_lines(rows: list[dict[str, Any]]) -> list[str]:
    out = ["Calibration and held-out validation (observed vs simulated; interval = 95% of replicate trials):"]
    head = f"{'role':11} {'target':24} {'endpoint':15} {'observed':>9} {'simulated':>9} {'interval':>18} covered"
    out += [head, "-" * len(head)]
    for r in rows:
        iv = r["interval"]
        ivs = f"{'-' if iv[0] is None else f'{iv[0]:.2f}'}-{'NR' if iv[1] is None else f'{iv[1]:.2f}'}"
        obs = "-" if r["observed"] is None else f"{r['observed']:g}"
        sim = "NR" if r["simulated"] is None else f"{r['simulated']:g}"
        cov = "-" if r["covered"] is None else ("yes" if r["covered"] else "NO")
        out.append(f"{r['role']:11} {r['target'][:24]:24} {r['endpoint']:15} {obs:>9} {sim:>9} {ivs:>18} {cov}")
    held = [r for r in rows if r["role"] == "validation" and r["covered"] is not None]
    if held:
        n_cov = sum(1 for r in held if r["covered"])
        out.append(f"Held-out: {n_cov} of {len(held)} observed values inside the simulated 95% interval.")
    return out


def sweep_lines(sweep: dict[str, Any]) -> list[str]:
    how = ("calibrated parameters refitted to the calibration trials for every set" if sweep.get("refit")
           else "calibrated parameters varied +-25% around the published fit (not refitted)")
    out = [f"Sensitivity sweep: {sweep['sets']} parameter sets x {sweep['patients']} patients "
           f"(executor: {sweep['executor']}; {how})"]
    missed = sum(1 for r in sweep.get("per_set", []) if r.get("unreachable"))
    if missed:
        out.append(f"  {missed} set(s) could not reach every calibration target (see per_set[].unreachable)")
    for name, s in sweep["summary"].items():
        out.append(f"  {name}: PFS1 median {s['pfs1'][1]:.1f} ({s['pfs1'][0]:.1f}-{s['pfs1'][2]:.1f}); "
                   + (f"PFS2 median {s['pfs2'][1]:.1f} ({s['pfs2'][0]:.1f}-{s['pfs2'][2]:.1f})" if s.get("pfs2")
                      else "PFS2 n/a"))
    for name, share in sweep.get("best_share", {}).items():
        out.append(f"  longest PFS2 in {share:.0%} of sets: {name}")
    if sweep.get("influence"):
        top = sorted(sweep["influence"].items(), key=lambda kv: -abs(kv[1]))[:6]
        out.append("  most influential on the first strategy's PFS2 (Spearman rho): "
                   + ", ".join(f"{k} {v:+.2f}" for k, v in top))
    return out


def as_json(summary: dict[str, Any], validation: list[dict[str, Any]] | None = None,
            sweep: dict[str, Any] | None = None) -> str:
    doc = dict(summary)
    if validation is not None:
        doc["validation"] = validation
    if sweep is not None:
        doc["sweep"] = sweep
    return json.dumps(doc, ensure_ascii=False, indent=2)


def curves(results: list[SequenceResult], horizon: float) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """endpoint -> strategy -> (grid, KM survival on the grid)."""
    grid = np.arange(0.0, horizon + GRID, GRID)
    out: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for res in results:
        for name, ep in stats.endpoints(res).items():
            t, s = stats.km(ep.time, ep.event)
            out.setdefault(name, {})[res.strategy.name] = (grid, s[np.searchsorted(t, grid, side="right") - 1])
    return out


def figures(results: list[SequenceResult], out_dir: Path, horizon: float, formats: tuple[str, ...] = ("png", "svg"),
            ) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # files only; never a display
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    data = curves(results, horizon)
    written = []
    for name, title in CURVES:
        if name not in data:
            continue
        fig, ax = plt.subplots(figsize=(7.5, 4.5))
        for strategy, (grid, surv) in data[name].items():
            ax.step(grid, surv, where="post", label=strategy, linewidth=1.4)
        ax.set_xlim(0, min(horizon, 120))
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("months from start of first-line therapy")
        ax.set_ylabel("probability event-free")
        ax.set_title(title, fontsize=11)
        ax.legend(fontsize=7, loc="upper right")
        ax.grid(alpha=0.3)
        fig.text(0.01, 0.01, LABEL, fontsize=7, color="firebrick")
        fig.tight_layout(rect=(0, 0.04, 1, 1))
        for fmt in formats:
            path = out_dir / f"km_{name}.{fmt}"
            fig.savefig(path, format=fmt, metadata={"Date": None} if fmt == "svg" else None)  # stable SVGs
            written.append(path)
        plt.close(fig)
    return written


def html_page(summary: dict[str, Any], validation: list[dict[str, Any]] | None, svgs: dict[str, str]) -> str:
    """A standalone page (no external assets): label, comparison table, KM figures, validation."""
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(r['strategy'])}</td><td>{esc(_fmt(r['pfs1_median']))}</td><td>{esc(_fmt(r['pfs2_median']))}"
        f"</td><td>{esc(_fmt(r['time_to_chemotherapy']))}</td><td>{esc(_fmt(r['ic_progression']))}</td></tr>"
        for r in summary["strategies"])
    figs = "".join(f"<figure>{svg}</figure>" for svg in svgs.values())
    val = ""
    if validation:
        vrows = "".join(
            f"<tr><td>{esc(r['role'])}</td><td>{esc(r['trial'])}</td><td>{esc(r['endpoint'])}</td>"
            f"<td>{esc(str(r['observed']))}</td><td>{esc(str(r['simulated']))}</td><td>{esc(str(r['interval']))}</td>"
            f"<td>{esc({True: 'yes', False: 'NO', None: '-'}[r['covered']])}</td></tr>" for r in validation)
        val = ("<h2>Calibration and held-out validation</h2><table><tr><th>role</th><th>trial</th><th>endpoint</th>"
               "<th>observed</th><th>simulated</th><th>95% interval</th><th>covered</th></tr>" + vrows + "</table>")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>alknav sequencing simulation</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}.label{background:#fde8e8;color:#8b1a1a;"
        "padding:.6em;font-weight:bold}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}"
        "figure{margin:1em 0}</style></head><body>"
        f"<p class='label'>{esc(LABEL)}</p><h1>Sequencing simulation</h1>"
        f"<p>{summary['patients']} virtual patients, seed {summary['seed']}. {esc(summary['note'])}</p>"
        "<table><tr><th>strategy</th><th>PFS1 median</th><th>PFS2 median</th><th>time to chemotherapy</th>"
        f"<th>intracranial progression</th></tr>{rows}</table>{figs}{val}"
        f"<p class='label'>{esc(LABEL)}</p></body></html>")
