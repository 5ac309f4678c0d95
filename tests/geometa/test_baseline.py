"""GEOmeta baselines: split logic, bench run end to end (synthetic and file-based expression)."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import classification_report, f1_score

from bench.cli import main
from bench.tasks import get_task

from geometa_helpers import make_human_dir, needs_h5py

from bench.baselines.geometa import models as base
from bench.loaders.geometa import archs4
from bench.loaders.geometa import load_label_tables

pytestmark = pytest.mark.filterwarnings("ignore::bench.loaders.geometa.GeometaWarning")  # fixtures lack a training CSV



def table(n_gse=10, seed=0):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 20, n_gse)
    return pd.DataFrame({"GSM_ID": [f"GSM{i}" for i in range(sizes.sum())],
                         "GSE_ID": np.repeat([f"GSE{g}" for g in range(n_gse)], sizes)})


def test_fallback_split_is_by_series_seeded_and_covers_every_row():
    t = table()
    train, test = base.fallback_split(t, seed=1)
    assert not set(train["GSE_ID"]) & set(test["GSE_ID"])
    assert len(train) + len(test) == len(t) and len(test) >= 0.2 * len(t) and len(train) > 0
    again = base.fallback_split(t, seed=1)[1]
    assert again["GSM_ID"].tolist() == test["GSM_ID"].tolist()
    assert any(base.fallback_split(t, seed=s)[1]["GSE_ID"].tolist() != test["GSE_ID"].tolist() for s in range(2, 6))


def test_make_split_prefers_the_official_csvs():
    t = table()
    train, test, info = base.make_split({"train": t, "test": t.iloc[:3]}, seed=0)
    assert info["kind"] == "official" and len(test) == 3
    _, _, info = base.make_split({"train": t, "test": t.iloc[:3]}, seed=0)
    assert info["description"].endswith("3 GSM(s) listed in both CSVs removed from train")
    train, test, info = base.make_split({"train": t, "test": t.iloc[:3]}, seed=0)
    assert len(train) == len(t) - 3
    train, test, info = base.make_split({"test": t}, seed=0)
    assert info["kind"] == "fallback_gse_split" and "NOT the official one" in info["description"]


@needs_h5py
def test_bench_run_official_split_synthetic_expression(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(base.ARCHS4_ENV, raising=False)
    data = make_human_dir(tmp_path / "data", n_train=150, n_test=60)
    code = main(["run", "geometa_human_organ", "--model", "lr", "--data-dir", str(data), "--out", str(tmp_path / "o"),
                 "--seed", "3"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "official GEOMeta100K split" in printed and "SYNTHETIC" in printed
    assert "CellPLM (finetune)      0.710 ± 0.329" in printed and "H20_AutoML" in printed
    mine = [line for line in printed.splitlines() if line.startswith("bench lr (this run)")]
    assert len(mine) == 1 and mine[0].rstrip().endswith("SYNTHETIC expression")        # marked, unlike published rows
    assert re.search(r"CellPLM \(finetune\) .* published$", printed, re.M)
    report = json.loads((tmp_path / "o" / "results.json").read_text())
    settings = report["settings"]
    assert settings["split"]["kind"] == "official" and settings["expression"]["synthetic"] is True
    assert report["provenance"]["synthetic"] is True and report["provenance"]["data_origin"].startswith("synthetic")
    assert (tmp_path / "o" / "per_class_f1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    preds = pd.read_csv(tmp_path / "o" / "predictions_organ.csv")
    res = report["summary"]["organ"]
    assert report["summary"]["metric"] == "macro_f1" and report["summary"]["value"] == res["macro_f1"]
    # the scores, recomputed here with sklearn from the written predictions
    assert res["macro_f1"] == pytest.approx(f1_score(preds.y_true, preds.y_pred, average="macro",
                                                     labels=sorted(set(preds.y_true)), zero_division=0))
    rep = pd.DataFrame(classification_report(preds.y_true, preds.y_pred, labels=sorted(set(preds.y_true)),
                                             output_dict=True, zero_division=0)).transpose()
    assert res["leaderboard_f1"] == pytest.approx(rep["f1-score"].mean())
    assert f"{res['leaderboard_display']}" in printed
    assert res["n_test"] == len(preds) == 60  # fixture organs are never NA


@needs_h5py
def test_bench_run_fallback_split_and_real_format_file(tmp_path, capsys, monkeypatch):
    data = make_human_dir(tmp_path / "data", train=False, n_test=90)
    tables, _ = load_label_tables(get_task("geometa_human"), data_dir=data)
    present = tables["test"].iloc[2:]
    archs4.write_synthetic_archs4(data / "human_gene_v2.2.h5", labels=present, targets=["Gender"], n_genes=200,
                                  seed=0, marker_log_fold=2.0, progress=False)
    monkeypatch.delenv(base.ARCHS4_ENV, raising=False)
    code = main(["run", "geometa_human_gender", "--model", "knn", "--data-dir", str(data), "--out", str(tmp_path / "o")])
    printed = capsys.readouterr().out
    assert code == 0
    assert "FALLBACK split, NOT the official one" in printed
    assert "ARCHS4 file" in printed and "SYNTHETIC" not in printed
    missing = tables["test"]["GSM_ID"].iloc[:2].tolist()
    assert f"GSM(s) not in human_gene_v2.2.h5, left out: {', '.join(missing)}" in printed.replace("2 GSM", "GSM")
    report = json.loads((tmp_path / "o" / "results.json").read_text())
    settings = report["settings"]
    assert settings["split"]["kind"] == "fallback_gse_split" and settings["expression"]["synthetic"] is False
    assert settings["expression"]["file"] == "human_gene_v2.2.h5"   # a name, never an absolute path
    assert len(report["provenance"]["inputs_sha256"]["expression"]) == 64
    assert report["summary"]["gender"]["accuracy"] > 0.7  # strong synthetic sex markers are learnable


def test_bench_run_bad_inputs_exit_2(tmp_path, capsys, monkeypatch):
    assert main(["run", "geometa_human_gender", "--model", "xgb"]) == 2
    assert "unknown model 'xgb' for task geometa_human_gender; choices: lr, knn, confound" in capsys.readouterr().err
    monkeypatch.setenv(base.ARCHS4_ENV, str(tmp_path / "nope.h5"))
    data = make_human_dir(tmp_path / "data")
    assert main(["run", "geometa_human_gender", "--model", "lr", "--data-dir", str(data),
                 "--out", str(tmp_path / "o")]) == 2
    assert "$BENCH_ARCHS4_H5 points to" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@needs_h5py
@pytest.mark.slow
def test_bench_run_on_the_real_test_csv(tmp_path, capsys, monkeypatch):
    from conftest import shared_path

    root = shared_path("geometa")
    monkeypatch.delenv(base.ARCHS4_ENV, raising=False)
    assert main(["run", "geometa_mouse_gender", "--model", "lr", "--data-dir", str(root),
                 "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    has_train = (root / "benchmark/data/GEOMeta100K/GEO_MOUSE_100K_training.csv").exists()
    assert ("official GEOMeta100K split" if has_train else "FALLBACK split") in printed
    assert re.search(r"CellPLM \(finetune\) +0.655 ± 0.221", printed)
    assert re.search(r"bench lr \(this run\) +[01]\.\d{3} ± \d\.\d{3}.*SYNTHETIC expression", printed)


@needs_h5py
def test_same_seed_same_predictions(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(base.ARCHS4_ENV, raising=False)
    data = make_human_dir(tmp_path / "data", n_train=80, n_test=40)
    hashes = []
    for run in ("a", "b"):
        assert main(["run", "geometa_human_disease", "--model", "knn", "--data-dir", str(data),
                     "--out", str(tmp_path / run), "--seed", "5"]) == 0
        hashes.append(json.loads((tmp_path / run / "results.json").read_text())["settings"]["predictions_sha256"])
    capsys.readouterr()
    assert hashes[0] == hashes[1]
