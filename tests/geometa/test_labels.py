"""GEOmeta label configs against the real GEOMeta100K test CSVs (counted independently with csv)."""
from __future__ import annotations

import collections
import csv
import re
import warnings

import pytest

from bench.errors import BenchError
from bench.tasks import get_task, list_tasks

LAYOUT = ("geometa", "benchmark", "data", "GEOMeta100K")
FILES = {"human": "GEO_HUMAN_100K_test.csv", "mouse": "GEO_MOUSE_100K_test.csv"}


def raw_rows(path):
    """Rows as dicts via the csv module; the unquoted NA -> None (quoted fields are never NA here)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [{k: (None if v == "NA" else v) for k, v in r.items()} for r in rows]


def squash(value):
    return re.sub(r"\s+", " ", value.replace("\u00a0", " ")).strip() if value is not None else None


def values(ds, col):
    """A column's values as the CSV spells them: ClassLabel codes decoded to their names (None stays None)."""
    import datasets

    feature = ds.features[col]
    if not isinstance(feature, datasets.ClassLabel):
        return ds[col]
    return [None if v is None else feature.int2str(v) for v in ds[col]]


def frame(ds):
    """``ds.to_pandas()`` with ClassLabel columns decoded to their names."""
    table = ds.to_pandas()
    for col in table.columns:
        table[col] = values(ds, col)
    return table


@pytest.fixture(scope="module")
def geometa_root():
    from conftest import shared_path

    shared_path(*LAYOUT, FILES["human"])
    return shared_path("geometa")


@pytest.fixture(scope="module")
def built(geometa_root):
    from bench.loaders.geometa import build_config

    out = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for species in FILES:
            out[species] = build_config(get_task(f"geometa_{species}"), data_dir=geometa_root)
    out["warnings"] = [str(w.message) for w in caught]
    return out


def test_registry_has_species_and_target_views():
    names = {s.name for s in list_tasks("geometa")}
    assert {"geometa_human", "geometa_mouse"} <= names
    for sp in ("human", "mouse"):
        assert {f"geometa_{sp}_{t}" for t in ("gender", "organ", "disease", "age")} <= names
    assert get_task("geometa_mouse_age").label["column"] == "Age_Group_New"
    assert get_task("geometa_human_age").label["column"] == "Age_Group"


@pytest.mark.parametrize("species,n_gsm,n_gse", [("human", 7892, 206), ("mouse", 9425, 527)])
def test_test_split_sizes_match_the_files_and_seed(built, geometa_root, species, n_gsm, n_gse):
    dsd, meta = built[species]
    rows = raw_rows(geometa_root.joinpath(*LAYOUT[1:], FILES[species]))
    assert len(rows) == n_gsm and len({r["GSE_ID"] for r in rows}) == n_gse
    assert dsd["test"].num_rows == n_gsm
    assert len(set(dsd["test"]["GSE_ID"])) == n_gse
    assert any("labels only" in n for n in meta["notes"])
    train_csv = geometa_root.joinpath(*LAYOUT[1:], FILES[species].replace("test", "training"))
    if train_csv.exists():  # a fuller copy: the training split is built too
        assert "train" in dsd and meta["load_report"]["overlap"] is not None
        return
    assert "train" not in dsd  # the training CSV is absent from this copy
    assert meta["load_report"]["missing_splits"]["train"] == str(train_csv)
    assert any("'train' not built" in n for n in meta["notes"])
    assert any("not built, their CSV is absent" in w for w in built["warnings"])


@pytest.mark.parametrize("species", ["human", "mouse"])
def test_counts_per_label_match_the_file(built, geometa_root, species):
    dsd, _ = built[species]
    rows = raw_rows(geometa_root.joinpath(*LAYOUT[1:], FILES[species]))
    table = frame(dsd["test"])
    assert set(table.columns) == set(rows[0])  # every column, by name
    assert list(table["GSM_ID"]) == [r["GSM_ID"] for r in rows]
    for col in rows[0]:
        expected = collections.Counter(squash(r[col]) for r in rows)
        got = collections.Counter(values(dsd["test"], col))  # from arrow: nulls are None (pandas 3 would give NaN)
        assert got == expected, col
    # NA stays missing, never the string "NA"
    assert "NA" not in set(table["Gender"].dropna())


