"""The part of the command-line shell that needs no typer: failing with one line, loading the
knowledge base, and the whole `alknav recommend` command. The console entry point (alknav.entry)
runs `alknav recommend` from here when its arguments are plain (files and the command's own
options), without building the typer app: typer 0.29 builds a pydantic TypeAdapter for every
parameter on each run, which was a fifth of a one-case run. Anything else (help, another command, an option
spelled another way, a value typer must check) goes to the typer app in alknav.cli, which parses
the same options into the same call (tests/test_cli_fast.py compares the two parsers).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from alknav.errors import AlknavError, KnowledgeError

if TYPE_CHECKING:
    from rich.console import Console


def _console() -> Console:
    from rich.console import Console  # rich only for the commands that print text: JSON needs none

    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def _fail(message: str, as_json: bool = False, field: str = "") -> NoReturn:
    if as_json:
        print(json.dumps({"error": {"field": field, "message": message}}, ensure_ascii=False))
    else:
        print(f"alknav: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _load(kb_dir: Path | None, as_json: bool = False) -> Any:
    from alknav.kb.loader import load_kb

    try:
        return load_kb(kb_dir)
    except KnowledgeError as exc:
        _fail(f"knowledge base invalid: {exc} — run 'alknav kb validate'", as_json, "knowledge")


def _check_choice(value: str | None, allowed: tuple[str, ...], option: str, as_json: bool) -> None:
    if value is not None and value not in allowed:
        _fail(f"{option} must be one of {', '.join(allowed)}, not '{value}'", as_json, option)


def _recommend_file(path: Path, kb: Any, lang: str, region: str | None) -> Any:
    from alknav.inputs.case_reader import read_case
    from alknav.outputs.render import render_result
    from alknav.recommend.engine import recommend

    return render_result(recommend(read_case(path), kb, region=region), kb, lang)


def _need(extra: str, module: str) -> None:
    """A clear message instead of a traceback when an optional extra is not installed."""
    import importlib.util

    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package of a dotted name is missing
        found = False
    if not found:
        _fail(f"this needs the '{extra}' extra: pip install 'alknav[{extra}]'")


def _print_fhir(path: Path, kb: Any, lang: str, region: str | None) -> None:
    _need("fhir", "fhir.resources")
    from alknav.inputs.case_reader import read_case
    from alknav.outputs.fhir import to_fhir, validate_fhir
    from alknav.recommend.engine import recommend

    case = read_case(path)
    bundle = to_fhir(case, recommend(case, kb, region=region), kb, lang)
    validate_fhir(bundle)
    print(json.dumps(bundle, ensure_ascii=False, indent=2))


def _print_result(res: Any, fmt: str, *, trace: bool = False, top: int | None = None) -> None:
    if fmt == "json":
        if top is not None:
            res = res.model_copy(update={"options": res.options[:top]})
        print(res.model_dump_json(indent=2, exclude_none=False))
    elif fmt == "markdown":
        from alknav.outputs.recommendation_text import to_markdown

        sys.stdout.write(to_markdown(res) if top is None else to_markdown(res, top=top))
    else:
        from alknav.outputs.recommendation_text import result_view

        _console().print(result_view(res, trace=trace) if top is None else result_view(res, trace=trace, top=top))


@contextlib.contextmanager
def _written_to(output: Path | None) -> Iterator[None]:
    """Standard output into ``output`` while the block runs (nothing changes without -o)."""
    if output is None:
        yield
        return
    try:
        with output.open("w", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
            yield
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror}", field="output")
    print(f"alknav: wrote {output}", file=sys.stderr)


def _top(top: int | None, every: bool) -> int | None:
    if top is not None and every:
        _fail("give --top N or --all, not both", field="--top")
    return 10_000 if every else top


def run_recommend(cases: list[Path], fmt: str = "text", lang: str = "en", region: str | None = None,
                  kb_dir: Path | None = None, output: Path | None = None, top: int | None = None,
                  every: bool = False, jobs: int | None = None) -> None:
    """`alknav recommend`: ranked, cited next-line options for each case."""
    shown = _top(top, every)
    as_json = fmt in ("json", "fhir")
    _check_choice(fmt, ("text", "json", "markdown", "fhir"), "--format", as_json)
    _check_choice(lang, ("en", "zh"), "--lang", as_json)
    _check_choice(region, ("CN", "US", "EU", "JP"), "--region", as_json)
    kb = _load(kb_dir, as_json)
    files = _expand(cases)
    if not files:
        _fail(f"no case files (.yaml, .yml, .json) in {', '.join(map(str, cases))}", as_json, "cases")
    if len(files) == 1 and not cases[0].is_dir():
        try:
            if fmt == "fhir":
                with _written_to(output):
                    _print_fhir(files[0], kb, lang, region)
                return
            res = _recommend_file(files[0], kb, lang, region)
        except AlknavError as exc:
            _fail(str(exc), as_json, getattr(exc, "field", ""))
        with _written_to(output):
            _print_result(res, fmt, top=shown)
        return
    with _written_to(output):
        _batch(files, kb, lang, region, jobs)


def _expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(x for x in p.iterdir() if x.suffix.lower() in (".yaml", ".yml", ".json"))
        else:
            out.append(p)
    return out


def _batch_line(path: Path, kb: Any, lang: str, region: str | None) -> tuple[str, bool]:
    """One case's JSON line and whether it failed. The result is serialised by pydantic in one step
    and the file name spliced in front (same keys and order as {"file": ..., **result})."""
    name = json.dumps(str(path), ensure_ascii=False)
    try:
        res = _recommend_file(path, kb, lang, region)
    except AlknavError as exc:
        error = {"file": str(path), "error": {"field": getattr(exc, "field", ""), "message": str(exc)}}
        return json.dumps(error, ensure_ascii=False), True
    return '{"file":' + name + "," + res.model_dump_json(exclude={"trace"})[1:], False


AUTO_JOBS_MIN_FILES = 200  # below this a second process costs more (fork, its own warm-up) than it saves


def _jobs(requested: int | None, count: int) -> int:
    """Processes for a batch: --jobs N as asked; by default one per idle CPU for a large batch. On the
    2-core machine --jobs 2 was 1.6x faster at load average 1.6 but 0.8x at 3.3, so the default counts
    the CPUs other processes leave idle now instead of all of them."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():  # workers inherit the loaded KB by fork
        return 1
    if requested is not None:
        return max(1, min(requested, count))
    if count < AUTO_JOBS_MIN_FILES:
        return 1
    busy = _busy_cpus()
    if busy is None:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cpus, int(cpus - busy + 0.5), count // AUTO_JOBS_MIN_FILES))


