"""Fusion-caller readers: formats, breakpoint -> exon -> EML4-ALK variant, build detection, bad input.

Fixtures under tests/data/fusions/ are SYNTHETIC (built from shared/reference exon coordinates) unless
they come from shared/testdata (real caller output and oncokb-annotator examples).
"""

from __future__ import annotations

import csv
import gzip
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alknav.inputs.alterations import parse_alteration
from alknav.inputs.genomic.breakpoints import classify_breakpoint, variant_for_exons
from alknav.inputs.genomic.fusions import read_fusions
from alknav.inputs.genomic.records import GenomicRecord, InputFileError
from alknav.kb.loader import KnowledgeBase
from tests.conftest import SHARED

DATA = Path(__file__).parent / "data" / "fusions"
CALLERS = SHARED / "testdata" / "fusion-callers"
ONCOKB = SHARED / "testdata" / "oncokb-annotator-examples"
ARRIBA_HEADER = ("#gene1\tgene2\tstrand1(gene/fusion)\tstrand2(gene/fusion)\tbreakpoint1\tbreakpoint2\tsite1\tsite2\t"
                 "type\tsplit_reads1\tsplit_reads2\tdiscordant_mates")


def _read(path: Path, kb: KnowledgeBase, **kw: str) -> list[GenomicRecord]:
    return list(read_fusions(path, kb, **kw))  # type: ignore[arg-type]


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} not available (shared test data is outside the repository)")


def _well_formed(records: list[GenomicRecord], kb: KnowledgeBase) -> None:
    for rec in records:
        assert (rec.alteration is None) != (rec.reason is None), rec
        if rec.alteration is not None:
            assert parse_alteration(rec.alteration, kb).recognized, rec.alteration


# --------------------------------------------------------------------------- helpers exposed for reuse


def test_variant_label_is_accepted_by_the_alteration_parser(kb: KnowledgeBase) -> None:
    alt = parse_alteration("EML4-ALK fusion v1", kb)
    assert alt.recognized and alt.kind == "alk_fusion" and alt.partner == "EML4" and alt.detail == "v1"


def test_variant_for_exons(kb: KnowledgeBase) -> None:
    assert variant_for_exons(kb, "EML4", 13, 20) == "v1"
    assert variant_for_exons(kb, "eml4", "20", "20") == "v2"
    assert variant_for_exons(kb, "EML4", 6, 20) == "v3a/v3b"  # one genomic junction, two transcripts
    assert variant_for_exons(kb, "HIP1", 21, 20) == "hip1_h21_a20"
    assert variant_for_exons(kb, "EML4", 13, 19) is None
    assert variant_for_exons(kb, "KIF5B", 15, 20) is None
    assert variant_for_exons(kb, "EML4", "x", 20) is None


def test_classify_breakpoint_rules(kb: KnowledgeBase) -> None:
    # exon boundary names the exon
    assert classify_breakpoint(kb, "EML4", "2", 42522656, "GRCh37") == (13, True)
    assert classify_breakpoint(kb, "ALK", "chr2", 29446394, "GRCh37") == (20, True)
    # 5' partner: intron after exon 13 keeps exon 13; ALK (3'): intron 19 joins at exon 20
    assert classify_breakpoint(kb, "EML4", "2", 42525000, "GRCh37") == (13, False)
    assert classify_breakpoint(kb, "ALK", "2", 29447000, "GRCh37") == (20, False)
    assert classify_breakpoint(kb, "ALK", "2", 29447000, "GRCh37", side="5p") == (19, False)
    # minus-strand partner (KIF5B): intron 15 lies below exon 15's start
    assert classify_breakpoint(kb, "KIF5B", "10", 32317355, "GRCh37") == (15, False)
    # wrong chromosome, outside the gene, unknown gene
    assert classify_breakpoint(kb, "ALK", "3", 29446394, "GRCh37") is None
    assert classify_breakpoint(kb, "ALK", "2", 10, "GRCh37") is None
    assert classify_breakpoint(kb, "NTRK1", "1", 156844000, "GRCh37") is None