def test_vocabulary_facts_of_the_spec(built, geometa_root):
    human = frame(built["human"][0]["test"])
    mouse = frame(built["mouse"][0]["test"])
    assert set(human["Gender"].dropna()) == {"Female", "Male"}
    assert human["Age_Group"].dropna().nunique() == 12
    assert human["Organ"].dropna().nunique() == 29
    assert human["Disease"].dropna().nunique() == 78 and "Normal" in set(human["Disease"])
    assert set(human["Specimen_Type"]) == {"Primary Tissue", "Cell Line", "Isolated Cells", "Organoid", "PDX"}
    assert set(mouse["Gender"].dropna()) == {"Male", "Female", "Mixed"}
    assert mouse["Organ"].dropna().nunique() == 129
    assert mouse["Age_Group_New"].dropna().nunique() == 8
    # Disease: 70 raw classes (4 contain non-breaking spaces, 3 of them also spelled normally) -> 67
    rows = raw_rows(geometa_root.joinpath(*LAYOUT[1:], FILES["mouse"]))
    raw = {r["Disease"] for r in rows if r["Disease"] is not None}
    assert len(raw) == 70 and sum("\u00a0" in d for d in raw) == 4
    assert mouse["Disease"].dropna().nunique() == 67
    assert not any("\u00a0" in d for d in mouse["Disease"].dropna())


def test_whitespace_normalisation_is_reported(built):
    _, meta = built["mouse"]
    info = meta["load_report"]["splits"]["test"]["whitespace"]["Disease"]
    assert info["classes_raw"] == 70 and info["classes_normalised"] == 67
    assert len(info["labels_changed"]) == 4 and info["rows_changed"] == 44
    assert any("Disease: 4 label(s) with irregular whitespace" in n and "70 raw classes -> 67" in n
               for n in meta["notes"])
    assert built["human"][1]["load_report"]["splits"]["test"]["whitespace"] == {}


@pytest.mark.parametrize("task,column", [("geometa_human_gender", "Gender"), ("geometa_human_age", "Age_Group"),
                                         ("geometa_mouse_age", "Age_Group_New"), ("geometa_mouse_disease", "Disease")])
