"""Command-line shell. Commands parse arguments, call one library function, and print.

Exit codes: 0 success; 1 the knowledge base is invalid (`kb validate`); 2 bad input or an
unknown name, reported in one line without a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from alknav import __version__, cli_help
from alknav.cli_core import (
    _check_choice,
    _console,
    _fail,
    _load,
    _need,
    _print_result,
    _recommend_file,
    _written_to,
    guarded,
    run_recommend,
)
from alknav.errors import AlknavError

cli_help.install()

app = typer.Typer(
    help="alknav — cited, explainable next-line options for ALK-positive NSCLC. "
    "Decision support: it supports, and never replaces, clinical judgement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
kb_app = typer.Typer(help="Browse and check the knowledge base.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
cohort_app = typer.Typer(help="Recommend for, and summarise, whole cohorts of genomic files.", no_args_is_help=True)
app.add_typer(cohort_app, name="cohort")
case_app = typer.Typer(help="Build case files.", no_args_is_help=True)
app.add_typer(case_app, name="case")
keys_app = typer.Typer(help="API keys for the service's case endpoints (stored hashed).", no_args_is_help=True,
                       epilog=cli_help.ENVIRONMENT)
app.add_typer(keys_app, name="keys")

KbDir = Annotated[
    Path | None,
    typer.Option("--kb", help="Knowledge folder to use instead of the packaged one.", exists=True, file_okay=False),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _dump(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    if version:
        print(f"alknav {__version__}")
        raise typer.Exit(0)


@kb_app.command("validate")
def kb_validate(kb_dir: KbDir = None, as_json: JsonFlag = False,
                strict: Annotated[bool, typer.Option(help="Treat warnings as errors.")] = False) -> None:
    """Check every knowledge file: schema, references, ids, cross-references. Exit 1 on errors."""
    from alknav.kb.loader import build

    kb, issues = build(kb_dir)
    errors = [i for i in issues if i.severity == "error" or strict]
    if as_json:
        _dump({"valid": not errors and kb is not None, "knowledge_version": kb.version if kb else None,
               "issues": [asdict(i) for i in issues]})
    else:
        from alknav.outputs.kb_text import issues_table

        console = _console()
        if issues:
            console.print(issues_table(issues))
        if kb is not None and not errors:
            counts = (f"{len(kb.references)} references, {len(kb.drugs)} drugs, {len(kb.trials)} trials, "
                      f"{len(kb.mutations)} mutations, {len(kb.errata)} errata")
            console.print(f"[green]knowledge base {kb.version} is valid[/]: {counts}")
    if errors or kb is None:
        raise typer.Exit(1)


@kb_app.command("info")
def kb_info(
    kb_dir: KbDir = None, as_json: JsonFlag = False,
    older_than: Annotated[str | None, typer.Option(
        "--older-than", help="List facts last checked longer ago than this (e.g. 365d, 12m, 1y).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Measure ages from this day (YYYY-MM-DD) instead of today.")] = None,
) -> None:
    """Release date, size and how recently the facts were checked; with --older-than, which are stale."""
    from datetime import date

    from alknav.kb.dates import date_summary, parse_age
    from alknav.kb.dates import older_than as stale_facts

    kb = _load(kb_dir, as_json)
    try:
        days = parse_age(older_than) if older_than is not None else None
        today = date.fromisoformat(as_of) if as_of is not None else date.today()
    except (AlknavError, ValueError) as exc:
        _fail(str(exc), as_json, "older_than" if older_than and not as_of else "as_of")
    summary = date_summary(kb)
    stale = stale_facts(kb, days, today) if days is not None else []
    info = {"name": kb.manifest.name, "knowledge_version": kb.version, "release_date": kb.manifest.date,
            "seed": kb.manifest.seed, "as_of": today.isoformat(),
            "counts": {"references": len(kb.references), "drugs": len(kb.drugs), "trials": len(kb.trials),
                       "mutations": len(kb.mutations), "errata": len(kb.errata), "rules": len(kb.rules)},
            "fact_dates": summary}
    if days is not None:
        info["older_than_days"] = days
        info["older"] = [f.as_dict() for f in stale]
    if as_json:
        _dump(info)
        return
    console = _console()
    console.print(f"[bold]{kb.manifest.name} {kb.version}[/] — released {kb.manifest.date}")
    console.print(", ".join(f"{n} {k}" for k, n in info["counts"].items()))
    console.print(f"{summary['facts']} facts with a checked date ({summary['explicit_dates']} dated one by one, "
                  f"the rest by their file's date); oldest {summary['oldest']}, newest {summary['newest']}")
    if days is not None:
        console.print(f"{len(stale)} facts last checked more than {days} days before {today.isoformat()}")
        for fact in stale:
            console.print(f"  {fact.checked}  {fact.file}  {fact.field}  {fact.label}", markup=False)


@kb_app.command("drug")
def kb_drug(name: Annotated[str, typer.Argument(help="INN, brand, code name or Chinese name")],
            kb_dir: KbDir = None, as_json: JsonFlag = False) -> None:
    """Everything known about one drug (any alias or Chinese name)."""
    from alknav.kb.query import find_drug

    kb = _load(kb_dir, as_json)
    try:
        drug = find_drug(kb, name)
    except AlknavError as exc:
        _fail(str(exc), as_json, "name")
    if as_json:
        trials = [t.id for t in kb.trials.values() if any(drug.id in a.regimen for a in t.arms)]
        _dump({"knowledge_version": kb.version, "drug": drug.model_dump(mode="json", exclude_none=True),
               "trials": trials})
        return
    from alknav.outputs.kb_text import drug_view

    _console().print(drug_view(kb, drug))


@kb_app.command("mutation")
def kb_mutation(name: Annotated[str, typer.Argument(help="e.g. G1202R, 'ALK p.Gly1202Arg', G1202R/L1196M")],
                kb_dir: KbDir = None, as_json: JsonFlag = False) -> None:
    """Everything known about an ALK mutation or compound mutation."""
    from alknav.kb.query import find_mutation

    kb = _load(kb_dir, as_json)
    try:
        match = find_mutation(kb, name)
    except AlknavError as exc:
        _fail(str(exc), as_json, "mutation")
    if as_json:
        _dump({
            "knowledge_version": kb.version, "query": name, "normalized": match.parts,
            "curated": match.mutation is not None,
            "mutation": match.mutation.model_dump(mode="json", exclude_none=True) if match.mutation else None,
            "components": [c.model_dump(mode="json", exclude_none=True) for c in match.components],
            "unknown_parts": match.unknown_parts,
            "errata": [e.id for e in kb.errata.values() if match.mutation and match.mutation.id in e.kb_fields],
        })
        return
    from alknav.outputs.kb_text import mutation_view

    _console().print(mutation_view(kb, match))


@kb_app.command("matrix")
def kb_matrix(kb_dir: KbDir = None, as_json: JsonFlag = False,
              drug: Annotated[list[str] | None, typer.Option("--drug", help="Limit to these drugs.")] = None) -> None:
    """Mutations × drugs, one call per cell from the strongest evidence."""
    from alknav.kb.query import find_drug, matrix

    kb = _load(kb_dir, as_json)
    try:
        cols = [find_drug(kb, d).id for d in drug] if drug else None
    except AlknavError as exc:
        _fail(str(exc), as_json, "drug")
    table = matrix(kb, cols)
    if as_json:
        _dump({"knowledge_version": kb.version, "matrix": {
            m: {d: (None if c is None else {"call": c.call.value, "evidence_type": c.evidence_type.value,
                                            "level": c.level, "ic50_nm": c.ic50_nm}) for d, c in row.items()}
            for m, row in table.items()}})
        return
    from alknav.outputs.kb_text import matrix_view

    _console().print(matrix_view(kb, table))


@kb_app.command("trials")
def kb_trials(kb_dir: KbDir = None, as_json: JsonFlag = False,
              drug: Annotated[str | None, typer.Option("--drug", help="Only trials with this drug.")] = None) -> None:
    """Trials and studies with every efficacy figure, the review's value beside the primary one."""
    from alknav.kb.query import trials_for

    kb = _load(kb_dir, as_json)
    try:
        trials = trials_for(kb, drug)
    except AlknavError as exc:
        _fail(str(exc), as_json, "drug")
    if as_json:
        _dump({"knowledge_version": kb.version,
               "trials": [t.model_dump(mode="json", exclude_none=True) for t in trials]})
        return
    from alknav.outputs.kb_text import trials_view

    _console().print(trials_view(kb, trials))


