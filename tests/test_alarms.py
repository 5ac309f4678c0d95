"""Sanity alarms fire on crafted bad results and stay silent on the upstream baseline submissions."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from genelab_helpers import write_label_folds
from bench.cli import main
from bench.metrics import alarms as al

Y = np.array([1, 1, 1, 0, 0, 0, 0, 1, 0, 0], dtype=float)
GOOD = np.array([0.9, 0.8, 0.4, 0.3, 0.2, 0.5, 0.1, 0.7, 0.35, 0.15])


def _ids(alarms):
    return [a.id for a in alarms]


def test_good_result_is_silent():
    folds = [("f1", Y, GOOD), ("f2", Y[::-1], GOOD[::-1])]
    rows = [{"fold": f, "n_flight": 4, "n_ground": 6, "auroc": roc_auc_score(y, s)} for f, y, s in folds]
    assert al.lomo_alarms(folds, rows, float(np.mean([r["auroc"] for r in rows]))) == []


def test_constant_and_nan_predictions_fire():
    const = al.prediction_alarms([("f1", Y, np.full(Y.size, 0.5))])
    assert _ids(const) == ["constant_predictions"] and "'f1'" in const[0].message and "0.5 by construction" in const[0].message
    nan = al.prediction_alarms([("f2", Y, np.where(np.arange(Y.size) < 3, np.nan, GOOD))])
    assert _ids(nan) == ["nan_predictions"] and "3 of 10 scores are NaN" in nan[0].message
    all_nan = al.prediction_alarms([("f3", Y, np.full(Y.size, np.nan))])
    assert _ids(all_nan) == ["nan_predictions"]


def test_missing_and_extra_ids_fire():
    alarms = al.id_alarms({"f1": ["a", "b", "zz"], "f9": ["x"]}, {"f1": ["a", "b", "c"], "f2": ["d"]})
    assert sorted(_ids(alarms)) == ["extra_ids", "extra_ids", "missing_ids", "missing_ids"]
    text = " | ".join(a.message for a in alarms)
    assert "'c'" in text and "'zz'" in text and "fold 'f2' has no predictions" in text and "'f9' is not a fold" in text
    assert al.id_alarms({"f1": ["b", "a"]}, {"f1": ["a", "b"]}) == []


@pytest.mark.parametrize("n1,n0", [(2, 3), (3, 3), (1, 4)])
def test_attainable_aurocs_equal_brute_force(n1, n0):
    """Every AUROC sklearn produces for any scores (ties included) on n1+n0 samples, and only those."""
    y = [1] * n1 + [0] * n0
    seen = {round(roc_auc_score(y, s) * 4 * n1 * n0) for s in itertools.product(range(3), repeat=n1 + n0)}
    for k in range(0, 4 * n1 * n0 + 1):  # candidates on a grid twice as fine as the true one
        assert al.auroc_is_attainable(k / (4 * n1 * n0), n1, n0) == (k in seen), k
    assert not al.auroc_is_attainable(1.01, n1, n0) and not al.auroc_is_attainable(float("nan"), n1, n0)


def test_impossible_auroc_fires():
    rows = [{"fold": "f1", "n_flight": 2, "n_ground": 3, "auroc": 0.55},
            {"fold": "f2", "n_flight": 2, "n_ground": 3, "auroc": 7 / 12}]
    alarms = al.impossible_auroc_alarms(rows)
    assert _ids(alarms) == ["impossible_auroc"] and "'f1'" in alarms[0].message and "1/12" in alarms[0].message


def test_random_floor_matches_a_plain_simulation():
    folds = [("f1", Y, GOOD), ("f2", Y[:7], GOOD[:7])]
    lo, hi = al.random_floor(folds, n_draws=300, seed=5)
    rng = np.random.default_rng(5)
    per_fold = []
    for _, y, _ in folds:
        draws = rng.random((300, y.size))
        per_fold.append([roc_auc_score(y, d) for d in draws])
    means = np.mean(per_fold, axis=0)
    assert (lo, hi) == pytest.approx((np.percentile(means, 2.5), np.percentile(means, 97.5)), abs=1e-12)
    assert lo < 0.5 < hi


def test_inverted_scores_fall_below_random_floor():
    folds = [("f1", Y, 1 - GOOD), ("f2", Y[::-1], 1 - GOOD[::-1])]
    mean = float(np.mean([roc_auc_score(y, s) for _, y, s in folds]))
    alarms = al.below_random_floor_alarm(folds, mean)
    assert _ids(alarms) == ["below_random_floor"] and "worse than chance" in alarms[0].message


def test_order_dependent_metric_fires():
    folds = [("f1", Y, GOOD)]
    assert al.order_dependence_alarms(folds) == []  # AUROC depends on ids only
    row_order_metric = lambda y, s: float(np.corrcoef(np.arange(y.size), s)[0, 1])  # noqa: E731
    alarms = al.order_dependence_alarms(folds, metric=row_order_metric)
    assert _ids(alarms) == ["order_dependent"] and "row order" in alarms[0].message


def test_gene_universe_mismatch_fires():
    data = [f"ENSMUSG{i:011d}" for i in range(50)]
    assert al.gene_universe_alarm(data[:10], data) == []
    alarms = al.gene_universe_alarm(["Actb", "Gapdh", data[0]], data, what="GTA gene list")
    assert _ids(alarms) == ["gene_universe"] and "2 of 3" in alarms[0].message and "'Actb'" in alarms[0].message
    assert "identifier type or organism" in alarms[0].message


def _layout(root):
    labels = {"fold_MHU-2_test": dict(zip([f"a{i}" for i in range(10)], Y)),
              "fold_RR-6_test": dict(zip([f"b{i}" for i in range(10)], Y[::-1])),
              "fold_RR-7_test": dict(zip([f"c{i}" for i in range(10)], Y))}
    write_label_folds(root, labels)
    return labels


@pytest.mark.parametrize("kind,alarm", [("constant", "constant_predictions"), ("inverted", "below_random_floor")])
def test_cli_evaluate_warns_and_records_alarms(tmp_path, capsys, kind, alarm):
    labels = _layout(tmp_path / "data")
    preds = {f: {s: (0.5 if kind == "constant" else float(1 - y) * 0.8 + 0.1) for s, y in lab.items()}
             for f, lab in labels.items()}
    (tmp_path / "s.json").write_text(json.dumps({"task_id": "A5", "model_name": "bad", "predictions": preds}))
    code = main(["evaluate", "A5", str(tmp_path / "s.json"), "--data-dir", str(tmp_path / "data"),
                 "--record", str(tmp_path / "rec"), "--n-bootstrap", "20", "--n-permutations", "20"])
    err = capsys.readouterr().err
    assert code == 0 and f"bench: warning: [{alarm}]" in err
    record = json.loads((tmp_path / "rec" / "record.json").read_text())
    assert alarm in [a["id"] for a in record["alarms"]]


@pytest.mark.parametrize("name", ["LR_baseline_A2", "PCALR_baseline_A4", "PCALR_baseline_A5", "PCALR_baseline_A6",
                                  "PCALR_baseline_B2", "PCALR_baseline_B4", "PCALR_baseline_B5", "PCALR_baseline_B6"])
def test_silent_on_upstream_baseline_submissions(name):
    from conftest import shared_path

    from bench.loaders.genelab.labels import task_labels
    from bench.metrics.genelab.submission import evaluate_submission, read_submission
    from bench.baselines.genelab.records import evaluated_labels, evaluation_alarms
    from bench.tasks import get_task

    root = shared_path("genelab")
    path = root / "evaluation" / f"submission_{name}.json"
    spec = get_task(name.rsplit("_", 1)[1])
    results = evaluate_submission(path, spec, labels=task_labels(spec, root), n_bootstrap=10, n_permutations=10)
    labels = evaluated_labels(spec, results["folds_evaluated"], root)
    assert evaluation_alarms(results, labels, read_submission(path).predictions) == []
