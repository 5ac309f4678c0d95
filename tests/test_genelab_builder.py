"""`bench.loaders.builder.GeneLabBuilder`: the GeneLab configs as a `datasets` builder class,
checked against the raw upstream files (labels, GSVA scores) read independently with pandas."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from bench.loaders import config_meta, to_numpy
from bench.loaders.builder import GeneLabBuilder
from bench.tasks import list_tasks


def _prepare(tmp_path, name, data_dir):
    builder = GeneLabBuilder(config_name=name, data_dir=str(data_dir), cache_dir=str(tmp_path / "ds"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        builder.download_and_prepare()
    return builder.as_dataset()


def test_every_genelab_task_is_a_builder_config():
    assert {c.name for c in GeneLabBuilder.BUILDER_CONFIGS} == {s.name for s in list_tasks("genelab")}


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
        GeneLabBuilder(config_name="A5_skn")
