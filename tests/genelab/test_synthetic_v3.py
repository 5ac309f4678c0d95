"""Generator v3 of the embedded synthetic GeneLab default: realistic, not perfect.

Properties checked with real model runs (the quick start's pca_lr, random, rf, lr) and against
hand computations (gene-gene correlation, per-mission Flight effects, pathway scores recomputed
from the gene matrix). These are synthetic-only expectations; no real-data number is involved.
"""
from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from bench.baselines.genelab.run import run_category_a
from bench.loaders import config_meta, load
from bench.loaders.genelab import synthetic as gs
from bench.tasks import get_task

from .test_synthetic import tree_digest

pytestmark = [pytest.mark.filterwarnings("ignore::bench.loaders.SyntheticDataWarning"),
              pytest.mark.usefixtures("cache")]   # a private BENCH_CACHE (conftest.py)


def _run(task: str, model: str) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_category_a(get_task(task), model=model, progress=False)


def test_quick_start_is_plausible_not_perfect_and_says_which_generator():
    res = _run("A5_skin", "pca_lr")
    aurocs = [f["auroc"] for f in res["per_fold"]]
    assert 0.70 <= res["summary"]["mean_auroc"] <= 0.92, aurocs
    assert max(aurocs) < 1.0 and res["summary"]["mean_ci_lower"] < 0.9
    assert res["synthetic"] is True
    meta = config_meta(load("A5_skin"))
    assert meta["source"]["origin"] == "synthetic:genelab-v3-seed0"       # portable, names the generator
    info = json.loads((gs.synthetic_root(0) / "tasks/A5_skin_lomo/task_info.json").read_text())
    assert info["generator"]["version"] == gs.GENERATOR_VERSION == 3 and info["generator"]["seed"] == 0


def test_eye_is_in_range_and_models_differ_and_random_is_chance():
    pca = _run("A6_eye", "pca_lr")["summary"]["mean_auroc"]
    rf = _run("A6_eye", "rf")["summary"]["mean_auroc"]
    assert 0.70 <= pca <= 0.92 and abs(pca - rf) >= 0.02
    rand = _run("A5_skin", "random")["summary"]["mean_auroc"]
    assert abs(rand - 0.5) < 0.1


def test_pathway_level_behaves_like_gene_level():
    """GSVA-like scores from the same genes: informative, not perfect, models distinguishable."""
    pca = _run("A5_skin_hallmark", "pca_lr")
    rf = _run("A5_skin_hallmark", "rf")
    assert 0.60 <= pca["summary"]["mean_auroc"] <= 0.92 and max(f["auroc"] for f in pca["per_fold"]) < 1.0
    assert abs(pca["summary"]["mean_auroc"] - rf["summary"]["mean_auroc"]) >= 0.02


@pytest.mark.slow
def test_b_pairs_spread():
    per_pair = [f["auroc"] for f in _run("B4_thymus", "pca_lr")["per_fold"]]
    assert len(per_pair) == 12 and min(per_pair) < 0.9 and np.std(per_pair) > 0.05


def test_modules_correlate_genes_and_flight_effect_varies_by_mission():
    world = gs.tissue_world("skin")
    model = world.model
    X = world.X["RR-6"][world.missions["RR-6"].labels == 0].astype(np.float64)   # Ground only
    rng = np.random.default_rng(0)
    expressed = model.mu > 4                                          # never clipped at 0
    same = [rng.choice(np.flatnonzero((model.module == k) & expressed), 2, replace=False)
            for k in range(model.params.n_modules)]
    free = np.flatnonzero((model.module < 0) & expressed)
    other = [rng.choice(free, 2, replace=False) for _ in range(80)]

    def mean_r(pairs):
        return float(np.mean([np.corrcoef(X[:, a], X[:, b])[0, 1] for a, b in pairs]))
    assert mean_r(same) > 0.25 and abs(mean_r(other)) < 0.1
    # per-mission Flight-minus-Ground differences on module genes: related across missions, not equal
    genes = np.flatnonzero((model.module >= 0) & expressed)
    diff = {m: world.X[m][world.missions[m].labels == 1][:, genes].mean(0)
            - world.X[m][world.missions[m].labels == 0][:, genes].mean(0) for m in ("MHU-2", "RR-6", "RR-7")}
    r = [np.corrcoef(diff[a], diff[b])[0, 1] for a, b in (("MHU-2", "RR-6"), ("MHU-2", "RR-7"), ("RR-6", "RR-7"))]
    assert all(0.05 < v < 0.9 for v in r), r


def test_housekeeping_genes_are_in_no_module():
    world = gs.tissue_world("skin")
    hk = set(gs.housekeeping_gene_ids())
    cols = [i for i, g in enumerate(world.genes) if g in hk]
    assert cols and (world.model.module[cols] == -1).all() and (world.model.loading[cols] == 0).all()


