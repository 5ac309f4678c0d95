"""Validate, dry-run push and stream a config built from the REAL GeneLab files in ../shared.

The config is A6_eye_hallmark in the GeneLab data contract's shape (one split per mission,
rows in test_y.csv order, GSVA scores of the intersected pathways as one float32 list
column), written with bench.loaders.repo.write_config from the real labels, metadata and
GSVA tables; then the publishing tools are run on it.
"""
from __future__ import annotations

import datasets
import numpy as np
import pandas as pd
import pytest
from conftest import shared_path

from bench.cli import main
from bench.loaders.genelab.layout import read_task_layout, task_dir_for
from bench.loaders.repo import write_config
from bench.loaders.validate import validate_repo
from bench.tasks import get_task, split_name

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def real_repo(tmp_path_factory):
    root = shared_path("genelab")
    spec = get_task("A6_eye_hallmark")
    layout = read_task_layout(task_dir_for(root, "A6_eye_lomo"))
    folds = layout.evaluated_folds
    scores = {f.test_mission: pd.read_csv(root / "processed" / "pathway_scores" / "eye" /
                                          f"{f.test_mission}_gsva_hallmark.csv", index_col=0) for f in folds}
    pathways = sorted(set.intersection(*(set(s.columns) for s in scores.values())))
    splits, truth = {}, {}
    for f in folds:
        y, meta = f.test_y(), f.test_meta()
        x = scores[f.test_mission].loc[y.index, pathways].to_numpy(np.float32)
        truth[split_name(f.test_mission)] = (list(y.index), x, y.to_numpy())
        feats = datasets.Features({"sample_id": datasets.Value("string"), "mission": datasets.Value("string"),
                                   "label": datasets.Value("int8"), "strain": datasets.Value("string"),
                                   "features": datasets.List(datasets.Value("float32"), length=len(pathways))})
        splits[split_name(f.test_mission)] = datasets.Dataset.from_dict({
            "sample_id": list(y.index), "mission": [f.test_mission] * len(y),
            "label": y.astype("int8").tolist(), "strain": meta.loc[y.index, "strain"].astype(str).tolist(),
            "features": x.tolist()}, features=feats)
    repo = tmp_path_factory.mktemp("real") / "hub"
    write_config(repo, spec.name, splits, meta={
        "task": spec.name, "family": spec.family, "description": spec.description, "source": spec.source,
        "license": spec.license, "license_id": "other", "citation": spec.citation, "synthetic": False,
        "feature_column": "features", "feature_kind": "pathway", "value_transform": "gsva",
        "feature_ids": pathways})
    return repo, truth, pathways


def test_real_config_validates(real_repo):
    repo, truth, pathways = real_repo
    assert validate_repo(repo) == []
    assert len(pathways) == 50 and set(truth) == {"rr_1", "rr_3", "tbd"}


def test_real_config_dry_run_lists_every_file(real_repo, capsys):
    repo, truth, _ = real_repo
    assert main(["push", str(repo), "--repo", "my-lab/genelab-eye", "--dry-run"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[1] for line in out.splitlines() if line.startswith("  add  ")]
    assert listed == (["A6_eye_hallmark/bench_config.json"]
                      + [f"A6_eye_hallmark/{s}-00000-of-00001.parquet" for s in sorted(truth)]
                      + ["LICENSE.md", "README.md"])   # license 'other': license_link points at LICENSE.md


def test_real_config_streams_the_real_scores(real_repo):
    repo, truth, _ = real_repo
    for split, (ids, x, y) in truth.items():
        rows = list(datasets.load_dataset(str(repo), "A6_eye_hallmark", split=split, streaming=True))
        assert [r["sample_id"] for r in rows] == ids
        np.testing.assert_array_equal(np.array([r["features"] for r in rows], np.float32), x)
        assert [r["label"] for r in rows] == y.astype(int).tolist()
