"""Leave-one-mission-out AUROC statistics: the GeneLab evaluator's rules in plain numpy.

Everything here works on arrays and returns plain dicts (no Hugging Face types). The rules
(spec genelab.md §3) are reproduced bit for bit:

* AUROC with ``sklearn.metrics.roc_auc_score`` semantics (ties count 1/2): :mod:`bench.metrics.auroc`
  computes it for many resamples at once and returns the *same floats* as sklearn (the exact
  Mann-Whitney value differs from sklearn in the last bit for about a third of inputs; that would move
  bootstrap percentiles and can flip ``null >= observed`` ties in the permutation count, so it is
  offered only as :func:`roc_auc_rank`).
* Bootstrap CI: ``rng = np.random.default_rng(seed)``; ``n_bootstrap`` times
  ``idx = rng.integers(0, n, n)``; a single-class draw is skipped (but consumes its draw);
  CI = ``np.percentile(values, 2.5)``, ``np.percentile(values, 97.5)``.
* Permutation p: a NEW ``default_rng(seed)``; ``n_permutations`` times ``rng.permutation(y)``;
  ``p = (count(null >= observed) + 1) / (n_permutations + 1)``.
* Legacy statistics (``rng="legacy"``; the upstream pathway-level, Category-B summary, C, D and NC
  scripts): the same loops with ``numpy.random.RandomState(seed)``: bootstrap draws
  ``rs.randint(0, n, size=n)`` (single-class draws skipped), and a NEW ``RandomState(seed)`` for
  ``rs.permutation(y)``. Confirmed on real data (tests/genelab/test_lomo_parity.py): the bootstrap call
  reproduces the published Category-B "95% CI of the mean pair AUROC" (:func:`bootstrap_mean_ci`)
  to 3 decimals, and both calls reproduce the published A4 thymus hallmark verdict (legacy mean
  p 0.049 -> GO; evaluator rules 0.060/0.061 -> NO-GO) from refitted pathway-level models. Script-
  specific guards of some upstream scripts (e.g. "n < 4 -> no CI", "fewer than 50% valid draws -> no
  CI") are not applied: only the generator changes.

The random draws are made one call at a time in exactly that order (cheap); the AUROCs of all
resamples are then computed in one vectorised pass.
"""
from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

import numpy as np
from tqdm.auto import tqdm

from bench.metrics.auroc import roc_auc, roc_auc_rank, roc_auc_rows  # noqa: F401 (roc_auc_rank: lomo's public face)
from bench.metrics.checks import InvalidInput, check_choice, check_int, check_real, check_seed

RNG_MODES = ("default", "legacy")
DEFAULT_SEED = 42
DEFAULT_N_BOOTSTRAP = 2000
DEFAULT_N_PERMUTATIONS = 1000
#: Category B: a pair counts as having a "large" test set when it has at least this many test
#: samples. Below ~20 the permutation distribution is too coarse to reach p < 0.05 reliably
#: (3 Flight + 3 Ground has only 20 distinct labelings, so p >= 1/20 for a perfect ranking).
LARGE_TEST_MIN = 20
#: Resource bounds: larger counts are refused (a million draws per fold already take minutes).
MAX_N_BOOTSTRAP = 1_000_000
MAX_N_PERMUTATIONS = 1_000_000
#: Above this estimated run time a warning gives the estimate and a progress bar is shown.
WARN_SECONDS = 30.0
#: Measured cost of one resample (benchmarks/bench_lomo_speed.py): ~10 us + 0.5 us per sample.
_SECONDS_PER_DRAW = 1e-5
_SECONDS_PER_DRAW_SAMPLE = 5e-7


