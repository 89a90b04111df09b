"""VCF reader: synthetic ALK fixtures (tests/data/vcf, labelled SYNTHETIC at their top), the real VEP
files in shared/testdata/vcf, and the worked SNVs of shared/reference/validation_examples.tsv."""

from __future__ import annotations

import contextlib
import csv
import gzip
import os
import tempfile
from pathlib import Path

import pysam
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alknav.inputs.alterations import parse_alteration
from alknav.inputs.genomic.alk_genomic import alk_model, revcomp
from alknav.inputs.genomic.records import GenomicRecord, InputFileError
from alknav.inputs.genomic.vcf import NO_ANNOTATION, NOBODY, protein_1letter, read_vcf
from alknav.kb.loader import KnowledgeBase

from .conftest import SHARED

DATA = Path(__file__).parent / "data" / "vcf"
HEADER37 = "##fileformat=VCFv4.2\n##contig=<ID=2,length=243199373>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
HEADER38 = "##fileformat=VCFv4.2\n##contig=<ID=chr2,length=242193529>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def read(path: Path | str, kb: KnowledgeBase, **kw: object) -> list[GenomicRecord]:
    return list(read_vcf(Path(path), kb, **kw))  # type: ignore[arg-type]


def alterations(records: list[GenomicRecord]) -> list[str | None]:
    return [r.alteration for r in records]


def bgzip_index(src: Path, dst_dir: Path, csi: bool = False) -> Path:
    gz = dst_dir / (src.name + ".gz")
    pysam.tabix_compress(str(src), str(gz), force=True)
    pysam.tabix_index(str(gz), preset="vcf", force=True, csi=csi)
    return gz


# --------------------------------------------------------------------------- synthetic ALK fixtures


def test_grch37_hotspots_translate_with_shipped_cds(kb: KnowledgeBase) -> None:
    recs = read(DATA / "alk_grch37.vcf", kb)
    assert alterations(recs[1:4]) == ["ALK p.G1202R", "ALK p.L1196M", "ALK p.C1156Y"]
    g1202r = recs[1]
    assert (g1202r.sample, g1202r.build, g1202r.line) == ("TUMOR", "GRCh37", 9)
    assert g1202r.source.startswith("shipped ALK CDS")
    assert g1202r.detail["hgvs_c"] == "c.3604G>A" and g1202r.detail["FORMAT/AF"] == "0.12"
    assert "##contig 2 length=243199373" in g1202r.detail["build_from"]
    for rec in recs:
        assert parse_alteration(rec.alteration, kb).recognized if rec.alteration else rec.reason


def test_reasons_for_intron_outside_shipped_range_and_other_gene(kb: KnowledgeBase) -> None:
    recs = read(DATA / "alk_grch37.vcf", kb)
    outside, intron, other = recs[0], recs[4], recs[5]
    assert intron.alteration is None and "intron 19" in (intron.reason or "")
    assert outside.gene == "ALK" and outside.alteration is None
    assert "c.4796 is outside c.3173-4164" in (outside.reason or "") and "ships" in (outside.reason or "")
    assert other.gene is None and other.reason == NO_ANNOTATION


def test_chr_prefixed_grch38(kb: KnowledgeBase) -> None:
    recs = read(DATA / "alk_grch38_chr.vcf", kb)
    assert alterations(recs) == ["ALK p.G1202R", "ALK p.L1196M", "ALK p.C1156Y"]
    assert {r.build for r in recs} == {"GRCh38"}


def test_declared_build_must_agree_with_header(kb: KnowledgeBase) -> None:
    assert alterations(read(DATA / "alk_grch38_chr.vcf", kb, build="hg38"))[0] == "ALK p.G1202R"
    with pytest.raises(InputFileError, match="build=GRCh37 was passed but the header says GRCh38"):
        read(DATA / "alk_grch38_chr.vcf", kb, build="GRCh37")
    with pytest.raises(InputFileError, match="unknown build"):
        read(DATA / "alk_grch38_chr.vcf", kb, build="hg17")


