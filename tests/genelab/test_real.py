"""Every pathway-level config built from the real upstream files in ../shared/genelab, checked
against fold_info.json / task_info.json and the raw GSVA CSVs (read independently with pandas)."""
from __future__ import annotations

import hashlib
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from bench.errors import BenchError
from bench.loaders import config_meta, folds, get_fold, load, to_numpy
from bench.tasks import list_tasks

PATHWAY_TASKS = [s.name for s in list_tasks("genelab") if s.params.get("level") == "pathway"]


@pytest.fixture(scope="module")
def real_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("real-cache")


@pytest.fixture(scope="module")
def built(genelab_dir, real_cache):
    cache = real_cache
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in PATHWAY_TASKS:
            out[name] = load(name, data_dir=genelab_dir, cache_dir=cache)
    return out


def test_all_24_pathway_configs_exist():
    assert len(PATHWAY_TASKS) == 24


@pytest.mark.parametrize("name", PATHWAY_TASKS)
def test_counts_labels_and_fold_membership_match_fold_info(name, built, genelab_dir):
    dsd = built[name]
    meta = config_meta(dsd)
    task_dir = genelab_dir / "tasks" / meta["upstream_task_dir"]
    task_info = json.loads((task_dir / "task_info.json").read_text())
    assert meta["synthetic"] is False and meta["feature_kind"] == "pathway"
    evaluated = [f for f in folds(dsd) if not f["holdout"]]
    assert len(evaluated) == task_info["n_folds_generated"]
    for f in evaluated:
        info = json.loads((task_dir / f["name"] / "fold_info.json").read_text())
        train, test = get_fold(dsd, f["name"])
        assert f["test_mission"] == info["test_mission"] and f["train_missions"] == info["train_missions"]
        assert test.num_rows == info["n_test"] and train.num_rows == info["n_train"]
        dist = info["test_label_distribution"]
        assert sum(test["label"]) == dist["Flight"] and test.num_rows - sum(test["label"]) == dist["Ground"]
        tdist = info["train_label_distribution"]
        assert sum(train["label"]) == tdist["Flight"]
        y = pd.read_csv(task_dir / f["name"] / "test_y.csv", index_col=0)
        assert test["sample_id"] == [str(i) for i in y.index]        # the evaluator's row order
        digest = hashlib.sha256("\n".join(sorted(str(i) for i in y.index)).encode()).hexdigest()
        assert meta["split_sample_ids_sha256"][f["test_split"]] == digest
        assert set(train["sample_id"]) == set(pd.read_csv(task_dir / f["name"] / "train_y.csv", index_col=0).index)


@pytest.mark.parametrize("name", PATHWAY_TASKS)
def test_values_equal_the_raw_gsva_files_and_columns_are_the_intersection(name, built, genelab_dir):
    dsd = built[name]
    meta = config_meta(dsd)
    pdir = genelab_dir / "processed" / "pathway_scores" / meta["tissue"]
    db = meta["collection"]
    raw = {}
    for p in sorted(pdir.glob(f"*_gsva_{db}.csv")):
        mission = p.name[: -len(f"_gsva_{db}.csv")].replace("_dorsal", "").replace("_femoral", "")
        raw.setdefault(mission, []).append(pd.read_csv(p, index_col=0))
    common = set.intersection(*(set(t.columns) for parts in raw.values() for t in parts))
    raw = {m: pd.concat(parts) for m, parts in raw.items()}
    assert set(meta["feature_ids"]) == common
    for split in dsd:
        X, ids, obs = to_numpy(dsd[split])
        table = raw[obs["mission"].iloc[0]]
        table = table[~table.index.duplicated(keep="first")]
        keys = [s if s in table.index else s.split(".", 1)[1] for s in obs.index]
        np.testing.assert_allclose(X, table.loc[keys, ids].to_numpy(np.float32), rtol=1e-6)


def test_skin_mhu2_halves_are_concatenated(built, genelab_dir):
    dsd = built["A5_skin_hallmark"]
    assert dsd["mhu_2"].num_rows == 35
    files = config_meta(dsd)["pathway_join"]["missions"]["MHU-2"]["files"]
    assert files == ["MHU-2_dorsal_gsva_hallmark.csv", "MHU-2_femoral_gsva_hallmark.csv"]
    fem = pd.read_csv(genelab_dir / "processed/pathway_scores/skin/MHU-2_femoral_gsva_hallmark.csv", index_col=0)
    _, _, obs = to_numpy(dsd["mhu_2"])
    assert len(set(obs.index) & set(fem.index)) > 0 and len(set(obs.index) - set(fem.index)) > 0


def test_gastrocnemius_prefix_is_stripped(built):
    meta = config_meta(built["A2_gastrocnemius_kegg"])
    assert meta["pathway_join"]["n_joined_by_stripping_prefix"] == 32 and meta["unjoined_samples"] == []
    assert config_meta(built["A2_gastrocnemius_kegg"])["n_features"] == 196