@dataclass(frozen=True)
class Thresholds:
    """GO/NO-GO thresholds (Category A): GO iff all three strict inequalities hold."""

    mean_auroc: float = 0.70     # mean_auroc > this
    mean_ci_lower: float = 0.50  # mean_ci_lower > this
    mean_perm_p: float = 0.05    # mean_perm_p < this

    def __post_init__(self) -> None:
        for key, value in asdict(self).items():
            check_real(value, f"thresholds[{key!r}]", minimum=0.0, maximum=1.0,
                       hint=" (AUROC, CI bound and p are all in [0, 1])")

    @classmethod
    def from_any(cls, value: "Thresholds | dict | None") -> "Thresholds":
        if value is None:
            return cls()
        if isinstance(value, Thresholds):
            return value
        if not isinstance(value, dict):
            raise InvalidInput(f"thresholds must be a dict with keys {list(asdict(cls()))}, got {type(value).__name__}")
        unknown = sorted(set(value) - set(asdict(cls())))
        if unknown:
            raise InvalidInput(f"thresholds: unknown key(s) {unknown}; expected {list(asdict(cls()))}")
        return cls(**value)


# --------------------------------------------------------------------------------------------
# Resampling (draws one call at a time, in the spec's order)
# --------------------------------------------------------------------------------------------

def _check_rng_mode(rng: str) -> str:
    if rng not in RNG_MODES:
        raise InvalidInput(f"rng must be one of {RNG_MODES} ('default' = evaluator rules, "
                         f"'legacy' = numpy.random.RandomState as the upstream pathway/B/C/D/NC scripts), got {rng!r}")
    return rng


#: Resamples are processed in blocks of at most this many matrix cells (rows x n), bounding memory.
_BLOCK_CELLS = 4_000_000


def _generator(seed: int, rng: str):
    _check_rng_mode(rng)
    return np.random.default_rng(seed) if rng == "default" else np.random.RandomState(seed)


def _blocks(total: int, n: int):
    step = max(1, _BLOCK_CELLS // max(n, 1))
    for start in range(0, total, step):
        yield min(step, total - start)


def _draw_indices(gen, n: int, rows: int) -> np.ndarray:
    """``rows`` bootstrap draws, one generator call each (``integers(0, n, n)`` / ``randint(0, n, size=n)``)."""
    out = np.empty((rows, n), dtype=np.int64)
    if isinstance(gen, np.random.Generator):
        for b in range(rows):
            out[b] = gen.integers(0, n, n)
    else:
        for b in range(rows):
            out[b] = gen.randint(0, n, size=n)
    return out


def _draw_permutations(gen, y: np.ndarray, rows: int) -> np.ndarray:
    out = np.empty((rows, y.size), dtype=y.dtype)
    for b in range(rows):
        out[b] = gen.permutation(y)
    return out


def bootstrap_indices(n: int, n_bootstrap: int, *, seed: int = DEFAULT_SEED, rng: str = "default") -> np.ndarray:
    """The ``(n_bootstrap, n)`` resample indices, drawn exactly as the evaluator draws them."""
    return _draw_indices(_generator(seed, rng), n, n_bootstrap)


def permuted_labels(y: np.ndarray, n_permutations: int, *, seed: int = DEFAULT_SEED, rng: str = "default") -> np.ndarray:
    """The ``(n_permutations, n)`` permuted label vectors (``rng.permutation(y)`` each)."""
    return _draw_permutations(_generator(seed, rng), np.asarray(y), n_permutations)


def bootstrap_aurocs(y_true, y_score, *, n_bootstrap: int = DEFAULT_N_BOOTSTRAP, seed: int = DEFAULT_SEED,
                     rng: str = "default") -> np.ndarray:
    """AUROCs of the two-class bootstrap resamples, in draw order (single-class draws skipped)."""
    y = np.asarray(y_true)
    s = np.asarray(y_score, dtype=np.float64)
    gen = _generator(seed, rng)
    values = []
    for rows in _blocks(n_bootstrap, y.size):
        idx = _draw_indices(gen, y.size, rows)
        yb = y[idx].astype(bool)
        two_class = yb.any(axis=1) & ~yb.all(axis=1)
        if two_class.any():
            values.append(roc_auc_rows(yb[two_class], s[idx[two_class]]))
    return np.concatenate(values) if values else np.empty(0)


def bootstrap_ci(y_true, y_score, *, n_bootstrap: int = DEFAULT_N_BOOTSTRAP, seed: int = DEFAULT_SEED,
                 rng: str = "default") -> tuple[float | None, float | None, int]:
    """Percentile 95% CI of the AUROC: ``(ci_lower, ci_upper, n_valid_resamples)``.

    Single-class resamples are skipped; with no valid resample (or ``n_bootstrap == 0``) the CI is
    ``(None, None, 0)``.
    """
    if n_bootstrap <= 0 or np.asarray(y_true).size == 0:
        return None, None, 0
    values = bootstrap_aurocs(y_true, y_score, n_bootstrap=n_bootstrap, seed=seed, rng=rng)
    if values.size == 0:
        return None, None, 0
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5)), int(values.size)


