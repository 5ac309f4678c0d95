"""Significance-aware leaderboards: rank intervals, tie groups and pairwise tests by paired resampling.

Pure numpy on arrays (no files). Models are compared on the *same* units, resampled together
(paired), at the levels the benchmark really has:

* :func:`hierarchical_draws` (GeneLab LOMO; single-cell donors -> cells): resample the top-level units
  (missions/folds) with replacement, then the samples within each drawn fold with replacement; a
  model's value in a draw is the mean over the drawn folds of its metric on the drawn samples
  (several seeds of a model: the mean over seeds). A drawn fold whose drawn labels have one class
  is left out of that draw's mean for every model, as the evaluator leaves out undefined folds.
* :func:`unit_draws` (stored per-fold values): resample units with replacement; a model's value
  is the mean of its per-unit values.
* :func:`resampled_draws` (GEOmeta studies, GenoTEX problems, single-cell cells or donors): resample
  units with replacement and recompute the metric on the drawn units. Each unit carries its
  *sufficient statistics* (a row of counts or sums: per-class true/predicted/hit counts for F1, a
  (label, cluster) contingency row for ARI, ``[value, 1]`` for a mean of per-unit values); a draw
  adds the rows of the drawn units with their multiplicity (``weights @ stats``) and a *finisher*
  turns the sums into the metric, so the value equals the metric recomputed on the concatenation of
  the drawn units' samples. Draw order: ``rng.integers(0, U, U)`` per draw, as :func:`unit_draws`.

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
from scipy import sparse

from bench.metrics.auroc import roc_auc_rows

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
    idx = draw_indices(values.shape[0], n_bootstrap, seed)
    with np.errstate(invalid="ignore"):
        return np.nanmean(values[idx], axis=1)


def draw_indices(n_units: int, n_bootstrap: int, seed: int) -> np.ndarray:
    """``(B, U)`` unit indices of every draw: ``default_rng(seed).integers(0, U, U)`` per draw, in draw
    order (the one draw sequence of :func:`unit_draws` and :func:`unit_weights`)."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, n_units, n_units) for _ in range(n_bootstrap)])


def unit_weights(n_units: int, n_bootstrap: int, seed: int) -> np.ndarray:
    """``(B, U)`` multiplicity of every unit in every draw (the draws of :func:`draw_indices`)."""
    return np.stack([np.bincount(row, minlength=n_units)
                     for row in draw_indices(n_units, n_bootstrap, seed)]).astype(np.float64)


def weighted_sums(weights: np.ndarray, stats) -> np.ndarray:
    """``weights @ stats`` for a dense array or a scipy sparse matrix of per-unit statistics."""
    if sparse.issparse(stats):
        return np.asarray((stats.T @ weights.T).T)
    return np.asarray(weights, dtype=np.float64) @ np.asarray(stats, dtype=np.float64)


Finisher = Callable[[np.ndarray], np.ndarray]
#: One run of a model (e.g. one seed): its per-unit statistics ``(U, S)`` and the finisher that turns
#: summed statistics into the metric (runs may differ in layout, e.g. in their number of clusters).
Run = tuple


def resampled_draws(runs: Mapping[str, Sequence[Run]], *, n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
                    seed: int = DEFAULT_SEED, block: int = 128) -> tuple[list[str], np.ndarray]:
    """``(models, draws)``: ``draws[b, m]`` is the finisher of model m's statistics summed over the
    units of draw b (with multiplicity), averaged over the model's runs (``runs[model]``: ``(stats,
    finish)`` pairs). Every model sees the same draws (paired)."""
    models = list(runs)
    n_units = {np.shape(s)[0] for model_runs in runs.values() for s, _ in model_runs}
    if len(n_units) != 1:
        raise ValueError(f"every model's statistics must cover the same units; got unit counts {sorted(n_units)}")
    weights = unit_weights(n_units.pop(), n_bootstrap, seed)
    draws = np.empty((n_bootstrap, len(models)))
    for lo in range(0, n_bootstrap, block):
        w = weights[lo:lo + block]
        for m, model in enumerate(models):
            with np.errstate(divide="ignore", invalid="ignore"):
                draws[lo:lo + block, m] = np.mean([finish(weighted_sums(w, s)) for s, finish in runs[model]], axis=0)
    return models, draws


