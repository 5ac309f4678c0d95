"""Parity on the real upstream baseline submissions: bench's numbers equal a straightforward
per-resample sklearn implementation of the evaluator rules (tests/lomo_reference.py) with the
same draws. Equality is exact (==) for every AUROC, CI bound, p-value, mean, std and pooled value:
bench computes each AUROC with sklearn's own floating-point steps and the summaries with the same
numpy calls in the same order, so no tolerance is needed.

The default run uses 60 bootstrap draws and 40 permutations (same rules, same generator stream,
fewer draws); the full 2,000/1,000 run over every submission is marked slow.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from bench.loaders.genelab_layout import read_task_layout, task_dir_for
from bench.metrics.lomo import evaluate_folds
from bench.metrics.submission import evaluate_submission
from bench.tasks import get_task
from conftest import shared_path
from lomo_reference import reference_evaluate

SUBMISSIONS = {  # upstream id -> file in ../shared/genelab/evaluation
    "A2": "submission_LR_baseline_A2.json",
    "A4": "submission_PCALR_baseline_A4.json",
    "A5": "submission_PCALR_baseline_A5.json",
    "A6": "submission_PCALR_baseline_A6.json",
    "B2": "submission_PCALR_baseline_B2.json",
    "B4": "submission_PCALR_baseline_B4.json",
    "B5": "submission_PCALR_baseline_B5.json",
    "B6": "submission_PCALR_baseline_B6.json",
}
# Published mean AUROCs (seed README). A2's submission was refit with max_iter 10,000 (0.917, the
# README's baseline-submission table); A6's file is the PCA-LR gene-level submission (0.789 in the
# Geneformer comparison table), not the 0.915 pathway-level highlight.
PUBLISHED_MEAN_AUROC = {"A2": 0.917, "A4": 0.923, "A6": 0.789, "B2": 0.801, "B4": 0.860, "B5": 0.772, "B6": 0.754}
# README Category B "AUROC >= 0.70" column
PUBLISHED_B_GE_070 = {"B2": (4, 6), "B4": (9, 12), "B5": (5, 6)}


def _fold_data(upstream_id: str):
    root = shared_path("genelab")
    path = root / "evaluation" / SUBMISSIONS[upstream_id]
    if not path.is_file():
        pytest.skip(f"{path} absent")
    spec = get_task(upstream_id)
    layout = read_task_layout(task_dir_for(root, spec.params["task_dir"]))
    preds = json.loads(path.read_text())["predictions"]
    folds = []
    for fold in layout.evaluated_folds:
        y = fold.test_y()
        folds.append((fold.name, y.to_numpy(), np.array([preds[fold.name][sid] for sid in y.index], dtype=float)))
    return spec, path, folds


def _assert_equal_to_reference(folds, n_bootstrap, n_permutations, category):
    got = evaluate_folds(folds, n_bootstrap=n_bootstrap, n_permutations=n_permutations, category=category)
    ref_rows, ref_summary = reference_evaluate(folds, n_bootstrap, n_permutations)
    for g, r in zip(got["per_fold"], ref_rows, strict=True):
        assert {k: g[k] for k in r} == r, r["fold"]
    for key, value in ref_summary.items():
        assert got["summary"][key] == value, key
    return got


@pytest.mark.parametrize("upstream_id", sorted(SUBMISSIONS))
def test_parity_with_reference_loop(upstream_id):
    spec, _, folds = _fold_data(upstream_id)
    _assert_equal_to_reference(folds, 60, 40, spec.params["category"])


@pytest.mark.slow
@pytest.mark.parametrize("upstream_id", sorted(SUBMISSIONS))
def test_parity_with_reference_loop_full_resamples(upstream_id):
    spec, _, folds = _fold_data(upstream_id)
    _assert_equal_to_reference(folds, 2000, 1000, spec.params["category"])


@pytest.mark.parametrize("upstream_id", sorted(PUBLISHED_MEAN_AUROC))
def test_mean_auroc_matches_published(upstream_id):
    spec, _, folds = _fold_data(upstream_id)
    got = evaluate_folds(folds, n_bootstrap=0, n_permutations=0, category=spec.params["category"])
    assert round(got["summary"]["mean_auroc"], 3) == PUBLISHED_MEAN_AUROC[upstream_id]


@pytest.mark.parametrize("upstream_id", sorted(PUBLISHED_B_GE_070))
def test_category_b_pairs_at_least_070_match_published(upstream_id):
    _, _, folds = _fold_data(upstream_id)
    got = evaluate_folds(folds, n_bootstrap=0, n_permutations=0, category="B")
    pattern = got["transfer_pattern"]["all_pairs"]
    assert (pattern["n_auroc_ge_threshold"], pattern["n_pairs"]) == PUBLISHED_B_GE_070[upstream_id]


def test_evaluate_submission_end_to_end_a4_full_rules():
    """A4 with the evaluator defaults: the README's A4 PCA-LR row (0.923 / CI lower 0.878 / p 0.037, GO)."""
    spec, path, folds = _fold_data("A4")
    out = evaluate_submission(path, spec, data_dir=shared_path("genelab"))
    s = out["summary"]
    assert out["n_bootstrap"] == 2000 and out["n_permutations"] == 1000 and out["seed"] == 42
    assert round(s["mean_auroc"], 3) == 0.923 and s["go_nogo"] == "GO"
    assert round(s["mean_perm_p"], 3) == 0.037
    # the published A4 file used 200 fold bootstrap draws: its CI lower 0.878 differs slightly from
    # the current rules' value
    assert abs(s["mean_ci_lower"] - 0.878) < 0.01


# README Category B "95% CI" column: bootstrap over pairs of the mean pair AUROC (legacy RandomState)
PUBLISHED_B_MEAN_CI = {"B2": (0.653, 0.944), "B4": (0.763, 0.953), "B5": (0.691, 0.834), "B6": (0.688, 0.838)}


@pytest.mark.parametrize("upstream_id", sorted(PUBLISHED_B_MEAN_CI))
def test_category_b_mean_ci_matches_published_legacy_statistics(upstream_id):
    _, _, folds = _fold_data(upstream_id)
    got = evaluate_folds(folds, n_bootstrap=2000, n_permutations=0, category="B")
    ci = got["transfer_pattern"]["mean_auroc_ci"]
    assert (round(ci["lower"], 3), round(ci["upper"], 3)) == PUBLISHED_B_MEAN_CI[upstream_id]