def test_pathway_scores_are_computed_from_the_same_genes():
    """Recompute one mission's hallmark file by hand: z-score each gene over the mission's samples,
    average over the gene set, clip to [-1, 1]."""
    root = gs.ensure_synthetic(get_task("A6_eye_hallmark"), progress=False)
    world = gs.tissue_world("eye")
    sets = gs.gene_sets(world.model, "eye", "hallmark", seed=0)
    table = pd.read_csv(root / "processed/pathway_scores/eye/RR-1_gsva_hallmark.csv", index_col=0)
    X = world.X["RR-1"].astype(np.float64)
    with np.errstate(invalid="ignore"):
        z = np.nan_to_num((X - X.mean(0)) / X.std(0))                  # a constant gene has z = 0
    for p in (0, 7, 49):
        expected = np.clip(z[:, sets[p]].mean(axis=1), -1, 1)
        got = table.loc[world.missions["RR-1"].gsva_ids, f"HALLMARK_SYNTHETIC_PATHWAY_{p:04d}"].to_numpy()
        np.testing.assert_allclose(got, expected, atol=1e-12)
    assert len(table) == world.missions["RR-1"].labels.size + gs.N_BASAL


def test_pathway_files_are_deterministic(tmp_path):
    a = gs.write_pathway_scores(tmp_path / "a", "gastrocnemius", seed=5)
    gs.tissue_world.cache_clear()
    b = gs.write_pathway_scores(tmp_path / "b", "gastrocnemius", seed=5)
    gs.tissue_world.cache_clear()
    c = gs.write_pathway_scores(tmp_path / "c", "gastrocnemius", seed=6)
    assert tree_digest(a) == tree_digest(b) != tree_digest(c)


def test_unknown_generator_parameter_is_refused():
    from bench.errors import BenchError
    with pytest.raises(BenchError, match=r"unknown generator parameter\(s\) \['flight'\]"):
        gs.SyntheticParams.for_tissue({"synthetic": {"flight": 1}})


def test_results_table_marks_every_row_synthetic():
    from bench.baselines.genelab.scoring import format_results
    from bench.metrics.genelab import lomo
    rng = np.random.default_rng(0)
    folds = [(f"fold_{m}_test", rng.integers(0, 2, 20), rng.random(20)) for m in ("A", "B")]
    res = lomo.evaluate_folds(folds, n_bootstrap=50, n_permutations=50)
    plain = format_results(res)
    marked = format_results({**res, "synthetic": True})
    assert "SYNTHETIC" not in plain
    rows = [line for line in marked.splitlines() if line.startswith("fold_")]
    assert len(rows) == 2 and all(line.rstrip().endswith("SYNTHETIC") for line in rows)
    assert "[SYNTHETIC data]" in marked and "on SYNTHETIC data" in marked


def test_category_b_forest_has_no_go_threshold(tmp_path):
    """B has no verdict: its forest plot draws chance only; A keeps the GO line at 0.70."""
    from bench.baselines.genelab import plots

    folds = [{"fold": "pair_X_Y", "auroc": 0.8, "ci_lower": 0.6, "ci_upper": 0.9, "perm_p": 0.01}]
    summary = {"mean_auroc": 0.8, "mean_ci_lower": 0.6}
    figures = [plots.plot_forest(folds, summary, title="A"), plots.plot_forest(folds, summary, title="B", verdict=False)]
    xs = [sorted({round(float(line.get_xdata()[0]), 3) for line in fig.axes[0].lines
                  if len(set(np.asarray(line.get_xdata(), float))) == 1 and line.get_linestyle() in ("--", ":")})
          for fig in figures]
    assert xs == [[0.5, 0.7], [0.5]]
    legend_b = [t.get_text() for t in figures[1].axes[0].get_legend().get_texts()]
    assert not any("GO" in t for t in legend_b)


def test_category_b_run_asks_for_no_verdict(monkeypatch):
    import importlib

    from bench.baselines.genelab import plots
    run = importlib.import_module("bench.baselines.genelab.run")   # the package exports a function named run

    seen = {}
    monkeypatch.setattr(plots, "plot_forest", lambda *a, **k: seen.setdefault("verdict", k.get("verdict")))
    monkeypatch.setattr(plots, "plot_roc_curves", lambda *a, **k: None)
    monkeypatch.setattr(plots, "plot_heatmap", lambda *a, **k: None)
    rows = [{"fold": "pair_RR-1_RR-3", "sample_ids": ["s1", "s2"], "y": np.array([0.0, 1.0]),
             "scores": np.array([0.2, 0.7])}]
    from bench.metrics.genelab import lomo
    evaluation = lomo.evaluate_folds([("pair_RR-1_RR-3", np.array([0, 1]), np.array([0.2, 0.7]))], category="B",
                                     n_bootstrap=10, n_permutations=10)
    results = {"category": "B", "synthetic": True, "_rows": rows, "model": "pca_lr", "feature_level": "gene",
               "statistics": "x", "model_description": "x", "n_features": 1, "fold_details": [], "seed": 42,
               "_meta": {"synthetic": True}, "task": "B6_eye", **evaluation}
    res = run.category_a_result(get_task("B6_eye"), results)
    assert seen["verdict"] is False and "SYNTHETIC" in res.text