def _validation_cases() -> list[dict[str, str]]:
    path = SHARED / "reference" / "validation_examples.tsv"
    if not path.exists():
        return []
    with path.open() as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if r["kind"] == "fusion"]


def test_validation_file_has_eight_fusion_cases() -> None:
    _need(SHARED / "reference" / "validation_examples.tsv")
    cases = _validation_cases()
    assert len(cases) == 8
    assert {c["build"] for c in cases} == {"GRCh37", "GRCh38"}


@pytest.mark.parametrize("case", _validation_cases(), ids=lambda c: c["case_id"])
def test_validation_breakpoints(case: dict[str, str], kb: KnowledgeBase, tmp_path: Path) -> None:
    names = re.findall(r"EML4 exon (\d+) :: ALK exon (\d+)", case["expected"])
    want_eml4, want_alk = (int(x) for x in names[-1])
    build = case["build"]
    eml4 = classify_breakpoint(kb, "EML4", case["chrom1"], int(case["pos1"]), build)
    alk = classify_breakpoint(kb, "ALK", case["chrom2"], int(case["pos2"]), build)
    assert eml4 is not None and alk is not None
    assert (eml4[0], alk[0]) == (want_eml4, want_alk)
    intronic = "intronic" in case["case_id"]
    assert eml4[1] is not intronic and alk[1] is not intronic
    number = re.search(r"variant (\d+)", case["expected"])
    assert number is not None
    variant = variant_for_exons(kb, "EML4", want_eml4, want_alk)
    assert variant is not None and all(v.startswith(f"v{number.group(1)}") for v in variant.split("/"))
    # end to end through an Arriba-layout file (synthetic), build given and, for RNA junctions, detected
    path = tmp_path / "case.tsv"
    path.write_text(f"# SYNTHETIC from validation_examples.tsv {case['case_id']}\n{ARRIBA_HEADER}\n"
                    f"EML4\tALK\t+/+\t-/+\tchr{case['chrom1']}:{case['pos1']}\t{case['chrom2']}:{case['pos2']}\t"
                    f"splice-site\tsplice-site\tinversion\t3\t4\t5\n")
    for kw in ({"build": build}, {} if not intronic else None):
        if kw is None:
            with pytest.raises(InputFileError, match="--build"):
                _read(path, kb)
            continue
        (rec,) = _read(path, kb, **kw)
        assert rec.gene == "ALK" and rec.build == build
        assert rec.detail["partner_exon"] == str(want_eml4) and rec.detail["alk_exon"] == str(want_alk)
        assert rec.detail["variant"] == variant
        assert rec.alteration == f"EML4-ALK fusion {variant}"


# --------------------------------------------------------------------------- synthetic ALK fixtures


def test_arriba_synthetic_grch37(kb: KnowledgeBase) -> None:
    recs = _read(DATA / "arriba_alk_synthetic.grch37.tsv", kb)
    assert len(recs) == 6
    _well_formed(recs, kb)
    assert [r.line for r in recs] == [3, 4, 5, 6, 7, 8]
    assert all(r.build == "GRCh37" and r.detail.get("build_source", "").startswith("detected") for r in recs)
    v1, v2, v3, kif, ntrk, bcr = recs
    assert v1.alteration == "EML4-ALK fusion v1"
    assert v1.detail.items() >= {"partner": "EML4", "partner_exon": "13", "alk_exon": "20", "variant": "v1",
                                 "build": "GRCh37", "split_reads": "21", "spanning_reads": "20"}.items()
    assert v2.alteration == "EML4-ALK fusion v2" and v2.detail["partner_exon"] == "20"
    assert v3.alteration == "EML4-ALK fusion v3a/v3b" and v3.detail["partner_exon"] == "6"  # chr-prefixed row
    assert kif.alteration == "KIF5B-ALK fusion" and kif.gene == "ALK"
    assert kif.detail["partner_exon"] == "15" and kif.detail["alk_exon"] == "20" and "variant" not in kif.detail
    assert ntrk.alteration == "LPIN1-NTRK1 fusion" and ntrk.gene == "NTRK1" and "alk_exon" not in ntrk.detail
    assert bcr.alteration == "BCR-ABL1 fusion"