def test_thymus_mhu1_samples_come_from_their_own_file_not_the_mhu2_copy(built, genelab_dir):
    dsd = built["A4_thymus_hallmark"]
    meta = config_meta(dsd)
    assert meta["pathway_join"]["ids_also_in_other_mission_files"] == {"MHU-2 file": ["MHU-1"]}
    own = pd.read_csv(genelab_dir / "processed/pathway_scores/thymus/MHU-1_gsva_hallmark.csv", index_col=0)
    copy = pd.read_csv(genelab_dir / "processed/pathway_scores/thymus/MHU-2_gsva_hallmark.csv", index_col=0)
    X, ids, obs = to_numpy(dsd["mhu_1"])
    np.testing.assert_allclose(X, own.loc[obs.index, ids].to_numpy(np.float32), rtol=1e-6)
    assert not np.allclose(X, copy.loc[obs.index, ids].to_numpy(np.float32))


def test_thymus_holdout_without_pathway_file_is_reported_not_silently_dropped(built):
    meta = config_meta(built["A4_thymus_kegg"])
    assert len(meta["unjoined_samples"]) == 16
    assert {u["mission"] for u in meta["unjoined_samples"]} == {"RR-23"}
    assert meta["skipped_folds"][0]["name"] == "fold_RR-23_holdout"
    assert "16 sample(s) had no pathway scores" in meta["description"]
    assert "rr_23" not in built["A4_thymus_kegg"]


def test_real_holdout_warning_is_emitted(genelab_dir, tmp_path):
    from bench.loaders.genelab import GeneLabJoinWarning
    with pytest.warns(GeneLabJoinWarning, match=r"16 sample\(s\) have no pathway scores"):
        load("A4_thymus_hallmark", data_dir=genelab_dir, cache_dir=tmp_path)


def test_gene_level_from_the_github_snapshot_names_the_missing_hub_matrix(genelab_dir, tmp_path):
    with pytest.raises(BenchError, match=r"test_X\.csv \(published on the Hub jang1563/genelab-benchmark.*not found"):
        load("A5_skin", data_dir=genelab_dir, cache_dir=tmp_path)


def test_built_pathway_repo_loads_offline_with_datasets(built, genelab_dir, tmp_path):
    import datasets

    from bench.cli import main
    assert main(["build", "A6_eye_hallmark", "A3_kidney_reactome", "--out", str(tmp_path / "repo"),
                 "--data-dir", str(genelab_dir)]) == 0
    ds = datasets.load_dataset(str(tmp_path / "repo"), "A6_eye_hallmark")
    assert sorted(ds) == ["rr_1", "rr_3", "tbd"] and ds["tbd"].num_rows == 16
    assert ds["rr_1"].features["features"].length == 50


@pytest.mark.parametrize("name", PATHWAY_TASKS)
def test_every_real_pathway_config_loads_with_datasets_load_dataset(name, built, real_cache, genelab_dir):
    """The bench cache of real configs is a Hub-style repo: plain `datasets.load_dataset` reads every config."""
    import datasets

    from bench.loaders.cache import source_key
    from bench.tasks.families import Source
    repo = real_cache / source_key(Source(genelab_dir, False, "local"))
    ds = datasets.load_dataset(str(repo), name)
    assert sorted(ds) == sorted(built[name])
    for split in ds:
        assert ds[split]["sample_id"] == built[name][split]["sample_id"]
        assert ds[split].features["features"].length == config_meta(built[name])["n_features"]


B_TASKS = [s.name for s in list_tasks("genelab") if s.params.get("category") == "B"]


@pytest.mark.parametrize("name", B_TASKS)
def test_real_b_pairs_match_their_test_missions(name, genelab_dir):
    from bench.loaders.genelab import read_rows_and_folds
    from bench.tasks import get_task
    spec = get_task(name)
    rows, pairs = read_rows_and_folds(spec, genelab_dir)
    missions = [r.mission for r in rows if not r.fold.holdout]
    assert len(pairs) == spec.split["n_pairs"] == len(missions) * (len(missions) - 1)
    assert [p["name"] for p in pairs] == sorted(p["name"] for p in pairs)
    sizes = {r.mission: len(r.y) for r in rows}
    for p in pairs:
        y = pd.read_csv(genelab_dir / "tasks" / spec.params["task_dir"] / p["name"] / "test_y.csv", index_col=0)
        assert len(y) == sizes[p["test_mission"]] and p["train_missions"][0] != p["test_mission"]


def test_real_a4_holdout_fold_is_listed_with_its_train_missions(genelab_dir):
    from bench.loaders.genelab import read_rows_and_folds
    _, fl = read_rows_and_folds("A4_thymus", genelab_dir)
    hold = [f for f in fl if f["holdout"]]
    assert [f["name"] for f in hold] == ["fold_RR-23_holdout"]
    assert hold[0]["train_missions"] == ["MHU-1", "MHU-2", "RR-6", "RR-9"] and hold[0]["test_split"] == "rr_23"
    assert len(hold[0]["selected_features"]) > 20000


def test_a1_variant_absent_from_the_snapshot_says_so(genelab_dir, tmp_path):
    with pytest.raises(BenchError, match=r"no task folder 'A1_liver_lomo_combat'.*combat variant folder is not in "
                                         r"the public GitHub snapshot"):
        load("A1_liver_combat", data_dir=genelab_dir, cache_dir=tmp_path)
