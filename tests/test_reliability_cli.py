"""Issue 14, point 4: bad input at the CLI is one ``bench: error:`` line naming the file, field or
remote, exit 2 -- never a traceback (seeds, unreadable .npy/.h5/.h5ad files, deep JSON, mistyped
task YAML values, a push without network)."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _hub_fixtures import build_repo  # noqa: E402
from geometa_helpers import make_human_dir  # noqa: E402

from bench.cli import main  # noqa: E402


def run_cli(argv, capsys) -> tuple[int, str]:
    """(exit code, stderr) of ``bench argv`` (argparse refusals exit through SystemExit)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def assert_clear_error(code, err, *names):
    assert code == 2, err
    assert "Traceback" not in err
    assert "error:" in err.strip().splitlines()[-1], err
    for name in names:
        assert str(name) in err, (name, err)


# ------------------------------------------------------------------------------------- seeds
SEED_COMMANDS = [
    (["run", "A5_skin", "--model", "lr", "--seed"], "--seed"),
    (["evaluate", "A5_skin", "sub.json", "--seed"], "--seed"),
    (["simulate", "A5_skin", "--seed"], "--seed"),
    (["sweep", "A5_skin", "--models", "lr", "--out", "sw", "--seeds", "0"], "--seeds"),
    (["rank", "x", "--out", "rk", "--seed"], "--seed"),
    (["leaderboard", "x", "--out", "lb", "--seed"], "--seed"),
    (["build", "geometa_human", "--out", "r", "--expression", "synthetic", "--expression-seed"], "--expression-seed"),
    (["evaluate-embedding", "e.npy", "--obs", "o.csv", "--label-key", "c", "--seed"], "--seed"),
    (["geometa", "build", "geometa_human", "--out", "r", "--seed"], "--seed"),
    (["geometa", "synth-archs4", "geometa_human", "--out", "s.h5", "--seed"], "--seed"),
]


