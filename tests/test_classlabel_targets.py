"""Every classification target is a Hub-native ClassLabel (issue 13 point 3): GEOmeta targets and
GeneLab Category D condition targets. The class lists are checked against the specs
(/work/shared/specs/geometa.md §1, genelab.md §4 Category D) and the real upstream files, and the
decoded values against the raw CSVs (read here with the csv module), never against bench's output."""
from __future__ import annotations

import collections
import csv
import re
import warnings

import datasets
import pytest
from conftest import shared_path
from geometa_helpers import HUMAN_COLUMNS, human_rows, make_human_dir, write_csv

from bench.cli import main
from bench.errors import BenchError
from bench.loaders.repo import class_codes, decode_classes, parse_front_matter
from bench.tasks import get_task

GEOMETA = ("geometa", "benchmark", "data", "GEOMeta100K")
# geometa.md §1: test vocabularies (NA not counted; mouse Disease after whitespace normalisation)
SPEC_GEOMETA = {
    "human": {"Gender": 2, "Organ": 29, "Disease": 78, "Age_Group": 12},
    "mouse": {"Gender": 3, "Organ": 129, "Disease": 67, "Age_Group_New": 8},
}


def squash(value: str) -> str:
    return re.sub(r"\s+", " ", value.replace("\u00a0", " ")).strip()


def raw_column(path, column: str) -> list:
    with open(path, newline="", encoding="utf-8") as fh:
        return [None if r[column] == "NA" else squash(r[column]) for r in csv.DictReader(fh)]


def decoded(ds, column: str) -> list:
    return [None if v is None else ds.features[column].int2str(v) for v in ds[column]]


# ------------------------------------------------------------------------------------ GeneLab D
def test_d_specs_declare_the_spec_classes(genelab_dir):
    """genelab.md: Category D predicts mission / strain / hardware (RR vs MHU) / gravity group."""
    import pandas as pd

    assert get_task("D5_liver_hardware").label["classes"] == get_task("D5_thymus_hardware").label["classes"] \
        == ["MHU", "RR"]
    assert set(get_task("D6_liver_gravity").label["classes"]) == {"ground", "microgravity", "artificial_gravity"}
    liver = {pd.read_csv(f)["mission"].iloc[0] for f in (genelab_dir / "tasks" / "A1_liver_lomo").glob("fold_*/test_meta.csv")}
    assert set(get_task("D3_liver_mission").label["classes"]) == liver and len(liver) == 6   # "6-class"
    strains = set()
    for f in (genelab_dir / "tasks" / "A4_thymus_lomo").glob("fold_*/*_meta.csv"):
        meta = pd.read_csv(f)
        strains |= set(meta["strain"].dropna()) if "strain" in meta else set()
    assert set(get_task("D4_thymus_strain").label["classes"]) == strains == {"C57BL/6J", "C57BL/6CR"}


@pytest.fixture(scope="module")
def d4_repo(tmp_path_factory):
    repo = tmp_path_factory.mktemp("d4") / "bench-data"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["build", "D4_thymus_strain", "--data-dir", "synthetic", "--out", str(repo)]) == 0
    return repo


def test_d_target_round_trips_through_load_dataset(d4_repo):
    dsd = datasets.load_dataset(str(d4_repo), "D4_thymus_strain")
    split = dsd["mhu_1"]
    assert split.features["strain"] == datasets.ClassLabel(names=["C57BL/6CR", "C57BL/6J"])
    assert split.features["label"] == datasets.ClassLabel(names=["Ground", "Flight"])
    # the generator's rule (synthetic.py): MHU-1 ground controls are C57BL/6CR, everyone else C57BL/6J
    truth = ["C57BL/6CR" if lab == 0 else "C57BL/6J" for lab in split["label"]]
    assert decoded(split, "strain") == truth
    assert set(decoded(dsd["rr_6"], "strain")) == {"C57BL/6J"}
    assert set(dsd["rr_23"]["strain"]) == {None}              # the holdout has no strain column: missing stays missing
    names = {f["name"]: f for f in parse_front_matter((d4_repo / "README.md").read_text())[0]["dataset_info"][0]["features"]}
    assert names["strain"]["dtype"]["class_label"]["names"] == {"0": "C57BL/6CR", "1": "C57BL/6J"}
    assert names["label"]["dtype"]["class_label"]["names"] == {"0": "Ground", "1": "Flight"}


def test_d_run_sees_the_class_names(d4_repo):
    """The condition baseline decodes the ClassLabel back to the same strings (numbers unchanged)."""
    from bench.baselines.genelab.condition import _samples_with_target
    from bench.loaders import load

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dsd = load("D4_thymus_strain", data_dir=d4_repo)
    _, y, _ = _samples_with_target(dsd, "strain")
    assert collections.Counter(y) == collections.Counter(
        v for s in dsd for v in decoded(dsd[s], "strain") if v is not None)
    assert set(y) == {"C57BL/6CR", "C57BL/6J"}


