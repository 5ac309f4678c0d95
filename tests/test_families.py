"""`bench build` and `bench.loaders.load` across families (one registry, one repo writer)."""
from __future__ import annotations

import json

import datasets
import pytest

from bench.cli import main
from bench.loaders import SyntheticDataWarning, load
from bench.loaders.repo import list_configs, read_config_meta


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_load_dispatches_genotex_to_its_loader(cache):
    with pytest.warns(SyntheticDataWarning, match="genotex_problems: SYNTHETIC"):
        dsd = load("genotex_problems")
    task_info = json.loads((cache / "genotex_synthetic" / "metadata" / "task_info.json").read_text())
    expected = sum(1 + len(v["conditions"]) for v in task_info.values())  # (trait, None) + each condition
    assert dsd["test"].num_rows == expected
    assert set(dsd["test"]["trait"]) == set(task_info)


def test_build_mixes_families_in_one_repo(cache, tmp_path, capsys):
    out = tmp_path / "hub"
    assert main(["build", "A5_skin", "genotex_problems", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "built A5_skin (SYNTHETIC data)" in printed and "built genotex_problems (SYNTHETIC data)" in printed
    assert list_configs(out) == ["A5_skin", "genotex_problems"]
    assert read_config_meta(out, "genotex_problems")["family"] == "genotex"
    ds = datasets.load_dataset(str(out), "genotex_problems")
    with pytest.warns(SyntheticDataWarning):
        assert ds["test"].num_rows == load("genotex_problems")["test"].num_rows


def test_build_singlecell_config(cache, tmp_path):
    pytest.importorskip("scanpy", reason="the singlecell extra (scanpy) is not installed")
    out = tmp_path / "hub"
    assert main(["build", "pbmc68k", "--out", str(out)]) == 0
    ds = datasets.load_dataset(str(out), "pbmc68k")["test"]
    assert ds.num_rows == 700 and len(set(ds["bulk_labels"])) == 10


def test_build_unknown_task_exits_2(cache, tmp_path, capsys):
    assert main(["build", "pbmc86k", "--out", str(tmp_path / "hub")]) == 2
    assert "Did you mean: pbmc68k" in capsys.readouterr().err
    assert not (tmp_path / "hub").exists()


def test_build_counts_every_config_a_task_writes_and_validates(cache, tmp_path, capsys):
    """A GenoTEX trait task writes five configs; the summary counts them and the repo validates."""
    out = tmp_path / "hub"
    assert main(["build", "genotex_Breast_Cancer", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    expected = ["genotex_Breast_Cancer", "genotex_Breast_Cancer__clinical", "genotex_Breast_Cancer__gene",
                "genotex_cohorts", "genotex_problems"]
    assert list_configs(out) == expected
    assert f"5 config(s) written to {out}" in printed
    assert main(["validate", str(out)]) == 0


def test_build_geometa_without_expression_says_labels_only(cache, tmp_path, capsys):
    from conftest import shared_path

    root = shared_path("geometa")
    shared_path("geometa", "benchmark", "data", "GEOMeta100K", "GEO_MOUSE_100K_test.csv")
    out = tmp_path / "hub"
    assert main(["build", "geometa_mouse_gender", "--out", str(out), "--data-dir", str(root)]) == 0
    captured = capsys.readouterr()
    assert "bench: warning: geometa_mouse_gender: labels only, no expression column" in captured.err
    assert "1 config(s) written to" in captured.out
    meta = read_config_meta(out, "geometa_mouse_gender")
    assert meta["feature_column"] is None
    assert main(["validate", str(out)]) == 0
    # what bench push would publish names files inside the GEO_GPT layout, not this machine's folders
    assert meta["load_report"]["splits"]["test"]["file"] == "benchmark/data/GEOMeta100K/GEO_MOUSE_100K_test.csv"
    for path in (out / "geometa_mouse_gender" / "bench_config.json", out / "README.md"):
        assert str(root) not in path.read_text() and str(root.resolve()) not in path.read_text()


def test_push_dry_run_and_streaming_on_a_mixed_non_genelab_repo(cache, tmp_path, capsys):
    """The publishing path accepts every family's configs: sparse single-cell and GenoTEX lists."""
    pytest.importorskip("scanpy", reason="the singlecell extra (scanpy) is not installed")
    out = tmp_path / "hub"
    assert main(["build", "pbmc68k", "genotex_problems", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["push", str(out), "--repo", "my-lab/bench", "--dry-run"]) == 2   # genotex_problems is synthetic
    assert "genotex_problems hold SYNTHETIC data" in capsys.readouterr().err
    assert main(["push", str(out), "--repo", "my-lab/bench", "--dry-run", "--allow-synthetic"]) == 0
    printed = capsys.readouterr().out
    assert "would publish 2 config(s) (genotex_problems, pbmc68k)" in printed
    assert "  add  pbmc68k/test-00000-of-00001.parquet" in printed
    assert printed.rstrip().endswith("Dry run: nothing was sent.")
    streamed = datasets.load_dataset(str(out), "pbmc68k", split="test", streaming=True)
    first = next(iter(streamed))
    assert len(first["gene_index"]) == len(first["expression"]) > 0
    assert sum(1 for _ in streamed) == 700


def test_to_numpy_densifies_sparse_single_cell_rows(cache):
    sc = pytest.importorskip("scanpy", reason="the singlecell extra (scanpy) is not installed")
    import numpy as np

    from bench.loaders import config_meta, to_numpy

    dsd = load("pbmc68k")
    X, genes, obs = to_numpy(dsd["test"])
    truth = sc.datasets.pbmc68k_reduced()          # independent: scanpy's own file
    assert genes == list(truth.raw.var_names) and list(obs.index) == list(truth.obs_names)
    np.testing.assert_array_equal(X, truth.raw.X.toarray().astype(np.float32))
    assert config_meta(dsd)["family"] == "singlecell"


def test_labels_only_config_has_meta_but_no_matrix(cache):
    from bench.errors import BenchError
    from bench.loaders import config_meta, to_numpy

    with pytest.warns(SyntheticDataWarning):
        dsd = load("genotex_problems")
    assert config_meta(dsd)["n_problems"] == dsd["test"].num_rows
    with pytest.raises(BenchError, match="'genotex_problems' has no feature vector"):
        to_numpy(dsd["test"])
