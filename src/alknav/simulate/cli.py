"""`alknav simulate`: registered on the main app by alknav.cli; heavy modules load inside the command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

MAX_PATIENTS = 2_000_000
FORMATS = ("text", "json", "html")


def _fail(message: str, as_json: bool, field: str) -> typer.Exit:
    if as_json:
        print(json.dumps({"error": {"field": field, "message": message}}, ensure_ascii=False))
    else:
        print(f"alknav: error: {field}: {message}", file=sys.stderr)
    return typer.Exit(2)


def simulate_command(
    strategy: Annotated[list[str], typer.Option(
        "--strategy", "-s", help="A fixed sequence such as 'alectinib>lorlatinib>chemotherapy' (agents joined by '+' "
        "for a combination, e.g. 'lorlatinib+met_inhibitor'), or 'alknav' for the engine's choice at each simulated "
        "re-biopsy. Repeat to compare; the first is the reference for hazard ratios.")],
    patients: Annotated[int, typer.Option("--patients", "-n", help="Virtual patients per strategy.")] = 20000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same result.")] = 1,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json or html (a standalone page).")] = "text",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for Kaplan-Meier figures (PNG and SVG), "
                                             "summary.json and, with --format html, simulation.html.",
                                             file_okay=False)] = None,
    validation: Annotated[bool, typer.Option("--validation", help="Add the calibration and held-out validation "
                                             "table (replicate trials; about 20-40 s more).")] = False,
    sweep: Annotated[int, typer.Option("--sweep", help="Also run a sensitivity sweep over this many parameter sets "
                                       "drawn within each parameter's bounds (Dask).")] = 0,
    sweep_patients: Annotated[int, typer.Option("--sweep-patients", help="Virtual patients per sweep set.")] = 2000,
    refit: Annotated[bool, typer.Option("--refit/--no-refit", help="Refit the calibrated parameters to the "
                                        "calibration trials for every sweep set (default; slower), or vary them "
                                        "+-25% around the published fit.")] = True,
    fit_steps: Annotated[int, typer.Option("--fit-steps", help="Bisection steps per parameter when refitting a "
                                           "sweep set (0: the calibration's 22).")] = 12,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786) for "
                                                  "the sweep; default: a local cluster.")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Workers of the local Dask cluster.")] = 2,
    kb_dir: Annotated[Path | None, typer.Option("--kb", help="Knowledge folder to use instead of the packaged one.",
                                                exists=True, file_okay=False)] = None,
) -> None:
    """Compare whole ALK treatment sequences on a calibrated virtual cohort (HYPOTHESIS-GENERATING).

    Example: alknav simulate --strategy 'alectinib>lorlatinib>chemotherapy' --strategy lorlatinib>chemotherapy
    --strategy alknav --patients 20000 --format json
    """
    as_json = fmt == "json"
    if fmt not in FORMATS:
        raise _fail(f"'{fmt}' is not one of {', '.join(FORMATS)}", False, "--format")
    if not 100 <= patients <= MAX_PATIENTS:
        raise _fail(f"{patients} is outside 100..{MAX_PATIENTS}", as_json, "--patients")
    if seed < 0:
        raise _fail("must be 0 or more", as_json, "--seed")
    if sweep < 0 or (sweep and not 100 <= sweep_patients <= MAX_PATIENTS):
        raise _fail("--sweep must be 0 or more and --sweep-patients within 100..2000000", as_json, "--sweep")
    if workers < 1:
        raise _fail("must be 1 or more", as_json, "--workers")
    if not 0 <= fit_steps <= 40:
        raise _fail("must be within 0..40", as_json, "--fit-steps")
    if not strategy:
        raise _fail("give at least one --strategy", as_json, "--strategy")

    from alknav.errors import AlknavError, KnowledgeError
    from alknav.kb.loader import load_kb
    from alknav.simulate import LABEL, render
    from alknav.simulate import sweep as sw
    from alknav.simulate.calibrate import check
    from alknav.simulate.params import load_targets
    from alknav.simulate.run import HORIZON, calibrated_model, parse_strategies, simulate, summarize

    try:
        kb = load_kb(kb_dir)
    except KnowledgeError as exc:
        raise _fail(f"knowledge base invalid: {exc}", as_json, "knowledge") from exc
    try:
        model = calibrated_model(kb)
        strategies = parse_strategies(strategy, model)
        results = simulate(kb, model, strategies, patients, seed)
        summary = summarize(model, results, seed, patients)
        rows = check(kb, model, load_targets(kb)) if validation else None
        sweep_doc = None
        if sweep:
            tasks = sw.make_tasks(model, [s.name for s in strategies], sweep, sweep_patients, seed, kb_dir,
                                  refit=refit, fit_steps=fit_steps)
            client, cluster = sw.connect(scheduler, workers)
            try:
                executor = scheduler or f"local cluster ({workers} workers)"
                sweep_doc = sw.summarize(tasks, sw.run(tasks, client), executor)
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
    except AlknavError as exc:
        field = getattr(exc, "field", "")
        raise _fail(getattr(exc, "message", str(exc)), as_json, field) from exc

    svgs: dict[str, str] = {}
    if out is not None:
        written = render.figures(results, out, HORIZON)
        (out / "summary.json").write_text(render.as_json(summary, rows, sweep_doc), encoding="utf-8")
        svgs = {p.stem: p.read_text(encoding="utf-8") for p in written if p.suffix == ".svg"}
    if fmt == "json":
        print(render.as_json(summary, rows, sweep_doc))
    elif fmt == "html":
        if not svgs:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                written = render.figures(results, Path(tmp), HORIZON, ("svg",))
                svgs = {p.stem: p.read_text(encoding="utf-8") for p in written}
        page = render.html_page(summary, rows, svgs)
        if out is not None:
            (out / "simulation.html").write_text(page, encoding="utf-8")
            print(f"wrote {out / 'simulation.html'} ({LABEL})")
        else:
            print(page)
    else:
        print(render.text(summary, rows, sweep_doc))
        if out is not None:
            print(f"\nfigures and summary.json written to {out}")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)