def observed_values(runs: Mapping[str, Sequence[Run]]) -> dict[str, float]:
    """Per model the metric on every unit (weights 1), averaged over its runs."""
    out = {}
    for model, model_runs in runs.items():
        values = []
        for s, finish in model_runs:
            with np.errstate(divide="ignore", invalid="ignore"):
                values.append(finish(weighted_sums(np.ones((1, np.shape(s)[0])), s))[0])
        out[model] = float(np.mean(values))
    return out


def unit_values(runs: Mapping[str, Sequence[Run]], *, block: int = 512) -> dict[str, np.ndarray]:
    """Per model the metric of every unit alone (NaN where undefined), averaged over its runs: the
    per-unit scores behind "A beats B on k of n units"."""
    out = {}
    for model, model_runs in runs.items():
        per_run = []
        for s, finish in model_runs:
            rows = [s[lo:lo + block] for lo in range(0, np.shape(s)[0], block)]
            with np.errstate(divide="ignore", invalid="ignore"):
                per_run.append(np.concatenate([finish(np.asarray(r.toarray() if sparse.issparse(r) else r,
                                                                 dtype=np.float64)) for r in rows]))
        out[model] = np.mean(per_run, axis=0)
    return out


# ------------------------------------------------------------------ finishers (summed statistics -> metric)

def mean_finish(sums: np.ndarray) -> np.ndarray:
    """Statistics ``[value, 1]`` per unit (``[0, 0]`` where undefined): the mean over defined units."""
    return sums[:, 0] / sums[:, 1]


def confusion_stats(units: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, n_classes: int,
                    n_units: int) -> np.ndarray:
    """``(U, 3K)`` per-unit ``[hits, true counts, predicted counts]`` per class (codes 0..K-1; a
    prediction outside the classes is code -1 and counts nowhere but as a miss of its true class)."""
    out = np.zeros((n_units, 3 * n_classes))
    hit = y_true == y_pred
    np.add.at(out, (units[hit], y_true[hit]), 1.0)
    np.add.at(out, (units, n_classes + y_true), 1.0)
    ok = y_pred >= 0
    np.add.at(out, (units[ok], 2 * n_classes + y_pred[ok]), 1.0)
    return out


def macro_f1_finish(class_counts: Sequence[int]) -> Finisher:
    """Mean over targets (blocks of :func:`confusion_stats`, one per target with its class count) of
    the macro-F1 over the classes present among the true labels, F1 = 2 hits / (true + predicted)
    (GEOmeta's leaderboard convention: the labels are the test labels); NaN when a target has no sample."""
    bounds = np.cumsum([0] + [3 * k for k in class_counts])

    def finish(sums: np.ndarray) -> np.ndarray:
        per_target = []
        for k, lo in zip(class_counts, bounds[:-1]):
            tp, true_n, pred_n = (sums[:, lo + i * k: lo + (i + 1) * k] for i in range(3))
            present = true_n > 0
            f1 = np.divide(2 * tp, true_n + pred_n, out=np.zeros_like(tp), where=present)
            n_present = present.sum(axis=1)
            per_target.append(np.where(n_present > 0, f1.sum(axis=1) / np.maximum(n_present, 1), np.nan))
        return np.mean(per_target, axis=0)
    return finish


def onehot_stats(codes: np.ndarray, n_columns: int):
    """Sparse ``(n, n_columns)`` one-hot rows (``codes[i]`` is row i's column)."""
    n = len(codes)
    return sparse.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, n_columns))


def ari_finish(n_labels: int, n_clusters: int) -> Finisher:
    """Adjusted Rand index from a summed (label x cluster) contingency (rows of :func:`onehot_stats`
    with code ``label * n_clusters + cluster``), in sklearn's ``adjusted_rand_score`` pair-counting
    form (1.0 when no pair is split differently; NaN when undefined)."""
    def finish(sums: np.ndarray) -> np.ndarray:
        table = sums.reshape(len(sums), n_labels, n_clusters)
        n = table.sum(axis=(1, 2))
        squares = np.square(table).sum(axis=(1, 2))
        tp = squares - n
        fp = np.square(table.sum(axis=1)).sum(axis=1) - squares
        fn = np.square(table.sum(axis=2)).sum(axis=1) - squares
        tn = n ** 2 - fp - fn - squares
        denom = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)
        ari = np.divide(2.0 * (tp * tn - fn * fp), denom, out=np.full(len(sums), np.nan), where=denom != 0)
        return np.where((fn == 0) & (fp == 0) & (n > 0), 1.0, ari)
    return finish


