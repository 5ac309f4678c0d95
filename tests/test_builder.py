"""`bench.loaders.builder.BenchBuilder`: every family's configs as ONE `datasets` builder class; GeneLab
checked against the raw upstream files (labels, GSVA scores) read independently with pandas, GEOmeta
against the upstream label CSV, every family against what `bench build` writes."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from bench.loaders import config_meta, to_numpy
from bench.loaders.builder import BenchBuilder, GeneLabBuilder
from bench.loaders.families import config_names, write_task
from bench.loaders.repo import read_built
from bench.tasks import get_task, list_tasks


def _prepare(tmp_path, name, data_dir):
    builder = BenchBuilder(config_name=name, data_dir=None if data_dir is None else str(data_dir),
                           cache_dir=str(tmp_path / "ds"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        builder.download_and_prepare()
    return builder.as_dataset()


def test_every_stored_config_of_every_family_is_one_builder_config():
    stored = {name for s in list_tasks() if s.family != "genelab_analysis" for name in config_names(s)}
    assert {c.name for c in BenchBuilder.BUILDER_CONFIGS} == stored
    assert {s.name for s in list_tasks("genelab")} <= stored and {"genotex_cohorts", "pbmc68k"} <= stored
    assert {c.family for c in BenchBuilder.BUILDER_CONFIGS} == {"genelab", "genotex", "geometa", "singlecell"}
    assert GeneLabBuilder is BenchBuilder


def test_real_pathway_config_through_the_builder_equals_the_upstream_files(tmp_path, genelab_dir):
    dsd = _prepare(tmp_path, "A6_eye_hallmark", genelab_dir)
    assert sorted(dsd) == ["rr_1", "rr_3", "tbd"]
    meta = config_meta(dsd)
    assert meta["synthetic"] is False and meta["feature_kind"] == "pathway"
    task_dir = genelab_dir / "tasks" / "A6_eye_lomo"
    for mission, split in (("RR-1", "rr_1"), ("RR-3", "rr_3"), ("TBD", "tbd")):
        y = pd.read_csv(task_dir / f"fold_{mission}_test" / "test_y.csv", index_col=0).iloc[:, 0]
        X, ids, obs = to_numpy(dsd[split])
        assert list(obs.index) == [str(i) for i in y.index]
        assert obs["label"].tolist() == y.astype(int).tolist() and set(obs["mission"]) == {mission}
        gsva = pd.read_csv(genelab_dir / "processed" / "pathway_scores" / "eye" / f"{mission}_gsva_hallmark.csv",
                           index_col=0)
        assert X.dtype == np.float32 and dsd[split].features["features"].length == len(ids)
        np.testing.assert_allclose(X, gsva.loc[obs.index, ids].to_numpy(np.float32), rtol=1e-6)


def test_synthetic_default_through_the_builder_says_so(tmp_path):
    dsd = _prepare(tmp_path, "A5_skin_kegg", "synthetic")
    assert sorted(dsd) == ["mhu_2", "rr_6", "rr_7"] and config_meta(dsd)["synthetic"] is True


def test_unknown_config_lists_the_choices():
    with pytest.raises(ValueError, match=r"A5_skn.*A5_skin"):
        BenchBuilder(config_name="A5_skn")


def _same_as_bench_build(tmp_path, config, data_dir=None):
    """The builder's DatasetDict equals what `bench build` writes for the same config (features and rows)."""
    spec = get_task(next(c.task for c in BenchBuilder.BUILDER_CONFIGS if c.name == config))
    write_task(spec, tmp_path / "repo", data_dir=data_dir)
    want = read_built(tmp_path / "repo", config)
    got = _prepare(tmp_path, config, data_dir)
    assert sorted(got) == sorted(want)
    for split in want:
        assert got[split].features == want[split].features
        assert got[split].data.table.equals(want[split].data.table)
    assert config_meta(got)["task"] == config_meta(want)["task"]
    return got


def test_genotex_synthetic_config_through_the_builder_equals_bench_build(tmp_path):
    got = _same_as_bench_build(tmp_path, "genotex_problems")
    assert config_meta(got)["synthetic"] is True


def test_geometa_real_labels_through_the_builder(tmp_path):
    from conftest import shared_path

    csv = shared_path("geometa", "benchmark", "data", "GEOMeta100K", "GEO_HUMAN_100K_test.csv")
    got = _same_as_bench_build(tmp_path, "geometa_human_gender", shared_path("geometa"))
    upstream = pd.read_csv(csv, dtype=str).set_index("GSM_ID")["Gender"]
    rows = pd.concat([split.to_pandas() for split in got.values()])
    gender = got[next(iter(got))].features["Gender"]
    names = rows["Gender"].map(gender.int2str) if hasattr(gender, "int2str") else rows["Gender"]
    assert len(rows) > 1000 and names.tolist() == upstream.loc[rows["GSM_ID"]].tolist()


def test_singlecell_embedded_config_through_the_builder_equals_bench_build(tmp_path):
    pytest.importorskip("scanpy", reason="the singlecell extra (scanpy) is not installed (pip install 'bench[singlecell]')")
    _same_as_bench_build(tmp_path, "pbmc68k")
