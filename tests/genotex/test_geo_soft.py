"""GEO series matrix / family SOFT / Xena parsers on real-format gzip fixtures (names from the real manifests)."""
from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from bench.errors import BenchError
from bench.loaders.genotex import geo_soft as gs

from conftest import shared_path
from genotex_raw_fixtures import GEO, PLATFORMS, TCGA_FOLDER, build_raw_inputs


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    root = tmp_path_factory.mktemp("raw")
    return root, build_raw_inputs(root)


def test_fixture_names_follow_the_real_manifests(raw):
    root, _ = raw
    geo = json.loads(shared_path("genotex", "download", "geo_manifest.json").read_text())["files"]
    tcga = json.loads(shared_path("genotex", "download", "tcga_manifest.json").read_text())["files"]
    for p in (root / "input" / "GEO").rglob("*.gz"):
        assert str(p.relative_to(root / "input" / "GEO")) in geo
    for p in (root / "input" / "TCGA").rglob("TCGA.*"):
        assert str(p.relative_to(root / "input" / "TCGA")) in tcga


def test_series_matrix_header_characteristics_and_missing_values(raw):
    root, truth = raw
    t = truth[("Breast_Cancer/GSE207847", "GPL570")]
    sm = gs.read_series_matrix(root / "input/GEO/Breast_Cancer/GSE207847/GSE207847_series_matrix.txt.gz")
    assert sm.platform == "GPL570" and sm.sample_ids == t["samples"]
    assert sm.characteristics.iloc[1].tolist() == t["chars"][1]
    assert sm.background["title"] == "Synthetic GSE207847"
    assert sm.expression.index.tolist() == t["probes"] and sm.expression.dtypes.iloc[0] == np.float32
    want = np.array([[np.nan if v is None else v for v in row] for row in t["values"]], dtype=np.float32)
    np.testing.assert_array_equal(sm.expression.to_numpy(), want)
    assert np.isnan(sm.expression.iloc[1, 2]) and np.isnan(sm.expression.iloc[2, 1])  # 'null' and empty


def test_series_matrix_small_chunks_give_identical_tables(raw):
    root, _ = raw
    path = root / "input/GEO/Breast_Cancer/GSE207847/GSE207847_series_matrix.txt.gz"
    a, b = gs.read_series_matrix(path), gs.read_series_matrix(path, chunk_lines=3)
    pd.testing.assert_frame_equal(a.expression, b.expression)


def test_family_soft_platform_annotation_and_samples(raw):
    root, _ = raw
    soft = gs.read_family_soft(root / "input/GEO/Retinoblastoma/GSE29686/GSE29686_family.soft.gz")
    assert sorted(soft.platforms) == ["GPL1261", "GPL570"]
    ann = soft.platforms["GPL570"]
    assert ann["ID"].tolist() == [p for p, _ in PLATFORMS["GPL570"][2]]
    assert ann.loc[ann["ID"] == "1007_s_at", "Gene Symbol"].item() == "DDR1 /// MIR4640"
    assert len(soft.samples) == 8 and {r["platform"] for r in soft.samples.values()} == {"GPL1261", "GPL570"}
    first = next(iter(soft.samples.values()))
    assert first["characteristics"] == ["tissue: tumor", "age: 30", "gender: male"]


def test_symbol_extraction_rules():
    assert gs.extract_symbols("DDR1 /// MIR4640") == ["DDR1", "MIR4640"]
    text = "NM_001005 // NR_046018 // XR_1 // HLA-DRB1 // LOC100129 // LINC00115 // C6orf15 // DNA // p21 // TP53 // TP53"
    assert gs.extract_symbols(text) == ["HLA-DRB1", "C6orf15", "TP53"]
    assert gs.extract_symbols(None) == [] and gs.extract_symbols("") == []


def test_probe_to_gene_splits_1_over_k_and_sums(raw):
    root, truth = raw
    t = truth[("Breast_Cancer/GSE207847", "GPL570")]
    genes = gs.read_geo_cohort(root / "input/GEO/Breast_Cancer/GSE207847").gene_tables["GPL570"]
    v = {p: np.array([np.nan if x is None else x for x in row], dtype=np.float32).astype(float)
         for p, row in zip(t["probes"], t["values"])}
    np.testing.assert_allclose(genes.loc["DDR1"], v["1007_s_at"] / 2)  # 2 symbols: half each
    np.testing.assert_allclose(genes.loc["MIR4640"], v["1007_s_at"] / 2)
    np.testing.assert_allclose(genes.loc["GUCA1A"], v["1255_g_at"] + v["1294_at"])  # two probes summed
    assert "LOC100129" not in genes.index and genes.shape[0] == 10  # LOC dropped, empty symbol dropped
    assert np.isnan(genes.loc["RFC2"].iloc[2])  # a missing probe value stays missing