@kb_app.command("export")
def kb_export(
    fmt: Annotated[str, typer.Option("--format", help="json (whole KB) or tsv (one table)")] = "json",
    table: Annotated[str, typer.Option(help="tsv table: calls, results, drugs, references, errata")] = "calls",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write (default: stdout)")] = None,
    kb_dir: KbDir = None,
) -> None:
    """Export the knowledge base as JSON or a flat TSV table."""
    from alknav.kb.query import export_document, export_tables

    kb = _load(kb_dir)
    if fmt == "json":
        text = json.dumps(export_document(kb), ensure_ascii=False, indent=1)
    elif fmt == "tsv":
        tables = export_tables(kb)
        if table not in tables:
            _fail(f"--table must be one of {', '.join(tables)}, not '{table}'")
        rows = tables[table]
        buf = io.StringIO()
        fields = list(dict.fromkeys(k for row in rows for k in row))
        writer = csv.DictWriter(buf, fieldnames=fields, delimiter="\t", lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        text = buf.getvalue()
    else:
        _fail(f"--format must be json or tsv, not '{fmt}'")
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")


Fmt = Annotated[str, typer.Option("--format", help="text, json, markdown or fhir (FHIR R4 Bundle)")]
Lang = Annotated[str, typer.Option("--lang", help="en or zh")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="CN, US, EU or JP (overrides the case)")]
Output = Annotated[Path | None, typer.Option("-o", "--output", help="write to this file instead of standard output",
                                             dir_okay=False)]