def permutation_p(y_true, y_score, *, n_permutations: int = DEFAULT_N_PERMUTATIONS, seed: int = DEFAULT_SEED,
                  rng: str = "default", observed: float | None = None) -> float | None:
    """Permutation p-value of the AUROC with a +1 pseudocount; None if undefined or disabled."""
    y = np.asarray(y_true)
    s = np.asarray(y_score, dtype=np.float64)
    if observed is None:
        observed = roc_auc(y, s)
    if observed is None or n_permutations <= 0:
        return None
    gen = _generator(seed, rng)
    count = 0
    for rows in _blocks(n_permutations, y.size):
        null = roc_auc_rows(_draw_permutations(gen, y, rows), s)
        count += int(np.count_nonzero(null >= observed))
    return (count + 1) / (n_permutations + 1)


# --------------------------------------------------------------------------------------------
# Per fold and summary
# --------------------------------------------------------------------------------------------

def fold_statistics(name: str, y_true, y_score, *, n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
                    n_permutations: int = DEFAULT_N_PERMUTATIONS, seed: int = DEFAULT_SEED,
                    rng: str = "default") -> dict:
    """One fold's AUROC, bootstrap CI and permutation p with the upstream field names.

    A fold whose labels have one class is *undefined*: auroc, CI and p are None.
    """
    y = np.asarray(y_true)
    s = np.asarray(y_score, dtype=np.float64)
    n_flight = int(np.count_nonzero(y == 1))
    row = {"fold": str(name), "n_test": int(y.size), "n_flight": n_flight, "n_ground": int(y.size) - n_flight,
           "auroc": None, "ci_lower": None, "ci_upper": None, "perm_p": None}
    auroc = roc_auc(y, s) if y.size else None
    if auroc is None:
        row["undefined"] = (f"AUROC undefined: the fold has one class "
                            f"({n_flight} Flight, {row['n_ground']} Ground)")
        return row
    lo, hi, _ = bootstrap_ci(y, s, n_bootstrap=n_bootstrap, seed=seed, rng=rng)
    row.update(auroc=auroc, ci_lower=lo, ci_upper=hi,
               perm_p=permutation_p(y, s, n_permutations=n_permutations, seed=seed, rng=rng, observed=auroc))
    return row


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def go_decision(summary: dict, thresholds: Thresholds) -> str | None:
    """'GO' / 'NO-GO' per the three thresholds; None when a needed statistic is undefined."""
    needed = (summary.get("mean_auroc"), summary.get("mean_ci_lower"), summary.get("mean_perm_p"))
    if any(v is None for v in needed):
        return None
    mean_auroc, mean_ci_lower, mean_perm_p = needed
    go = (mean_auroc > thresholds.mean_auroc and mean_ci_lower > thresholds.mean_ci_lower
          and mean_perm_p < thresholds.mean_perm_p)
    return "GO" if go else "NO-GO"