def test_build_inferred_from_ref_when_header_is_silent(kb: KnowledgeBase) -> None:
    recs = read(DATA / "alk_no_samples_no_build.vcf", kb)
    assert alterations(recs) == ["ALK p.G1202R", "ALK p.L1196M"]
    assert recs[0].sample is None and recs[0].build == "GRCh38"
    assert recs[0].detail["build_from"].startswith("inferred")


def test_multisample_one_record_per_allele_and_carrier(kb: KnowledgeBase) -> None:
    recs = read(DATA / "alk_multisample.vcf", kb)
    got = [(r.line, r.sample, r.alteration) for r in recs]
    assert got == [
        (8, "TUMOR_A", "ALK p.G1202R"),
        (9, "TUMOR_A", "ALK p.L1196M"), (9, "TUMOR_B", "ALK p.L1196M"),
        (10, "TUMOR_B", "ALK p.C1156Y"), (10, "TUMOR_A", "ALK p.C1156F"), (10, "TUMOR_B", "ALK p.C1156F"),
        (11, None, None),
    ]
    assert recs[-1].reason == NOBODY and recs[-1].detail["alteration_if_carried"] == "ALK p.F1245C"
    assert {r.line for r in recs} == {8, 9, 10, 11}  # every data line yields at least one record


def test_sample_selection(kb: KnowledgeBase) -> None:
    recs = read(DATA / "alk_multisample.vcf", kb, sample="TUMOR_B")
    assert [(r.line, r.alteration) for r in recs] == [
        (8, None), (9, "ALK p.L1196M"), (10, "ALK p.C1156Y"), (10, "ALK p.C1156F"), (11, None)]
    assert recs[0].sample == "TUMOR_B" and "does not carry" in (recs[0].reason or "")
    with pytest.raises(InputFileError, match="sample 'NOPE' is not in the file"):
        read(DATA / "alk_multisample.vcf", kb, sample="NOPE")


def test_ref_mismatch_names_the_build(kb: KnowledgeBase) -> None:
    with pytest.raises(InputFileError, match=r"contradicts GRCh38") as err:
        read(DATA / "alk_ref_mismatch.vcf", kb)
    assert err.value.line == 8 and "alk_ref_mismatch.vcf" in err.value.file


def test_mixed_builds_is_an_error(kb: KnowledgeBase) -> None:
    with pytest.raises(InputFileError, match=r"matches ALK only on GRCh38, but the file is GRCh37") as err:
        read(DATA / "alk_mixed_builds.vcf", kb)
    assert err.value.line == 9


def test_malformed_lines_become_reasons_with_line_numbers(kb: KnowledgeBase) -> None:
    recs = read(DATA / "alk_malformed.vcf", kb)
    assert [r.line for r in recs] == [5, 6, 7, 8, 9]
    assert alterations(recs) == ["ALK p.G1202R", None, None, None, "ALK p.C1156Y"]
    assert all((r.reason or "").startswith(f"line {r.line}: malformed") for r in recs[1:4])
    assert "POS 'abc'" in (recs[2].reason or "")


def test_wrong_header(kb: KnowledgeBase) -> None:
    with pytest.raises(InputFileError, match="wrong column header") as err:
        read(DATA / "wrong_header.vcf", kb)
    assert err.value.line == 3


