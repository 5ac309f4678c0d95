"""Speed of bench's lomo_auroc statistics vs the straightforward per-resample sklearn loop.

Workload: an A1-sized submission (A1 liver: 193 samples in 6 LOMO folds of 6/14/12/39/103/19 test
samples with A1's real class counts), full evaluator rules: per fold AUROC + 2,000 bootstrap draws +
1,000 permutations, plus the pooled AUROC and its 2,000-draw CI. Both sides draw the same random
numbers (default_rng(42) calls in the spec's order); the baseline calls sklearn's roc_auc_score
once per resample, as the upstream evaluator does. Prints both times, the ratio and whether every
output number is identical.

    python benchmarks/bench_lomo_speed.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.metrics import roc_auc_score

from bench.metrics.genelab.lomo import evaluate_folds

# A1 liver folds: (name, n_ground, n_flight) from tasks/A1_liver_lomo/*/test_y.csv
A1_FOLDS = [("fold_MHU-2_test", 3, 3), ("fold_RR-1_test", 7, 7), ("fold_RR-3_test", 6, 6),
            ("fold_RR-6_test", 19, 20), ("fold_RR-8_test", 68, 35), ("fold_RR-9_test", 14, 5)]


def a1_sized_folds(seed: int = 0):
    """Labels with A1's fold sizes and class counts; scores = a weak signal rounded to 3 decimals (ties)."""
    rng = np.random.default_rng(seed)
    folds = []
    for name, n0, n1 in A1_FOLDS:
        y = rng.permutation(np.r_[np.zeros(n0, int), np.ones(n1, int)])
        s = np.round(np.clip(0.5 + 0.15 * (y - 0.5) + 0.2 * rng.standard_normal(y.size), 0, 1), 3)
        folds.append((name, y, s))
    return folds


def _ci(y, s, n_bootstrap, seed):
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_bootstrap):
        idx = rng.integers(0, len(y), len(y))
        if len(np.unique(y[idx])) < 2:
            continue
        values.append(roc_auc_score(y[idx], s[idx]))
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def straightforward(folds, n_bootstrap=2000, n_permutations=1000, seed=42):
    """The evaluator rules with one sklearn call per resample."""
    rows = []
    for name, y, s in folds:
        auroc = float(roc_auc_score(y, s))
        lo, hi = _ci(y, s, n_bootstrap, seed)
        rng = np.random.default_rng(seed)
        null = [roc_auc_score(rng.permutation(y), s) for _ in range(n_permutations)]
        p = (sum(v >= auroc for v in null) + 1) / (n_permutations + 1)
        rows.append({"fold": name, "auroc": auroc, "ci_lower": lo, "ci_upper": hi, "perm_p": p})
    y_all = np.concatenate([f[1] for f in folds])
    s_all = np.concatenate([f[2] for f in folds])
    lo, hi = _ci(y_all, s_all, n_bootstrap, seed)
    summary = {"mean_auroc": float(np.mean([r["auroc"] for r in rows])),
               "std_auroc": float(np.std([r["auroc"] for r in rows])),
               "mean_ci_lower": float(np.mean([r["ci_lower"] for r in rows])),
               "mean_perm_p": float(np.mean([r["perm_p"] for r in rows])),
               "overall_auroc_pooled": float(roc_auc_score(y_all, s_all)),
               "overall_ci_lower": lo, "overall_ci_upper": hi}
    return rows, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats of the fast path (best is reported)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    folds = a1_sized_folds()
    n = sum(len(f[1]) for f in folds)
    print(f"workload: {n} samples, {len(folds)} folds ({', '.join(str(len(f[1])) for f in folds)}), "
          "2,000 bootstrap + 1,000 permutations per fold, pooled CI 2,000")

    fast_times = []
    for _ in range(max(1, args.repeats)):
        t0 = time.perf_counter()
        fast = evaluate_folds(folds)
        fast_times.append(time.perf_counter() - t0)
    t_fast = min(fast_times)

    t0 = time.perf_counter()
    ref_rows, ref_summary = straightforward(folds)
    t_slow = time.perf_counter() - t0

    identical = all({k: fr[k] for k in rr} == rr for fr, rr in zip(fast["per_fold"], ref_rows)) and \
        all(fast["summary"][k] == v for k, v in ref_summary.items())
    print(f"straightforward sklearn loop: {t_slow:8.2f} s")
    print(f"bench.metrics.genelab.lomo          : {t_fast:8.3f} s (best of {len(fast_times)})")
    print(f"ratio                        : {t_slow / t_fast:8.1f}x")
    print(f"outputs identical (==)       : {identical}")
    print(f"mean AUROC {fast['summary']['mean_auroc']:.4f}, mean CI lower {fast['summary']['mean_ci_lower']:.4f}, "
          f"mean p {fast['summary']['mean_perm_p']:.4f}, verdict {fast['summary']['go_nogo']}")
    if not identical:
        raise SystemExit("outputs differ")


if __name__ == "__main__":
    main()