Top = Annotated[int | None, typer.Option("--top", min=1, help="show only the first N options (default: 6 in text, "
                                                               "8 in markdown, every one in json)")]
AllOptions = Annotated[bool, typer.Option("--all", help="show every option, however many")]


@app.command("recommend")
def recommend_cmd(
    cases: Annotated[list[Path], typer.Argument(help="Case file(s) (YAML/JSON/Phenopacket) or directories")],
    fmt: Fmt = "text", lang: Lang = "en", region: RegionOpt = None, kb_dir: KbDir = None,
    output: Output = None, top: Top = None, every: AllOptions = False,
    jobs: Annotated[int | None, typer.Option("--jobs", min=1, metavar="N", help="Processes for a batch of files "
                                             "(default: one per idle CPU for 200+ files, else 1)")] = None,
) -> None:
    """Ranked, cited next-line options for a case. Several files or a directory: one JSON line each."""
    run_recommend(cases, fmt, lang, region, kb_dir, output, top, every, jobs)


@app.command("report")
def report_cmd(
    case: Annotated[Path, typer.Argument(help="Case file (YAML/JSON/Phenopacket)")],
    output: Annotated[Path, typer.Option("-o", "--output", help="report.html or report.pdf")],
    lang: Lang = "en", region: RegionOpt = None, kb_dir: KbDir = None,
    simulate: Annotated[bool, typer.Option("--simulate", help="Add a sequencing-simulation section: the "
                                           "alknav-guided strategy against fixed sequences for this patient's "
                                           "history (hypothesis-generating; a few seconds).")] = False,
    sim_patients: Annotated[int, typer.Option("--sim-patients", metavar="N",
                                              help="Virtual patients for --simulate (500-200000).")] = 5000,
    sim_seed: Annotated[int, typer.Option(
        "--sim-seed", metavar="SEED", help="Random seed for --simulate; the same seed gives the same section.")] = 1,
) -> None:
    """A self-contained, print-friendly report (HTML, or PDF when the output ends in .pdf)."""
    _check_choice(lang, ("en", "zh"), "--lang", False)
    _check_choice(region, ("CN", "US", "EU", "JP"), "--region", False)
    if output.suffix.lower() not in (".html", ".htm", ".pdf"):
        _fail(f"-o must end in .html or .pdf, not '{output.name}'", field="output")
    if simulate and not 500 <= sim_patients <= 200_000:
        _fail(f"--sim-patients: {sim_patients} is outside 500..200000", field="--sim-patients")
    if simulate and sim_seed < 0:
        _fail("--sim-seed: must be 0 or more", field="--sim-seed")
    kb = _load(kb_dir)
    try:
        from alknav.inputs.case_reader import read_case
        from alknav.outputs.report.html import render_html
        from alknav.recommend.engine import recommend

        parsed = read_case(case)
        html = render_html(parsed, recommend(parsed, kb, region=region), kb, lang,
                           simulate=(sim_patients, sim_seed) if simulate else None)
        if output.suffix.lower() == ".pdf":
            _need("pdf", "weasyprint")
            from alknav.outputs.report.pdf import render_pdf

            pages = render_pdf(html, output)
            print(f"alknav: wrote {output} ({pages} pages)", file=sys.stderr)
        else:
            output.write_text(html, encoding="utf-8")
            print(f"alknav: wrote {output}", file=sys.stderr)
    except AlknavError as exc:
        _fail(str(exc), field=getattr(exc, "field", ""))