def test_a_value_outside_the_classes_is_named():
    import pandas as pd

    with pytest.raises(BenchError, match=r"D5_liver_hardware: column 'hardware'.*\['ISS'\] are not among its classes"):
        class_codes(pd.Series(["RR", "ISS"]), ["MHU", "RR"], where="D5_liver_hardware: column 'hardware'")
    codes = class_codes(pd.Series(["RR", None, "MHU"]), ["MHU", "RR"], where="x")
    assert decode_classes(codes, ["MHU", "RR"]).tolist() == ["RR", None, "MHU"]


# ------------------------------------------------------------------------------------- GEOmeta
@pytest.fixture(scope="module")
def geometa_repo(tmp_path_factory):
    shared_path(*GEOMETA, "GEO_HUMAN_100K_test.csv")
    repo = tmp_path_factory.mktemp("geometa") / "bench-data"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["build", "geometa_human", "geometa_mouse", "geometa_human_gender", "--data-dir",
                     str(shared_path("geometa")), "--out", str(repo)]) == 0
    return repo


@pytest.mark.parametrize("species", ["human", "mouse"])
def test_geometa_targets_are_classlabels_with_the_spec_vocabularies(geometa_repo, species):
    dsd = datasets.load_dataset(str(geometa_repo), f"geometa_{species}")
    test = dsd["test"]
    for column, n in SPEC_GEOMETA[species].items():
        assert isinstance(test.features[column], datasets.ClassLabel), column
        assert test.features[column].num_classes == n, column
    genders = {"human": ["Female", "Male"], "mouse": ["Female", "Male", "Mixed"]}[species]
    assert test.features["Gender"].names == genders
    assert test.features["GSM_ID"] == datasets.Value("string")     # identifiers and other metadata stay strings
    path = shared_path(*GEOMETA, f"GEO_{species.upper()}_100K_test.csv")
    for column in SPEC_GEOMETA[species]:
        assert decoded(test, column) == raw_column(path, column), column   # same values, same order


def test_geometa_card_shows_the_names(geometa_repo):
    header, _ = parse_front_matter((geometa_repo / "README.md").read_text())
    info = {e["config_name"]: {f["name"]: f["dtype"] for f in e["features"]} for e in header["dataset_info"]}
    assert info["geometa_human_gender"]["Gender"] == {"class_label": {"names": {"0": "Female", "1": "Male"}}}
    assert len(info["geometa_mouse"]["Organ"]["class_label"]["names"]) == 129
    assert main(["validate", str(geometa_repo)]) == 0


def test_geometa_value_outside_declared_classes_is_named(tmp_path):
    root = make_human_dir(tmp_path / "labels", train=False, n_test=20)
    rows = human_rows(20, start=300000, n_gse=3, seed=3)
    rows[4]["Gender"] = "Unknown"
    write_csv(root / "benchmark" / "data" / "GEOMeta100K" / "GEO_HUMAN_100K_test.csv", rows, HUMAN_COLUMNS)
    from bench.loaders.geometa import build_config

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(BenchError, match=r"column 'Gender'.*\['Unknown'\] are not among its classes \['Female', 'Male'\]"):
            build_config(get_task("geometa_human_gender"), data_dir=root)


def test_geometa_expression_config_keeps_the_classlabels(tmp_path):
    pytest.importorskip("h5py", reason="the geometa extra (h5py) is not installed")
    from bench.loaders.geometa import build_config

    root = make_human_dir(tmp_path / "labels", n_train=30, n_test=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build_config(get_task("geometa_human_gender"), data_dir=root, expression="synthetic", synthetic_genes=50,
                     repo_dir=tmp_path / "repo", cache_dir=tmp_path / "cache", progress=False)
    dsd = datasets.load_dataset(str(tmp_path / "repo"), "geometa_human_gender")
    assert dsd["train"].features["Gender"].names == ["Female", "Male"]
    assert dsd["train"].features["expression"].length == 50
    raw = raw_column(root / "benchmark" / "data" / "GEOMeta100K" / "GEO_HUMAN_100K_training.csv", "Gender")
    by_gsm = dict(zip(raw_column(root / "benchmark" / "data" / "GEOMeta100K" / "GEO_HUMAN_100K_training.csv",
                                 "GSM_ID"), raw))
    assert decoded(dsd["train"], "Gender") == [by_gsm[g] for g in dsd["train"]["GSM_ID"]]
    assert None not in decoded(dsd["train"], "Gender")
