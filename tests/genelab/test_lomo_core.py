"""The numpy statistics core (bench.metrics.genelab.lomo) against independent truths: sklearn, a slow
per-resample sklearn loop with the same draws, hand-computed cases."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from bench.metrics.genelab import lomo
from lomo_reference import reference_ci, reference_evaluate, reference_p


def _random_case(rng, n, kind):
    y = rng.integers(0, 2, n)
    if kind == "continuous":
        s = rng.random(n)
    elif kind == "few_levels":  # heavy ties
        s = rng.integers(0, 4, n) / 3
    else:
        s = np.round(rng.random(n), 2)
    return y, s


@pytest.mark.parametrize("kind", ["continuous", "few_levels", "rounded"])
def test_roc_auc_rows_bit_identical_to_sklearn(kind):
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(70):
        n = int(rng.integers(2, 250))
        Y = np.stack([_random_case(rng, n, kind)[0] for _ in range(4)])
        S = np.stack([_random_case(rng, n, kind)[1] for _ in range(4)])
        got = lomo.roc_auc_rows(Y, S)
        for y, s, g in zip(Y, S, got):
            if y.min() == y.max():
                assert np.isnan(g)
                continue
            assert g == roc_auc_score(y, s)  # the same float, not just close
            checked += 1
    assert checked > 200


def test_rank_auroc_matches_mann_whitney_and_sklearn():
    rng = np.random.default_rng(3)
    for kind in ("continuous", "few_levels"):
        for _ in range(200):
            y, s = _random_case(rng, int(rng.integers(3, 80)), kind)
            if y.min() == y.max():
                assert lomo.roc_auc_rank(y, s) is None
                continue
            n1, n0 = y.sum(), (1 - y).sum()
            u = rankdata(s)[y == 1].sum() - n1 * (n1 + 1) / 2
            assert lomo.roc_auc_rank(y, s) == pytest.approx(u / (n0 * n1), abs=1e-15)
            assert lomo.roc_auc_rank(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_hand_computed_aurocs():
    # perfect, reversed, all tied, one tie across classes
    assert lomo.roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert lomo.roc_auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert lomo.roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    # pairs (pos, neg): (0.5,0.2)>, (0.5,0.5)=1/2, (0.9,0.2)>, (0.9,0.5)> -> 3.5/4
    assert lomo.roc_auc([0, 0, 1, 1], [0.2, 0.5, 0.5, 0.9]) == 0.875
    # 1 positive ranked 2nd of 3 negatives-and-positive: 2 of 3 negatives below
    assert lomo.roc_auc([0, 1, 0, 0], [0.1, 0.6, 0.9, 0.3]) == pytest.approx(2 / 3, abs=1e-15)


def test_single_class_is_undefined_not_half():
    assert lomo.roc_auc([1, 1, 1], [0.2, 0.4, 0.9]) is None
    row = lomo.fold_statistics("fold_X_test", np.array([0, 0, 0]), np.array([0.1, 0.5, 0.9]))
    assert row["auroc"] is None and row["ci_lower"] is None and row["perm_p"] is None
    assert "one class" in row["undefined"] and row["n_ground"] == 3 and row["n_flight"] == 0


def test_draws_match_the_spec_calls():
    gen = np.random.default_rng(42)
    expected = [gen.integers(0, 9, 9) for _ in range(5)]
    assert np.array_equal(lomo.bootstrap_indices(9, 5, seed=42), np.stack(expected))
    y = np.array([0, 1, 1, 0, 1, 0, 0])
    gen = np.random.default_rng(42)
    assert np.array_equal(lomo.permuted_labels(y, 4, seed=42), np.stack([gen.permutation(y) for _ in range(4)]))
    legacy = np.random.RandomState(42)
    assert np.array_equal(lomo.bootstrap_indices(9, 3, seed=42, rng="legacy"),
                          np.stack([legacy.randint(0, 9, size=9) for _ in range(3)]))


@pytest.mark.parametrize("legacy", [False, True])
def test_ci_and_p_identical_to_slow_sklearn_loop(legacy):
    rng = np.random.default_rng(11)
    rng_mode = "legacy" if legacy else "default"
    for n, kind in [(6, "continuous"), (12, "few_levels"), (35, "rounded"), (9, "continuous")]:
        y, s = _random_case(rng, n, kind)
        y[:2] = [0, 1]
        lo, hi, _ = lomo.bootstrap_ci(y, s, n_bootstrap=250, seed=42, rng=rng_mode)
        assert (lo, hi) == reference_ci(y, s, 250, 42, legacy)
        assert lomo.permutation_p(y, s, n_permutations=150, seed=42, rng=rng_mode) == reference_p(y, s, 150, 42, legacy)


def test_perfect_small_fold_p_floor():
    # 3 Flight + 3 Ground perfectly separated: only 1 of C(6,3)=20 labelings reaches AUROC 1,
    # so p is about (1000/20 + 1) / 1001, never below 1/1001.
    y = np.array([0, 0, 0, 1, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    p = lomo.permutation_p(y, s)
    assert p == reference_p(y, s)
    assert 0.02 < p < 0.09 and p >= 1 / 1001


def test_evaluate_folds_matches_reference_and_excludes_undefined_fold():
    rng = np.random.default_rng(5)
    folds = []
    for name, n in [("fold_A_test", 14), ("fold_B_test", 9), ("fold_C_test", 20)]:
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        folds.append((name, y, np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1)))
    folds.append(("fold_D_test", np.ones(5, dtype=int), rng.random(5)))  # one class
    got = lomo.evaluate_folds(folds, n_bootstrap=200, n_permutations=100)
    ref_rows, ref_summary = reference_evaluate(folds, 200, 100)
    for g, r in zip(got["per_fold"], ref_rows):
        assert {k: g[k] for k in r} == r
    for key, value in ref_summary.items():
        assert got["summary"][key] == value, key
    assert got["summary"]["undefined_folds"] == ["fold_D_test"]
    assert got["summary"]["n_folds_defined"] == 3
    from bench.baselines.genelab.scoring import format_results

    text = format_results(got)
    assert "fold_D_test" in text and "undefined" in text and ("GO" in text)


def test_go_rule_and_configurable_thresholds():
    summary = {"mean_auroc": 0.71, "mean_ci_lower": 0.51, "mean_perm_p": 0.049}
    assert lomo.go_decision(summary, lomo.Thresholds()) == "GO"
    assert lomo.go_decision({**summary, "mean_auroc": 0.70}, lomo.Thresholds()) == "NO-GO"  # strict >
    assert lomo.go_decision({**summary, "mean_perm_p": 0.05}, lomo.Thresholds()) == "NO-GO"  # strict <
    assert lomo.go_decision(summary, lomo.Thresholds.from_any({"mean_auroc": 0.8})) == "NO-GO"
    assert lomo.go_decision({**summary, "mean_ci_lower": None}, lomo.Thresholds()) is None
    with pytest.raises(ValueError, match="unknown key"):
        lomo.Thresholds.from_any({"auroc": 0.7})


def test_lomo_statistics_groups_and_sorts_folds():
    y = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    s = np.array([0.9, 0.1, 0.8, 0.3, 0.4, 0.6, 0.7, 0.2])
    f = ["b", "b", "a", "a", "b", "b", "a", "a"]
    out = lomo.lomo_statistics(y, s, f, n_bootstrap=50, n_permutations=50)
    assert [r["fold"] for r in out["per_fold"]] == ["a", "b"]
    # pooled = folds concatenated in sorted order, original order within a fold
    order = [2, 3, 6, 7, 0, 1, 4, 5]
    assert out["summary"]["overall_auroc_pooled"] == roc_auc_score(y[order], s[order])


def test_category_b_transfer_pattern():
    rows = [
        {"fold": "p1", "n_test": 6, "auroc": 1.0, "perm_p": 0.06},
        {"fold": "p2", "n_test": 35, "auroc": 0.9, "perm_p": 0.001},
        {"fold": "p3", "n_test": 20, "auroc": 0.65, "perm_p": 0.04},
        {"fold": "p4", "n_test": 30, "auroc": None, "perm_p": None},
    ]
    tp = lomo.transfer_pattern(rows)
    assert tp["all_pairs"] == {"n_pairs": 4, "n_defined": 3, "n_significant": 2, "n_auroc_ge_threshold": 2,
                               "mean_auroc": pytest.approx((1.0 + 0.9 + 0.65) / 3)}
    assert tp["large_test_min"] == 20
    assert tp["large_pairs"]["n_pairs"] == 3 and tp["large_pairs"]["n_significant"] == 2
    assert tp["large_pairs"]["n_auroc_ge_threshold"] == 1


def test_zero_resamples_disable_ci_and_p():
    y = np.array([0, 1, 0, 1])
    out = lomo.evaluate_folds([("f", y, np.array([0.1, 0.9, 0.2, 0.8]))], n_bootstrap=0, n_permutations=0)
    row = out["per_fold"][0]
    assert row["auroc"] == 1.0 and row["ci_lower"] is None and row["perm_p"] is None
    assert out["summary"]["go_nogo"] is None


def test_bad_rng_mode():
    with pytest.raises(ValueError, match="rng must be one of"):
        lomo.bootstrap_indices(3, 2, rng="numpy")


def test_bootstrap_mean_ci_legacy_draws():
    vals = np.array([0.9, 0.6, 0.75, 0.8, 0.55])
    rs = np.random.RandomState(42)
    means = [vals[rs.randint(0, 5, size=5)].mean() for _ in range(300)]
    assert lomo.bootstrap_mean_ci(vals, n_bootstrap=300) == (float(np.percentile(means, 2.5)),
                                                             float(np.percentile(means, 97.5)))
    assert lomo.bootstrap_mean_ci([0.7], n_bootstrap=300) == (None, None)


def test_blocked_resampling_gives_the_same_numbers(monkeypatch):
    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, 40)
    y[:2] = [0, 1]
    s = np.round(rng.random(40), 2)
    whole = (lomo.bootstrap_ci(y, s, n_bootstrap=300), lomo.permutation_p(y, s, n_permutations=200))
    monkeypatch.setattr(lomo, "_BLOCK_CELLS", 40 * 7)  # blocks of 7 resamples
    assert (lomo.bootstrap_ci(y, s, n_bootstrap=300), lomo.permutation_p(y, s, n_permutations=200)) == whole
    assert whole[0][:2] == reference_ci(y, s, 300, 42) and whole[1] == reference_p(y, s, 200, 42)