def bootstrap_mean_ci(values, *, n_bootstrap: int = DEFAULT_N_BOOTSTRAP, seed: int = DEFAULT_SEED,
                      rng: str = "legacy") -> tuple[float | None, float | None]:
    """Percentile 95% bootstrap CI of the mean of ``values`` (e.g. the pair AUROCs of a B task).

    The upstream Category-B summary draws ``RandomState(seed).randint(0, n, size=n)`` per resample
    (hence ``rng="legacy"`` by default); this reproduces the README's B "95% CI" column.
    """
    vals = np.asarray([v for v in values if v is not None], dtype=np.float64)
    if n_bootstrap <= 0 or vals.size < 2:
        return None, None
    means = vals[bootstrap_indices(vals.size, n_bootstrap, seed=seed, rng=rng)].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def transfer_pattern(per_fold: list[dict], *, thresholds: Thresholds = Thresholds(),
                     large_test_min: int = LARGE_TEST_MIN, n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
                     seed: int = DEFAULT_SEED) -> dict:
    """Category B summary: pairs with perm_p < alpha and with AUROC >= the AUROC threshold,
    overall and restricted to pairs with a large test set (n_test >= ``large_test_min``), plus the
    bootstrap CI of the mean pair AUROC as the upstream B summary computes it (legacy RandomState)."""
    def counts(rows):
        defined = [r for r in rows if r["auroc"] is not None]
        return {
            "n_pairs": len(rows),
            "n_defined": len(defined),
            "n_significant": sum(1 for r in defined if r["perm_p"] is not None and r["perm_p"] < thresholds.mean_perm_p),
            "n_auroc_ge_threshold": sum(1 for r in defined if r["auroc"] >= thresholds.mean_auroc),
            "mean_auroc": _mean([r["auroc"] for r in defined]),
        }
    large = [r for r in per_fold if r["n_test"] >= large_test_min]
    lo, hi = bootstrap_mean_ci([r["auroc"] for r in per_fold], n_bootstrap=n_bootstrap, seed=seed, rng="legacy")
    return {"perm_p_below": thresholds.mean_perm_p, "auroc_at_least": thresholds.mean_auroc,
            "all_pairs": counts(per_fold), "large_test_min": large_test_min, "large_pairs": counts(large),
            "mean_auroc_ci": {"lower": lo, "upper": hi, "n_bootstrap": int(n_bootstrap), "seed": int(seed),
                              "rng": "legacy", "what": "bootstrap over pairs of the mean pair AUROC"}}


def evaluate_folds(folds: Iterable[tuple[str, np.ndarray, np.ndarray]], *, n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
                   n_permutations: int = DEFAULT_N_PERMUTATIONS, seed: int = DEFAULT_SEED, rng: str = "default",
                   thresholds: Thresholds | dict | None = None, category: str = "A",
                   large_test_min: int = LARGE_TEST_MIN, progress: bool = False) -> dict:
    """Full statistics for folds given in evaluation order as ``(name, labels, scores)``.

    Returns ``{"per_fold": [...], "summary": {...}, "thresholds": {...}, "settings": {...}}`` and,
    for Category B, ``"transfer_pattern"``. Summary means are over folds with a defined AUROC;
    the pooled AUROC/CI use every fold's samples concatenated in the given order.
    """
    _check_rng_mode(rng)
    check_choice(category, "category", ("A", "B"))
    check_statistics_options(n_bootstrap=n_bootstrap, n_permutations=n_permutations, seed=seed,
                             large_test_min=large_test_min)
    th = Thresholds.from_any(thresholds)
    folds = [(str(name), np.asarray(y), np.asarray(s, dtype=np.float64)) for name, y, s in folds]
    if not folds:
        raise InvalidInput("no folds to evaluate")
    if len(folds) == 1 and category == "A":
        warnings.warn(f"only one fold ({folds[0][0]!r}): the 'mean over folds' is that fold's value; "
                      "leave-one-mission-out needs the examples of every held-out mission", stacklevel=2)
    progress = progress or _warn_if_slow(folds, n_bootstrap, n_permutations)
    iterator = folds
    if progress:
        iterator = tqdm(folds, desc="folds", unit="fold")
    per_fold = [fold_statistics(name, y, s, n_bootstrap=n_bootstrap, n_permutations=n_permutations,
                                seed=seed, rng=rng) for name, y, s in iterator]
    defined = [r for r in per_fold if r["auroc"] is not None]
    aurocs = [r["auroc"] for r in defined]
    y_all = np.concatenate([y for _, y, _ in folds])
    s_all = np.concatenate([s for _, _, s in folds])
    pooled = roc_auc(y_all, s_all) if y_all.size else None
    lo, hi = (None, None)
    if pooled is not None:
        lo, hi, _ = bootstrap_ci(y_all, s_all, n_bootstrap=n_bootstrap, seed=seed, rng=rng)
    worst = min(defined, key=lambda r: r["auroc"]) if defined else None
    summary = {
        "mean_auroc": float(np.mean(aurocs)) if aurocs else None,
        "std_auroc": float(np.std(aurocs)) if aurocs else None,
        "mean_ci_lower": _mean([r["ci_lower"] for r in defined]),
        "overall_auroc_pooled": pooled,
        "overall_ci_lower": lo,
        "overall_ci_upper": hi,
        "mean_perm_p": _mean([r["perm_p"] for r in defined]),
        "go_nogo": None,
        "n_folds": len(per_fold),
        "n_folds_defined": len(defined),
        "undefined_folds": [r["fold"] for r in per_fold if r["auroc"] is None],
        "worst_fold": worst["fold"] if worst else None,
        "worst_auroc": worst["auroc"] if worst else None,
    }
    if category == "A":
        summary["go_nogo"] = go_decision(summary, th)
    out = {"per_fold": per_fold, "summary": summary, "thresholds": asdict(th),
           "settings": {"n_bootstrap": int(n_bootstrap), "n_permutations": int(n_permutations),
                        "seed": int(seed), "rng": rng, "category": category}}
    if category == "B":
        out["transfer_pattern"] = transfer_pattern(per_fold, thresholds=th, large_test_min=large_test_min,
                                                   n_bootstrap=n_bootstrap, seed=seed)
    return out