def test_multi_gpl_series_gives_one_table_per_platform(raw):
    root, truth = raw
    cohort = gs.read_geo_cohort(root / "input/GEO/Retinoblastoma/GSE29686")
    assert sorted(cohort.gene_tables) == ["GPL1261", "GPL570"]
    assert list(cohort.gene_tables["GPL1261"].columns) == truth[("Retinoblastoma/GSE29686", "GPL1261")]["samples"]
    assert sorted(cohort.gene_tables["GPL1261"].index) == ["ATP6V0D1", "COPG1", "GOLGA7", "PSPH"]


def test_illumina_symbol_column_and_synonym_normalisation(raw):
    root, _ = raw
    syn = {"EEF1A1": "EEF1A1", "GAPDH": "GAPDH", "G3PD": "GAPDH", "C6ORF15": "C6orf15", "DUSP22": "DUSP22"}
    cohort = gs.read_geo_cohort(root / "input/GEO/Breast_Cancer/GSE153316", synonyms=syn)
    assert cohort.gene_tables["GPL6947"].index.tolist() == ["C6orf15", "DUSP22", "EEF1A1", "GAPDH"]


def test_normalize_symbols_upper_cases_maps_and_averages():
    frame = pd.DataFrame({"s1": [1.0, 3.0, 5.0, 7.0]}, index=["tp53", "P53", "BRCA1", "UNKNOWN1"])
    out = gs.normalize_symbols(frame, {"TP53": "TP53", "P53": "TP53", "BRCA1": "BRCA1"})
    assert out["s1"].to_dict() == {"BRCA1": 5.0, "TP53": 2.0}


def test_xena_cohort_tables(raw):
    root, truth = raw
    t = truth["tcga"]
    syn = {g.upper(): g.upper() for g in t["genes"] if g != "RNF10"}
    expr, clin = gs.read_xena_cohort(root / "input/TCGA" / TCGA_FOLDER, "Breast_Cancer", synonyms=syn)
    assert list(expr.columns) == t["barcodes"]
    assert "RNF10" not in expr.index  # unmapped symbol dropped
    np.testing.assert_allclose(expr.loc["TP53"], (t["values"][4] + t["values"][5]) / 2)  # tp53 + TP53 averaged
    assert clin["Breast_Cancer"].tolist() == [1.0, 1.0, 0.0, 1.0, 1.0, -1.0]  # -01 tumour, -11 normal, -20 kept as -1
    assert clin["Age"].iloc[0] == 55.0 and np.isnan(clin["Age"].iloc[2])
    assert clin["Gender"].tolist()[:4] == [0.0, 0.0, 0.0, 1.0] and np.isnan(clin["Gender"].iloc[4])


def test_geo_clinical_converters(raw):
    root, _ = raw
    sm = gs.read_series_matrix(root / "input/GEO/Breast_Cancer/GSE207847/GSE207847_series_matrix.txt.gz")
    ch = sm.characteristics
    assert gs.characteristic_row(ch, "gender") == 2 and gs.characteristic_row(ch, "AGE") == 1
    clin = gs.geo_clinical(ch, "Breast_Cancer", trait_row=0, convert_trait=lambda v: 1.0 if "tumor" in v else 0.0,
                           age_row=1, gender_row=2)
    assert list(clin.index) == ["Breast_Cancer", "Age", "Gender"]
    assert clin.loc["Breast_Cancer"].tolist() == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    assert clin.loc["Age"].tolist() == [30.0, 37.0, 44.0, 51.0, 58.0, 65.0]
    assert clin.loc["Gender"].tolist() == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]


# --- bad input -------------------------------------------------------------------------------

def _write_gz(path, text):
    with gzip.open(path, "wt") as fh:
        fh.write(text)
    return path


def test_series_matrix_without_table_names_file_and_marker(tmp_path):
    p = _write_gz(tmp_path / "GSE1_series_matrix.txt.gz", '!Series_title\t"x"\n!Sample_geo_accession\t"GSM1"\n')
    with pytest.raises(BenchError, match=r"GSE1_series_matrix.txt.gz: no expression table.*series_matrix_table_begin"):
        gs.read_series_matrix(p)


