"""An independent, deliberately straightforward implementation of the GeneLab evaluator rules
(spec genelab.md §3) with one sklearn call per resample: the truth the fast core is tested against.
"""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import roc_auc_score


def reference_auroc(y, s):
    if len(np.unique(y)) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(roc_auc_score(y, s))


def reference_ci(y, s, n_bootstrap=2000, seed=42, legacy=False):
    rng = np.random.RandomState(seed) if legacy else np.random.default_rng(seed)
    n = len(y)
    values = []
    for _ in range(n_bootstrap):
        idx = rng.randint(0, n, size=n) if legacy else rng.integers(0, n, n)
        if len(np.unique(y[idx])) < 2:
            continue
        values.append(roc_auc_score(y[idx], s[idx]))
    if not values:
        return None, None
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def reference_p(y, s, n_permutations=1000, seed=42, legacy=False):
    observed = roc_auc_score(y, s)
    rng = np.random.RandomState(seed) if legacy else np.random.default_rng(seed)
    null = [roc_auc_score(rng.permutation(y), s) for _ in range(n_permutations)]
    return (sum(1 for v in null if v >= observed) + 1) / (n_permutations + 1)


def reference_evaluate(folds, n_bootstrap=2000, n_permutations=1000, seed=42, legacy=False):
    """folds: list of (name, y, s) in evaluation order -> (per_fold list, summary dict)."""
    per_fold = []
    for name, y, s in folds:
        y = np.asarray(y)
        s = np.asarray(s, dtype=float)
        auroc = reference_auroc(y, s)
        row = {"fold": name, "n_test": len(y), "n_flight": int((y == 1).sum()), "n_ground": int((y == 0).sum()),
               "auroc": auroc, "ci_lower": None, "ci_upper": None, "perm_p": None}
        if auroc is not None:
            row["ci_lower"], row["ci_upper"] = reference_ci(y, s, n_bootstrap, seed, legacy)
            row["perm_p"] = reference_p(y, s, n_permutations, seed, legacy)
        per_fold.append(row)
    ok = [r for r in per_fold if r["auroc"] is not None]
    y_all = np.concatenate([np.asarray(y) for _, y, _ in folds])
    s_all = np.concatenate([np.asarray(s, dtype=float) for _, _, s in folds])
    lo, hi = reference_ci(y_all, s_all, n_bootstrap, seed, legacy)
    summary = {
        "mean_auroc": float(np.mean([r["auroc"] for r in ok])),
        "std_auroc": float(np.std([r["auroc"] for r in ok])),
        "mean_ci_lower": float(np.mean([r["ci_lower"] for r in ok])),
        "overall_auroc_pooled": reference_auroc(y_all, s_all),
        "overall_ci_lower": lo,
        "overall_ci_upper": hi,
        "mean_perm_p": float(np.mean([r["perm_p"] for r in ok])),
    }
    return per_fold, summary