@pytest.mark.parametrize("seed", ["-3", "99999999999", "4294967296"])
@pytest.mark.parametrize("argv,option", SEED_COMMANDS, ids=[" ".join(a[:2]) for a, _ in SEED_COMMANDS])
def test_seeds_outside_the_numpy_range_are_refused_by_every_verb(argv, option, seed, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = run_cli([*argv, seed], capsys)
    assert_clear_error(code, err, option, "4294967295")
    assert not any(tmp_path.iterdir())  # refused before any work


def test_largest_seed_is_accepted(capsys):
    from bench.commands import seed_type

    assert seed_type("4294967295") == 2 ** 32 - 1 and seed_type("0") == 0


# ------------------------------------------------------------------------------------- files
def test_empty_npy_is_named(tmp_path, capsys):
    emb, obs = tmp_path / "emb.npy", tmp_path / "obs.csv"
    emb.write_bytes(b"")
    obs.write_text("cell_type\na\nb\n")
    code, err = run_cli(["evaluate", "pbmc68k", emb, "--obs", obs], capsys)
    assert_clear_error(code, err, "emb.npy")


@pytest.mark.parametrize("layout", ["no_obs", "obs_is_a_dataset", "empty_file"])
def test_hdf5_file_that_is_not_anndata_is_named(tmp_path, capsys, layout):
    h5py = pytest.importorskip("h5py", reason="h5py is not installed (pip install 'bench[geometa]' or 'bench[singlecell]')")
    pytest.importorskip("anndata", reason="anndata is not installed (pip install 'bench[singlecell]')")
    path = tmp_path / "cells.h5ad"
    if layout == "empty_file":
        path.write_bytes(b"")
    else:
        with h5py.File(path, "w") as fh:
            fh["x"] = np.arange(3)
            if layout == "obs_is_a_dataset":
                fh["obs"] = np.arange(3)
                fh["obsm"] = np.arange(3)
    code, err = run_cli(["evaluate", "pbmc68k", path, "--obsm", "X_pca"], capsys)
    assert_clear_error(code, err, "cells.h5ad")


@pytest.fixture()
def archs4_build(tmp_path):
    """(labels folder, a good synthetic ARCHS4 .h5 of its GSMs) for `bench build geometa_human --expression`."""
    pytest.importorskip("h5py", reason="h5py is not installed (pip install 'bench[geometa]')")
    from bench.loaders.geometa import archs4, load_label_tables
    from bench.tasks import get_task

    labels = make_human_dir(tmp_path / "labels", n_test=40, train=False)
    tables, _ = load_label_tables(get_task("geometa_human"), data_dir=labels)
    h5 = archs4.write_synthetic_archs4(tmp_path / "human.h5", labels=tables["test"], n_genes=50, seed=1,
                                       progress=False)
    return labels, h5


def _zero_first_chunk(path: Path) -> None:
    import h5py

    from bench.loaders.geometa.archs4 import EXPRESSION_KEY

    with h5py.File(path, "r") as fh:
        info = fh[EXPRESSION_KEY].id.get_chunk_info(0)
    with open(path, "r+b") as fh:
        fh.seek(info.byte_offset)
        fh.write(b"\0" * info.size)


@pytest.mark.filterwarnings("ignore::bench.loaders.geometa.GeometaWarning")
@pytest.mark.parametrize("damage", ["truncated", "chunk_corrupted"])
def test_damaged_archs4_file_is_named(archs4_build, tmp_path, capsys, damage):
    labels, h5 = archs4_build
    if damage == "truncated":
        h5.write_bytes(h5.read_bytes()[: h5.stat().st_size // 2])
    else:
        _zero_first_chunk(h5)
    repo = tmp_path / "repo"
    code, err = run_cli(["build", "geometa_human", "--data-dir", labels, "--expression", h5, "--out", repo], capsys)
    assert_clear_error(code, err, "human.h5")
    assert not repo.exists()


def test_deeply_nested_json_submission_is_named(tmp_path, capsys):
    sub = tmp_path / "deep.json"
    depth = 100_000
    sub.write_text('{"task_id": "A5_skin", "model_name": "m", "predictions": ' + "[" * depth + "]" * depth + "}")
    code, err = run_cli(["evaluate", "A5_skin", sub], capsys)
    assert_clear_error(code, err, "deep.json", "nested")


def test_deeply_nested_json_in_read_json_is_named(tmp_path):
    from bench.errors import BenchError
    from bench.io import read_json

    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BenchError, match="deep.json.*nested"):
        read_json(path)


# ------------------------------------------------------------------------------------- task YAML values
A5 = ((Path(__file__).resolve().parents[1] / "tasks" / "genelab" / "A5_skin.yaml").read_text()
      + "license: CC-BY-4.0\ncitation: a test lab\n")  # a user task declares its own licence and citation
BAD_YAML = {
    "version": ("Z1_bad", A5.replace("task: A5_skin", "task: Z1_bad\nversion: one"), "version"),
    "n_bootstrap": ("Z2_bad", A5.replace("task: A5_skin", "task: Z2_bad").replace(
        "params:", "metric:\n  n_bootstrap: lots\nparams:"), "metric.n_bootstrap"),
    "seed": ("Z3_bad", A5.replace("task: A5_skin", "task: Z3_bad").replace(
        "params:", "metric:\n  seed: 1.5\nparams:"), "metric.seed"),
    "threshold": ("Z4_bad", A5.replace("task: A5_skin", "task: Z4_bad").replace(
        "params:", "metric:\n  thresholds: {mean_auroc: high}\nparams:"), "metric.thresholds.mean_auroc"),
    "synthetic": ("Z5_bad", A5.replace("task: A5_skin", "task: Z5_bad").replace(
        "params:", "params:\n  synthetic: {n_modules: eighty}"), "params.synthetic.n_modules"),
    "params_int": ("Z6_bad", A5.replace("task: A5_skin", "task: Z6_bad").replace(
        "params:", "params:\n  n_genes_after_var_filter: many"), "params.n_genes_after_var_filter"),
}


@pytest.mark.parametrize("case", sorted(BAD_YAML))
def test_mistyped_number_in_a_task_yaml_names_file_and_key(case, tmp_path, capsys, monkeypatch):
    from bench.tasks.registry import _load_dirs, _load_pattern_dirs, _resolved_yaml

    name, text, key = BAD_YAML[case]
    folder = tmp_path / "lab" / "genelab"
    folder.mkdir(parents=True)
    (folder / f"{name}.yaml").write_text(text)
    monkeypatch.setenv("BENCH_TASKS_PATH", str(tmp_path / "lab"))
    for cache in (_load_dirs, _load_pattern_dirs, _resolved_yaml):
        cache.cache_clear()
    try:
        code, err = run_cli(["info", name], capsys)
    finally:
        monkeypatch.delenv("BENCH_TASKS_PATH")
        for cache in (_load_dirs, _load_pattern_dirs, _resolved_yaml):
            cache.cache_clear()
    assert_clear_error(code, err, f"{name}.yaml", key)


# ------------------------------------------------------------------------------------- the Hub
@pytest.fixture()
def unreachable_hub(monkeypatch):
    """Online mode, a fake token, and an endpoint where nothing listens (connection refused at once)."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("HF_TOKEN", "hf_FAKEtokenNEVERprinted0123456789")
    return "hf_FAKEtokenNEVERprinted0123456789"


@pytest.fixture(scope="module")
def built_repo(tmp_path_factory):
    return build_repo(tmp_path_factory.mktemp("hub"))  # a repo `bench push` accepts (as tests/test_push.py)


def test_push_without_network_names_the_remote_quickly(built_repo, unreachable_hub, capsys):
    capsys.readouterr()
    start = time.perf_counter()
    code, err = run_cli(["push", built_repo, "--repo", "someorg/somerepo"], capsys)
    elapsed = time.perf_counter() - start
    assert_clear_error(code, err, "someorg/somerepo", "Hub")
    assert unreachable_hub not in err
    assert elapsed < 5, f"push took {elapsed:.1f} s to give up"


def test_push_metric_without_network_names_the_remote(unreachable_hub, capsys):
    code, err = run_cli(["push-metric", "lomo_auroc", "--repo", "someorg/lomo_auroc"], capsys)
    assert_clear_error(code, err, "someorg/lomo_auroc", "Hub")
    assert unreachable_hub not in err


def test_hub_errors_never_carry_the_token(monkeypatch):
    from bench.errors import BenchError
    from bench.hub import hub_call

    token = "hf_SECRETsecretSECRET"
    with pytest.raises(BenchError) as info:
        with hub_call("--repo a/b", token=token):
            raise ConnectionError(f"failed with header Authorization: Bearer {token}")
    assert token not in str(info.value) and "--repo a/b" in str(info.value)
