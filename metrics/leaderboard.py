"""Significance-aware leaderboards: rank intervals, tie groups and pairwise tests by paired resampling.

Pure numpy on arrays (no files). Models are compared on the *same* units, resampled together
(paired), at the levels the benchmark really has:

* :func:`hierarchical_draws` (GeneLab LOMO; single-cell donors -> cells): resample the top-level units
  (missions/folds) with replacement, then the samples within each drawn fold with replacement; a
  model's value in a draw is the mean over the drawn folds of its metric on the drawn samples
  (several seeds of a model: the mean over seeds). A drawn fold whose drawn labels have one class
  is left out of that draw's mean for every model, as the evaluator leaves out undefined folds.
* :func:`unit_draws` (GEOmeta studies, GenoTEX problems, or stored per-fold values): resample
  units with replacement; a model's value is the mean of its per-unit values.

Draw order (reproduced by the brute-force loop in tests/test_leaderboard.py): one
``rng = np.random.default_rng(seed)``; per draw ``folds = rng.integers(0, F, F)``, then for each
drawn fold in that order ``rng.integers(0, n_f, n_f)``. One generator, one order: the same seed
gives the same table wherever it runs.

From the ``(B, M)`` draws, :func:`board` derives per model: the observed value, a 95% percentile
interval, the observed rank and the 95% rank interval (rank = 1 + number of models with a
strictly higher value), two-sided paired bootstrap p-values for every pair with Holm's correction,
tie groups (walking down the observed order, a new group starts at the first model that is
significantly worse than the current group's leader after Holm), and "A beats B on k of n folds".
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from bench.metrics.genelab.lomo import roc_auc_rows

DEFAULT_N_BOOTSTRAP = 1000
DEFAULT_SEED = 0
DEFAULT_ALPHA = 0.05
#: Two values closer than this are equal (ties in ranks, zero differences in the paired test).
TIE_TOL = 1e-12


def auroc_rows(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Row-wise AUROC (sklearn's floats; NaN for one-class rows)."""
    return roc_auc_rows(y, s)


def _as_seed_matrix(scores) -> np.ndarray:
    arr = np.asarray(scores, dtype=np.float64)
    return arr[None, :] if arr.ndim == 1 else arr


def fold_values(labels: Sequence[np.ndarray], scores: Mapping[str, Sequence], *,
                metric: Callable = auroc_rows) -> dict[str, np.ndarray]:
    """Per model, the observed metric of every fold (mean over seeds); NaN for undefined folds."""
    out = {}
    for model, per_fold in scores.items():
        vals = []
        for y, s in zip(labels, per_fold):
            s = _as_seed_matrix(s)
            vals.append(float(np.mean(metric(np.broadcast_to(np.asarray(y), s.shape), s))))
        out[model] = np.array(vals)
    return out


def _draw_plan(sizes: Sequence[int], n_bootstrap: int, seed: int) -> list[list[tuple[int, np.ndarray]]]:
    """For each draw, the drawn folds with their drawn sample indices, in the documented order."""
    rng = np.random.default_rng(seed)
    n_folds = len(sizes)
    plan = []
    for _ in range(n_bootstrap):
        drawn = rng.integers(0, n_folds, n_folds)
        plan.append([(int(f), rng.integers(0, sizes[f], sizes[f])) for f in drawn])
    return plan


def hierarchical_draws(labels: Sequence[np.ndarray], scores: Mapping[str, Sequence], *,
                       n_bootstrap: int = DEFAULT_N_BOOTSTRAP, seed: int = DEFAULT_SEED,
                       metric: Callable = auroc_rows) -> tuple[list[str], np.ndarray]:
    """``(models, draws)``: ``draws[b, m]`` is model m's mean fold metric in bootstrap draw b.

    ``labels[f]``: fold f's labels; ``scores[model][f]``: its scores for those samples (1-D, or 2-D
    seeds x samples). Draws where every drawn fold is undefined are NaN for every model.
    """
    models = list(scores)
    labels = [np.asarray(y) for y in labels]
    for model in models:
        if len(scores[model]) != len(labels):
            raise ValueError(f"model {model!r} has scores for {len(scores[model])} folds; expected {len(labels)}")
        for f, (y, s) in enumerate(zip(labels, scores[model])):
            if _as_seed_matrix(s).shape[1] != y.size:
                raise ValueError(f"model {model!r}, fold {f}: {_as_seed_matrix(s).shape[1]} scores for {y.size} labels")
    plan = _draw_plan([y.size for y in labels], n_bootstrap, seed)
    slot_values = np.full((n_bootstrap, len(labels), len(models)), np.nan)  # draw x drawn slot x model
    for f, y in enumerate(labels):
        slots = [(b, k, idx) for b, drawn in enumerate(plan) for k, (g, idx) in enumerate(drawn) if g == f]
        if not slots:
            continue
        rows = np.array([b for b, _, _ in slots])
        cols = np.array([k for _, k, _ in slots])
        idx = np.stack([i for _, _, i in slots])
        yb = y[idx].astype(bool)
        defined = yb.any(axis=1) & ~yb.all(axis=1)
        for m, model in enumerate(models):
            seeds = _as_seed_matrix(scores[model][f])
            vals = np.mean([metric(yb[defined], s[idx[defined]]) for s in seeds], axis=0)
            slot_values[rows[defined], cols[defined], m] = vals
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-undefined draws -> NaN
        draws = np.nanmean(slot_values, axis=1)
    return models, draws