@app.command("explain")
def explain_cmd(case: Annotated[Path, typer.Argument(help="Case file")], lang: Lang = "en",
                region: RegionOpt = None, kb_dir: KbDir = None,
                as_json: JsonFlag = False, output: Output = None, top: Top = None) -> None:
    """The full trace: every rule that fired, on what, with what effect and which references."""
    _check_choice(lang, ("en", "zh"), "--lang", as_json)
    kb = _load(kb_dir, as_json)
    try:
        res = _recommend_file(case, kb, lang, region)
    except AlknavError as exc:
        _fail(str(exc), as_json, getattr(exc, "field", ""))
    if as_json:
        with _written_to(output):
            _dump({"trace": [s.model_dump() for s in res.trace], "excluded": [x.model_dump() for x in res.excluded],
                   "interpretation": res.interpretation})
        return
    from alknav.outputs.recommendation_text import result_view

    with _written_to(output):
        _console().print(result_view(res, trace=True, top=top or len(res.options)))


@app.command("demo")
def demo_cmd(fmt: Fmt = "text", lang: Lang = "en", region: RegionOpt = None) -> None:
    """Run a realistic case shipped with alknav (G1202R after alectinib, brain metastases)."""
    from importlib import resources

    path = Path(str(resources.files("alknav") / "examples" / "demo_case.yaml"))
    kb = _load(None, fmt == "json")
    try:
        res = _recommend_file(path, kb, lang, region)
    except AlknavError as exc:
        _fail(str(exc), fmt == "json", getattr(exc, "field", ""))
    if fmt == "text":
        print(path.read_text(encoding="utf-8"))
    _print_result(res, fmt)


MafFiles = Annotated[list[Path] | None, typer.Option(
    "--maf", exists=True, dir_okay=False, help="MAF file(s); repeat the option for several")]
VcfFiles = Annotated[list[Path] | None, typer.Option(
    "--vcf", exists=True, dir_okay=False, help="VCF file(s) (.vcf or .vcf.gz); repeat for several")]
FusionFiles = Annotated[list[Path] | None, typer.Option(
    "--fusions", exists=True, dir_okay=False,
    help="fusion-caller output(s): Arriba, STAR-Fusion, cBioPortal SV, oncokb fusion format")]
CnaFiles = Annotated[list[Path] | None, typer.Option(
    "--cna", exists=True, dir_okay=False, help="copy-number table(s): GISTIC-style matrix or long table")]
AlkPositive = Annotated[bool, typer.Option(
    "--alk-positive", help="every sample is ALK-positive by cohort definition (no fusion file needed)")]
Build = Annotated[str | None, typer.Option("--build", help="GRCh37 or GRCh38 (detected when omitted)")]
Reference = Annotated[Path | None, typer.Option("--reference", help="reference FASTA the VCF was called on",
                                                exists=True, dir_okay=False)]
MinCopies = Annotated[float | None, typer.Option("--min-copies", help="absolute copy number called amplification "
                                                                       "(absolute CN tables only; default 6)")]