def test_target_views_drop_missing_targets(geometa_root, task, column):
    from bench.loaders.geometa import build_config

    species = task.split("_")[1]
    rows = raw_rows(geometa_root.joinpath(*LAYOUT[1:], FILES[species]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dsd, meta = build_config(get_task(task), data_dir=geometa_root)
    kept = [r for r in rows if r[column] is not None]
    assert dsd["test"].num_rows == len(kept)
    assert collections.Counter(values(dsd["test"], column)) == collections.Counter(squash(r[column]) for r in kept)
    assert meta["target_column"] == column


def test_config_round_trips_through_load_dataset(geometa_root, tmp_path):
    import datasets

    from bench.loaders.geometa import build_config
    from bench.loaders.repo import list_configs, read_config_meta

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_config(get_task("geometa_human_gender"), data_dir=geometa_root, repo_dir=tmp_path)
    assert list_configs(tmp_path) == ["geometa_human_gender"]
    ds = datasets.load_dataset(str(tmp_path), "geometa_human_gender", split="test")
    assert ds.num_rows == 3619 and set(values(ds, "Gender")) == {"Female", "Male"}
    meta = read_config_meta(tmp_path, "geometa_human_gender")
    assert meta["synthetic"] is False and meta["feature_column"] is None


def test_train_test_overlap_and_duplicates_are_reported(tmp_path):
    from bench.loaders.geometa import GeometaWarning, build_config

    root = tmp_path / "benchmark" / "data" / "GEOMeta100K"
    root.mkdir(parents=True)
    header = '"GSM_ID","GSE_ID","RNA_Library","Experimental_Setting","Specimen_Type","Organ","Disease","Age_Group","Gender"\n'
    # column order differs between files, as upstream
    (root / "GEO_HUMAN_100K_training.csv").write_text(
        '"Gender","GSM_ID","GSE_ID","RNA_Library","Experimental_Setting","Specimen_Type","Organ","Disease","Age_Group"\n'
        '"Male","GSM1","GSE1","mRNA-based","In Vivo","Primary Tissue","Blood","Normal",NA\n'
        '"Female","GSM2","GSE2","mRNA-based","In Vivo","Primary Tissue","Brain","Normal","Adult"\n')
    (root / "GEO_HUMAN_100K_test.csv").write_text(
        header + '"GSM3","GSE2","mRNA-based","In Vivo","Primary Tissue","Blood","Normal","Adult","Male"\n'
        '"GSM4","GSE3","mRNA-based","In Vivo","Primary Tissue","Blood","Normal","Adult",NA\n'
        '"GSM4","GSE3","mRNA-based","In Vivo","Primary Tissue","Lungs","Normal","Adult","Female"\n')
    with pytest.warns(GeometaWarning, match=r"1 duplicate GSM_ID row\(s\) dropped \(first kept\): GSM4"):
        dsd, meta = build_config(get_task("geometa_human"), data_dir=tmp_path)
    assert values(dsd["train"], "Gender") == ["Male", "Female"] and values(dsd["train"], "Age_Group") == [None, "Adult"]
    assert dsd["test"]["GSM_ID"] == ["GSM3", "GSM4"] and values(dsd["test"], "Organ") == ["Blood", "Blood"]
    assert meta["load_report"]["overlap"] == {"gse": ["GSE2"], "gsm": []}
    assert any("train/test overlap: 1 GSE, 0 GSM (GSE: GSE2)" in n for n in meta["notes"])
    assert any("duplicate GSM_ID(s) dropped, first row kept: GSM4" in n for n in meta["notes"])


def test_missing_column_unknown_target_and_absent_folder_are_clear_errors(tmp_path):
    from bench.loaders.geometa import build_config, target_column

    root = tmp_path / "benchmark" / "data" / "GEOMeta100K"
    root.mkdir(parents=True)
    (root / "GEO_MOUSE_100K_test.csv").write_text('"GSM_ID","GSE_ID","Organ"\n"GSM1","GSE1","Liver"\n')
    with pytest.raises(BenchError, match=r"GEO_MOUSE_100K_test.csv: missing column\(s\) \['RNA_Library'.*"
                                         r"'Age_Group_New'\].*found \['GSM_ID', 'GSE_ID', 'Organ'\]"):
        build_config(get_task("geometa_mouse"), data_dir=tmp_path)
    with pytest.raises(BenchError, match=r"unknown target 'sex' for geometa_mouse; expected one of gender, organ"):
        target_column(get_task("geometa_mouse"), "sex")
    with pytest.raises(BenchError, match=r"no GEOmeta human label CSV found"):
        build_config(get_task("geometa_human"), data_dir=tmp_path)
    with pytest.raises(BenchError, match=r"GEOmeta data folder not found .*GEOMeta100K/GEO_HUMAN_100K_test.csv"):
        build_config(get_task("geometa_human"), data_dir=tmp_path / "nowhere")
    assert not (tmp_path / "repo").exists()


@pytest.mark.parametrize("species,expected", [
    # the seed's "number of unique labels" table (test rows): NA counts as a class except for Sex
    ("human", {"Gender": 2, "Organ": 30, "Disease": 79, "Age_Group": 13}),
    ("mouse", {"Gender": 3, "Organ": 130, "Disease": 71, "Age_Group_New": 9}),
])
def test_seed_table_of_unique_labels(built, geometa_root, species, expected):
    rows = raw_rows(geometa_root.joinpath(*LAYOUT[1:], FILES[species]))
    table = frame(built[species][0]["test"])
    for col, n in expected.items():
        raw = {r[col] for r in rows}  # raw spellings, None = NA
        seed_count = len(raw - {None}) if col == "Gender" else len(raw)
        assert seed_count == n, col
        ours = table[col].nunique(dropna=True) + (0 if col == "Gender" else int(table[col].isna().any()))
        assert ours == n - (3 if (species, col) == ("mouse", "Disease") else 0), col  # 3 NBSP spellings merged


def test_byte_order_mark_does_not_hide_the_first_column(tmp_path):
    from bench.loaders.geometa import read_label_csv

    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff\"GSM_ID\",\"GSE_ID\"\n\"GSM1\",\"GSE1\"\n".encode("utf-8"))
    table, report = read_label_csv(path, columns=["GSM_ID", "GSE_ID"])
    assert table["GSM_ID"].tolist() == ["GSM1"] and report["rows"] == 1