def test_star_fusion_synthetic_grch38(kb: KnowledgeBase) -> None:
    recs = _read(DATA / "star_fusion_alk_synthetic.grch38.tsv", kb, sample="S1")
    assert len(recs) == 5
    _well_formed(recs, kb)
    assert all(r.build == "GRCh38" and r.sample == "S1" for r in recs)
    assert [r.alteration for r in recs] == ["EML4-ALK fusion v1", "EML4-ALK fusion v2", "EML4-ALK fusion v3a/v3b",
                                            "KIF5B-ALK fusion", "CD74-ROS1 fusion"]
    assert recs[0].detail["split_reads"] == "30" and recs[0].detail["spanning_reads"] == "12"
    assert recs[3].detail["partner_exon"] == "15"


def test_dna_intronic_breakpoint_needs_build(kb: KnowledgeBase) -> None:
    path = DATA / "arriba_intronic_synthetic.tsv"
    with pytest.raises(InputFileError, match="--build") as err:
        _read(path, kb)
    assert err.value.line == 3
    (rec,) = _read(path, kb, build="hg19")
    assert rec.alteration == "EML4-ALK fusion v1"
    assert rec.detail["partner_breakpoint_region"] == "intron" and rec.detail["alk_breakpoint_region"] == "intron"
    # the same file read as GRCh38 puts the EML4 breakpoint outside EML4: no variant, but still a record
    (rec38,) = _read(path, kb, build="GRCh38")
    assert rec38.alteration == "EML4-ALK fusion" and "variant" not in rec38.detail
    assert "outside EML4" in rec38.detail["partner_breakpoint_note"]


def test_cbioportal_sv_synthetic(kb: KnowledgeBase) -> None:
    recs = _read(DATA / "cbioportal_sv_synthetic.grch38.txt", kb)
    assert len(recs) == 3
    _well_formed(recs, kb)
    p1, p2, p3 = recs
    assert p1.sample == "P1" and p1.alteration == "EML4-ALK fusion v1" and p1.build == "GRCh38"
    assert p1.detail["split_reads"] == "14" and p1.detail["spanning_reads"] == "22"
    assert p2.alteration == "EML4-ALK fusion v3a/v3b"  # from Site region numbers (exon 6, ALK intron 19)
    assert p3.alteration is None and p3.gene == "MET" and "intragenic" in (p3.reason or "")
    with pytest.raises(InputFileError, match="NCBI_Build"):
        _read(DATA / "cbioportal_sv_synthetic.grch38.txt", kb, build="GRCh37")


def test_given_build_that_contradicts_junctions_is_flagged(kb: KnowledgeBase) -> None:
    recs = _read(DATA / "arriba_alk_synthetic.grch37.tsv", kb, build="GRCh38")
    assert len(recs) == 6
    assert "GRCh37" in recs[0].detail["build_warning"]
    assert "variant" not in recs[0].detail


def test_gzip_and_format_override(kb: KnowledgeBase, tmp_path: Path) -> None:
    src = DATA / "arriba_alk_synthetic.grch37.tsv"
    gz = tmp_path / "fusions.tsv.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    assert [r.alteration for r in _read(gz, kb)] == [r.alteration for r in _read(src, kb, fmt="arriba")]
    with pytest.raises(InputFileError, match="STAR-Fusion column"):
        _read(src, kb, fmt="star-fusion")
    with pytest.raises(InputFileError, match="unknown fusion format"):
        _read(src, kb, fmt="fusioncatcher")
    with pytest.raises(InputFileError, match="unknown build"):
        _read(src, kb, build="hg17")


# --------------------------------------------------------------------------- bad input


def test_windows_line_endings(kb: KnowledgeBase) -> None:
    crlf = _read(DATA / "arriba_alk_synthetic_crlf.grch37.tsv", kb)
    lf = _read(DATA / "arriba_alk_synthetic.grch37.tsv", kb)
    assert [r.alteration for r in crlf] == [lf[0].alteration, lf[3].alteration]
    assert all("\r" not in v for r in crlf for v in r.detail.values())