def _busy_cpus() -> float | None:
    """CPUs other processes use now: the runnable tasks in /proc/loadavg less this one (the 1-minute
    load average instead where there is no /proc, which still counts work that has just ended)."""
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            running = int(handle.read().split()[3].partition("/")[0])
        return float(max(0, running - 1))
    except (OSError, ValueError, IndexError):
        return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


_WORKER: dict[str, Any] = {}


def _worker_line(path: Path) -> tuple[str, bool]:
    return _batch_line(path, _WORKER["kb"], _WORKER["lang"], _WORKER["region"])


def _batch(files: list[Path], kb: Any, lang: str, region: str | None, jobs: int | None = None) -> None:
    """One JSON line per case, in the order given; a case that fails gives an error line, never stops
    the batch. With --jobs N a large batch is shared among N forked worker processes."""
    failed = 0
    count = _jobs(jobs, len(files))
    out = sys.stdout
    if count == 1:
        lines: Any = (_batch_line(path, kb, lang, region) for path in files)
        pool = None
    else:
        import itertools
        import multiprocessing

        # the first case runs here, before the fork: the children inherit its imports and the caches it
        # fills (compiled rules, citations) instead of each paying for them again
        first = _batch_line(files[0], kb, lang, region)
        _WORKER.update(kb=kb, lang=lang, region=region)  # copied into the children by fork, not pickled
        pool = multiprocessing.get_context("fork").Pool(count)
        rest = pool.imap(_worker_line, files[1:], chunksize=max(1, min(64, len(files) // (count * 8))))
        lines = itertools.chain([first], rest)
    try:
        for line, bad in lines:
            failed += bad
            out.write(line + "\n")
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    if failed:
        print(f"alknav: {failed} of {len(files)} case(s) could not be read", file=sys.stderr)
        raise SystemExit(2)


RECOMMEND_OPTIONS = {"--format": "fmt", "--lang": "lang", "--region": "region", "--kb": "kb_dir",
                     "-o": "output", "--output": "output", "--top": "top", "--jobs": "jobs"}


def parse_recommend(args: list[str]) -> dict[str, Any] | None:
    """The arguments after `recommend` as run_recommend's keywords, or None for anything the typer
    app must handle: help, an unknown or repeated option, `--`, a missing value, `--top`/`--jobs`
    not a positive whole number, `--kb` not an existing folder, `-o` an existing folder. None never
    means an error: typer then parses the same arguments and reports what is wrong."""
    out: dict[str, Any] = {"cases": []}
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        if not token.startswith("-"):
            out["cases"].append(Path(token))
            continue
        name, eq, value = token.partition("=")
        if token == "--all" and "every" not in out:
            out["every"] = True
            continue
        key = RECOMMEND_OPTIONS.get(name)
        if key is None or key in out or (eq and name == "-o"):
            return None
        if not eq:
            if i >= len(args) or args[i].startswith("-"):
                return None
            value = args[i]
            i += 1
        if not value:
            return None
        if key in ("top", "jobs"):
            if not value.isdecimal() or not value.isascii() or int(value) < 1:
                return None
            out[key] = int(value)
        elif key == "kb_dir":
            if not Path(value).is_dir():
                return None
            out[key] = Path(value)
        elif key == "output":
            if Path(value).is_dir():
                return None
            out[key] = Path(value)
        else:
            out[key] = value
    return out if out["cases"] else None


def guarded(run: Callable[[], object]) -> None:
    """Run a command; a path that cannot be read or written is one line and exit 2, anything
    unexpected one line and exit 70, never a traceback (ALKNAV_DEBUG=1 shows it)."""
    try:
        run()
    except OSError as exc:
        if os.environ.get("ALKNAV_DEBUG"):
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"alknav: error: {where}{exc.strerror or exc}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:
        if os.environ.get("ALKNAV_DEBUG"):
            raise
        print(f"alknav: internal error: {type(exc).__name__}: {exc} (please report; ALKNAV_DEBUG=1 shows details)",
              file=sys.stderr)
        sys.exit(70)
