"""bench new-task: one labels table + one feature matrix -> task spec + LOMO folds (upstream layout).

Truths: the folds' files are re-read with pandas and compared with the inputs; each fold's
selection is recomputed here from its train samples with numpy (ddof=1 variance, quantile cut).
"""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from test_walkthrough import write_lab_tables

import bench
from bench.cli import main
from bench.errors import BenchError
from bench.loaders.genelab.new_task import Provenance, write_new_task
from bench.tasks import TASKS_PATH_ENV

PROV = Provenance(source="our lab", license="cc-by-4.0", citation="@misc{x}")


def make(tmp_path, **kw):
    write_lab_tables(tmp_path)
    return write_new_task("my_skin", tmp_path / "labels.csv", tmp_path / "expression.csv", tmp_path / "out",
                          provenance=PROV, label_column="condition", positive="Flight", **kw)


def test_folds_hold_the_inputs_and_train_only_selection(tmp_path):
    written = make(tmp_path)
    labels = pd.read_csv(tmp_path / "labels.csv").set_index("sample_id")
    X = pd.read_csv(tmp_path / "expression.csv", index_col=0).T
    task = written["data_dir"] / "tasks" / "my_skin_lomo"
    for mission in ("RR-1", "RR-3", "RR-6"):
        fold = task / f"fold_{mission}_test"
        test_y = pd.read_csv(fold / "test_y.csv", index_col=0)["0"]
        assert list(test_y.index) == list(labels.index[labels["mission"] == mission])
        assert test_y.tolist() == (labels.loc[test_y.index, "condition"] == "Flight").astype(int).tolist()
        train_ids = list(labels.index[labels["mission"] != mission])
        var = X.loc[train_ids].to_numpy().var(axis=0, ddof=1)
        want = [g for g, v in zip(X.columns, var) if v > np.quantile(var, 0.25)]
        assert (fold / "selected_genes.txt").read_text().split("\n") == want
        train_X = pd.read_csv(fold / "train_X.csv", index_col=0)
        np.testing.assert_allclose(train_X.to_numpy(), X.loc[train_ids, want].to_numpy())
        assert "condition" not in pd.read_csv(fold / "test_meta.csv", index_col=0).columns   # no label in metadata
    spec = yaml.safe_load(written["task_file"].read_text())
    assert spec["license"] == "cc-by-4.0" and spec["source"]["provided_by"] == "our lab" and "include" not in spec
    assert spec["label"]["encoding"] == {1: "Flight", 0: "Ground"}
    assert spec["params"]["missions"]["RR-6"] == {"n": 14, "positive": 7, "negative": 7}


def test_build_and_push_plan_through_bench_push(tmp_path, monkeypatch):
    written = make(tmp_path)
    monkeypatch.setenv(TASKS_PATH_ENV, str(written["task_file"].parent.parent))
    assert main(["build", "my_skin", "--data-dir", str(written["data_dir"]), "--out", str(tmp_path / "repo")]) == 0
    plan = bench.push(tmp_path / "repo", "lab/skin", dry_run=True)
    assert plan.configs == ["my_skin"] and plan.audit == [] and plan.synthetic == []
    meta = json.loads((tmp_path / "repo" / "my_skin" / "bench_config.json").read_text())
    assert meta["license_id"] == "cc-by-4.0" and meta["source"]["origin"] == "local"
    assert "lab/skin" in plan.readme_text and "<this repo>" not in plan.readme_text


def test_parquet_matrix_with_samples_as_rows(tmp_path):
    write_lab_tables(tmp_path)
    X = pd.read_csv(tmp_path / "expression.csv", index_col=0).T
    X.index.name = "sample_id"
    X.reset_index().to_parquet(tmp_path / "X.parquet")
    written = write_new_task("t2", tmp_path / "labels.csv", tmp_path / "X.parquet", tmp_path / "o",
                             provenance=PROV, label_column="condition", positive="Flight")
    assert (written["data_dir"] / "tasks" / "t2_lomo" / "fold_RR-3_test" / "test_X.csv").is_file()


@pytest.mark.parametrize("change, message", [
    (lambda t: t.drop(columns=["mission"]), "no column 'mission' (--domain-column)"),
    (lambda t: t.assign(condition="Flight"), "must hold exactly two classes"),
    (lambda t: t.assign(mission=t["mission"].where(t["mission"] != "RR-6", "RR-1")), "leave-one-out needs at least 3"),
    (lambda t: pd.concat([t, t.iloc[:1]]), "duplicate sample id(s) ['RR-1_00']"),
])
def test_bad_labels_table(tmp_path, change, message):
    write_lab_tables(tmp_path)
    change(pd.read_csv(tmp_path / "labels.csv")).to_csv(tmp_path / "labels.csv", index=False)
    with pytest.raises(BenchError, match=re.escape(message)):
        write_new_task("t", tmp_path / "labels.csv", tmp_path / "expression.csv", tmp_path / "o",
                       provenance=PROV, label_column="condition", positive="Flight")
    assert not (tmp_path / "o").exists()


def test_missing_provenance_and_no_overwrite(tmp_path, capsys):
    write_lab_tables(tmp_path)
    argv = ["new-task", "t", "--labels", str(tmp_path / "labels.csv"), "--features", str(tmp_path / "expression.csv"),
            "--out", str(tmp_path / "o"), "--label-column", "condition", "--source", "lab", "--license", " ",
            "--citation", "c"]
    assert main(argv) == 2
    assert "--license is required" in capsys.readouterr().err
    argv[argv.index(" ")] = "cc-by-4.0"
    assert main(argv) == 0
    assert main(argv) == 2
    assert "exists; refusing to overwrite it" in capsys.readouterr().err


def test_missing_samples_in_matrix(tmp_path):
    write_lab_tables(tmp_path)
    X = pd.read_csv(tmp_path / "expression.csv", index_col=0)
    X.drop(columns=["RR-3_01"]).to_csv(tmp_path / "expression.csv")
    with pytest.raises(BenchError, match=r"no row \(or column\) for 1 sample\(s\) of the labels table, e.g. \['RR-3_01'\]"):
        write_new_task("t", tmp_path / "labels.csv", tmp_path / "expression.csv", tmp_path / "o",
                       provenance=PROV, label_column="condition", positive="Flight")