Clinical = Annotated[Path | None, typer.Option("--clinical", help="per-sample clinical TSV (docs/clinical-tsv.md)",
                                               exists=True, dir_okay=False)]


def _inputs(maf: list[Path] | None, vcf: list[Path] | None, fusions: list[Path] | None, cna: list[Path] | None,
            clinical: Path | None, build: str | None, reference: Path | None, min_copies: float | None,
            alk_positive: bool = False) -> Any:
    from alknav.cohort.assemble import Inputs

    _check_choice(build, ("GRCh37", "GRCh38"), "--build", False)
    if min_copies is not None:
        from alknav.inputs.genomic.cna import check_min_copies

        try:
            check_min_copies(min_copies)
        except AlknavError as exc:
            _fail(str(exc), field="--min-copies")
    if not any((maf, vcf, fusions, cna)) and clinical is None:
        _fail("give at least one input: --maf, --vcf, --fusions, --cna or --clinical")
    return Inputs(maf=maf or [], vcf=vcf or [], fusions=fusions or [], cna=cna or [], clinical=clinical,
                  build=build, reference=reference, min_copies=min_copies, alk_positive=alk_positive)


@app.command("annotate")
def annotate_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="annotated output file (TSV)")],
    maf: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="MAF file")] = None,
    vcf: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="VCF (.vcf or .vcf.gz)")] = None,
    fusions: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, help="Arriba, STAR-Fusion, cBioPortal SV or oncokb fusion file")] = None,
    cna: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="copy-number table")] = None,
    clinical: Clinical = None, build: Build = None, reference: Reference = None, min_copies: MinCopies = None,
    kb_dir: KbDir = None,
) -> None:
    """Add alknav's columns (alteration, mechanism, per-drug calls, levels, citations) to every input row."""
    given = [x for x in (maf, vcf, fusions, cna) if x is not None]
    if len(given) != 1:
        _fail("annotate takes exactly one of --maf, --vcf, --fusions or --cna")
    inputs = _inputs([maf] if maf else None, [vcf] if vcf else None, [fusions] if fusions else None,
                     [cna] if cna else None, clinical, build, reference, min_copies)
    kb = _load(kb_dir)
    partial = output.with_name(f".{output.name}.partial")  # a failed run never replaces a good output
    from alknav import progress

    try:
        extra = _clinical_columns(clinical)
        with progress.shown():  # on stderr, only for a terminal (ALKNAV_PROGRESS overrides)
            if maf is not None:
                from alknav.inputs.genomic.maf import annotate_maf

                counts = annotate_maf(maf, partial, kb, extra=extra)
            else:
                from alknav.annotate.records_tsv import write_records

                counts = write_records(inputs.records(kb), kb, partial, extra=extra)
        os.replace(partial, output)
    except AlknavError as exc:
        partial.unlink(missing_ok=True)
        _fail(str(exc), field=getattr(exc, "field", ""))
    print(f"alknav: wrote {output}", file=sys.stderr)
    print(f"alknav: {counts.line(given[0].name)}", file=sys.stderr)  # same words for every kind


def _clinical_columns(clinical: Path | None) -> dict[str, dict[str, str]]:
    if clinical is None:
        return {}
    from alknav.inputs.genomic.clinical import read_clinical

    rows = read_clinical(clinical)
    return {s: {"PRIOR_THERAPIES": r.get("PRIOR_THERAPIES"), "CURRENT_HISTOLOGY": r.get("CURRENT_HISTOLOGY")}
            for s, r in rows.items()}


