"""A fuzz harness for every reader: case files (YAML/JSON), Phenopackets, MAF (annotate and read),
VCF, fusion tables, copy-number tables and the clinical TSV.

Inputs are real files from tests/data mutated by hypothesis (hostile cells, lone CR and CRLF line
endings, '#' rows in the body, stray quotes, huge numbers and cells, control characters, truncation,
raw bytes). Each outcome is one of:

    clean      the reader answered, or refused with an AlknavError whose message is one printable
               line of bounded length
    crash      any other exception (a traceback for the user, exit 70 on the CLI)
    lost       the reader answered but an input row has no output row (or a multi-line message)

``run(n)`` runs n examples per reader and returns the counts; tests/security/test_fuzz.py runs it
at a small budget, ``scripts/fuzz_readers.py N`` for longer.
"""

from __future__ import annotations

import gzip
import json
import re
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alknav import errors
from alknav.errors import AlknavError
from alknav.kb.loader import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
HOSTILE = ["", '"', '"unclosed', "#", "#comment", "\r", "\r\n", "NA", "nan", "inf", "-inf", "-1", "0", "1e309",
           "9" * 5000, "\x00", "\x1b[31mred\x1b]8;;http://x\x07", "[bold]x[/bold]", "<script>alert(1)</script>",
           "ALK p." + "G1202R" * 200, "p.G1202R", "G1202R", "EML4-ALK", "ALK", "é", "\ufeff", "\u202e", "2", "-2",
           "Amplification", "chr2:29443000", "P99999999999999999999Y", "1" * 40]
_SPACE = re.compile(r"\s+")
_HUGE_INT = "__huge_int__"  # written out as a bare 5,000-digit number (Python will not str() one)
MESSAGE_LIMIT = getattr(errors, "MESSAGE_LIMIT", 500)  # getattr: the harness also measures older code
HUGE = "A" * 140_000  # over the csv module's 131,072-character field limit


@dataclass
class Tally:
    tried: int = 0
    clean_answers: int = 0
    clean_errors: int = 0
    crashes: int = 0
    lost: int = 0
    examples: list[str] = field(default_factory=list)

    def note(self, kind: str, what: str) -> None:
        if kind == "crash":
            self.crashes += 1
        else:
            self.lost += 1
        if len(self.examples) < 5:
            self.examples.append(what[:600])


# ------------------------------------------------------------------ mutations


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    lines = seed.split(b"\n")
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["cell", "cell", "insert", "dup", "drop", "hash", "quote", "bytes",
                                   "truncate", "huge"]))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        line = lines[i] if lines else b""
        if op == "cell":
            cells = line.split(b"\t")
            j = draw(st.integers(0, len(cells) - 1))
            value = draw(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30)))
            cells[j] = value.encode("utf-8", "surrogatepass")
            lines[i] = b"\t".join(cells)
        elif op == "insert":
            cells = draw(st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=10)), max_size=12))
            lines.insert(i, "\t".join(cells).encode("utf-8", "surrogatepass"))
        elif op == "dup":
            lines.insert(i, line)
        elif op == "drop" and len(lines) > 1:
            del lines[i]
        elif op == "hash":
            lines[i] = b"#" + line
        elif op == "quote":
            k = draw(st.integers(0, len(line)))
            lines[i] = line[:k] + b'"' + line[k:]
        elif op == "bytes":
            k = draw(st.integers(0, len(line)))
            lines[i] = line[:k] + draw(st.binary(max_size=8)) + line[k:]
        elif op == "truncate":
            lines = lines[: i + 1]
            lines[-1] = lines[-1][: draw(st.integers(0, len(lines[-1])))]
        elif op == "huge":
            cells = line.split(b"\t")
            cells[draw(st.integers(0, len(cells) - 1))] = HUGE.encode()
            lines[i] = b"\t".join(cells)
    ending = draw(st.sampled_from([b"\n", b"\n", b"\r\n", b"\r"]))
    return ending.join(lines)


# ------------------------------------------------------------------ row accounting


def _text_lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").removeprefix("\ufeff").split("\n")  # readers drop a byte-order mark


def _data_line_numbers(data: bytes, comment: bool = True) -> set[int]:
    """1-based numbers of the non-blank lines after the header (leading '#' lines are comments)."""
    lines = _text_lines(data)
    numbers = [i + 1 for i, ln in enumerate(lines) if ln.strip("\r") and not (comment and ln.startswith("#"))]
    return set(numbers[1:])


# ------------------------------------------------------------------ readers


