"""Seeded builder of tiny GenoTEX raw inputs in the exact real formats (names from the real
manifests): GEO series matrices (single and GPL-split, gzip, ``null``/empty missing values),
family SOFT files with two platform styles (Affymetrix ``Gene Symbol`` with ``///`` lists,
Illumina ``Symbol``) and a UCSC Xena TCGA folder."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

# platform -> [(probe ID, annotation symbol text)]
PLATFORMS = {
    "GPL570": ("[HG-U133_Plus_2] Affymetrix Human Genome U133 Plus 2.0 Array",
               ["ID", "GB_ACC", "Gene Title", "Gene Symbol", "ENTREZ_GENE_ID"],
               [("1007_s_at", "DDR1 /// MIR4640"), ("1053_at", "RFC2"), ("117_at", "HSPA6"),
                ("121_at", "PAX8"), ("1255_g_at", "GUCA1A"), ("1294_at", "GUCA1A"),
                ("1316_at", "THRA"), ("1320_at", "PTPN21"), ("1405_i_at", "CCL5"),
                ("1431_at", "LOC100129"), ("1438_at", ""), ("1487_at", "ESRRA")]),
    "GPL6947": ("Illumina HumanHT-12 V3.0 expression beadchip",
                ["ID", "Species", "Source", "Symbol", "ILMN_Gene"],
                [("ILMN_1343291", "EEF1A1"), ("ILMN_1343295", "GAPDH"), ("ILMN_1651199", "LOC643334"),
                 ("ILMN_1651209", "SLC35E2"), ("ILMN_1651210", "DUSP22"), ("ILMN_1651221", "C6orf15"),
                 ("ILMN_1651228", "RPS28"), ("ILMN_1651229", "IPO13")]),
    "GPL1261": ("[Mouse430_2] Affymetrix Mouse Genome 430 2.0 Array",
                ["ID", "GB_ACC", "Gene Title", "Gene Symbol", "ENTREZ_GENE_ID"],
                [("1415670_at", "COPG1"), ("1415671_at", "ATP6V0D1"), ("1415672_at", "GOLGA7"),
                 ("1415673_at", "PSPH")]),
}
GEO = {  # manifest path -> (platforms, n samples)
    "Breast_Cancer/GSE207847": (["GPL570"], 6),
    "Breast_Cancer/GSE153316": (["GPL6947"], 5),
    "Retinoblastoma/GSE29686": (["GPL1261", "GPL570"], 4),
}
TCGA_FOLDER = "TCGA_Breast_Cancer_(BRCA)"


def _gz(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def _q(x) -> str:
    return f'"{x}"'


def _fmt(v) -> str:
    return "null" if v is None else f"{v:.4f}"


def series_matrix_text(gse, gpl, samples, chars, probes, values, *, split=False) -> str:
    lines = [f"!Series_title\t{_q('Synthetic ' + gse)}", f"!Series_geo_accession\t{_q(gse)}",
             f"!Series_summary\t{_q('Expression profiling of a synthetic cohort.')}",
             f"!Series_overall_design\t{_q('Tumour vs normal.')}", f"!Series_platform_id\t{_q(gpl)}",
             "!Sample_title\t" + "\t".join(_q(f"sample {i}") for i in range(len(samples))),
             "!Sample_geo_accession\t" + "\t".join(_q(s) for s in samples),
             "!Sample_platform_id\t" + "\t".join(_q(gpl) for _ in samples)]
    for row in chars:
        lines.append("!Sample_characteristics_ch1\t" + "\t".join(_q(c) for c in row))
    lines += ["!Sample_data_row_count\t" + "\t".join(_q(len(probes)) for _ in samples),
              "!series_matrix_table_begin", "\t".join([_q("ID_REF")] + [_q(s) for s in samples])]
    for pid, row in zip(probes, values):
        cells = []
        for j, v in enumerate(row):
            cells.append("" if (v is None and j % 2) else _fmt(v))  # both 'null' and empty missing
        lines.append("\t".join([_q(pid)] + cells))
    lines.append("!series_matrix_table_end")
    return "\n".join(lines) + "\n"


def family_soft_text(gse, gpls, sample_platform, sample_chars) -> str:
    lines = ["^DATABASE = GeoMiame", "!Database_name = Gene Expression Omnibus (GEO)",
             f"^SERIES = {gse}", f"!Series_title = Synthetic {gse}"]
    for gpl in gpls:
        title, cols, rows = PLATFORMS[gpl]
        lines += [f"^PLATFORM = {gpl}", f"!Platform_title = {title}", "!Platform_organism = Homo sapiens"]
        lines += [f"#{c} = " for c in cols]
        lines += ["!platform_table_begin", "\t".join(cols)]
        for pid, sym in rows:
            other = ["X" + pid[-3:], f"{sym.lower()} title" if sym else "", "123"]
            cells = dict(zip(cols, [pid] + other[:len(cols) - 1]))
            cells["Symbol" if "Symbol" in cols else "Gene Symbol"] = sym
            lines.append("\t".join(cells.get(c, "") for c in cols))
        lines.append("!platform_table_end")
    for gsm, gpl in sample_platform.items():
        lines += [f"^SAMPLE = {gsm}", f"!Sample_title = {gsm} title"]
        lines += [f"!Sample_characteristics_ch1 = {c}" for c in sample_chars[gsm]]
        lines += [f"!Sample_platform_id = {gpl}", "!sample_table_begin", "ID_REF\tVALUE",
                  f"{PLATFORMS[gpl][2][0][0]}\t1.0", "!sample_table_end"]
    return "\n".join(lines) + "\n"


def build_raw_inputs(root: str | Path, *, seed: int = 3) -> dict:
    """Write ``root/input/GEO`` and ``root/input/TCGA``; return the generated values (for tests)."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    truth = {}
    gsm_counter = 5000000
    for rel, (gpls, n) in GEO.items():
        gse = rel.split("/")[1]
        folder = root / "input" / "GEO" / rel
        sample_platform, sample_chars = {}, {}
        for gpl in gpls:
            samples = [f"GSM{gsm_counter + i}" for i in range(n)]
            gsm_counter += n
            chars = [[f"tissue: {'tumor' if i % 2 == 0 else 'normal'}" for i in range(n)],
                     [f"age: {30 + 7 * i}" for i in range(n)],
                     [f"gender: {'female' if i % 3 else 'male'}" for i in range(n)]]
            probes = [pid for pid, _ in PLATFORMS[gpl][2]]
            values = rng.normal(7, 2, size=(len(probes), n)).round(4).tolist()
            values[1][2] = None  # missing values
            values[2][1] = None
            name = f"{gse}-{gpl}_series_matrix.txt.gz" if len(gpls) > 1 else f"{gse}_series_matrix.txt.gz"
            _gz(folder / name, series_matrix_text(gse, gpl, samples, chars, probes, values))
            for i, s in enumerate(samples):
                sample_platform[s] = gpl
                sample_chars[s] = [row[i] for row in chars]
            truth[(rel, gpl)] = {"samples": samples, "probes": probes, "values": values, "chars": chars}
        _gz(folder / f"{gse}_family.soft.gz", family_soft_text(gse, gpls, sample_platform, sample_chars))
    truth["tcga"] = _write_tcga(root / "input" / "TCGA" / TCGA_FOLDER, rng)
    return truth