def test_windows_line_endings(kb: KnowledgeBase, tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.vcf"
    crlf.write_bytes((DATA / "alk_grch37.vcf").read_bytes().replace(b"\n", b"\r\n"))
    recs = read(crlf, kb)
    assert alterations(recs[1:4]) == ["ALK p.G1202R", "ALK p.L1196M", "ALK p.C1156Y"]
    assert recs[1].detail["FORMAT/AF"] == "0.12"  # no stray \r in the last column


def test_empty_and_header_only_files(kb: KnowledgeBase, tmp_path: Path) -> None:
    empty = tmp_path / "empty.vcf"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty file"):
        read(empty, kb)
    blank_gz = tmp_path / "empty.vcf.gz"
    blank_gz.write_bytes(gzip.compress(b""))
    with pytest.raises(InputFileError, match="empty file"):
        read(blank_gz, kb)
    header_only = tmp_path / "header.vcf"
    header_only.write_text(HEADER37)
    assert read(header_only, kb) == []
    with pytest.raises(InputFileError, match="cannot open"):
        read(tmp_path / "missing.vcf", kb)


def test_not_a_vcf(kb: KnowledgeBase, tmp_path: Path) -> None:
    maf = tmp_path / "x.vcf"
    maf.write_text("Hugo_Symbol\tChromosome\nALK\t2\n")
    with pytest.raises(InputFileError, match="not a VCF") as err:
        read(maf, kb)
    assert err.value.line == 1


def test_gzip_plain_and_bgzip(kb: KnowledgeBase, tmp_path: Path) -> None:
    plain_gz = tmp_path / "plain.vcf.gz"
    plain_gz.write_bytes(gzip.compress((DATA / "alk_grch37.vcf").read_bytes()))
    assert alterations(read(plain_gz, kb))[1:4] == ["ALK p.G1202R", "ALK p.L1196M", "ALK p.C1156Y"]
    bgz = bgzip_index(DATA / "alk_grch37.vcf", tmp_path)
    recs = read(bgz, kb)  # no genes: the index is not used
    assert len(recs) == 6 and recs[1].line == 9 and recs[1].detail["access"] == "full scan"


def test_truncated_gzip(kb: KnowledgeBase, tmp_path: Path) -> None:
    lines = [HEADER37.rstrip("\n")] + [f"1\t{1000 + i}\t.\tA\tG\t.\tPASS\t." for i in range(20000)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match="truncated or corrupt gzip") as err:
        read(cut, kb)
    assert err.value.line is not None and err.value.line > 3


def test_tabix_jump_to_alk(kb: KnowledgeBase, tmp_path: Path) -> None:
    src = tmp_path / "mixed.vcf"
    body = [HEADER37.rstrip("\n")]
    body += [f"1\t{1000 + i * 10}\t.\tA\tG\t.\tPASS\t." for i in range(500)]
    body += ["2\t29443613\t.\tC\tT\t.\tPASS\t.", "2\t29443631\t.\tG\tT\t.\tPASS\t."]
    body += [f"2\t{40000000 + i}\t.\tA\tG\t.\tPASS\t." for i in range(50)]
    body += [f"7\t{1000 + i}\t.\tA\tG\t.\tPASS\t." for i in range(50)]
    src.write_text("\n".join(body) + "\n")
    for csi in (False, True):
        gz = bgzip_index(src, tmp_path, csi=csi)
        recs = read(gz, kb, genes={"ALK"})
        assert alterations(recs) == ["ALK p.G1202R", "ALK p.L1196M"]
        assert recs[0].detail["access"].startswith("tabix index " + ("mixed.vcf.gz.csi" if csi else "mixed.vcf.gz.tbi"))
        for ext in (".tbi", ".csi"):
            Path(f"{gz}{ext}").unlink(missing_ok=True)
    # without the index the same selection comes from a full scan, with line numbers
    recs = read(gz, kb, genes={"ALK"})
    assert alterations(recs) == ["ALK p.G1202R", "ALK p.L1196M"]
    assert recs[0].detail["access"] == "full scan (no tabix index)" and recs[0].line == 504
    # other genes have no span table: scan, and unannotated records are kept (their gene is unknown)
    assert len(read(gz, kb, genes={"ALK", "MET"})) == 602


def test_stale_index_falls_back_to_scan(kb: KnowledgeBase, tmp_path: Path) -> None:
    gz = bgzip_index(DATA / "alk_grch37.vcf", tmp_path)
    old = gz.stat().st_mtime - 100
    os.utime(f"{gz}.tbi", (old, old))
    recs = read(gz, kb, genes={"ALK"})
    assert "older than the VCF" in recs[0].detail["access"] and len(recs) == 5


def test_index_on_non_bgzf_file_falls_back(kb: KnowledgeBase, tmp_path: Path) -> None:
    gz = bgzip_index(DATA / "alk_grch37.vcf", tmp_path)
    gz.write_bytes(gzip.compress((DATA / "alk_grch37.vcf").read_bytes()))
    os.utime(f"{gz}.tbi")
    recs = read(gz, kb, genes={"ALK"})
    assert alterations(recs)[1:4] == ["ALK p.G1202R", "ALK p.L1196M", "ALK p.C1156Y"]
    assert recs[0].detail["access"].startswith("full scan (")


# --------------------------------------------------------------------------- annotations


def test_vep_csq_prefers_alk_mane_and_other_genes_mane(kb: KnowledgeBase) -> None:
    recs = read(DATA / "annotated_vep_grch38.vcf", kb)
    assert [(r.gene, r.alteration, r.source) for r in recs] == [
        ("ALK", "ALK p.G1202R", "VEP CSQ"),
        ("KRAS", "KRAS p.G12C", "VEP CSQ"),
        ("MET", None, "VEP CSQ"),
        ("EGFR", "EGFR p.L858R", "VEP CSQ"),
        ("ALK", "ALK p.C1156Y", "VEP CSQ"),
        ("ALK", "ALK p.C1156F", "VEP CSQ"),
        ("ALK", "ALK p.L1196M", "shipped ALK CDS (c.3173-4164)"),
    ]
    assert recs[0].detail["transcript"] == "ENST00000389048.8" and "check" not in recs[0].detail
    assert recs[1].detail["transcript"] == "ENST00000256078.10"
    assert "splice_donor_variant" in (recs[2].reason or "")
    assert "gave no protein change" in recs[6].detail["note"]


def test_snpeff_ann(kb: KnowledgeBase) -> None:
    recs = read(DATA / "annotated_snpeff_grch37.vcf", kb)
    assert [(r.alteration, r.source) for r in recs] == [("ALK p.L1196M", "SnpEff ANN"), ("KRAS p.G12D", "SnpEff ANN")]


def test_genes_filter_on_annotations(kb: KnowledgeBase) -> None:
    assert alterations(read(DATA / "annotated_vep_grch38.vcf", kb, genes={"KRAS"})) == ["KRAS p.G12C"]
    alk = read(DATA / "annotated_vep_grch38.vcf", kb, genes={"alk"})
    assert {r.gene for r in alk} == {"ALK"} and len(alk) == 4


def test_protein_1letter() -> None:
    assert protein_1letter("ENSP00000334393.3:p.Ser60%3D") == "p.S60="
    assert protein_1letter("p.(Gly1202Arg)") == "p.G1202R"
    assert protein_1letter("p.Arg1275Ter") == "p.R1275*"


@pytest.mark.skipif(not (SHARED / "testdata" / "vcf").is_dir(), reason="shared/testdata/vcf not present")
def test_real_vep_files_csq_parsed(kb: KnowledgeBase) -> None:
    g37 = read(SHARED / "testdata" / "vcf" / "bcftools_split-vep.5.vep.grch37.vcf", kb)
    assert len(g37) == 9 and {r.source for r in g37} == {"VEP CSQ"} and {r.gene for r in g37} == {"OR4F5"}
    assert {r.build for r in g37} == {"GRCh37"}
    assert g37[0].detail["hgvs_p"] == "p.S60=" and "synonymous" in (g37[0].reason or "")
    assert g37[1].alteration == "OR4F5 p.F113C"
    assert any((r.alteration or "").endswith("fs") for r in g37)  # the frameshift deletion
    g38 = read(SHARED / "testdata" / "vcf" / "bcftools_split-vep.filter.vep102.grch38.vcf", kb)
    assert [r.gene for r in g38] == ["DDX3X", "DDX3X"] and {r.build for r in g38} == {"GRCh38"}
    assert g38[1].detail["hgvs_c"] == "c.45+291_45+303del"  # the deletion's CSQ allele is '-'
    assert all(r.alteration is None and r.reason for r in g38)


# --------------------------------------------------------------------------- worked examples


def _validation_snvs() -> list[dict[str, str]]:
    path = SHARED / "reference" / "validation_examples.tsv"
    if not path.exists():
        return []
    with open(path) as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["kind"] == "snv"]
    return [r for r in rows if 3173 <= int(r["expected"].split("c.")[1].split(" ")[0][:-3]) <= 4164]


