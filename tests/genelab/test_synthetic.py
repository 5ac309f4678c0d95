"""The embedded synthetic default: exact upstream layout, realistic sizes, determinism, and the
configs built from it (fast set: A5_skin, A2, B2, one D, one pathway; full sweep marked slow)."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.cli import main
from bench.loaders import config_meta, folds, get_fold, load, resolve_data_dir, to_numpy
from bench.loaders.genelab.layout import read_task_layout
from bench.loaders.genelab.synthetic import ensure_synthetic, synthetic_root, write_task_dir
from bench.tasks import get_task, list_tasks

pytestmark = pytest.mark.filterwarnings("ignore::bench.loaders.SyntheticDataWarning")

FAST = ["A5_skin", "A2_gastrocnemius", "B2_gastrocnemius", "D4_thymus_strain", "A5_skin_kegg"]


@pytest.fixture(scope="module")
def repo(cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("built") / "bench"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["build", *FAST, "--out", str(out), "--data-dir", "synthetic"]) == 0
    return out


def tree_digest(path: Path) -> str:
    """sha256 of every file name and content below ``path``, in sorted order."""
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(path)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_layout_files_and_real_counts(cache):
    root = ensure_synthetic(get_task("A5_skin"), progress=False)
    assert root == synthetic_root(0) and str(root).startswith(str(cache))
    spec = get_task("A5_skin")
    layout = read_task_layout(root / "tasks" / "A5_skin_lomo")
    assert [f.name for f in layout.folds] == ["fold_MHU-2_test", "fold_RR-6_test", "fold_RR-7_test"]
    for fold in layout.folds:
        names = sorted(p.name for p in fold.path.iterdir())
        assert names == sorted(["fold_info.json", "train_y.csv", "test_y.csv", "train_meta.csv", "test_meta.csv",
                                "selected_genes.txt", "train_X.csv", "test_X.csv"])
        counts = spec.params["missions"][fold.test_mission]
        y = fold.test_y()
        assert (len(y), int(y.sum())) == (counts["n"], counts["flight"])
        # the train-only top-75% variance filter reproduces the real task_info gene count (26814 -> 20110)
        assert len(fold.selected_genes()) == spec.params["n_genes_after_var_filter"] == 20110
        X = pd.read_csv(fold.path / "test_X.csv", index_col=0, nrows=2)
        assert X.columns.tolist() == fold.selected_genes() and X.columns[0].startswith("ENSMUSG")
        assert X.to_numpy().min() >= 0                                        # log2 scale
    info = json.loads((root / "tasks/A5_skin_lomo/task_info.json").read_text())
    assert info["synthetic"] is True and info["n_folds_generated"] == 3
    ensure_synthetic(get_task("A5_skin_kegg"), progress=False)
    pw = sorted(p.name for p in (root / "processed/pathway_scores/skin").glob("*_kegg.csv"))
    assert pw == ["MHU-2_dorsal_gsva_kegg.csv", "MHU-2_femoral_gsva_kegg.csv", "RR-6_gsva_kegg.csv",
                  "RR-7_gsva_kegg.csv"]


def test_generator_is_deterministic(tmp_path):
    from bench.loaders.genelab.synthetic import tissue_world, write_fold_matrices
    a = write_task_dir(tmp_path / "a", "A2_gastrocnemius_lomo", seed=3)
    tissue_world.cache_clear()                       # regenerate from scratch, not from the in-process cache
    b = write_task_dir(tmp_path / "b", "A2_gastrocnemius_lomo", seed=3)
    c = write_task_dir(tmp_path / "c", "A2_gastrocnemius_lomo", seed=4)
    assert tree_digest(a) == tree_digest(b) != tree_digest(c)
    for root in ("a", "b"):
        tissue_world.cache_clear()
        write_fold_matrices(tmp_path / root, "A2_gastrocnemius_lomo", seed=3, progress=False)
    assert (a / "fold_RR-1_test" / "train_X.csv").is_file()
    assert tree_digest(a) == tree_digest(b)


def test_quirks_gastrocnemius_prefix_and_thymus_duplicates(cache):
    root = ensure_synthetic(get_task("A2_gastrocnemius_kegg"), progress=False)
    y = pd.read_csv(root / "tasks/A2_gastrocnemius_lomo/fold_RR-1_test/test_y.csv", index_col=0)
    g = pd.read_csv(root / "processed/pathway_scores/gastrocnemius/RR-1_gsva_kegg.csv", index_col=0)
    assert all(i.startswith("RR-1.") for i in y.index) and not any(i.startswith("RR-1.") for i in g.index)
    root = ensure_synthetic(get_task("A4_thymus_hallmark"), progress=False)
    mhu1 = pd.read_csv(root / "processed/pathway_scores/thymus/MHU-1_gsva_hallmark.csv", index_col=0)
    mhu2 = pd.read_csv(root / "processed/pathway_scores/thymus/MHU-2_gsva_hallmark.csv", index_col=0)
    assert set(mhu2.index) > set(mhu1.index) - {i for i in mhu1.index if "_BSL_" in i}
    assert not (root / "processed/pathway_scores/thymus/RR-23_gsva_hallmark.csv").exists()


def test_flight_effect_and_mission_batch_are_present(repo):
    dsd = load("A5_skin", data_dir=repo)
    X, ids, obs = to_numpy(dsd["rr_6"])
    y = obs["label"].to_numpy()
    diff = np.abs(X[y == 1].mean(0) - X[y == 0].mean(0))
    assert np.sort(diff)[-100:].mean() > 0.5                                 # a Flight signal on a gene subset
    X7, _, _ = to_numpy(dsd["rr_7"])
    assert np.abs(X.mean(0) - X7.mean(0)).mean() > 0.5                        # strong mission batch effect


@pytest.mark.parametrize("name", FAST)
def test_built_configs_load_offline_with_datasets(name, repo):
    import datasets
    ds = datasets.load_dataset(str(repo), name)
    meta = json.loads((repo / name / "bench_config.json").read_text())
    assert meta["synthetic"] is True
    assert sorted(ds) == sorted(meta["splits"])
    p = ds[next(iter(ds))].features["features"].length
    assert p == len(meta["feature_ids"]) and list(ds[next(iter(ds))].features)[:3] == ["sample_id", "mission", "label"]
    assert "Synthetic data" in (repo / "README.md").read_text()


@pytest.mark.filterwarnings("default::bench.loaders.SyntheticDataWarning")
def test_synthetic_data_says_so(repo):
    from bench.loaders import SyntheticDataWarning
    with pytest.warns(SyntheticDataWarning, match=r"A5_skin: SYNTHETIC data"):
        dsd = load("A5_skin", data_dir=repo)
    assert config_meta(dsd)["synthetic"] is True
    assert "> **Synthetic data**" in (repo / "README.md").read_text()


def test_b_pairs_and_d_target(repo):
    dsd = load("B2_gastrocnemius", data_dir=repo)
    names = [f["name"] for f in folds(dsd)]
    assert names == sorted(f"pair_{i}_{j}" for i in ("RR-1", "RR-5", "RR-9") for j in ("RR-1", "RR-5", "RR-9") if i != j)
    train, test = get_fold(dsd, "pair_RR-1_RR-9")
    assert set(train["mission"]) == {"RR-1"} and set(test["mission"]) == {"RR-9"}
    d4 = load("D4_thymus_strain", data_dir=repo)
    assert config_meta(d4)["target"] == "strain" and "rr_23" in d4
    strain = d4["mhu_1"].features["strain"]            # ClassLabel: names from the spec's label.classes
    assert set(map(strain.int2str, d4["mhu_1"]["strain"])) == {"C57BL/6J", "C57BL/6CR"}
    assert get_fold(d4, "fold_RR-23_holdout")[1].num_rows == 16


def test_gene_level_fold_train_matches_upstream_train_X(repo, cache):
    dsd = load("A5_skin", data_dir=repo)
    f = folds(dsd)[0]
    train, _ = get_fold(dsd, f["name"])
    X, ids, obs = to_numpy(train, features=f["selected_features"])
    truth = pd.read_csv(synthetic_root(0) / "tasks/A5_skin_lomo" / f["name"] / "train_X.csv", index_col=0)
    np.testing.assert_array_equal(X, truth.loc[obs.index, ids].to_numpy(np.float32))


def test_rebuild_adds_configs_without_clobbering_others(repo, tmp_path, capsys):
    import shutil
    copy = tmp_path / "bench"
    shutil.copytree(repo, copy)
    before = (copy / "A5_skin" / "rr_7-00000-of-00001.parquet").read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["build", "A2_gastrocnemius_hallmark", "--out", str(copy), "--data-dir", "synthetic"]) == 0
    assert "built A2_gastrocnemius_hallmark (SYNTHETIC data)" in capsys.readouterr().out
    from bench.loaders.repo import list_configs
    assert list_configs(copy) == sorted(FAST + ["A2_gastrocnemius_hallmark"])
    assert (copy / "A5_skin" / "rr_7-00000-of-00001.parquet").read_bytes() == before


def test_failed_build_leaves_the_repo_untouched(repo, tmp_path, capsys):
    import shutil
    copy = tmp_path / "bench"
    shutil.copytree(repo, copy)
    digest = tree_digest(copy)
    assert main(["build", "A5_skin_hallmark", "A5_skn", "--out", str(copy)]) == 2
    assert "unknown task 'A5_skn'" in capsys.readouterr().err
    bad = tmp_path / "empty_upstream"
    (bad / "tasks").mkdir(parents=True)
    assert main(["build", "A5_skin_hallmark", "--out", str(copy), "--data-dir", str(bad)]) == 2
    assert "is this a GeneLab benchmark checkout" in capsys.readouterr().err
    assert tree_digest(copy) == digest and not list(tmp_path.glob(".bench*"))


def test_build_refuses_the_current_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["build", "A5_skin_kegg", "--out", "."]) == 2
    assert "is the current folder or one of its parents" in capsys.readouterr().err


def test_build_refuses_a_non_repo_folder(tmp_path, capsys):
    (tmp_path / "stuff.txt").write_text("x")
    assert main(["build", "A5_skin_kegg", "--out", str(tmp_path)]) == 2
    assert "is not empty and has no README.md" in capsys.readouterr().err


def test_task_patterns():
    from bench.commands.data import expand_tasks
    assert expand_tasks(["A5_*"]) == ["A5_skin", "A5_skin_hallmark", "A5_skin_kegg", "A5_skin_mitocarta",
                                      "A5_skin_reactome"]
    assert len(expand_tasks(["all"])) == len(list_tasks("genelab")) == 44
    assert expand_tasks(["D"]) == [s.name for s in list_tasks("genelab") if s.params.get("category") == "D"]


def test_hub_path_downloads_the_task_folder(monkeypatch, tmp_path):
    """Offline stand-in for the Hub: snapshot_download is called with the task's folder patterns."""
    import huggingface_hub
    from huggingface_hub import constants

    from bench.loaders.genelab import source as genelab_api

    calls = {}
    src = ensure_synthetic(get_task("A5_skin_kegg"), progress=False)

    def fake_snapshot_download(**kwargs):
        calls.update(kwargs)
        return str(src)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    dsd = load("A5_skin_kegg", cache_dir=tmp_path)
    assert calls["repo_id"] == "jang1563/genelab-benchmark" and calls["repo_type"] == "dataset"
    assert "A5_skin_lomo/*" in calls["allow_patterns"]
    assert "processed/pathway_scores/skin/*_gsva_kegg.csv" in calls["allow_patterns"]
    meta = config_meta(dsd)
    assert meta["source"]["origin"] == f"hub:jang1563/genelab-benchmark@{src.name}"   # the snapshot folder = revision
    assert meta["synthetic"] is True                     # the stand-in snapshot is a synthetic root: still flagged

    def unreachable(**kwargs):
        raise huggingface_hub.errors.LocalEntryNotFoundError("no network")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", unreachable)
    with pytest.warns(genelab_api.SyntheticDataWarning, match="unreachable.*SYNTHETIC"):
        root = genelab_api._source(get_task("A5_skin_kegg"), None)[0]
    assert root == synthetic_root(0)