def _write_tcga(folder: Path, rng) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    barcodes = ["TCGA-3C-AAAU-01", "TCGA-3C-AALI-01", "TCGA-A1-A0SB-11", "TCGA-A1-A0SD-01", "TCGA-A2-A04P-06",
                "TCGA-A2-A0CM-20"]
    genes = ["ARHGEF10L", "HIF3A", "RNF17", "RNF10", "tp53", "TP53"]
    values = rng.normal(0, 1, size=(len(genes), len(barcodes))).round(4)
    lines = ["sample\t" + "\t".join(barcodes)]
    lines += [g + "\t" + "\t".join(f"{v:.4f}" for v in row) for g, row in zip(genes, values)]
    _gz(folder / "TCGA.BRCA.sampleMap_HiSeqV2_PANCAN.gz", "\n".join(lines) + "\n")
    clin_cols = ["sampleID", "_PATIENT", "age_at_initial_pathologic_diagnosis", "days_to_birth", "gender",
                 "sample_type"]
    ages = ["55", "61", "", "47", "70", "38"]
    sexes = ["FEMALE", "FEMALE", "FEMALE", "MALE", "", "FEMALE"]
    rows = ["\t".join(clin_cols)]
    for b, a, s in zip(barcodes, ages, sexes):
        rows.append("\t".join([b, b[:12], a, str(-365 * int(a or 0)), s, "Primary Tumor"]))
    (folder / "TCGA.BRCA.sampleMap_BRCA_clinicalMatrix").write_text("\n".join(rows) + "\n")
    return {"barcodes": barcodes, "genes": genes, "values": values, "ages": ages, "sexes": sexes}