@pytest.mark.skipif(not _validation_snvs(), reason="shared/reference/validation_examples.tsv not present")
@pytest.mark.parametrize("case", _validation_snvs(), ids=lambda c: c["case_id"])
def test_validation_examples_translate_exactly(kb: KnowledgeBase, tmp_path: Path, case: dict[str, str]) -> None:
    header = HEADER37 if case["build"] == "GRCh37" else HEADER38
    chrom = "2" if case["build"] == "GRCh37" else "chr2"
    vcf = tmp_path / "case.vcf"
    vcf.write_text(header + f"{chrom}\t{case['pos1']}\t.\t{case['ref_plus_strand']}\t{case['alt_plus_strand']}"
                            "\t.\tPASS\t.\n")
    (rec,) = read(vcf, kb)
    _, c_expected, p_expected = case["expected"].split(" ")
    assert (rec.detail["hgvs_c"], rec.detail["hgvs_p"], rec.build) == (c_expected, p_expected, case["build"])
    if p_expected.endswith("="):
        assert rec.alteration is None and "synonymous" in (rec.reason or "")
    else:
        assert rec.alteration == f"ALK {p_expected}"


# --------------------------------------------------------------------------- reference FASTA


@pytest.fixture(scope="session")
def synthetic_reference(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SYNTHETIC chromosome 2 for GRCh37: Ns, except ALK's coding bases. The kinase part is the shipped
    sequence, the rest is an invented ORF (ATG, GCC repeats, CCC at codon 1599, TGA) of 4863 nt."""
    model = alk_model(kb)
    cds = list("ATG" + "GCC" * 1619 + "TGA")
    cds[model.kinase_start - 1:model.kinase_end] = model.kinase_seq
    cds[(1599 - 1) * 3:1599 * 3] = "CCC"
    coding = "".join(cds)
    _, _, span_end = model.span("GRCh37")
    chrom = bytearray(b"N" * (span_end + 1000))
    for e in model.builds["GRCh37"].exons:
        chrom[e.cds_start - 1:e.cds_end] = revcomp(coding[e.c_first - 1:e.c_last]).encode()
    fa = tmp_path_factory.mktemp("ref") / "synthetic_grch37_chr2.fa"
    with open(fa, "wb") as fh:
        fh.write(b">2 synthetic\n")
        for i in range(0, len(chrom), 1_000_000):
            fh.write(bytes(chrom[i:i + 1_000_000]) + b"\n")
    pysam.faidx(str(fa))
    return fa


def test_reference_translates_outside_shipped_range(kb: KnowledgeBase, synthetic_reference: Path) -> None:
    recs = read(DATA / "alk_grch37.vcf", kb, reference=synthetic_reference)
    by_id = {r.detail["id"]: r for r in recs}
    p1599h = by_id["p1599h"]
    assert p1599h.alteration == "ALK p.P1599H" and p1599h.detail["hgvs_c"] == "c.4796C>A"
    assert p1599h.source == "reference FASTA synthetic_grch37_chr2.fa"
    assert by_id["g1202r"].source.startswith("shipped ALK CDS")  # inside the range the shipped CDS is used
    assert "no annotation for a non-ALK gene" in (by_id["chr7"].reason or "")


def test_reference_of_wrong_build_is_an_error(kb: KnowledgeBase, synthetic_reference: Path) -> None:
    with pytest.raises(InputFileError, match="reference FASTA unusable for GRCh38") as err:
        read(DATA / "alk_grch38_chr.vcf", kb, reference=synthetic_reference)
    assert "synthetic_grch37_chr2.fa" in err.value.file


def test_reference_checks_ref_outside_the_kinase(kb: KnowledgeBase, synthetic_reference: Path,
                                                 tmp_path: Path) -> None:
    vcf = tmp_path / "x.vcf"
    vcf.write_text(HEADER37 + "2\t29416157\t.\tA\tT\t.\tPASS\t.\n")  # the synthetic base is G
    with pytest.raises(InputFileError, match="contradicts GRCh37"):
        read(vcf, kb, reference=synthetic_reference)


# --------------------------------------------------------------------------- robustness


_VALID = (DATA / "alk_grch37.vcf").read_text()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=400), gz=st.booleans())
def test_random_bytes_only_raise_input_file_error(kb: KnowledgeBase, blob: bytes, gz: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.vcf"
        path.write_bytes(gzip.compress(blob)[: max(1, len(blob) // 2)] if gz and blob else blob)
        with contextlib.suppress(InputFileError):
            read(path, kb)


_LINE = st.lists(st.sampled_from(["2", "chr2", "29443613", "29220747", "C", "T", "G,A", ".", "PASS", "0/1", "1|1",
                                  "GT", "GT:AF", "CSQ=T|x", "ANN=||", "<DEL>", "*", "-1", "", "é", "\r", "0.5"])
                 | st.text(max_size=8), max_size=12).map("\t".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_LINE, max_size=8), samples=st.booleans())
def test_random_lines_only_raise_input_file_error(kb: KnowledgeBase, lines: list[str], samples: bool) -> None:
    head = _VALID.split("#CHROM")[0] + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO" + \
        ("\tFORMAT\tS1\n" if samples else "\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.vcf"
        path.write_text(head + "\n".join(lines) + "\n", encoding="utf-8", errors="surrogateescape")
        try:
            recs = read(path, kb)
        except InputFileError:
            return
        data_lines = {n for n, text in enumerate((head + "\n".join(lines)).split("\n"), 1)
                      if text.strip() and n > head.count("\n")}
        assert {r.line for r in recs} == data_lines  # nothing dropped


def test_header_with_two_builds_is_an_error(kb: KnowledgeBase, tmp_path: Path) -> None:
    vcf = tmp_path / "two.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##reference=file:///refs/hg38.fa\n" + HEADER37.split("\n", 1)[1])
    with pytest.raises(InputFileError, match="header names two builds: GRCh37") as err:
        read(vcf, kb)
    assert err.value.line == 3


def test_unknown_build_outside_the_kinase_gives_a_reason(kb: KnowledgeBase, tmp_path: Path) -> None:
    vcf = tmp_path / "nobuild.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n2\t29447000\t.\tA\tG\t.\t.\t.\n")
    (rec,) = read(vcf, kb)
    assert rec.alteration is None and "build unknown" in (rec.reason or "") and rec.gene == "ALK"
    (rec,) = read(vcf, kb, build="GRCh37")
    assert "intron 19" in (rec.reason or "")


@pytest.mark.skipif(not (SHARED / "testdata" / "vcf").is_dir(), reason="shared/testdata/vcf not present")
def test_genes_filter_drops_other_annotated_genes(kb: KnowledgeBase) -> None:
    assert read(SHARED / "testdata" / "vcf" / "bcftools_split-vep.5.vep.grch37.vcf", kb, genes={"KRAS"}) == []


def test_alk_indel_without_annotation_and_its_ref_check(kb: KnowledgeBase, tmp_path: Path) -> None:
    vcf = tmp_path / "indel.vcf"
    vcf.write_text(HEADER37 + "2\t29443613\t.\tCC\tC\t.\t.\t.\n2\t29443612\t.\tCC\tTT\t.\t.\t.\n")
    deletion, mnv = read(vcf, kb)
    assert deletion.alteration is None and "insertion/deletion" in (deletion.reason or "")
    assert mnv.alteration == "ALK p.G1202K" and mnv.detail["hgvs_c"] == "c.3604_3605delinsAA"
    vcf.write_text(HEADER37 + "2\t29443613\t.\tCA\tC\t.\t.\t.\n")
    with pytest.raises(InputFileError, match=r"REF CA contradicts GRCh37.*c\.3603_3604"):
        read(vcf, kb)


def _plus_position(model, build: str, c: int) -> int:  # type: ignore[no-untyped-def]
    lo, hi = (29_400_000, 29_460_000) if build == "GRCh37" else (29_180_000, 29_240_000)
    return next(p for p in range(lo, hi) if model.c_of(build, p) == c)


@pytest.mark.parametrize("build", ["GRCh37", "GRCh38"])
def test_inframe_indels_are_named_without_annotation(kb: KnowledgeBase, tmp_path: Path, build: str) -> None:
    """A codon deletion and a one-codon insertion translate with the shipped CDS (SYNTHETIC records)."""
    from alknav.inputs.genomic.alk_genomic import alk_model, revcomp

    model = alk_model(kb)
    seq = model.shipped(3400, 3700)
    assert seq is not None

    def plus(c: int) -> str:
        return revcomp(seq[c - 3400])

    anchor_del = _plus_position(model, build, 3607)
    ref_del = plus(3607) + plus(3606) + plus(3605) + plus(3604)
    anchor_ins = _plus_position(model, build, 3454)
    inserted = revcomp(seq[3451 - 3400:3454 - 3400])
    lines = ["##fileformat=VCFv4.2", f"##reference={build}",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tT",
             f"2\t{anchor_del}\tdel\t{ref_del}\t{plus(3607)}\t.\tPASS\t.\tGT\t0/1",
             f"2\t{anchor_ins}\tins\t{plus(3454)}\t{plus(3454) + inserted}\t.\tPASS\t.\tGT\t0/1",
             f"2\t{anchor_del}\tfs\t{plus(3607) + plus(3606)}\t{plus(3607)}\t.\tPASS\t.\tGT\t0/1"]
    path = tmp_path / "indels.vcf"
    path.write_text("\n".join(lines) + "\n")
    records = list(read_vcf(path, kb, build=build))
    assert [r.alteration for r in records[:2]] == ["ALK p.G1202del", "ALK p.T1151Tins"]
    assert records[2].alteration is None and "insertion/deletion" in (records[2].reason or "")


def test_annotated_only_where_alknav_has_knowledge(kb: KnowledgeBase, tmp_path: Path) -> None:
    """ANNOTATED (oncokb-annotator's column name) is True only for records with curated knowledge:
    the translated G1202R/L1196M/C1156Y; an ALK change outside the shipped sequence, an intronic one
    and a record of another gene are False and keep their reason (before, an unread ALK change
    was True)."""
    from alknav.annotate.records_tsv import write_records

    out = tmp_path / "out.tsv"
    tally = write_records(read_vcf(DATA / "alk_grch37.vcf", kb), kb, out)
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert {r["INPUT_ALTERATION"]: r["ANNOTATED"] for r in rows if r["INPUT_ALTERATION"]} == {
        "ALK p.G1202R": "True", "ALK p.L1196M": "True", "ALK p.C1156Y": "True"}
    unread = [r for r in rows if not r["INPUT_ALTERATION"]]
    assert len(unread) == 3 and all(r["ANNOTATED"] == "False" and r["ALKNAV_REASON"] for r in unread)
    assert (tally.read, tally.recognised, tally.annotated, tally.not_interpretable) == (6, 3, 3, 3)