def test_resolve_data_dir_offline_is_the_synthetic_root(cache, tmp_path):
    root = resolve_data_dir(task="A2_gastrocnemius")
    assert root == synthetic_root(0) and (root / "tasks/A2_gastrocnemius_lomo/task_info.json").is_file()
    assert resolve_data_dir(tmp_path) == tmp_path
    from bench.errors import BenchError
    with pytest.raises(BenchError, match="data dir not found"):
        resolve_data_dir(tmp_path / "missing")


def test_load_dataset_bench_from_cwd_and_the_package_shadowing_workaround(repo, tmp_path):
    """`load_dataset("bench", cfg)` in a folder holding ./bench; with an editable install that folder
    shadows the `bench` package for `python -c` (cwd first on sys.path): `python -P` avoids it."""
    import shutil
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(repo, work / "bench")
    code = ("import datasets; d = datasets.load_dataset('bench', 'A5_skin'); "
            "print(sorted(d), d['rr_7'].num_rows)")
    res = subprocess.run([sys.executable, "-c", code], cwd=work, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "['mhu_2', 'rr_6', 'rr_7'] 30" in res.stdout
    code = ("from bench.loaders import load, get_fold, to_numpy; d = load('A5_skin', data_dir='bench'); "
            "tr, te = get_fold(d, 'RR-7'); print(to_numpy(te)[0].shape)")
    res = subprocess.run([sys.executable, "-P", "-c", code], cwd=work, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "(30, " in res.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", [s.name for s in list_tasks("genelab")])
def test_every_config_builds_and_loads_synthetic(name, cache, tmp_path_factory):
    import datasets
    out = tmp_path_factory.getbasetemp() / "sweep" / "bench"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["build", name, "--out", str(out), "--data-dir", "synthetic"]) == 0
    ds = datasets.load_dataset(str(out), name)
    spec = get_task(name)
    expected = {m: c["n"] for m, c in spec.params["missions"].items()}
    for m, n in expected.items():
        assert ds[m.lower().replace("-", "_")].num_rows == n


def test_flight_effect_is_tunable(tmp_path):
    """LOMO AUROC of a standardised logistic regression (sklearn) with the default Flight effect vs none."""
    import datasets
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from bench.loaders.genelab import build_config

    def mean_auroc(effect):
        root = ensure_synthetic(get_task("A2_gastrocnemius"), root=tmp_path / f"fx{effect}", flight_effect=effect,
                                progress=False)
        dsd = datasets.DatasetDict(build_config("A2_gastrocnemius", root, synthetic=True, progress=False).splits)
        aucs = []
        for f in folds(dsd):
            train, test = get_fold(dsd, f["name"])
            Xtr, _, otr = to_numpy(train, features=f["selected_features"])
            Xte, _, ote = to_numpy(test, features=f["selected_features"])
            model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(Xtr, otr["label"])
            aucs.append(roc_auc_score(ote["label"], model.predict_proba(Xte)[:, 1]))
        return float(np.mean(aucs))

    with_effect, without = mean_auroc(0.5), mean_auroc(0.0)
    assert with_effect > 0.8 and without < with_effect - 0.3


def test_housekeeping_genes_carry_no_synthetic_flight_effect():
    """The NC2 premise holds on the synthetic default: with or without the Flight effect the
    housekeeping genes' values are identical (every other random draw is unchanged), while the
    Flight genes do move (so the check can fail)."""
    from bench.loaders.genelab.synthetic import tissue_world

    hk = set(get_task("NC2_skin_housekeeping").params["genes"].values())
    on, off = tissue_world("skin", flight_effect=0.5), tissue_world("skin", flight_effect=0.0)
    cols = [i for i, g in enumerate(on.genes) if g in hk]
    assert len(cols) >= 5 and on.genes == off.genes
    for mission in on.X:
        assert np.array_equal(on.X[mission][:, cols], off.X[mission][:, cols])
    assert any(not np.array_equal(on.X[m], off.X[m]) for m in on.X)


def test_nc2_on_the_synthetic_default_passes(tmp_path, capsys):
    assert main(["run", "NC2_skin_housekeeping", "--model", "lr", "--out", str(tmp_path)]) == 0
    assert "-> PASS" in capsys.readouterr().out
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["provenance"]["synthetic"] is True and res["summary"]["verdict"] == "PASS"
    assert 0.4 <= res["summary"]["value"] <= 0.6