def check_statistics_options(*, n_bootstrap, n_permutations, seed, large_test_min=LARGE_TEST_MIN) -> None:
    """Refuse non-integer, negative or oversized counts and seeds outside [0, 2**32) (never coerced)."""
    check_int(n_bootstrap, "n_bootstrap", minimum=0, maximum=MAX_N_BOOTSTRAP, hint=" (0 disables CIs)")
    check_int(n_permutations, "n_permutations", minimum=0, maximum=MAX_N_PERMUTATIONS,
              hint=" (0 disables p-values)")
    check_seed(seed)
    check_int(large_test_min, "large_test_min", minimum=1)


def estimated_seconds(fold_sizes: Sequence[int], n_bootstrap: int, n_permutations: int) -> float:
    """Rough run time of :func:`evaluate_folds` (per-fold bootstrap + permutations, pooled bootstrap)."""
    def cost(n: int, draws: int) -> float:
        return draws * (_SECONDS_PER_DRAW + _SECONDS_PER_DRAW_SAMPLE * n)
    return (sum(cost(n, n_bootstrap + n_permutations) for n in fold_sizes)
            + cost(sum(fold_sizes), n_bootstrap))


def _warn_if_slow(folds: list, n_bootstrap: int, n_permutations: int) -> bool:
    seconds = estimated_seconds([y.size for _, y, _ in folds], n_bootstrap, n_permutations)
    if seconds < WARN_SECONDS:
        return False
    warnings.warn(f"n_bootstrap={n_bootstrap:,}, n_permutations={n_permutations:,} over {len(folds)} fold(s): "
                  f"estimated {seconds / 60:.1f} min; showing progress (defaults 2,000 / 1,000 take seconds)",
                  stacklevel=3)
    return True


def lomo_statistics(y_true, y_score, folds, **options) -> dict:
    """:func:`evaluate_folds` on flat arrays: ``folds[i]`` names the fold of example ``i``.

    Folds are evaluated in sorted name order (the evaluator's order: sorted fold directories);
    within a fold the examples keep their given order.
    """
    y = np.asarray(y_true)
    s = np.asarray(y_score, dtype=np.float64)
    f = np.asarray([str(v) for v in folds], dtype=object)
    if not (y.shape == s.shape == f.shape) or y.ndim != 1:
        raise InvalidInput(f"y_true {y.shape}, y_score {s.shape} and folds {f.shape} must be 1-D of equal length")
    groups = [(name, y[f == name], s[f == name]) for name in sorted(set(f.tolist()))]
    return evaluate_folds(groups, **options)