def test_empty_file(kb: KnowledgeBase) -> None:
    with pytest.raises(InputFileError, match="empty") as err:
        _read(DATA / "empty.tsv", kb)
    assert err.value.file.endswith("empty.tsv")


def test_header_only_file_gives_no_records(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "none.tsv"
    path.write_text(ARRIBA_HEADER + "\n")
    assert _read(path, kb) == []


def test_wrong_header(kb: KnowledgeBase) -> None:
    with pytest.raises(InputFileError, match="header not recognised") as err:
        _read(DATA / "arriba_wrong_header.tsv", kb)
    assert err.value.line == 2


def test_truncated_gzip(kb: KnowledgeBase) -> None:
    with pytest.raises(InputFileError, match="truncated") as err:
        _read(DATA / "arriba_truncated_synthetic.tsv.gz", kb)
    assert "arriba_truncated_synthetic.tsv.gz" in str(err.value)


def test_malformed_breakpoint_is_a_row_reason(kb: KnowledgeBase) -> None:
    recs = _read(DATA / "arriba_malformed_synthetic.tsv", kb)
    assert len(recs) == 2
    good, bad = recs
    assert good.alteration == "EML4-ALK fusion v1"
    assert bad.alteration is None and bad.line == 4 and bad.gene == "ALK"
    assert bad.reason is not None and "line 4" in bad.reason and "2:abc" in bad.reason


def test_mixed_builds(kb: KnowledgeBase) -> None:
    with pytest.raises(InputFileError, match="different builds") as err:
        _read(DATA / "arriba_mixed_builds_synthetic.tsv", kb)
    assert err.value.line == 4


def test_extra_fields_and_missing_file(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "extra.tsv"
    path.write_text("Tumor_Sample_Barcode\tFusion\nS1\tEML4-ALK\textra\nS2\tEML4-ALK\n")
    bad, ok = _read(path, kb)
    assert bad.reason is not None and "3 fields" in bad.reason
    assert ok.alteration == "EML4-ALK fusion" and ok.sample == "S2"
    with pytest.raises(InputFileError, match="cannot read"):
        _read(tmp_path / "missing.tsv", kb)


def test_not_utf8(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "latin1.tsv"
    path.write_bytes((ARRIBA_HEADER + "\n").encode() + b"EML4\xe9\tALK\n")
    with pytest.raises(InputFileError, match="UTF-8") as err:
        _read(path, kb)
    assert err.value.line == 2


def test_intergenic_and_reciprocal_arriba_rows(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "intergenic.tsv"
    path.write_text("# SYNTHETIC\n" + ARRIBA_HEADER + "\n"
                    "AC012345.1(1200),LINC01234(340)\tALK\t./+\t-/+\t2:50000000\t2:29446394\t.\tsplice-site\t"
                    "translocation\t2\t2\t1\n"
                    "ALK\tEML4\t-/-\t+/-\t2:29446208\t2:42522521\tsplice-site\tsplice-site\tinversion\t1\t1\t0\n"
                    "ALK\tALK\t-/-\t-/-\t2:29446208\t2:29500000\tsplice-site\t.\tdeletion\t1\t1\t0\n")
    inter, recip, intra = _read(path, kb, build="GRCh37")
    assert inter.alteration == "ALK fusion" and inter.detail["gene5_input"].startswith("AC012345.1")
    assert inter.detail["alk_exon"] == "20"
    assert recip.alteration == "ALK-EML4 fusion" and "5'" in recip.detail["alk_position"]
    assert "variant" not in recip.detail and recip.detail["partner_exon"] == "13"
    assert intra.alteration is None and "intragenic" in (intra.reason or "") and intra.gene == "ALK"


# --------------------------------------------------------------------------- real files (shared/testdata)


REAL = [
    (CALLERS / "arriba_test_fusions.tsv", {}, 1),
    (CALLERS / "star-fusion_BT474_saved.fusion_candidates.final.abridged.FFPM.tsv", {}, 24),
    (CALLERS / "pcgr_example_input.grch37.fusions.tsv", {"build": "GRCh37"}, 13),
    (CALLERS / "pcgr_example_input.grch38.fusions.tsv", {}, 9),
    (ONCOKB / "example_sv.txt", {}, 7),
    (ONCOKB / "example_fusions.txt", {}, 7),
]


@pytest.mark.parametrize(("path", "kw", "count"), REAL, ids=lambda x: x.name if isinstance(x, Path) else None)
def test_real_files_every_row_comes_out(path: Path, kw: dict[str, str], count: int, kb: KnowledgeBase) -> None:
    _need(path)
    recs = _read(path, kb, **kw)
    data_lines = sum(1 for line in path.read_text().splitlines()[1:] if line.strip())
    assert len(recs) == count == data_lines
    _well_formed(recs, kb)


def test_real_arriba_and_star_content(kb: KnowledgeBase) -> None:
    _need(CALLERS / "arriba_test_fusions.tsv")
    (bcr,) = _read(CALLERS / "arriba_test_fusions.tsv", kb)
    assert bcr.alteration == "BCR-ABL1 fusion" and bcr.build is None
    assert bcr.detail["split_reads"] == "4" and bcr.detail["breakpoint5"] == "22:23632600"
    star = _read(CALLERS / "star-fusion_BT474_saved.fusion_candidates.final.abridged.FFPM.tsv", kb)
    assert star[0].alteration == "ACACA-STAC2 fusion" and star[0].detail["spanning_reads"] == "51"
    assert sum(r.alteration == "VAPB-IKZF3 fusion" for r in star) == 3  # isoforms stay separate rows


def test_real_pcgr_files(kb: KnowledgeBase) -> None:
    _need(CALLERS / "pcgr_example_input.grch37.fusions.tsv")
    # its '--ALK' row sits on a GRCh38 ALK exon boundary, its EML4--ALK row on a GRCh37 one
    with pytest.raises(InputFileError, match="different builds"):
        _read(CALLERS / "pcgr_example_input.grch37.fusions.tsv", kb)
    recs37 = _read(CALLERS / "pcgr_example_input.grch37.fusions.tsv", kb, build="GRCh37")
    assert recs37[0].alteration == "EML4-ALK fusion v1"  # EML4 intron 13 (42522694) :: ALK exon 20
    assert recs37[0].detail["partner_breakpoint_region"] == "intron"
    no_partner = next(r for r in recs37 if r.line == 12)
    assert no_partner.alteration == "ALK fusion" and "build_warning" in no_partner.detail
    assert next(r for r in recs37 if r.line == 13).alteration == "FGFR2 fusion"
    recs38 = _read(CALLERS / "pcgr_example_input.grch38.fusions.tsv", kb)
    assert recs38[1].alteration == "EML4-ALK fusion v1" and recs38[1].build == "GRCh38"
    assert {r.alteration for r in recs38} >= {"KIAA1549-BRAF fusion", "CCDC6-RET fusion", "NTRK1-TPM3 fusion"}


def test_real_oncokb_examples(kb: KnowledgeBase) -> None:
    _need(ONCOKB / "example_sv.txt")
    for name in ("example_sv.txt", "example_fusions.txt"):
        recs = _read(ONCOKB / name, kb)
        alk = [r for r in recs if r.gene == "ALK"]
        assert len(alk) == 1 and alk[0].alteration == "EML4-ALK fusion" and alk[0].sample == "TCGA-05-4417-01"
        assert "orientation" in alk[0].detail
        assert sum(r.alteration is None and "intragenic" in (r.reason or "") for r in recs) == 3
        assert recs[-1].alteration == "ETV6-RUNX1 fusion"


# --------------------------------------------------------------------------- property test

_CELL = st.text(alphabet="ACGKLMTE0123456789:-.#chr()^, \r", max_size=20)
_LINE = st.lists(_CELL, min_size=0, max_size=14).map("\t".join)
_HEADERS = st.sampled_from([
    ARRIBA_HEADER, "#FusionName\tJunctionReadCount\tSpanningFragCount\tLeftGene\tLeftBreakpoint\tRightGene\t"
    "RightBreakpoint", "FusionGene\tLeftBreakpoint\tRightBreakpoint\tSplitReads", "Tumor_Sample_Barcode\tFusion",
    "Sample_Id\tSite1_Hugo_Symbol\tSite1_Chromosome\tSite1_Position\tSite2_Hugo_Symbol\tSite2_Chromosome\t"
    "Site2_Position\tNCBI_Build", "Tumor_Sample_Barcode\tGeneA\tGeneB\tSv_Type", ""])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from(["EML4", "ALK", "KIF5B", "NTRK1", "", "X(1),Y(2)"]),
                               st.sampled_from(["ALK", "EML4", "RET", ""]),
                               st.sampled_from(["2", "chr2", "10", "", "chrX"]),
                               st.integers(min_value=-5, max_value=60_000_000),
                               st.integers(min_value=29_190_000, max_value=29_450_000)), max_size=6),
       build=st.sampled_from([None, "GRCh37", "GRCh38"]))
def test_random_breakpoints_never_crash(kb: KnowledgeBase, rows: list[tuple[str, str, str, int, int]],
                                        build: str | None) -> None:
    body = "".join(f"{g1}\t{g2}\t+/+\t-/+\t{c}:{p1}\t2:{p2}\t.\t.\t.\t1\t1\t1\n" for g1, g2, c, p1, p2 in rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.tsv"
        path.write_text(ARRIBA_HEADER + "\n" + body)
        try:
            recs = _read(path, kb, **({"build": build} if build else {}))
        except InputFileError as exc:
            assert "build" in exc.message
            return
        assert len(recs) == len(rows)
        _well_formed(recs, kb)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=_HEADERS, lines=st.lists(_LINE, max_size=8), build=st.sampled_from([None, "GRCh37", "GRCh38"]))
def test_random_lines_never_crash(kb: KnowledgeBase, header: str, lines: list[str], build: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.tsv"
        path.write_text("\n".join([header, *lines]) + "\n", newline="")
        try:
            recs = _read(path, kb, **({"build": build} if build else {}))
        except InputFileError as exc:
            assert exc.file == str(path)
            return
        with path.open(newline="") as fh:
            data = [ln for ln in fh.read().split("\n")[1:] if ln.strip()]
        assert len(recs) == len(data)
        _well_formed(recs, kb)


def test_partner_breakpoint_on_the_wrong_chromosome_is_not_that_gene(kb: KnowledgeBase) -> None:
    from alknav.inputs.genomic.breakpoints import classify_breakpoint

    assert classify_breakpoint(kb, "EML4", "2", 42522656, "GRCh37") is not None
    assert classify_breakpoint(kb, "EML4", "5", 42522656, "GRCh37") is None


def test_annotated_only_where_alknav_has_knowledge(kb: KnowledgeBase, tmp_path: Path) -> None:
    """ANNOTATED (oncokb-annotator's column name): True for the ALK fusions (the driver) and for a
    fusion a curated mechanism names; False for a fusion of genes alknav has no knowledge of."""
    from alknav.annotate.records_tsv import write_records

    out = tmp_path / "out.tsv"
    tally = write_records(read_fusions(DATA / "arriba_alk_synthetic.grch37.tsv", kb), kb, out)
    with out.open(encoding="utf-8") as fh:
        rows = {r["INPUT_ALTERATION"]: r for r in csv.DictReader(fh, delimiter="\t")}
    assert rows["EML4-ALK fusion v1"]["ANNOTATED"] == "True"
    assert rows["KIF5B-ALK fusion"]["ANNOTATED"] == "True"
    assert rows["BCR-ABL1 fusion"]["ANNOTATED"] == "False"
    assert "no ALK resistance mechanism" in rows["BCR-ABL1 fusion"]["ALKNAV_REASON"]
    assert (tally.read, tally.annotated, tally.outside) == (6, 5, 1)
