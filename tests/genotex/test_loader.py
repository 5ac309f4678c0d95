"""GenoTEX task_info/problems/cohort configs: real 988-problem variant file and the synthetic layout."""
from __future__ import annotations

import json

import datasets
import numpy as np
import pandas as pd
import pytest

from bench.errors import BenchError
from bench.loaders import genotex as gl
from bench.loaders.repo import list_configs, read_config_meta, write_configs
from bench.tasks import get_task, list_tasks

from conftest import shared_path
from genotex_fixtures import PLANTED, build_genotex_root


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return build_genotex_root(tmp_path_factory.mktemp("genotex"))


def test_real_variant_task_info_counts():
    path = shared_path("genotex", "metadata", "task_info.json")
    info = gl.read_task_info(path)
    probs = gl.iter_problems(info)
    assert len(info) == 132 and len(probs) == 988
    cats = [p.category for p in probs]
    assert cats.count("unconditional one-step") == 132
    assert cats.count("conditional one-step") == 251
    assert cats.count("two-step") == 988 - 132 - 251
    assert probs[0] == gl.Problem("Acute_Myeloid_Leukemia", None, "unconditional one-step")
    assert [p.trait for p in probs] == sorted(p.trait for p in probs)  # traits sorted, file order within


def test_real_variant_problems_config_loads(tmp_path):
    path = shared_path("genotex", "metadata", "task_info.json")
    write_configs(tmp_path, [gl.problems_config(path)])
    ds = datasets.load_dataset(str(tmp_path), "genotex_problems", split="test")
    assert ds.num_rows == 988
    row = ds[0]
    assert row["trait"] == "Acute_Myeloid_Leukemia" and row["condition"] is None and row["reference_genes"] is None
    assert row["related_genes"] == json.loads(path.read_text())["Acute_Myeloid_Leukemia"]["related_genes"]
    meta = read_config_meta(tmp_path, "genotex_problems")
    assert meta["category_counts"]["two-step"] == 605 and meta["license_id"] == "cc-by-4.0"


def test_every_variant_trait_resolves_as_a_pattern_task():
    info = json.loads(shared_path("genotex", "metadata", "task_info.json").read_text())
    for trait in info:
        spec = get_task(f"genotex_{trait}")
        assert spec.params["trait"] == trait and spec.family == "genotex"
        assert spec.raw["params"]["configs"][0] == f"genotex_{trait}"
    assert {"genotex_problems", "genotex_selection", "genotex_preprocessing"} <= {s.name for s in list_tasks("genotex")}


def test_pattern_task_rejects_unknown_and_escaping_traits():
    with pytest.raises(BenchError, match=r"unknown trait 'Crohn_Disease'.*Did you mean: Crohns_Disease"):
        get_task("genotex_Crohn_Disease")
    for bad in ("genotex_../x", "genotex_a/b", "genotex_.."):
        with pytest.raises(BenchError, match="unknown t"):
            get_task(bad)


def test_condition_from_filename_keeps_underscores():
    assert gl.condition_from_filename("significant_genes_condition_Type_2_Diabetes.json") == "Type_2_Diabetes"
    assert gl.condition_from_filename("significant_genes_condition_None.json") == "None"


def test_synthetic_repo_configs(root, tmp_path):
    written = gl.build_repo(root, tmp_path)
    assert set(written) >= {"genotex_problems", "genotex_cohorts", "genotex_Breast_Cancer",
                            "genotex_Breast_Cancer__gene", "genotex_Breast_Cancer__clinical"}
    assert set(written) <= set(list_configs(tmp_path))
    assert read_config_meta(tmp_path, "genotex_Obesity")["synthetic"] is True  # the builder's marker file
    assert "Synthetic data" in (tmp_path / "README.md").read_text()
    probs = datasets.load_dataset(str(tmp_path), "genotex_problems", split="test")
    bc = [r for r in probs if r["trait"] == "Breast_Cancer" and r["condition"] is None][0]
    assert bc["reference_genes"] == PLANTED["Breast_Cancer"]
    linked = datasets.load_dataset(str(tmp_path), "genotex_Breast_Cancer")
    assert set(linked) == {"gse101001", "gse101002", "tcga"}
    meta = read_config_meta(tmp_path, "genotex_Breast_Cancer")
    assert meta["split_cohorts"]["tcga"] == "TCGA"
    genes = meta["feature_ids"]
    # compare one sample's vector with the CSV (independent read with pandas)
    csv = pd.read_csv(root / "output/preprocess/Breast_Cancer/GSE101002.csv", index_col=0)
    row = linked["gse101002"].with_format("numpy")[3]
    want = csv.iloc[3].reindex(genes).to_numpy(dtype=np.float32)
    np.testing.assert_array_equal(row["expression"], want)  # NaN where the cohort lacks a gene
    assert np.isnan(row["expression"]).sum() == len(set(genes) - set(csv.columns))
    assert row["trait"] == csv.iloc[3]["Breast_Cancer"] and np.isnan(row["age"])  # GSE101002 has no Age
    clin = datasets.load_dataset(str(tmp_path), "genotex_Breast_Cancer__clinical")
    assert clin["tcga"].num_rows == 80 and clin["gse101001"].num_rows == 60  # both orientations read
    cohorts = datasets.load_dataset(str(tmp_path), "genotex_cohorts", split="test")
    rec = [r for r in cohorts if r["cohort"] == "GSE101003"][0]
    assert rec["is_available"] is False and rec["sample_size"] is None