@cohort_app.command("recommend")
def cohort_recommend(
    output: Annotated[Path, typer.Option("-o", "--output", help="output folder", file_okay=False)],
    maf: MafFiles = None, vcf: VcfFiles = None, fusions: FusionFiles = None, cna: CnaFiles = None,
    clinical: Clinical = None,
    build: Build = None, reference: Reference = None, min_copies: MinCopies = None,
    alk_positive: AlkPositive = False,
    lang: Lang = "en", region: RegionOpt = None, kb_dir: KbDir = None,
) -> None:
    """One case per sample from the files, a recommendation for each: recommendations.jsonl + summary.tsv."""
    from alknav.cohort.run import recommend_cohort

    inputs = _inputs(maf, vcf, fusions, cna, clinical, build, reference, min_copies, alk_positive)
    kb = _load(kb_dir)
    from alknav import progress

    try:
        with progress.shown():  # on stderr, only for a terminal (ALKNAV_PROGRESS overrides)
            counts = recommend_cohort(inputs, kb, output, lang=lang, region=region)
    except AlknavError as exc:
        _fail(str(exc), field=getattr(exc, "field", ""))
    print(f"alknav: {counts.get('ok', 0)} sample(s) answered, {counts.get('not_alk_positive', 0)} not ALK-positive "
          f"(no ALK rearrangement in the files; status not_alk_positive), {counts.get('error', 0)} could not be "
          f"read; see {output / 'summary.tsv'}", file=sys.stderr)
    if counts.get("error"):  # as for a batch of case files: the run is complete, but not every case
        raise typer.Exit(2)


@cohort_app.command("summarize")
def cohort_summarize(
    output: Annotated[Path, typer.Option("-o", "--output", help="output folder", file_okay=False)],
    maf: MafFiles = None, vcf: VcfFiles = None, fusions: FusionFiles = None, cna: CnaFiles = None,
    clinical: Clinical = None,
    build: Build = None, reference: Reference = None, min_copies: MinCopies = None,
    alk_positive: AlkPositive = False,
    figure: Annotated[str, typer.Option(help="png or svg")] = "png", kb_dir: KbDir = None,
) -> None:
    """Frequencies of resistance mechanisms by prior therapy, as a table and a figure."""
    from alknav.cohort.run import summarize_cohort

    _check_choice(figure, ("png", "svg"), "--figure", False)
    inputs = _inputs(maf, vcf, fusions, cna, clinical, build, reference, min_copies, alk_positive)
    kb = _load(kb_dir)
    try:
        info = summarize_cohort(inputs, kb, output, fmt=figure)
    except AlknavError as exc:
        _fail(str(exc), field=getattr(exc, "field", ""))
    print(f"alknav: {info['samples']} ALK-positive sample(s) in {info['groups']} group(s); "
          f"{info['not_alk_positive']} not ALK-positive (left out of the frequencies); figure {info['figure']}",
          file=sys.stderr)


@case_app.command("from-files")
def case_from_files(
    sample: Annotated[str, typer.Option(help="sample identifier as in the files")],
    output: Annotated[Path, typer.Option("-o", "--output", help="case file to write (YAML)")],
    maf: MafFiles = None, vcf: VcfFiles = None, fusions: FusionFiles = None, cna: CnaFiles = None,
    clinical: Clinical = None,
    build: Build = None, reference: Reference = None, min_copies: MinCopies = None,
    alk_positive: AlkPositive = False, kb_dir: KbDir = None,
) -> None:
    """Assemble one contract case file from a sample's files, for review and editing."""
    import yaml

    from alknav.cohort.assemble import build_cases

    inputs = _inputs(maf, vcf, fusions, cna, clinical, build, reference, min_copies, alk_positive)
    kb = _load(kb_dir)
    try:
        cases = build_cases(inputs, kb, only=sample)
    except AlknavError as exc:
        _fail(str(exc), field=getattr(exc, "field", ""))
    if sample not in cases:
        _fail(f"sample '{sample}' is in none of the files", field="sample")
    item = cases[sample]
    header = ["# Case assembled by 'alknav case from-files'. Review before use: edit history, status and CNS.",
              "# provenance: where each alteration came from"]
    header += [f"#   {p['alteration']}  <-  {p['file']}:{p['line']} ({p['source']})" for p in item.provenance]
    no_fusion = not item.case["diagnosis"]["alk"].get("fusion")
    if no_fusion:
        header.append(f"# NO ALK FUSION: no file shows an ALK fusion for sample '{sample}'. Add diagnosis.alk.fusion "
                      "(or a positive ALK test) before recommending.")
    if item.not_used:
        header.append(f"# {len(item.not_used)} row(s) of this sample carried no usable alteration, e.g.:")
        header += [f"#   {n['file']}:{n['line']} {n['gene']}: {n['reason']}" for n in item.not_used[:10]]
    text = "\n".join(header) + "\n" + yaml.safe_dump(item.case, allow_unicode=True, sort_keys=False)
    output.write_text(text, encoding="utf-8")
    print(f"alknav: wrote {output}", file=sys.stderr)
    if no_fusion:
        print(f"alknav: warning: sample '{sample}' has no ALK fusion in the files given; the case cannot be "
              "answered until diagnosis.alk.fusion (or a positive ALK test) is added, or use --alk-positive "
              "when the cohort is ALK-positive by definition", file=sys.stderr)