def _label_entropy(counts: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Per row, sklearn's entropy of a labelling from its class counts (0 for one class)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(counts > 0, (counts / n[:, None]) * (np.log(counts) - np.log(n)[:, None]), 0.0)
    return -terms.sum(axis=1)


def nmi_finish(n_labels: int, n_clusters: int) -> Finisher:
    """Normalized mutual information (arithmetic mean of the entropies) from a summed (label x cluster)
    contingency (rows of :func:`onehot_stats`, code ``label * n_clusters + cluster``), in the steps of
    sklearn's ``normalized_mutual_info_score``: 1.0 when both labellings have one class, 0.0 when one
    of them has one class or the mutual information is 0; per-cell terms below machine epsilon dropped."""
    eps = np.finfo(np.float64).eps

    def finish(sums: np.ndarray) -> np.ndarray:
        table = sums.reshape(len(sums), n_labels, n_clusters)
        n = table.sum(axis=(1, 2))
        pi, pj = table.sum(axis=2), table.sum(axis=1)
        n_rows, n_cols = (pi > 0).sum(axis=1), (pj > 0).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_n = np.log(n)[:, None, None]
            share = table / n[:, None, None]
            terms = share * (np.log(table) - log_n) + share * (2 * log_n - np.log(pi[:, :, None] * pj[:, None, :]))
        terms = np.where((table > 0) & (np.abs(terms) >= eps), terms, 0.0)
        mi = np.clip(terms.sum(axis=(1, 2)), 0.0, None)
        normalizer = (_label_entropy(pi, n) + _label_entropy(pj, n)) / 2
        nmi = np.divide(mi, normalizer, out=np.zeros(len(sums)), where=(mi != 0) & (normalizer > 0))
        nmi = np.where((n_rows <= 1) | (n_cols <= 1), 0.0, nmi)
        return np.where(n_rows == n_cols, np.where(n_rows <= 1, 1.0, nmi), nmi)
    return finish


def group_mean_finish(n_groups: int) -> Finisher:
    """The unweighted mean over groups of each group's mean, from summed ``[value sums per group,
    counts per group]`` rows; groups without a drawn member are left out (NaN when none has one)."""
    def finish(sums: np.ndarray) -> np.ndarray:
        total, count = sums[:, :n_groups], sums[:, n_groups:]
        present = count > 0
        means = np.divide(total, count, out=np.zeros_like(total), where=present)
        k = present.sum(axis=1)
        return np.divide(means.sum(axis=1), k, out=np.full(len(sums), np.nan), where=k > 0)
    return finish


def fold_f1_finish(n_classifiers: int, n_folds: int, n_classes: int) -> Finisher:
    """Mean over (classifier, CV fold) of the F1 of the fold's out-of-fold predictions, from summed
    confusion rows (:func:`onehot_stats` with code ``((c * F + f) * K + true) * K + predicted``):
    macro over the labels present in the true or predicted labels (sklearn's default), binary (the
    second class) when K == 2, 0 when undefined (``zero_division=0``); folds without a cell are left out."""
    def finish(sums: np.ndarray) -> np.ndarray:
        conf = sums.reshape(len(sums), n_classifiers * n_folds, n_classes, n_classes)
        tp = np.diagonal(conf, axis1=2, axis2=3)
        true_n, pred_n = conf.sum(axis=3), conf.sum(axis=2)
        denom = true_n + pred_n
        f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
        if n_classes == 2:
            per_fold = f1[:, :, 1]
        else:
            present = denom > 0
            per_fold = np.divide(f1.sum(axis=2), present.sum(axis=2), out=np.zeros(f1.shape[:2]),
                                 where=present.sum(axis=2) > 0)
        filled = true_n.sum(axis=2) > 0
        return np.divide((per_fold * filled).sum(axis=1), filled.sum(axis=1),
                         out=np.full(len(sums), np.nan), where=filled.sum(axis=1) > 0)
    return finish


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