def test_truncated_and_non_numeric_tables(tmp_path):
    body = '!Sample_geo_accession\t"GSM1"\n!series_matrix_table_begin\n"ID_REF"\t"GSM1"\n"p1"\t1.5\n'
    with pytest.raises(BenchError, match="truncated: '!series_matrix_table_end' not found"):
        gs.read_series_matrix(_write_gz(tmp_path / "GSE2_series_matrix.txt.gz", body))
    with pytest.raises(BenchError, match="expected a probe ID and 1 numeric values"):
        gs.read_series_matrix(_write_gz(tmp_path / "GSE3_series_matrix.txt.gz",
                                        body + '"p2"\tabc\n!series_matrix_table_end\n'))
    bad = tmp_path / "GSE4_series_matrix.txt.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(BenchError, match="GSE4_series_matrix.txt.gz: not a readable gzip"):
        gs.read_series_matrix(bad)


def test_series_matrix_with_no_probe_annotation(raw, tmp_path):
    root, _ = raw
    src = root / "input/GEO/Breast_Cancer/GSE207847"
    # 1) no SOFT file at all
    only = tmp_path / "GSE207847"
    only.mkdir()
    (only / "GSE207847_series_matrix.txt.gz").write_bytes((src / "GSE207847_series_matrix.txt.gz").read_bytes())
    with pytest.raises(BenchError, match=r"GSE207847_series_matrix.txt.gz: no probe annotation: .*no \*_family.soft.gz"):
        gs.read_geo_cohort(only)
    # 2) SOFT without a symbol column
    text = gzip.open(src / "GSE207847_family.soft.gz", "rt").read().replace("Gene Symbol", "Description")
    _write_gz(only / "GSE207847_family.soft.gz", text)
    with pytest.raises(BenchError, match=r"GSE207847_family.soft.gz platform GPL570: no probe annotation: none of"):
        gs.read_geo_cohort(only)
    # 3) IDs declared to be symbols: accepted
    assert gs.read_geo_cohort(only, probe_ids_are_symbols=True).gene_tables["GPL570"].shape[0] == 12


def test_xena_folder_needs_exactly_one_file_of_each(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(BenchError, match=r"expected exactly one \*clinicalMatrix file, found \[\]"):
        gs.xena_files(tmp_path / "x")


def test_gene_synonyms_from_ncbi_gene_info(tmp_path):
    rows = ["#tax_id\tGeneID\tSymbol\tLocusTag\tSynonyms\tdbXrefs",
            "9606\t7157\tTP53\t-\tBCC7|LFS1|P53|TRP53\t-",
            "9606\t1\tA1BG\t-\tA1B|ABG|GAB|HYST2477\t-",
            "9606\t2\tGAB\t-\tX1\t-",  # GAB becomes official: maps to itself from now on
            "9606\t3\tNEWG\t-\tGAB|ABG\t-",  # cannot take GAB (official), takes ABG (last wins)
            "10090\t22059\tTrp53\t-\tp53\t-"]  # other species ignored
    path = tmp_path / "Homo_sapiens.gene_info.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(rows) + "\n")
    syn = gs.synonyms_from_gene_info(path)
    assert syn["P53"] == "TP53" and syn["TP53"] == "TP53" and syn["TRP53"] == "TP53"
    assert syn["GAB"] == "GAB" and syn["ABG"] == "NEWG" and syn["A1B"] == "A1BG"
    assert "Trp53" not in syn.values()
    bad = tmp_path / "bad.gene_info"
    bad.write_text("GeneID\tSymbol\n1\tX\n")
    with pytest.raises(BenchError, match=r"bad.gene_info: line 1: NCBI gene_info header lacks column\(s\) \['tax_id', 'Synonyms'\]"):
        gs.synonyms_from_gene_info(bad)


def test_empty_table_is_valid_and_header_only_table_is_truncated(tmp_path):
    head = '!Sample_geo_accession\t"GSM1"\t"GSM2"\n!series_matrix_table_begin\n"ID_REF"\t"GSM1"\t"GSM2"\n'
    sm = gs.read_series_matrix(_write_gz(tmp_path / "GSE5_series_matrix.txt.gz", head + "!series_matrix_table_end\n"))
    assert sm.expression.shape == (0, 2)
    with pytest.raises(BenchError, match="GSE6_series_matrix.txt.gz: truncated"):
        gs.read_series_matrix(_write_gz(tmp_path / "GSE6_series_matrix.txt.gz", head))
    with pytest.raises(BenchError, match=r"GSE7_series_matrix.txt.gz: field !Sample_geo_accession lists 1 samples"):
        gs.read_series_matrix(_write_gz(tmp_path / "GSE7_series_matrix.txt.gz",
                                        head.replace('"GSM1"\t"GSM2"\n!series', '"GSM1"\n!series', 1)
                                        + "!series_matrix_table_end\n"))