@app.command("serve", epilog=cli_help.ENVIRONMENT)
def serve_cmd(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[int | None, typer.Option(help="uvicorn worker processes (default: one per CPU)")] = None,
) -> None:
    """Run the REST API (/api/v1, OpenAPI at /openapi.json) and the web pages. Settings come from the
    ALKNAV_* environment variables below."""
    _need("service", "fastapi")
    from alknav.service import load_settings
    from alknav.service.server import serve

    try:
        settings = load_settings()
    except AlknavError as exc:
        _fail(str(exc), field=getattr(exc, "field", ""))
    count = workers or os.cpu_count() or 1
    if count > 1:
        # check the knowledge base and migrate the store once here, so the worker processes (which read
        # ALKNAV_* themselves) do not race; the app itself is built only in the workers
        from alknav.service.store import Store

        try:
            _load(settings.kb_dir)
            Store.open(settings).close()
        except AlknavError as exc:
            _fail(str(exc), field=getattr(exc, "field", ""))
        serve(None, host=host, port=port, workers=count)
    else:
        serve(settings, host=host, port=port, workers=1)


@keys_app.command("create", epilog=cli_help.ENVIRONMENT)
def keys_create(name: Annotated[str, typer.Argument(help="a label for the key, e.g. the client system")],
                owner: Annotated[str | None, typer.Option(help="share cases with every key of this owner "
                                                                "(a team, or a key being rotated); default: "
                                                                "the key alone")] = None,
                admin: Annotated[bool, typer.Option(help="the key sees every owner's cases")] = False) -> None:
    """Create an API key; it is shown once and stored only as a salted hash. A key sees only its
    owner's cases."""
    _need("service", "fastapi")
    from alknav.service import create_key, load_settings

    try:
        key = create_key(load_settings(), name, owner, "admin" if admin else "user")
    except AlknavError as exc:
        _fail(str(exc), field="name")
    print(key)
    print("alknav: store this key now; it cannot be shown again", file=sys.stderr)


@keys_app.command("revoke", epilog=cli_help.ENVIRONMENT)
def keys_revoke(key: Annotated[str, typer.Argument(help="the key's id or name")]) -> None:
    """Revoke an API key (requests with it are refused at once)."""
    _need("service", "fastapi")
    from alknav.service import load_settings, revoke_key

    try:
        done = revoke_key(load_settings(), key)
    except AlknavError as exc:
        _fail(str(exc), field="key")
    if not done:
        _fail(f"no active key '{key}'", field="key")
    print(f"alknav: revoked {key}", file=sys.stderr)


@keys_app.command("list", epilog=cli_help.ENVIRONMENT)
def keys_list(as_json: JsonFlag = False) -> None:
    """List keys (id, name, created, revoked) — never the keys themselves."""
    _need("service", "fastapi")
    from alknav.service import list_keys, load_settings

    try:
        keys = list_keys(load_settings())
    except AlknavError as exc:
        _fail(str(exc))
    rows = [{"id": k.id, "name": k.name, "created_at": k.created_at.isoformat(),
             "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None, "owner": k.owner, "role": k.role}
            for k in keys]
    if as_json:
        _dump(rows)
        return
    for row in rows:
        print("\t".join(str(v) for v in row.values()))


def main() -> None:
    """The typer app, whatever the arguments (the console entry point is alknav.entry.main)."""
    guarded(app)


# Sequencing simulator (issue 13): its own module registers the command; heavy imports stay inside it.
from alknav.simulate.cli import register as _register_simulate  # noqa: E402

_register_simulate(app)
