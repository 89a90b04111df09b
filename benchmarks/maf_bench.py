"""Benchmark `alknav annotate --maf` on a synthetic GDC-layout MAF (issue 4: within 1.5x of the
time polars alone needs to read the same columns of the same file, peak memory under 2 GB).

The generator writes N rows (default 5 million) with the GDC MAF's leading columns, realistic
gene mix (ALK resistance mutations, MET/KRAS/EGFR rows, and background genes). Each measurement
runs in its own process so its peak RSS is its own:
  baseline  polars reads every column of the file (scan_csv ... collect), i.e. what annotation must read
  annotate  alknav annotate_maf: scan, annotate distinct keys, streaming join, write the output

    .venv/bin/python benchmarks/maf_bench.py [--rows 5000000] [--dir /tmp/alknav-bench]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

COLUMNS = ["Hugo_Symbol", "Entrez_Gene_Id", "Center", "NCBI_Build", "Chromosome", "Start_Position", "End_Position",
           "Strand", "Variant_Classification", "Variant_Type", "Reference_Allele", "Tumor_Seq_Allele1",
           "Tumor_Seq_Allele2", "dbSNP_RS", "dbSNP_Val_Status", "Tumor_Sample_Barcode",
           "Matched_Norm_Sample_Barcode", "Match_Norm_Seq_Allele1", "Match_Norm_Seq_Allele2",
           "Mutation_Status", "Sequencer", "HGVSc", "HGVSp", "HGVSp_Short", "Transcript_ID", "Exon_Number",
           "t_depth", "t_ref_count", "t_alt_count", "n_depth", "all_effects", "Allele", "Gene", "Feature",
           "Consequence", "IMPACT", "SYMBOL", "BIOTYPE", "CANONICAL", "FILTER", "callers"]
ALK = ["p.G1202R", "p.L1196M", "p.C1156Y", "p.I1171N", "p.G1269A", "p.F1174L", "p.L1198F", "p.V1180L"]
BYPASS = [("KRAS", "p.G12C"), ("KRAS", "p.G12D"), ("EGFR", "p.L858R"), ("MET", "p.Y1003F"), ("BRAF", "p.V600E"),
          ("PIK3CA", "p.E545K")]
BACKGROUND = ["TP53", "TTN", "MUC16", "CSMD3", "RYR2", "LRP1B", "USH2A", "ZFHX4", "XIRP2", "SPTA1", "FLG",
              "NAV3", "PCLO", "COL11A1", "CUL1", "AKT3", "RB1", "ATM", "STK11", "NF1"]


def generate(path: Path, rows: int) -> None:
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(7)
    kind = rng.random(rows)
    genes = np.array(BACKGROUND)[rng.integers(0, len(BACKGROUND), rows)].astype(object)
    prot = np.char.add("p.R", rng.integers(10, 2000, rows).astype(str)).astype(object)
    prot = np.char.add(prot.astype(str), np.array(list("ACDEFGHIKLMNPQSTVWY"))[rng.integers(0, 19, rows)]).astype(object)
    alk = kind < 0.0005
    byp = (kind >= 0.0005) & (kind < 0.003)
    genes[alk] = "ALK"
    prot[alk] = np.array(ALK)[rng.integers(0, len(ALK), int(alk.sum()))]
    idx = rng.integers(0, len(BYPASS), int(byp.sum()))
    genes[byp] = np.array([g for g, _ in BYPASS])[idx]
    prot[byp] = np.array([p for _, p in BYPASS])[idx]
    silent = rng.random(rows) < 0.15
    prot[silent & ~alk & ~byp] = ""
    n = rows
    cls = np.where(silent & ~alk & ~byp, "Silent", "Missense_Mutation").astype(object)
    samples = np.char.add("TCGA-XX-", rng.integers(1000, 9999, rows).astype(str)).astype(object)
    frame = {
        "Hugo_Symbol": genes, "Entrez_Gene_Id": rng.integers(1, 90000, n).astype(str), "Center": ["BI"] * n,
        "NCBI_Build": ["GRCh38"] * n, "Chromosome": np.char.add("chr", rng.integers(1, 23, n).astype(str)),
        "Start_Position": rng.integers(1, 240_000_000, n).astype(str), "End_Position": rng.integers(1, 240_000_000, n).astype(str),
        "Strand": ["+"] * n, "Variant_Classification": cls, "Variant_Type": ["SNP"] * n,
        "Reference_Allele": np.array(list("ACGT"))[rng.integers(0, 4, n)], "Tumor_Seq_Allele1": np.array(list("ACGT"))[rng.integers(0, 4, n)],
        "Tumor_Seq_Allele2": np.array(list("ACGT"))[rng.integers(0, 4, n)], "dbSNP_RS": ["novel"] * n,
        "dbSNP_Val_Status": [""] * n, "Tumor_Sample_Barcode": samples, "Matched_Norm_Sample_Barcode": samples,
        "Match_Norm_Seq_Allele1": [""] * n, "Match_Norm_Seq_Allele2": [""] * n, "Mutation_Status": ["Somatic"] * n,
        "Sequencer": ["Illumina HiSeq 2000"] * n, "HGVSc": np.char.add("c.", rng.integers(1, 9000, n).astype(str)),
        "HGVSp": prot, "HGVSp_Short": prot, "Transcript_ID": ["ENST00000000000"] * n,
        "Exon_Number": np.char.add(rng.integers(1, 30, n).astype(str), "/30"),
        "t_depth": rng.integers(10, 500, n).astype(str), "t_ref_count": rng.integers(5, 400, n).astype(str),
        "t_alt_count": rng.integers(3, 100, n).astype(str), "n_depth": rng.integers(10, 300, n).astype(str),
        "all_effects": ["missense_variant"] * n, "Allele": np.array(list("ACGT"))[rng.integers(0, 4, n)],
        "Gene": ["ENSG00000000000"] * n, "Feature": ["ENST00000000000"] * n, "Consequence": ["missense_variant"] * n,
        "IMPACT": ["MODERATE"] * n, "SYMBOL": genes, "BIOTYPE": ["protein_coding"] * n, "CANONICAL": ["YES"] * n,
        "FILTER": ["PASS"] * n, "callers": ["muse;mutect2;varscan2"] * n,
    }
    df = pl.DataFrame({c: pl.Series(c, [str(x) for x in frame[c]] if isinstance(frame[c], list) else frame[c].astype(str))
                       for c in COLUMNS})
    with path.open("w") as fh:
        fh.write("#version gdc-1.0.0\n#annotation.spec gdc-1.0.1\n")
    with path.open("a") as fh:
        df.write_csv(fh, separator="\t", quote_style="never")


def _measure(code: str) -> dict[str, float]:
    # VmHWM is the peak resident set of this process image (reset by exec, unlike ru_maxrss).
    wrapped = ("import time, json\nt=time.perf_counter()\n" + code +
               "\nhwm=[l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]"
               "\nprint(json.dumps({'seconds': time.perf_counter()-t, 'peak_mb': int(hwm)/1024}))")
    out = subprocess.run([sys.executable, "-c", wrapped], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/alknav-bench"))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--generate-only", type=Path, default=None)
    args = parser.parse_args()
    if args.generate_only is not None:
        generate(args.generate_only, args.rows)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    maf = args.dir / f"synthetic_{args.rows}.maf"
    if not maf.exists():  # generated in a child process so its memory is not counted anywhere
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate-only", str(maf), "--rows", str(args.rows)], check=True)
        print(f"generated {maf} ({maf.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - start:.0f} s")
    out = args.dir / "annotated.maf"
    base_code = (f"import polars as pl\ndf = pl.scan_csv({str(maf)!r}, separator='\\t', comment_prefix='#', "
                 "quote_char=None, infer_schema=False).collect()\nassert df.height > 0")
    ann_code = ("from pathlib import Path\nfrom alknav.kb.loader import load_kb\n"
                "from alknav.inputs.genomic.maf import annotate_maf\n"
                f"annotate_maf(Path({str(maf)!r}), Path({str(out)!r}), load_kb())")
    base = min((_measure(base_code) for _ in range(args.repeat)), key=lambda r: r["seconds"])
    ann = min((_measure(ann_code) for _ in range(args.repeat)), key=lambda r: r["seconds"])
    lines_in = sum(1 for _ in maf.open()) - 2
    lines_out = sum(1 for _ in out.open())
    print(f"rows: {args.rows:,}; output lines {lines_out:,} (header + {lines_out - 1:,} rows; input rows {lines_in - 1:,})")
    print(f"polars read (baseline): {base['seconds']:.2f} s, peak {base['peak_mb']:.0f} MB")
    print(f"alknav annotate:        {ann['seconds']:.2f} s, peak {ann['peak_mb']:.0f} MB")
    print(f"ratio annotate/baseline: {ann['seconds'] / base['seconds']:.2f} (aim <= 1.5); peak under 2 GB: "
          f"{ann['peak_mb'] < 2048}")


if __name__ == "__main__":
    main()
