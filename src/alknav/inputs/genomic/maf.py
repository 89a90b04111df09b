"""MAF (GDC / cBioPortal / oncokb-annotator) reading and annotation, streamed with polars.

Annotation never loads the file into Python objects. polars parses only the columns it needs (the
gene, build and last column on the raw path) and returns the row numbers of the genes alknav
interprets; those few rows are annotated in Python (each distinct key once), and the raw input
bytes are then copied block by block with alknav's columns appended: a constant suffix for every
other row, put in at C speed. Every row comes out unchanged and in order; rows of other genes get a
reason instead of calls, so no row is ever dropped. Files the raw path would not reproduce exactly,
and per-sample clinical columns, take an all-polars path that writes the same bytes.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import mmap
import os
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import polars as pl

from alknav import progress
from alknav.annotate.columns import COLUMNS, Tally, annotate_alteration, empty_row, parse_row, relevant_genes
from alknav.inputs.genomic.records import GenomicRecord, InputFileError
from alknav.kb.knowledge_base import KnowledgeBase

GENE = ("Hugo_Symbol", "HUGO_SYMBOL", "Gene", "gene")
PROTEIN = ("HGVSp_Short", "Protein_Change", "HGVSp", "Amino_Acid_Change", "ALTERATION")
SAMPLE = ("Tumor_Sample_Barcode", "SAMPLE_ID", "Sample_ID", "sample")
CLASS = ("Variant_Classification",)
# Classifications with no protein consequence alknav could interpret (vocabulary, not clinical facts).
NON_CODING = frozenset({"Silent", "Intron", "3'UTR", "5'UTR", "3'Flank", "5'Flank", "IGR", "RNA", "lincRNA",
                        "Splice_Region"})


def _first(columns: list[str], names: tuple[str, ...]) -> str | None:
    return next((c for c in names if c in columns), None)


def _gzipped(path: Path) -> bool:
    """By content, not by name: a gzip file starts with the bytes 1F 8B."""
    try:
        with path.open("rb") as fh:
            return fh.read(2) == b"\x1f\x8b"
    except OSError:
        return False


def _header(path: Path) -> tuple[list[str], int, bool]:
    """Column names, number of leading '#' lines, and whether lines end in CRLF."""
    opener = gzip.open if _gzipped(path) else open
    try:
        with opener(path, "rb") as fh:
            skipped = 0
            for number, raw in enumerate(fh):
                if number == 0:
                    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark
                if b"\r" in raw.rstrip(b"\r\n"):
                    # lone-CR line endings: this reader splits on LF, polars would not, and rows would merge
                    raise InputFileError(str(path), number + 1, "line breaks are lone carriage returns (CR, old "
                                                                "Mac style); convert the file to LF or CRLF")
                if raw.startswith(b"#"):
                    skipped += 1
                    continue
                line = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
                crlf = line.endswith("\r\n")
                return line.rstrip("\r\n").split("\t"), skipped, crlf
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        raise InputFileError(str(path), None, f"cannot read ({exc})") from None
    raise InputFileError(str(path), None, "empty file: no header line")


def _check_columns(path: Path, columns: list[str], skipped: int) -> tuple[str, str, str | None, str | None]:
    gene, protein = _first(columns, GENE), _first(columns, PROTEIN)
    if gene is None or protein is None:
        want = "a gene column (Hugo_Symbol) and a protein-change column (HGVSp_Short, HGVSp or Protein_Change)"
        raise InputFileError(str(path), skipped + 1, f"not a MAF: need {want}; found {', '.join(columns[:12])}")
    return gene, protein, _first(columns, SAMPLE), _first(columns, CLASS)


def _source(path: Path, skipped: int) -> Path | io.BytesIO:
    """polars scans plain files lazily; gzip is decompressed first (checked for truncation)."""
    if not _gzipped(path):
        with path.open("rb") as fh:
            if fh.read(3) != b"\xef\xbb\xbf":
                return path
        return io.BytesIO(path.read_bytes()[3:])  # polars would read the byte-order mark into the header
    try:
        with gzip.open(path, "rb") as fh:
            return io.BytesIO(fh.read())
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        raise InputFileError(str(path), None, f"truncated or corrupt gzip ({exc})") from None


def scan(path: Path, source: Path | io.BytesIO | None = None) -> tuple[pl.LazyFrame, dict[str, str | None], int]:
    """``source``: `_source(path, ...)` when the caller has it already (a gzip file is decompressed once)."""
    columns, skipped, crlf = _header(path)
    gene, protein, sample, vclass = _check_columns(path, columns, skipped)
    # only the leading '#' lines are comments: a body row starting with '#' is a row and stays one
    lf = pl.scan_csv(source if source is not None else _source(path, skipped), separator="\t", skip_rows=skipped,
                     quote_char=None, infer_schema=False, has_header=True, raise_if_empty=False)
    if crlf:  # polars keeps the '\r' of Windows line endings in the last column
        last = columns[-1]
        lf = lf.with_columns(pl.col(last).str.strip_chars_end("\r"))
    return lf, {"gene": gene, "protein": protein, "sample": sample, "class": vclass}, skipped


def _alteration_text(gene: str, protein: str | None, vclass: str | None) -> tuple[str | None, str | None]:
    if protein is None or not protein.strip() or protein.strip() in (".", "NA"):
        if vclass in NON_CODING:
            return None, f"no protein change ({vclass})"
        return None, f"no protein change given{f' ({vclass})' if vclass else ''}"
    text = protein.strip()
    if vclass == "Silent" or text.endswith("="):
        return None, "synonymous change"
    if vclass and "Splice" in vclass and "_splice" in text:
        return None, f"splice-site change {text}: no protein consequence alknav interprets"
    return f"{gene} {text if text.startswith('p.') or ':' in text else 'p.' + text}", None


class _BatchAnnotator:
    """Annotates the rows of relevant genes inside a streaming polars query.

    Each batch arrives as a struct of (gene, protein change, classification). Relevant rows are
    found with a native `is_in`; only those few reach Python, and each distinct key is annotated
    once (cached). Other rows get null, which the writer turns into one constant string."""

    def __init__(self, kb: KnowledgeBase, outside_reason: str, bar: progress.Task | None = None) -> None:
        self.kb = kb
        self.bar = bar or progress.Task()
        genes = relevant_genes(kb)
        # spellings matched without upper-casing every row (symbols are upper case in MAFs; be lenient)
        self.genes = sorted({g for gene in genes for g in (gene, gene.lower(), gene.capitalize())})
        self.cache: dict[tuple[str, str, str], str] = {}
        self.outside = "\t".join(empty_row(outside_reason).values())
        self.builds: set[str] = set()  # NCBI_Build values seen, when the file has that column

    def _value(self, gene: str, protein: str | None, vclass: str | None) -> str:
        key = (gene, protein or "", vclass or "")
        if key not in self.cache:
            text, reason = _alteration_text(gene.upper(), protein, vclass)
            self.cache[key] = "\t".join(annotate_alteration(text, self.kb, reason).values())
        return self.cache[key]

    def seen(self, batch: pl.Series) -> pl.Series:
        """Moves the reading bar once per polars batch; the batch (a boolean mask) passes through."""
        self.bar.advance(len(batch))
        return batch

    def __call__(self, batch: pl.Series) -> pl.Series:
        """Annotations for relevant rows; null elsewhere (the writer prints `outside` for nulls)."""
        self.bar.advance(len(batch))  # once per polars batch (thousands of rows), not per row
        frame = batch.struct.unnest()
        if "NCBI_Build" in frame.columns:
            self.builds.update(b for b in frame["NCBI_Build"].unique().to_list() if b not in (None, "", "NA"))
            frame = frame.drop("NCBI_Build")
        mask = frame.to_series(0).is_in(self.genes)
        out = pl.repeat(None, len(frame), eager=True, dtype=pl.String)
        if mask.any():
            rows = frame.filter(mask).iter_rows()
            values = [self._value(r[0], r[1], r[2] if len(r) > 2 else None) for r in rows]
            out = out.scatter(mask.arg_true(), values)
        return out


_NO_CSE = pl.QueryOptFlags(comm_subplan_elim=False)  # the two scans of one file must stay two scans


def annotate_maf(path: Path, out: Path, kb: KnowledgeBase,
                 extra: dict[str, dict[str, str]] | None = None) -> Tally:
    """Write `path` with alknav's columns appended to every row.

    Without per-sample clinical columns, the rows are copied as raw byte blocks (`_annotate_raw`);
    a file with anything that path does not reproduce exactly (empty lines, stray carriage returns,
    the 0x1F character, invalid UTF-8) and the clinical columns take the polars path below, which
    writes the same bytes."""
    if not extra:
        try:
            return _annotate_raw(path, out, kb)
        except _Fallback:
            pass
    return _annotate_polars(path, out, kb, extra)


def _annotate_polars(path: Path, out: Path, kb: KnowledgeBase,
                     extra: dict[str, dict[str, str]] | None = None) -> Tally:
    """Write `path` with alknav's columns appended to every row, both passes in polars.

    Pass 1 parses only the gene, protein-change, classification (and sample) columns and yields
    one annotation string per row (null outside alknav's scope): a column of 5 million mostly-null
    strings is small. Pass 2 streams the file's raw lines and appends that column, so the original
    fields are copied byte for byte instead of being parsed and re-serialised."""
    columns, skipped, crlf = _header(path)
    source = _source(path, skipped)  # a gzip file is decompressed once, for both passes
    lf, cols, _ = scan(path, source if isinstance(source, Path) else io.BytesIO(source.getvalue()))
    fields = [c for c in (cols["gene"], cols["protein"], cols["class"]) if c]
    if "NCBI_Build" in columns:
        fields.append("NCBI_Build")
    annotator = _BatchAnnotator(kb, "gene outside alknav scope", progress.task(f"{path.name}: reading", unit="rows"))
    wanted = [pl.struct(fields).map_batches(annotator, return_dtype=pl.String, is_elementwise=True).alias("a")]
    names: list[str] = []
    if extra and cols["sample"]:  # per-sample clinical columns, tab-joined into one string per sample
        names = sorted({c for v in extra.values() for c in v})
        lookup = {k: "\t".join(v.get(n, "") for n in names) for k, v in extra.items()}
        wanted.append(pl.col(cols["sample"]).replace_strict(lookup, default="\t".join("" for _ in names),
                                                            return_dtype=pl.String).alias("x"))
    try:
        annotations = lf.select(wanted).collect(optimizations=_NO_CSE)
    except pl.exceptions.ComputeError as exc:
        raise _explain(path, skipped, exc) from None
    annotator.bar.done()
    _one_build(path, annotator.builds)
    lines = pl.scan_csv(source if isinstance(source, Path) else io.BytesIO(source.getvalue()),  # own cursor
                        separator="\x1f", has_header=False, quote_char=None, infer_schema=False,
                        skip_rows=skipped, new_columns=["line"]).slice(1)
    line = pl.col("line").str.strip_chars_end("\r") if crlf else pl.col("line")
    # a row whose field count differs from the header's is kept, and says so in its own columns
    malformed = "\t".join(empty_row(f"malformed row: field count differs from the header's {len(columns)}")
                          .values())
    tabs = line.str.count_matches("\t", literal=True).cast(pl.Int64)  # unsigned, len - 1 - tabs would wrap
    wrong = tabs != len(columns) - 1
    tally = _tally(annotations["a"], annotator.outside)
    watch = _Watch(progress.task(f"{path.name}: writing", total=annotations.height, unit="rows"))
    flagged = wrong.map_batches(watch, return_dtype=pl.Boolean, is_elementwise=True)
    annotation = pl.when(flagged).then(pl.lit(malformed)).otherwise(pl.col("a").fill_null(annotator.outside))
    # a short row is padded with empty fields so alknav's columns stay under their own headings
    pad = pl.lit("\t" * len(columns)).str.slice(0, (len(columns) - 1 - tabs).clip(lower_bound=0))
    parts = [pl.concat_str([line, pad]), annotation] + ([pl.col("x")] if names else [])
    body = pl.concat([lines, annotations.lazy()], how="horizontal").select(pl.concat_str(parts, separator="\t"))
    header = "\t".join([*columns, *COLUMNS, *names])
    with out.open("w", encoding="utf-8") as fh:
        fh.write(header + "\n")
    try:
        body.sink_csv(_Append(out), include_header=False, quote_style="never", optimizations=_NO_CSE)
    except pl.exceptions.ComputeError as exc:  # e.g. a line holding the 0x1F character
        raise InputFileError(str(path), None, f"cannot copy rows: {exc}") from None
    watch.bar.done()
    if watch.malformed:  # rare: find those rows again, so the summary counts them as written
        bad = lines.with_row_index("i").filter(wrong).select("i").collect(optimizations=_NO_CSE)["i"]
        for value in annotations["a"].gather(bad).to_list():
            tally.add(parse_row(value if value is not None else annotator.outside), value is not None, -1)
            tally.add(parse_row(malformed), True)
    return tally


_BLOCK = 4 << 20  # bytes read at a time: large enough for few calls, small enough to stay in cache


class _Fallback(Exception):
    """The raw path met something only the polars path reproduces exactly (rare files)."""


def _fields(line: bytes, wanted: list[int | None]) -> list[str | None]:
    """Fields of one raw line (without its line end) as polars reads them: an empty or missing
    field is null, fields past the header's are ignored."""
    parts = line.split(b"\t")
    return [parts[i].decode("utf-8") or None if i is not None and i < len(parts) else None for i in wanted]


def _annotate_raw(path: Path, out: Path, kb: KnowledgeBase) -> Tally:
    """Pass 1: polars parses the gene, build and last columns and returns only the row count, the
    row numbers of alknav's genes, the builds and how many rows have an empty or missing last
    field (no 5-million-row column). Pass 2: the raw bytes are copied block by block; in a block
    the constant suffix is put on every line at C speed (`bytes.replace` of the line end), and only
    the few rows of alknav's genes (their protein change and classification read from the line
    then) and the malformed rows are cut out and written one by one."""
    columns, skipped, crlf = _header(path)
    source = _source(path, skipped)  # a gzip file is decompressed once, for both passes
    lf, cols, _ = scan(path, source)
    ncol, last, gene = len(columns), columns[-1], cols["gene"]
    assert gene is not None and cols["protein"] is not None
    annotator = _BatchAnnotator(kb, "gene outside alknav scope", progress.task(f"{path.name}: reading", unit="rows"))
    keep = pl.col(gene).is_in(annotator.genes).map_batches(annotator.seen, return_dtype=pl.Boolean,
                                                            is_elementwise=True)
    # a short row's last field is missing (null); an empty one is null too: either way pass 2 then
    # counts every line's fields instead of each block's
    query = [pl.len().alias("n"), pl.arg_where(keep).implode().alias("_rel"), pl.col(last).null_count().alias("_sus")]
    if "NCBI_Build" in columns:
        query.append(pl.col("NCBI_Build").unique().implode().alias("_builds"))
    try:
        found = lf.select(query).collect().row(0, named=True)
    except pl.exceptions.ComputeError as exc:
        raise _explain(path, skipped, exc) from None
    annotator.bar.done()
    builds = found.get("_builds") or []
    annotator.builds.update(b for b in builds if b not in (None, "", "NA"))
    _one_build(path, annotator.builds)
    n: int = found["n"]
    relevant = np.asarray(found["_rel"], dtype=np.int64)
    wanted = [columns.index(c) if c else None for c in (gene, cols["protein"], cols["class"])]
    annotation: dict[int, str] = {}

    def annotate(row: int, line: bytes) -> bytes:
        g, p, c = _fields(line, wanted)
        annotation[row] = annotator._value(g or "", p, c)
        return ("\t" + annotation[row] + "\n").encode("utf-8")

    malformed = "\t".join(empty_row(f"malformed row: field count differs from the header's {ncol}").values())
    watch = _Watch(progress.task(f"{path.name}: writing", total=n, unit="rows"))
    bad = _copy_rows(source, out, skipped, "\t".join([*columns, *COLUMNS]), crlf, ncol, n, relevant, found["_sus"] > 0,
                     annotate, ("\t" + annotator.outside).encode("utf-8"), ("\t" + malformed).encode("utf-8"), watch)
    watch.bar.done()
    tally = Tally()
    tally.add(parse_row(annotator.outside), in_scope=False, n=n - len(annotation))
    for value, count in Counter(annotation.values()).items():
        tally.add(parse_row(value), in_scope=True, n=count)
    for row in bad:  # rare: a malformed row is counted as what was written
        had = annotation.get(row)
        tally.add(parse_row(had if had is not None else annotator.outside), had is not None, -1)
        tally.add(parse_row(malformed), True)
    return tally


def _copy_rows(source: Path | io.BytesIO, out: Path, skipped: int, header: str, crlf: bool, ncol: int, n: int,
               relevant: np.ndarray, suspects: bool, annotate: Callable[[int, bytes], bytes], outside: bytes,
               malformed: bytes, watch: _Watch) -> list[int]:
    """Pass 2 of `_annotate_raw`; returns the malformed rows' numbers. Raises _Fallback (before the
    output is complete) where the polars path would have read the lines differently.

    The file is mapped (a gzip or BOM file is already in memory) and cut into blocks of whole
    lines; each block is copied once (the slice), rewritten once (`bytes.replace` of the line end
    with suffix + LF) and written with one writev of zero-copy views, the few special rows' views
    replaced by their own text. Line k of a block sits in the rewritten block `k * delta` bytes
    later than in the block, as every line end before it grew by the same `delta`."""
    end = b"\r\n" if crlf else b"\n"
    suffix = outside + b"\n"
    delta = len(suffix) - len(end)
    bad: list[int] = []
    row = 0
    with contextlib.ExitStack() as stack:
        data: bytes | mmap.mmap
        if isinstance(source, Path):
            fh = stack.enter_context(source.open("rb"))
            data = stack.enter_context(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
            data.madvise(mmap.MADV_SEQUENTIAL)
        else:
            data = source.getvalue()
        sink = stack.enter_context(_Writer(out, direct=len(data) >= _DIRECT_MIN))
        sink.put([header.encode("utf-8") + b"\n"])
        pos = done = 0
        for _ in range(skipped + 1):  # the leading comments and the header
            pos = data.find(b"\n", pos) + 1 or len(data)
        size = len(data)
        while pos < size:
            cut = data.find(b"\n", min(pos + _BLOCK, size) - 1) + 1 or size
            block = data[pos:cut] if cut < size or data[size - 1:] == b"\n" else data[pos:cut] + end
            if isinstance(data, mmap.mmap) and cut - done >= mmap.PAGESIZE:  # read pages leave the RSS
                data.madvise(mmap.MADV_DONTNEED, done, (cut - done) // mmap.PAGESIZE * mmap.PAGESIZE)
                done += (cut - done) // mmap.PAGESIZE * mmap.PAGESIZE
            pos = cut
            arr = np.frombuffer(block, dtype=np.uint8)
            ends = np.flatnonzero(arr == 10)
            lines = len(ends)
            if row + lines > n or b"\x1f" in block:
                raise _Fallback
            if crlf:  # every line ends in CRLF, no other CR, no empty line
                if (np.count_nonzero(arr == 13) != lines or not bool(np.all(arr[ends - 1] == 13))
                        or ends[0] < 2 or (lines > 1 and int(np.diff(ends).min()) < 3)):
                    raise _Fallback
            elif b"\r" in block or ends[0] < 1 or (lines > 1 and int(np.diff(ends).min()) < 2):
                raise _Fallback
            if not block.isascii():
                try:
                    block.decode("utf-8")
                except UnicodeDecodeError:
                    raise _Fallback from None
            wanted = set(relevant[np.searchsorted(relevant, row):np.searchsorted(relevant, row + lines)].tolist())
            special = {i - row for i in wanted}
            tabs: np.ndarray | None = None
            if suspects or int(np.count_nonzero(arr == 9)) != lines * (ncol - 1):
                cumulative = np.searchsorted(np.flatnonzero(arr == 9), ends)  # tabs before each line end
                tabs = np.diff(cumulative, prepend=0)
                wrong = np.flatnonzero(tabs != ncol - 1)
                special.update(wrong.tolist())
                bad.extend((wrong + row).tolist())
            rewritten = memoryview(block.replace(end, suffix))
            pieces: list[bytes | memoryview] = []
            start = 0  # in `rewritten`
            for k in sorted(special):
                begin, stop = (int(ends[k - 1]) + 1 if k else 0), int(ends[k]) + 1  # line k in `block`
                if start < begin + k * delta:
                    pieces.append(rewritten[start:begin + k * delta])
                line = block[begin:stop - len(end)]
                text = annotate(row + k, line) if row + k in wanted else b""
                if tabs is not None and tabs[k] != ncol - 1:
                    pieces.append(line + b"\t" * max(0, ncol - 1 - int(tabs[k])) + malformed + b"\n")
                else:
                    pieces.append(line + text)
                start = stop + (k + 1) * delta
            if start < len(rewritten):
                pieces.append(rewritten[start:])
            sink.put(pieces)
            row += lines
            watch.seen(lines, len(bad) - watch.malformed)
    if row != n:
        raise _Fallback
    return bad


_DIRECT_MIN = 256 << 20  # inputs from this size on are written past the page cache (`_Direct`)
_DIRECT_CHUNK = 8 << 20  # bytes per direct write: a multiple of any block size, few system calls


class _Direct:
    """Writes a byte stream to `fd` past the page cache (O_DIRECT), through one page-aligned staging
    buffer: whole chunks go straight to the disk; the tail, and everything after the file system
    refuses (EINVAL), goes through `buffered`, a second descriptor of the same file.

    Why: a large output is not reread by this process, and filling the page cache with it costs
    kernel time per new page; on a VM that hands freed memory back to its host (virtio-balloon free
    page reporting, as on the machine issue 11 measures) 1.9 GB took 4-9 s of system CPU through the
    cache and under 2 s direct."""

    def __init__(self, fd: int, buffered: int) -> None:
        self.fd, self.buffered = fd, buffered
        self.buf = mmap.mmap(-1, _DIRECT_CHUNK)  # anonymous mappings are page-aligned, as O_DIRECT needs
        self.fill = self.offset = 0
        self.direct = True

    def write(self, pieces: list[bytes | memoryview]) -> None:
        for piece in pieces:
            view = memoryview(piece)
            while view:
                take = min(len(view), _DIRECT_CHUNK - self.fill)
                self.buf[self.fill:self.fill + take] = view[:take]
                self.fill += take
                view = view[take:]
                if self.fill == _DIRECT_CHUNK:
                    self._flush()

    def _flush(self) -> None:
        if self.direct:
            try:
                done = os.pwrite(self.fd, self.buf, self.offset)
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                self.direct, done = False, 0
        else:
            done = 0
        if done < self.fill:  # refused, short, or no longer direct: the rest through the cache
            _pwrite_all(self.buffered, memoryview(self.buf)[done:self.fill], self.offset + done)
        self.offset += self.fill
        self.fill = 0

    def close(self, flush: bool) -> None:
        """Writes the tail (when `flush`) and releases the buffer and the direct descriptor."""
        try:
            if flush and self.fill:
                _pwrite_all(self.buffered, memoryview(self.buf)[:self.fill], self.offset)
                self.offset += self.fill
                self.fill = 0
        finally:
            self.buf.close()
            os.close(self.fd)


def _pwrite_all(fd: int, data: memoryview, offset: int) -> None:
    while data:
        done = os.pwrite(fd, data, offset)
        data, offset = data[done:], offset + done


class _Writer:
    """Writes blocks in order on a thread of its own, so the kernel's copy of one block into the
    file (writev releases the GIL) overlaps the preparation of the next. At most a few blocks wait
    (bounded memory); an error of the thread is raised in the caller, at the latest on exit.
    With `direct`, the bytes bypass the page cache where the file system allows it (`_Direct`)."""

    def __init__(self, path: Path, direct: bool = False) -> None:
        self.file = path.open("wb", buffering=0)
        self.sink: _Direct | None = None
        # ALKNAV_DIRECT_IO=0 keeps the page cache (e.g. a slow disk, where direct writes wait for it)
        if direct and hasattr(os, "O_DIRECT") and os.environ.get("ALKNAV_DIRECT_IO", "1") != "0":
            try:
                fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
            except OSError:  # the file system has no direct I/O: the page cache, as always
                pass
            else:
                self.sink = _Direct(fd, self.file.fileno())
        self.queue: queue.Queue[list[bytes | memoryview] | None] = queue.Queue(maxsize=3)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="alknav-maf-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (pieces := self.queue.get()) is not None:
            if self.error is None:
                try:
                    if self.sink is not None:
                        self.sink.write(pieces)
                    else:
                        _write(self.file.fileno(), pieces)
                except BaseException as exc:  # handed to the caller
                    self.error = exc

    def put(self, pieces: list[bytes | memoryview]) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(pieces)

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.queue.put(None)
        self.thread.join()
        try:
            if self.sink is not None:
                self.sink.close(flush=self.error is None)
        except OSError as err:
            self.error = self.error or err
        finally:
            self.file.close()
        if self.error is not None and exc[0] is None:
            raise self.error


def _write(fd: int, pieces: list[bytes | memoryview]) -> None:
    """All of `pieces`, in order, with as few system calls as the kernel allows (writev)."""
    for first in range(0, len(pieces), 512):  # under IOV_MAX
        batch = pieces[first:first + 512]
        done = os.writev(fd, batch)
        total = sum(len(p) for p in batch)
        if done < total:  # a short write: the rest one by one
            rest = memoryview(b"".join(batch))[done:]
            while rest:
                rest = rest[os.write(fd, rest):]


def _tally(values: pl.Series, outside: str) -> Tally:
    """Counts from pass 1: each distinct annotation string once (a handful), nulls are other genes."""
    tally = Tally()
    tally.add(parse_row(outside), in_scope=False, n=values.null_count())
    for value, n in values.drop_nulls().value_counts().iter_rows():
        tally.add(parse_row(value), in_scope=True, n=n)
    return tally


class _Watch:
    """Sees pass 2's malformed-row flags batch by batch (a boolean column, no strings): counts the
    malformed rows and moves the writing bar, once per batch."""

    def __init__(self, bar: progress.Task) -> None:
        self.bar = bar
        self.malformed = 0

    def __call__(self, wrong: pl.Series) -> pl.Series:
        self.seen(len(wrong), int(wrong.sum()))
        return wrong

    def seen(self, rows: int, malformed: int) -> None:
        self.bar.advance(rows)
        self.malformed += malformed


class _Append(io.FileIO):
    """The output file opened for appending, so polars writes the body after the header."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "ab")


def _one_build(path: Path, builds: set[str]) -> None:
    """Rows from different genome builds in one file are an error (positions would not agree)."""
    names = {b.upper().replace("HG19", "GRCH37").replace("HG38", "GRCH38") for b in builds}
    if len(names) > 1:
        raise InputFileError(str(path), None, f"mixed genome builds in NCBI_Build: {', '.join(sorted(builds))}")


def _explain(path: Path, skipped: int, exc: Exception) -> InputFileError:
    """polars reports malformed rows without a line number; find the first such line."""
    columns, _, _ = _header(path)
    opener = gzip.open if _gzipped(path) else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if number <= skipped + 1:  # the leading comments and the header
                continue
            if line.rstrip("\r\n").count("\t") + 1 != len(columns):
                return InputFileError(str(path), number, f"malformed row: {line.count(chr(9)) + 1} fields, "
                                                         f"header has {len(columns)}")
    return InputFileError(str(path), None, f"cannot read: {exc}")


def read_maf(path: Path, kb: KnowledgeBase, *, sample: str | None = None) -> Iterator[GenomicRecord]:
    """Records for the rows of relevant genes (for building cases); other genes are skipped here
    because they carry nothing a case can use — `annotate_maf` still writes every row."""
    lf, cols, skipped = scan(path)
    lf = lf.with_row_index("_row", offset=skipped + 2)
    gene_col = cols["gene"]
    assert gene_col is not None
    lf = lf.filter(pl.col(gene_col).str.to_uppercase().is_in(relevant_genes(kb)))
    if sample is not None and cols["sample"]:
        lf = lf.filter(pl.col(cols["sample"]) == sample)
    wanted = ["_row", *[c for c in (gene_col, cols["protein"], cols["class"], cols["sample"]) if c]]
    has_build = "NCBI_Build" in lf.collect_schema().names()
    try:
        frame = lf.select([*wanted, *(["NCBI_Build"] if has_build else [])]).collect()
    except pl.exceptions.ComputeError as exc:
        raise _explain(path, skipped, exc) from None
    if has_build:
        _one_build(path, {b for b in frame["NCBI_Build"].unique().to_list() if b not in (None, "", "NA")})
    for row in frame.iter_rows(named=True):
        gene = str(row[gene_col]).upper()
        text, reason = _alteration_text(gene, row.get(cols["protein"] or ""), row.get(cols["class"] or ""))
        yield GenomicRecord(file=str(path), line=int(row["_row"]), sample=row.get(cols["sample"] or ""),
                            gene=gene, alteration=text, reason=reason, source="MAF protein change")
