"""geometa_f1 against sklearn (computed here, independently) and through evaluate.load."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, classification_report, f1_score

from bench.errors import BenchError
from bench.baselines.geometa.run import plain_scores_text as format_results
from bench.metrics.geometa import f1_scores, geometa_f1, leaderboard_f1

REPO = Path(__file__).resolve().parents[2]


def sklearn_leaderboard(y_true, y_pred):
    """Upstream's recipe verbatim: report -> DataFrame -> mean/std of the f1-score column."""
    labels = np.unique(y_true)
    report = classification_report(y_true, y_pred, labels=labels, output_dict=True, zero_division=0)
    table = pd.DataFrame(report).transpose()
    return table["f1-score"].mean(), table["f1-score"].std(), list(table.index)


def cases():
    rng = np.random.default_rng(7)
    vocab = np.array(["Blood", "Brain", "Lungs", "Skin", "Liver", "Kidney"])
    out = []
    for n, k_true, k_pred in [(50, 4, 4), (200, 6, 5), (30, 3, 6), (80, 2, 2), (40, 5, 3)]:
        t = rng.choice(vocab[:k_true], n)
        p = np.where(rng.random(n) < 0.5, t, rng.choice(vocab[:k_pred], n))
        out.append((t.tolist(), p.tolist()))
    out.append((["Male"] * 5 + ["Female"] * 5, ["Male"] * 10))  # one class never predicted
    out.append((["a", "b", "a", "c"], ["a", "b", "b", "d"]))  # prediction outside the test labels
    return out


@pytest.mark.parametrize("case", range(len(cases())))
def test_plain_scores_equal_sklearn(case):
    t, p = cases()[case]
    got = f1_scores(t, p)
    assert got["macro_f1"] == pytest.approx(f1_score(t, p, average="macro", zero_division=0), abs=1e-12)
    assert got["weighted_f1"] == pytest.approx(f1_score(t, p, average="weighted", zero_division=0), abs=1e-12)
    assert got["accuracy"] == pytest.approx(accuracy_score(t, p), abs=1e-12)
    labels = sorted(set(t) | set(p))
    per = f1_score(t, p, average=None, labels=labels, zero_division=0)
    assert got["per_class_f1"] == pytest.approx(dict(zip(labels, per)), abs=1e-12)
    test_labels = sorted(set(t))
    restricted = f1_scores(t, p, labels=test_labels)
    assert restricted["macro_f1"] == pytest.approx(
        f1_score(t, p, average="macro", labels=test_labels, zero_division=0), abs=1e-12)


@pytest.mark.parametrize("case", range(len(cases())))
def test_leaderboard_mode_equals_upstream_recipe(case):
    t, p = cases()[case]
    mean, std, rows = sklearn_leaderboard(t, p)
    got = leaderboard_f1(t, p)
    assert got["leaderboard_f1"] == pytest.approx(mean, abs=1e-12)
    assert got["leaderboard_f1_std"] == pytest.approx(std, abs=1e-12)
    assert list(got["leaderboard_rows"]) == rows
    assert got["leaderboard_display"] == f"{mean:.3f} ± {std:.3f}"


def test_micro_avg_quirk_replaces_accuracy_row():
    t, p = ["a", "b", "a", "c"], ["a", "b", "b", "d"]
    got = leaderboard_f1(t, p)
    assert got["leaderboard_micro_row"] == "micro avg" and "accuracy" not in got["leaderboard_rows"]
    # micro over labels a, b, c: tp=2, predicted in labels=3, true=4 -> P=2/3, R=1/2, F=4/7 (by hand)
    assert got["leaderboard_rows"]["micro avg"] == pytest.approx(4 / 7)
    inside = leaderboard_f1(t, ["a", "b", "b", "c"])
    assert inside["leaderboard_micro_row"] == "accuracy" and inside["leaderboard_rows"]["accuracy"] == 0.75


def test_perfect_prediction_gives_one_and_zero_spread():
    t = ["x", "y", "y", "z"]
    got = geometa_f1(t, t, compat="leaderboard")
    assert got["macro_f1"] == 1.0 and got["leaderboard_f1"] == 1.0 and got["leaderboard_f1_std"] == 0.0


def test_bad_inputs_are_named():
    with pytest.raises(BenchError, match="differ in length: 1 vs 2"):
        geometa_f1(["a", "b"], ["a"])
    with pytest.raises(BenchError, match=r"references \(y_true\) has missing values .* position\(s\) \[1\]"):
        geometa_f1(["a", None], ["a", "b"])
    with pytest.raises(BenchError, match="unknown compat mode 'kaggle'"):
        geometa_f1(["a"], ["a"], compat="kaggle")
    with pytest.raises(BenchError, match="empty"):
        geometa_f1([], [])


def test_format_results_lists_classes_by_support():
    text = format_results(geometa_f1(["a", "a", "b"], ["a", "b", "b"], compat="leaderboard"), title="t")
    assert text.splitlines()[0] == "t" and "leaderboard F1 ± std (accuracy row)" in text
    assert text.index("\na ") < text.index("\nb ")


def test_evaluate_module_loads_by_path_offline():
    evaluate = pytest.importorskip("evaluate")
    metric = evaluate.load(str(REPO / "metrics" / "geometa_f1"))
    t, p = cases()[1]
    res = metric.compute(predictions=p, references=t)
    assert res["macro_f1"] == pytest.approx(f1_score(t, p, average="macro", zero_division=0))
    lb = evaluate.load(str(REPO / "metrics" / "geometa_f1"), "leaderboard").compute(predictions=p, references=t)
    assert lb["leaderboard_f1"] == pytest.approx(sklearn_leaderboard(t, p)[0])
    card = (REPO / "metrics" / "geometa_f1" / "README.md").read_text()
    assert card.startswith("---\ntitle: GEOmeta F1") and "## Limitations and Bias" in card


def test_docstring_examples_run():
    import doctest

    import bench.loaders.geometa.archs4
    import bench.loaders.geometa.build
    import bench.metrics.geometa._f1
    import bench.metrics.geometa._leaderboard

    for module in (bench.metrics.geometa._f1, bench.metrics.geometa._leaderboard, bench.loaders.geometa.build,
                   bench.loaders.geometa.archs4):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__