def test_card_and_meta_carry_layout_paths_not_machine_paths(root, tmp_path):
    """What bench push publishes must not depend on (or reveal) where the GenoTEX root lives locally."""
    repo = tmp_path / "repo"
    gl.build_repo(root, repo, traits=["Obesity"])
    published = [repo / "README.md", *sorted(repo.glob("*/bench_config.json"))]
    for path in published:
        assert str(root) not in path.read_text(), path
    assert read_config_meta(repo, "genotex_Obesity")["source"] == {
        "preprocess_dir": "output/preprocess/Obesity", "upstream_repo": "https://github.com/Liu-Hy/GenoTEX"}
    assert read_config_meta(repo, "genotex_problems")["source"]["task_info"] == "metadata/task_info.json"


def test_clinical_orientation_is_detected(root):
    geo = gl.read_clinical_table(root / "output/preprocess/Breast_Cancer/clinical_data/GSE101001.csv", "Breast_Cancer")
    tcga = gl.read_clinical_table(root / "output/preprocess/Breast_Cancer/clinical_data/TCGA.csv", "Breast_Cancer")
    assert list(geo.columns) == ["Breast_Cancer", "Age", "Gender"] and geo.shape[0] == 60
    assert list(tcga.columns) == ["Breast_Cancer", "Age", "Gender"] and tcga.shape[0] == 80


def test_pattern_trait_choices_equal_the_official_geo_manifest_traits():
    """The 132 trait folders of the official input/GEO (manifest) are exactly the pattern's choices."""
    from bench.tasks.registry import list_task_patterns

    files = json.loads(shared_path("genotex", "download", "geo_manifest.json").read_text())["files"]
    traits = {k.split("/")[0] for k in files}
    pattern = [p for p in list_task_patterns("genotex") if p.pattern == "genotex_{trait}"][0]
    assert set(pattern.choices("trait")) == traits and len(traits) == 132


def test_trait_names_are_normalised_before_lookup():
    info = {"Crohns_Disease": {"related_genes": [], "conditions": []}}
    assert gl.check_known_trait(info, "Crohn's Disease") == "Crohns_Disease"


def test_xena_cohort_id_is_accepted_like_tcga(root, tmp_path):
    import shutil
    copy = tmp_path / "root"
    shutil.copytree(root, copy)
    tdir = copy / "output/preprocess/Breast_Cancer"
    for sub in ("", "gene_data/", "clinical_data/"):
        (tdir / f"{sub}TCGA.csv").rename(tdir / f"{sub}Xena.csv")
    info = json.loads((tdir / "cohort_info.json").read_text())
    info["Xena"] = info.pop("TCGA")
    (tdir / "cohort_info.json").write_text(json.dumps(info))
    write_configs(tmp_path / "repo", gl.trait_configs(copy / "output/preprocess", "Breast_Cancer"))
    ds = datasets.load_dataset(str(tmp_path / "repo"), "genotex_Breast_Cancer")
    assert ds["xena"].num_rows == 80


def test_per_trait_specs_differ_in_hash():
    a, b = get_task("genotex_Obesity"), get_task("genotex_Asthma")
    assert a.spec_hash != b.spec_hash and a.raw["task"] == "genotex_Obesity"