def unit_draws(values: np.ndarray, *, n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
               seed: int = DEFAULT_SEED) -> np.ndarray:
    """``(B, M)`` bootstrap means of per-unit values ``values[u, m]`` (units resampled with replacement;
    NaN units ignored). Draw order: ``rng.integers(0, U, U)`` per draw."""
    values = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    n_units = values.shape[0]
    idx = np.stack([rng.integers(0, n_units, n_units) for _ in range(n_bootstrap)])
    with np.errstate(invalid="ignore"):
        return np.nanmean(values[idx], axis=1)


def ranks(values: np.ndarray) -> np.ndarray:
    """Rank of each column in each row: 1 + number of columns with a higher value by more than
    :data:`TIE_TOL` (higher is better; values within floating-point noise share a rank)."""
    v = np.atleast_2d(values)
    return 1 + (v[:, None, :] > v[:, :, None] + TIE_TOL).sum(axis=2)


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control), in the input order."""
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        adjusted[j] = running
    return adjusted


def paired_p(diff: np.ndarray) -> float:
    """Two-sided paired bootstrap p of ``A - B``: ``2 min(P(d <= 0), P(d >= 0))`` with a +1 pseudocount
    (``|d| <= TIE_TOL`` counts as 0)."""
    d = diff[~np.isnan(diff)]
    n = d.size
    if n == 0:
        return float("nan")
    below = (np.count_nonzero(d <= TIE_TOL) + 1) / (n + 1)
    above = (np.count_nonzero(d >= -TIE_TOL) + 1) / (n + 1)
    return float(min(1.0, 2 * min(below, above)))


@dataclass
class Board:
    """A leaderboard: ``rows`` (one per model, best first) and ``pairs`` (every pair, Holm-adjusted)."""

    rows: list[dict] = field(default_factory=list)
    pairs: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)


def board(models: Sequence[str], observed: Sequence[float], draws: np.ndarray, *,
          fold_values: Mapping[str, np.ndarray] | None = None, alpha: float = DEFAULT_ALPHA,
          controls: Sequence[str] = ()) -> Board:
    """Rank intervals, tie groups and pairwise tests from observed values and ``(B, M)`` draws."""
    models = list(models)
    observed = np.asarray(observed, dtype=np.float64)
    valid = ~np.isnan(draws).any(axis=1)
    d = draws[valid]
    r = ranks(d)
    obs_rank = ranks(observed[None, :])[0]
    order = sorted(range(len(models)), key=lambda m: (-observed[m], models[m]))
    pairs = []
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            row = {"a": models[a], "b": models[b], "difference": float(observed[a] - observed[b]),
                   "p": paired_p(d[:, a] - d[:, b])}
            if fold_values is not None:
                fa, fb = np.asarray(fold_values[models[a]]), np.asarray(fold_values[models[b]])
                both = ~np.isnan(fa) & ~np.isnan(fb)
                row["wins"] = int(np.count_nonzero(fa[both] > fb[both]))
                row["n_folds"] = int(both.sum())
            pairs.append(row)
    for row, adj in zip(pairs, holm([p["p"] for p in pairs])):
        row["p_holm"] = float(adj)
        row["significant"] = bool(adj < alpha)
    significant = {(p["a"], p["b"]) for p in pairs if p["significant"]}
    group, leader, groups = 1, None, {}
    for m in order:
        if leader is not None and (models[leader], models[m]) in significant:
            group, leader = group + 1, m
        leader = m if leader is None else leader
        groups[m] = group
    rows = []
    for m in order:
        rows.append({"model": models[m], "value": float(observed[m]),
                     "ci_lower": float(np.percentile(d[:, m], 2.5)), "ci_upper": float(np.percentile(d[:, m], 97.5)),
                     "rank": int(obs_rank[m]),
                     "rank_lower": int(np.percentile(r[:, m], 2.5, method="lower")),
                     "rank_upper": int(np.percentile(r[:, m], 97.5, method="higher")),
                     "tie_group": groups[m], "control": models[m] in controls})
    return Board(rows=rows, pairs=pairs, settings={"n_draws": int(valid.sum()), "alpha": alpha})


def scale_to_controls(values: np.ndarray, floor: float, ceiling: float) -> np.ndarray:
    """Share of the gap from ``floor`` (0) to ``ceiling`` (1); raises when the gap is not positive."""
    if not ceiling > floor:
        raise ValueError(f"cannot scale: the ceiling {ceiling!r} is not above the floor {floor!r}")
    return (np.asarray(values, dtype=np.float64) - floor) / (ceiling - floor)