class Harness:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.tallies: dict[str, Tally] = {}
        self.folder = Path(tempfile.mkdtemp(prefix="alknav-fuzz-"))

    def _file(self, data: bytes, name: str) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        return path

    def _outcome(self, reader: str, call: Callable[[], str | None], sample: bytes) -> None:
        tally = self.tallies.setdefault(reader, Tally())
        tally.tried += 1
        try:
            lost = call()
        except AlknavError as exc:
            message = str(exc)
            if "\n" in message or "\r" in message or not message.isprintable() or len(message) > MESSAGE_LIMIT + 300:
                tally.note("lost", f"{reader}: unbounded or multi-line message {message[:200]!r}")
            else:
                tally.clean_errors += 1
            return
        except Exception as exc:  # the finding this harness exists for
            tb = traceback.format_exc(limit=-3)
            (self.folder / f"crash-{reader}-{tally.crashes}.bin").write_bytes(sample)
            tally.note("crash", f"{reader}: {type(exc).__name__}: {str(exc)[:200]} | input {sample[:300]!r} | {tb}")
            return
        if lost:
            kept = self.folder / f"lost-{reader}-{tally.lost}.bin"  # the whole input, to reproduce
            kept.write_bytes(sample)
            tally.note("lost", f"{reader}: {lost} | kept in {kept} | input {sample[:300]!r}")
        else:
            tally.clean_answers += 1

    # each returns a description of lost rows, or None

    def case_text(self, data: bytes) -> None:
        from alknav.inputs.case_reader import parse_case_text

        def call() -> None:
            parse_case_text(data.decode("utf-8", "replace"), "fuzz.yaml")

        self._outcome("case", call, data)

    def maf(self, data: bytes) -> None:
        from alknav.inputs.genomic.maf import annotate_maf, read_maf

        path, out = self._file(data, "fuzz.maf"), self.folder / "out.tsv"

        def call() -> str | None:
            list(read_maf(path, self.kb))
            annotate_maf(path, out, self.kb)
            got = [ln for ln in out.read_bytes().split(b"\n") if ln]  # bytes: a lone CR inside a row is no break
            lines = _text_lines(data)
            lead = 0
            while lead < len(lines) and lines[lead].startswith("#"):
                lead += 1
            body = [ln for ln in lines[lead + 1:] if ln.rstrip("\r")]
            if len(got) != len(body) + 1:
                return f"{len(body)} data rows in, {len(got) - 1} out"
            return None

        self._outcome("maf", call, data)

    def vcf(self, data: bytes) -> None:
        from alknav.inputs.genomic.vcf import read_vcf

        path = self._file(data, "fuzz.vcf")

        def call() -> str | None:
            records = list(read_vcf(path, self.kb))
            lines = _text_lines(data)
            # a line of only whitespace (tabs) carries no record
            wanted = {i + 1 for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")}
            missing = wanted - {r.line for r in records}
            return f"data lines {sorted(missing)[:5]} have no record" if missing else None

        self._outcome("vcf", call, data)

    def fusions(self, data: bytes, suffix: str) -> None:
        from alknav.inputs.genomic.fusions import read_fusions

        path = self._file(data, "fuzz" + suffix)

        def call() -> str | None:
            records = list(read_fusions(path, self.kb))
            lines = _text_lines(data)
            rows = [i + 1 for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")]
            return f"{len(rows) - 1} data rows, {len(records)} records" if len(records) < len(rows) - 1 else None

        self._outcome("fusions", call, data)

    def cna(self, data: bytes) -> None:
        from alknav.inputs.genomic.cna import read_cna

        path = self._file(data, "fuzz.cna.tsv")

        def call() -> str | None:
            records = list(read_cna(path))
            lines = _text_lines(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
            content = [i + 1 for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")]
            wanted = {n for n in content[1:] if any(c.strip() for c in lines[n - 1].split("\t"))}
            missing = wanted - {r.line for r in records}
            return f"data lines {sorted(missing)[:5]} have no record" if missing else None

        self._outcome("cna", call, data)

    def clinical(self, data: bytes) -> None:
        from alknav.inputs.genomic.clinical import read_clinical

        path = self._file(data, "fuzz.clinical.tsv")

        def call() -> str | None:
            rows = read_clinical(path)
            lines = _text_lines(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
            body = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
            return f"{len(body) - 1} rows, {len(rows)} samples" if len(rows) != len(body) - 1 else None

        self._outcome("clinical", call, data)

    def phenopacket(self, data: bytes) -> None:
        from alknav.inputs.case_reader import parse_case_text

        def call() -> None:
            parse_case_text(data.decode("utf-8", "replace"), "fuzz.json")

        self._outcome("phenopacket", call, data)


# ------------------------------------------------------------------ structured documents


def _json_mutations(base: Any) -> st.SearchStrategy[Any]:
    """The document with one to three leaves replaced by hostile values (of any JSON type)."""
    leaf = st.one_of(st.sampled_from(HOSTILE), st.integers(-10**60, 10**60), st.floats(), st.booleans(),
                     st.none(), st.lists(st.sampled_from(HOSTILE), max_size=3),
                     st.builds(lambda: {"x": [1, {"y": None}]}),  # a fresh object each time: no cycles
                     st.just(_HUGE_INT))

    def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        out = [prefix]
        if isinstance(node, dict):
            for k, v in node.items():
                out += paths(v, (*prefix, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                out += paths(v, (*prefix, i))
        return out

    candidates = paths(base)[1:]

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        doc = json.loads(json.dumps(base))
        for _ in range(draw(st.integers(1, 3))):
            where = draw(st.sampled_from(candidates))
            node = doc
            try:
                for key in where[:-1]:
                    node = node[key]
                node[where[-1]] = draw(leaf)
            except (KeyError, IndexError, TypeError):
                continue
        if draw(st.booleans()):
            doc[draw(st.sampled_from(["extra", "unmapped", "notes", "id"]))] = draw(leaf)
        return doc

    return build()


def _dump(doc: Any, as_yaml: bool) -> bytes:
    import yaml

    if as_yaml:
        text = yaml.safe_dump(doc, allow_unicode=True).replace(_HUGE_INT, "9" * 5000)
    else:
        text = json.dumps(doc, ensure_ascii=False).replace(f'"{_HUGE_INT}"', "9" * 5000)
    return text.encode("utf-8", "surrogatepass")


# ------------------------------------------------------------------ the run


def _seed(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def run(examples: int, kb: KnowledgeBase, seed: int | None = 0) -> dict[str, Tally]:
    """``examples`` hypothesis examples per reader. ``seed`` fixes the run (None: a random one)."""
    import yaml

    harness = Harness(kb)
    opts: dict[str, Any] = {"max_examples": examples, "deadline": None, "database": None,
                            "suppress_health_check": list(HealthCheck), "derandomize": seed is not None}

    def drive(strategy: st.SearchStrategy[Any], target: Callable[[Any], None]) -> None:
        @settings(**opts)
        @given(strategy)
        def go(value: Any) -> None:
            target(value)

        go()

    demo = yaml.safe_load((ROOT / "src" / "alknav" / "examples" / "demo_case.yaml").read_text("utf-8"))
    drive(st.tuples(_json_mutations(demo), st.booleans()), lambda v: harness.case_text(_dump(v[0], v[1])))
    drive(mutated(_dump(demo, True)), harness.case_text)
    pheno = json.loads((DATA / "phenopacket_g1202r.json").read_text("utf-8"))
    drive(_json_mutations(pheno), lambda v: harness.phenopacket(_dump(v, False)))
    drive(mutated(_seed(DATA / "cohort" / "cohort.maf")), harness.maf)
    vcfs = [_seed(p) for p in sorted((DATA / "vcf").glob("*.vcf"))]
    drive(st.sampled_from(vcfs).flatmap(mutated), harness.vcf)
    fusion_seeds = [(_seed(p), "".join(p.suffixes[-1:])) for p in sorted((DATA / "fusions").glob("*"))
                    if p.stat().st_size and "truncated" not in p.name]
    drive(st.sampled_from(fusion_seeds).flatmap(lambda s: st.tuples(mutated(s[0]), st.just(s[1]))),
          lambda v: harness.fusions(v[0], v[1]))
    drive(mutated(_seed(DATA / "cohort" / "cna.tsv")), harness.cna)
    drive(mutated(_seed(DATA / "cohort" / "clinical.tsv")), harness.clinical)
    return harness.tallies


def summary(tallies: dict[str, Tally], seconds: float) -> str:
    rows = ["reader        tried  answered  clean-errors  crashes  lost"]
    for name, t in tallies.items():
        rows.append(f"{name:<12} {t.tried:>6} {t.clean_answers:>9} {t.clean_errors:>13} {t.crashes:>8} {t.lost:>5}")
    total = Counter[str]()
    for t in tallies.values():
        total.update({"tried": t.tried, "crashes": t.crashes, "lost": t.lost})
    rows.append(f"total: {total['tried']} inputs in {seconds:.0f} s, {total['crashes']} crashes, "
                f"{total['lost']} with rows lost or unbounded messages")
    for name, t in tallies.items():
        rows += [f"  {name}: {_SPACE.sub(' ', e)}" for e in t.examples]
    return "\n".join(rows)


def main(examples: int, seed: int | None = 0) -> int:
    from alknav.kb.loader import load_kb

    start = time.perf_counter()
    tallies = run(examples, load_kb(), seed)
    print(summary(tallies, time.perf_counter() - start))
    return 1 if any(t.crashes or t.lost for t in tallies.values()) else 0
