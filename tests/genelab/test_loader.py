"""GeneLab loader on a tiny hand-made upstream layout: values, folds, API, and every bad input."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from bench.errors import BenchError
from bench.loaders import config_meta, folds, get_fold, load, to_numpy
from bench.loaders.genelab import GeneLabJoinWarning, build_config, detect_value_transform
from genelab_helpers import GENES, HOLDOUT, MISSIONS, mission_samples, values, write_mini_layout


@pytest.fixture()
def mini(tmp_path):
    return write_mini_layout(tmp_path / "upstream")


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_gene_level_values_rows_and_folds(mini, cache):
    dsd = load("A5_skin", data_dir=mini)
    assert list(dsd) == ["mhu_2", "rr_6", "rr_7"]
    meta = config_meta(dsd)
    assert meta["synthetic"] is False and meta["feature_kind"] == "gene"
    assert meta["value_transform"] == "log2_deseq2"
    # union of fold genes, first appearance in fold order (MHU-2, RR-6 select genes 2-6; RR-7 adds gene 1)
    assert meta["feature_ids"] == GENES[1:] + GENES[:1]
    for m in MISSIONS:
        X, ids, obs = to_numpy(dsd[m.lower().replace("-", "_")])
        sids, y = mission_samples(m)
        assert obs.index.tolist() == sids and obs["label"].tolist() == y
        assert (obs["mission"] == m).all()
        expected = np.array([[values(s)[GENES.index(g)] for g in ids] for s in sids], dtype=np.float32)
        np.testing.assert_array_equal(X, expected)        # filled from train_X where the test fold lacks a gene
    assert [f["name"] for f in folds(dsd)] == [f"fold_{m}_test" for m in MISSIONS]
    f = folds(dsd)[2]
    assert f["test_split"] == "rr_7" and f["train_splits"] == ["mhu_2", "rr_6"] and f["selected_features"] == GENES[:5]
    assert config_meta(dsd)["folds"][0]["holdout"] is False


def test_get_fold_by_name_mission_or_split_and_to_numpy_selection(mini, cache):
    dsd = load("A5_skin", data_dir=mini)
    for key in ("fold_RR-7_test", "RR-7", "rr_7"):
        train, test = get_fold(dsd, key)
        assert set(train["mission"]) == {"MHU-2", "RR-6"} and set(test["mission"]) == {"RR-7"}
    X, ids, obs = to_numpy(train, features=GENES[:5])
    truth = pd.read_csv(mini / "tasks/A5_skin_lomo/fold_RR-7_test/train_X.csv", index_col=0)
    np.testing.assert_allclose(X, truth.loc[obs.index, GENES[:5]].to_numpy(np.float32))
    with pytest.raises(BenchError, match=r"unknown fold 'RR-9'.*Folds: fold_MHU-2_test"):
        get_fold(dsd, "RR-9")
    with pytest.raises(BenchError, match=r"feature id\(s\) \['ENSMUSG_nope'\] are not in config A5_skin"):
        to_numpy(train, features=["ENSMUSG_nope"])


def test_load_is_cached_and_rebuilds_when_a_source_file_changes(mini, cache):
    load("A5_skin", data_dir=mini)
    built = next((cache / "genelab_built").iterdir()) / "A5_skin" / "bench_config.json"
    stamp = built.stat().st_mtime_ns
    load("A5_skin", data_dir=mini)
    assert built.stat().st_mtime_ns == stamp                       # cache hit
    y = mini / "tasks/A5_skin_lomo/fold_RR-7_test/test_meta.csv"
    y.write_text(y.read_text().replace("C57BL/6J", "C57BL/6N"))
    dsd = load("A5_skin", data_dir=mini)
    assert set(dsd["rr_7"]["strain"]) == {"C57BL/6N"}


def test_pathway_join_rules_on_the_mini_layout(mini, cache):
    dsd = load("A5_skin_hallmark", data_dir=mini)
    meta = config_meta(dsd)
    assert meta["feature_ids"] == ["HALLMARK_A", "HALLMARK_B", "HALLMARK_C"] and meta["value_transform"] == "gsva"
    assert meta["pathway_join"]["missions"]["MHU-2"]["files"] == ["MHU-2_dorsal_gsva_hallmark.csv",
                                                                  "MHU-2_femoral_gsva_hallmark.csv"]
    X, _, obs = to_numpy(dsd["mhu_2"])
    np.testing.assert_allclose(X, np.arange(12).reshape(4, 3) / 10, rtol=1e-6)
    assert all(f["selected_features"] is None for f in meta["folds"])


def test_unjoined_samples_are_warned_and_recorded(mini, cache):
    p = mini / "processed/pathway_scores/skin/RR-6_gsva_hallmark.csv"
    df = pd.read_csv(p, index_col=0)
    df.drop(index="RR-6_s1").to_csv(p)
    with pytest.warns(GeneLabJoinWarning, match=r"1 sample\(s\) have no pathway scores.*RR-6_s1 \(RR-6\)"):
        dsd = load("A5_skin_hallmark", data_dir=mini)
    assert config_meta(dsd)["unjoined_samples"] == [
        {"sample_id": "RR-6_s1", "mission": "RR-6",
         "reason": "sample id not found in ['RR-6_gsva_hallmark.csv'] (nor without a '<prefix>.')"}]
    assert dsd["rr_6"].num_rows == 3


def test_prefix_stripping_and_duplicate_ids_keep_first(mini, cache):
    # labels use "<MISSION>.<id>" (gastrocnemius quirk) -> rename ids in the label files of RR-6
    task = mini / "tasks/A5_skin_lomo"
    for f in task.rglob("*.csv"):
        f.write_text(f.read_text().replace("RR-6_s", "RR-6.RR-6_s"))
    p = mini / "processed/pathway_scores/skin/RR-6_gsva_hallmark.csv"
    df = pd.read_csv(p, index_col=0)
    dup = df.iloc[[0]].copy() + 100.0                                  # a later duplicate row: must be ignored
    pd.concat([df, dup]).to_csv(p)
    dsd = load("A5_skin_hallmark", data_dir=mini)
    meta = config_meta(dsd)
    assert meta["pathway_join"]["n_joined_by_stripping_prefix"] == 4
    assert meta["pathway_join"]["missions"]["RR-6"]["duplicates_dropped"] == 1
    X, _, obs = to_numpy(dsd["rr_6"])
    assert obs.index[0] == "RR-6.RR-6_s0"
    np.testing.assert_allclose(X, df.to_numpy(np.float32))


def test_pathway_columns_are_intersected(mini, cache):
    p = mini / "processed/pathway_scores/skin/RR-7_gsva_hallmark.csv"
    pd.read_csv(p, index_col=0).drop(columns=["HALLMARK_B"]).to_csv(p)
    meta = config_meta(load("A5_skin_hallmark", data_dir=mini))
    assert meta["feature_ids"] == ["HALLMARK_A", "HALLMARK_C"]


def test_detect_value_transform():
    rng = np.random.default_rng(0)
    log2 = pd.DataFrame(rng.uniform(0, 12, (20, 5)))
    z = (log2 - log2.mean()) / log2.std()
    assert detect_value_transform(log2) == "log2_deseq2" and detect_value_transform(z) == "zscore_train"


# ------------------------------------------------------------------ bad input: message names file and field

FOLD = "tasks/A5_skin_lomo/fold_RR-7_test"


def _edit_csv(path, fn):
    df = pd.read_csv(path, index_col=0)
    fn(df).to_csv(path)


BAD_CASES = {
    "missing test_y": (lambda r: (r / FOLD / "test_y.csv").unlink(),
                       r"label file not found: .*fold_RR-7_test/test_y\.csv"),
    "missing meta": (lambda r: (r / FOLD / "test_meta.csv").unlink(),
                     r"metadata file not found: .*fold_RR-7_test/test_meta\.csv"),
    "missing X": (lambda r: (r / FOLD / "train_X.csv").unlink(),
                  r"train_X\.csv \(published on the Hub .*\) not found: .*fold_RR-7_test/train_X\.csv"),
    "wrong label column": (lambda r: (r / FOLD / "test_y.csv").write_text((r / FOLD / "test_y.csv").read_text().replace(",0\n", ",flight\n", 1)),
                           r"test_y\.csv: label column must be named '0' or 'label', got 'flight'"),
    "extra label column": (lambda r: _edit_csv(r / FOLD / "test_y.csv", lambda d: d.assign(extra=1)),
                           r"test_y\.csv: expected the sample id column and one label column"),
    "label not 0/1": (lambda r: _edit_csv(r / FOLD / "test_y.csv", lambda d: d.replace({1.0: 2.0})),
                      r"test_y\.csv: field '0': labels must be 0 or 1 .* got RR-7_s0=2\.0"),
    "non-numeric X column": (lambda r: _edit_csv(r / FOLD / "test_X.csv", lambda d: d.assign(**{GENES[1]: ["high", 1.0, 2.0, 3.0]})),
                             rf"test_X\.csv: column\(s\) \['{GENES[1]}'\] are not numeric"),
    "X columns != selected genes": (lambda r: _edit_csv(r / FOLD / "test_X.csv", lambda d: d.drop(columns=[GENES[2]])),
                                    rf"test_X\.csv: columns do not match .*selected_genes\.txt: missing \['{GENES[2]}'\]"),
    "X ids != y ids": (lambda r: _edit_csv(r / FOLD / "test_X.csv", lambda d: d.rename(index={"RR-7_s3": "RR-7_s9"})),
                       r"test_X\.csv: sample ids do not match .*test_y\.csv: missing \['RR-7_s3'\], unexpected \['RR-7_s9'\]"),
    "meta ids != y ids": (lambda r: _edit_csv(r / FOLD / "test_meta.csv", lambda d: d.drop(index="RR-7_s2")),
                          r"test_meta\.csv: sample ids do not match .*test_y\.csv: missing \['RR-7_s2'\]"),
    "train_y != missions": (lambda r: _edit_csv(r / FOLD / "train_y.csv", lambda d: d.drop(index="RR-6_s0")),
                            r"train_y\.csv: sample ids do not match test_y\.csv of missions \['MHU-2', 'RR-6'\]: missing \['RR-6_s0'\]"),
    "train label disagrees": (lambda r: _edit_csv(r / FOLD / "train_y.csv", lambda d: d.replace({0.0: 1.0})),
                              r"train_y\.csv: field 'label' of sample 'MHU-2_s1' is 1 but its mission's test_y\.csv says 0"),
    "duplicate sample in y": (lambda r: (r / FOLD / "test_y.csv").write_text((r / FOLD / "test_y.csv").read_text() + "RR-7_s0,1.0\n"),
                              r"test_y\.csv: duplicate sample id\(s\) \['RR-7_s0'\]"),
    "sample in two missions": (lambda r: [_edit_csv(r / FOLD / f, lambda d: d.rename(index={"RR-7_s0": "RR-6_s0"})) for f in ("test_y.csv", "test_meta.csv")],
                               r"duplicate sample 'RR-6_s0': it is also a test sample in .*fold_RR-6_test/test_y\.csv"),
    "meta mission wrong": (lambda r: _edit_csv(r / FOLD / "test_meta.csv", lambda d: d.assign(mission="RR-6")),
                           r"test_meta\.csv: field 'mission': expected 'RR-7' .* got \['RR-6'\]"),
    "duplicate sample in X": (lambda r: (r / FOLD / "test_X.csv").write_text((r / FOLD / "test_X.csv").read_text()
                                                                          + "RR-7_s1,1,2,3,4,5\n"),
                              r"test_X\.csv: duplicate sample id\(s\) \['RR-7_s1'\]"),
    "empty X file": (lambda r: (r / FOLD / "train_X.csv").write_text(""),
                     r"train_X\.csv: cannot parse as CSV"),
    "malformed fold_info": (lambda r: (r / FOLD / "fold_info.json").write_text("{oops"),
                            r"fold_info\.json: malformed JSON at line 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_raises_a_clear_error_and_writes_nothing(case, mini, cache):
    breaker, pattern = BAD_CASES[case]
    breaker(mini)
    with pytest.raises(BenchError, match=pattern):
        load("A5_skin", data_dir=mini)
    built = cache / "genelab_built"
    assert not built.exists() or not any(p.name == "A5_skin" for p in built.rglob("A5_skin"))


def test_bad_pathway_inputs(mini, cache):
    shutil.rmtree(mini / "processed")
    with pytest.raises(BenchError, match=r"pathway score folder not found: .*processed/pathway_scores/skin"):
        load("A5_skin_hallmark", data_dir=mini)


def test_unknown_task_and_wrong_benchmark_dir(tmp_path, cache):
    with pytest.raises(BenchError, match=r"unknown task 'A5_skn'.*Did you mean: A5_skin"):
        load("A5_skn", data_dir=tmp_path)
    (tmp_path / "tasks" / "some_other_benchmark").mkdir(parents=True)
    with pytest.raises(BenchError, match=r"no task folder 'A5_skin_lomo'.*is this a GeneLab benchmark checkout"):
        load("A5_skin", data_dir=tmp_path)
    with pytest.raises(BenchError, match=r"data dir not found: .*nowhere"):
        load("A5_skin", data_dir=tmp_path / "nowhere")


def test_config_meta_explains_datasets_without_bench_metadata():
    import datasets
    ds = datasets.Dataset.from_dict({"a": [1]})
    with pytest.raises(BenchError, match=r"carries no bench metadata.*bench\.loaders\.load"):
        config_meta(ds)


def test_build_config_returns_meta_matching_the_contract(mini):
    res = build_config("A5_skin", mini, progress=False)
    m = res.meta
    for key in ("feature_ids", "feature_column", "feature_kind", "value_transform", "synthetic", "task",
                "spec_sha256", "folds", "unjoined_samples"):
        assert key in m
    ds = res.splits["rr_7"]
    assert list(ds.features)[:3] == ["sample_id", "mission", "label"] and list(ds.features)[-1] == "features"
    assert ds.features["label"].names == ["Ground", "Flight"]   # the spec's encoding {1: Flight, 0: Ground}
    assert ds.features["label"].int2str(ds["label"]) == ["Flight" if v else "Ground" for v in ds["label"]]
    assert json.loads(ds.info.description)["task"] == "A5_skin"


def test_holdout_samples_have_values_for_the_holdout_fold_genes_only(tmp_path, cache):
    root = write_mini_layout(tmp_path / "up", holdout=True)
    dsd = load("A5_skin", data_dir=root)
    meta = config_meta(dsd)
    assert list(dsd) == ["mhu_2", "rr_23", "rr_6", "rr_7"]
    hold = [f for f in meta["folds"] if f["holdout"]]
    assert hold[0]["name"] == "fold_RR-23_holdout" and hold[0]["train_splits"] == ["mhu_2", "rr_6", "rr_7"]
    X, ids, obs = to_numpy(dsd["rr_23"])
    known = [i for i, g in enumerate(ids) if g in GENES[2:]]
    expected = np.array([[values(s)[GENES.index(ids[i])] for i in known] for s in obs.index], dtype=np.float32)
    np.testing.assert_allclose(X[:, known], expected, rtol=1e-6)
    assert np.isnan(np.delete(X, known, axis=1)).all()
    assert meta["missing_feature_values"] == {"mhu_2": 0, "rr_23": 4 * 2, "rr_6": 0, "rr_7": 0}
    train, test = get_fold(dsd, HOLDOUT)
    assert test.num_rows == 4 and train.num_rows == 12


def test_train_zscored_matrices_are_put_in_one_frame(tmp_path, cache):
    """Upstream may z-score every fold with its TRAIN mean/std. Re-standardising a loaded fold's train
    split must reproduce that fold's train_X.csv and test_X.csv (holdout fold included)."""
    root = write_mini_layout(tmp_path / "up", holdout=True, zscore=True)
    with pytest.warns(UserWarning, match="zscore_train"):
        dsd = load("A5_skin", data_dir=root)
    assert config_meta(dsd)["value_transform"] == "zscore_train"
    for f in folds(dsd):
        train, test = get_fold(dsd, f["name"])
        Xtr, ids, otr = to_numpy(train, features=f["selected_features"])
        Xte, _, ote = to_numpy(test, features=f["selected_features"])
        mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
        up = root / "tasks/A5_skin_lomo" / f["name"]
        up_tr = pd.read_csv(up / "train_X.csv", index_col=0).loc[otr.index, ids]
        up_te = pd.read_csv(up / "test_X.csv", index_col=0).loc[ote.index, ids]
        np.testing.assert_allclose((Xtr - mu) / sd, up_tr.to_numpy(), atol=1e-4)
        np.testing.assert_allclose((Xte - mu) / sd, up_te.to_numpy(), atol=1e-4)
