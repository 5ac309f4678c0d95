"""GenoTEX preprocessing rules (spec §5.7–5.9) by hand, and raw GEO/TCGA fixtures → output/preprocess → configs."""
from __future__ import annotations

import json

import datasets
import numpy as np
import pandas as pd
import pytest

from bench.loaders import genotex as gl
from bench.loaders.genotex import geo_soft as gs
from bench.loaders.genotex import preprocess as gp
from bench.loaders.repo import write_configs
from bench.metrics import genotex as core

from genotex_raw_fixtures import TCGA_FOLDER, build_raw_inputs


def test_missing_value_rules_by_hand():
    nan = np.nan
    df = pd.DataFrame({
        "T": [1, 0, 1, 0, 1, 0, 1, 0, 1, nan],
        "Age": [30, nan, 50, 40, 30, 60, 70, 20, 40, 50],
        "Gender": [nan] * 10,
        "G1": [1, 2, 3, nan, 5, 6, 7, 8, 9, 10],
        "G2": [2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
        "G3": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        "G4": [nan, nan, 3, nan, 5, 6, 7, 8, 9, 10],
    }, index=[f"s{i}" for i in range(10)], dtype=float)
    out = gp.handle_missing_values(df, "T")
    assert "s9" not in out.index  # missing trait
    assert "G4" not in out.columns  # 3/9 = 33 % > 20 % missing
    assert "s3" not in out.index  # 1 of 3 genes missing > 5 %
    assert "Gender" not in out.columns  # all missing: dropped
    kept_ages = df.loc[[s for s in out.index], "Age"]
    assert out.loc["s1", "Age"] == pytest.approx(kept_ages.drop("s1").mean())
    assert not out.isna().any().any()


@pytest.mark.parametrize("values,biased", [
    ([0] * 19 + [1] * 1, True),  # rarest 1 < 10 % of 20 (= 2) and < 5
    ([0] * 18 + [1] * 2, False),  # 2 is not < 2
    ([0] * 95 + [1] * 5, False),  # 5 < 10 % but not < 5 samples: both must hold
    ([0] * 40 + [1] * 4, True),
    ([0, 1, 2, 2, 1, 0], False),  # 3 levels count as continuous
    ([1, 1, 1], True),
    ([3.5, 3.5, 3.5, 3.5], True),
])
def test_bias_rule(values, biased):
    assert gp.is_biased(pd.Series(values, dtype=float)) is biased


def test_cohort_record_invariants():
    df = pd.DataFrame(np.ones((3, 4)), columns=["T", "Age", "G1", "G2"])
    rec = gp.cohort_record(is_gene_available=True, is_trait_available=True, biased=False, df=df)
    assert rec["is_gene_available"] is False and rec["is_usable"] is False  # <= 4 columns
    fail = gp.cohort_record(is_gene_available=True, is_trait_available=False, note="no trait")
    assert fail["is_available"] is False and fail["sample_size"] is None and fail["note"] == "no trait"


def test_raw_inputs_to_preprocess_layout_and_configs(tmp_path):
    truth = build_raw_inputs(tmp_path)
    pre = tmp_path / "output" / "preprocess"
    geo = gs.read_geo_cohort(tmp_path / "input/GEO/Breast_Cancer/GSE207847")
    ch = geo.characteristics["GPL570"]
    clinical = gs.geo_clinical(ch, "Breast_Cancer", trait_row=gs.characteristic_row(ch, "tissue"),
                               convert_trait=lambda v: 1.0 if "tumor" in v else 0.0,
                               age_row=gs.characteristic_row(ch, "age"), gender_row=gs.characteristic_row(ch, "gender"))
    rec = gp.preprocess_cohort(pre, "Breast_Cancer", "GSE207847", genes=geo.gene_tables["GPL570"], clinical=clinical)
    # samples 1 and 2 each miss one of 10 genes (10 % > 5 %): dropped; 4 remain, balanced
    assert rec == {"is_usable": True, "is_gene_available": True, "is_trait_available": True, "is_available": True,
                   "is_biased": False, "has_age": True, "has_gender": True, "sample_size": 4, "note": ""}
    syn = {g.upper(): g.upper() for g in truth["tcga"]["genes"] if g != "RNF10"}
    expr, clin = gs.read_xena_cohort(tmp_path / "input/TCGA" / TCGA_FOLDER, "Breast_Cancer", synonyms=syn)
    rec2 = gp.preprocess_cohort(pre, "Breast_Cancer", "TCGA", genes=expr, clinical=clin,
                                clinical_orientation="samples_x_features")
    assert rec2["sample_size"] == 6 and rec2["is_usable"] and rec2["is_biased"] is False  # 3 levels: "continuous"
    gp.preprocess_cohort(pre, "Breast_Cancer", "GSE153316", genes=pd.DataFrame(), clinical=clinical.iloc[:, :0])
    info = gl.read_cohort_info(pre / "Breast_Cancer" / "cohort_info.json")
    assert list(info) == ["GSE207847", "TCGA", "GSE153316"] and info["GSE153316"]["is_available"] is False
    assert core.select_one_step(info, None) == "TCGA" and core.select_one_step(info, "Age") == "TCGA"
    linked = gl.read_linked_table(pre / "Breast_Cancer" / "GSE207847.csv", "Breast_Cancer")
    assert list(linked.columns[:3]) == ["Breast_Cancer", "Age", "Gender"] and linked.shape == (4, 13)
    written = write_configs(tmp_path / "repo", gl.trait_configs(pre, "Breast_Cancer"))
    assert written == ["genotex_Breast_Cancer", "genotex_Breast_Cancer__gene", "genotex_Breast_Cancer__clinical"]
    ds = datasets.load_dataset(str(tmp_path / "repo"), "genotex_Breast_Cancer")
    assert ds["tcga"].num_rows == 6 and ds["gse207847"].num_rows == 4
    clin_ds = datasets.load_dataset(str(tmp_path / "repo"), "genotex_Breast_Cancer__clinical")
    assert sorted(clin_ds["tcga"]["trait"]) == [-1.0, 0.0, 1.0, 1.0, 1.0, 1.0]
    assert json.loads((tmp_path / "repo/genotex_Breast_Cancer/bench_config.json").read_text())["synthetic"] is False
