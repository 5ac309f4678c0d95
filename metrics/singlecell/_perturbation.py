"""Legacy cz-benchmarks (<= 0.10) PerturbationTask: MSE / Pearson-delta / Jaccard on Wilcoxon DE genes.

Why :func:`wilcoxon_scores` ranks with ``scipy.stats.rankdata`` and sums the ranks itself instead of
calling ``scipy.stats.mannwhitneyu`` or scanpy's ``rank_genes_groups``: ``python
benchmarks/bench_umap_wilcoxon.py --only wilcoxon`` (800 vs 8,000 cells x 5,060 genes, 84% zeros)
measured 2.9 s vs 4.9 s for mannwhitneyu's U turned into the same z (1.7x; identical values on
float64 input, which bench ranks; on float32 input scipy keeps float32 rank sums, off by ~5e-7) and
6.4 s for scanpy (2.2x; float32 scores, max |difference| 1.9e-6; the same gene order by score in
both, which is all the metrics use). The 512-gene chunks also bound memory to one chunk of ranks.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy.stats import rankdata

from bench.errors import BenchError
from bench.metrics.singlecell._checks import check_embedding


def wilcoxon_scores(group, reference, *, gene_chunk: int = 512) -> np.ndarray:
    """Per-gene Wilcoxon rank-sum z-scores of ``group`` vs ``reference`` (cells x genes).

    As scanpy's ``rank_genes_groups(method="wilcoxon")`` without tie correction: average ranks
    over the pooled cells, z = (R_group - n_g (n_g + n_r + 1) / 2) / sqrt(n_g n_r (n_g + n_r + 1) / 12).
    """
    g = check_embedding(group, name="group")
    r = check_embedding(reference, name="reference")
    if g.shape[1] != r.shape[1]:
        raise BenchError(f"group has {g.shape[1]} genes but reference has {r.shape[1]}")
    n_g, n_r = len(g), len(r)
    scores = np.empty(g.shape[1])
    std = math.sqrt(n_g * n_r * (n_g + n_r + 1) / 12.0)
    for start in range(0, g.shape[1], gene_chunk):
        sl = slice(start, start + gene_chunk)
        ranks = rankdata(np.vstack([g[:, sl], r[:, sl]]), axis=0)
        scores[sl] = (ranks[:n_g].sum(axis=0) - n_g * (n_g + n_r + 1) / 2.0) / std
    return scores


def _top_genes(scores: np.ndarray, k: int) -> np.ndarray:
    return np.lexsort((np.arange(len(scores)), -scores))[:k]


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denom = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b / denom) if denom > 0 else float("nan")


def perturbation_metrics(control, truth, prediction, *, top_k: Sequence[int] = (20, 100)) -> dict:
    """Legacy cz-benchmarks PerturbationTask metrics for one perturbation (genes aligned by column).

    ``mse_all`` / ``pearson_delta_all`` compare per-gene means of ``truth`` and ``prediction``
    (Pearson of truth-control vs prediction-control); for each K in ``top_k`` the same on the K
    genes with the largest signed Wilcoxon score of truth vs control (up-regulated genes, as
    upstream), and ``jaccard_topK`` of the truth and prediction top-K DE sets.
    """
    ctrl = check_embedding(control, name="control")
    true = check_embedding(truth, name="truth")
    pred = check_embedding(prediction, name="prediction")
    if not (ctrl.shape[1] == true.shape[1] == pred.shape[1]):
        raise BenchError(f"control, truth and prediction must have the same genes (columns), got "
                         f"{ctrl.shape[1]}, {true.shape[1]}, {pred.shape[1]}")
    m_ctrl, m_true, m_pred = ctrl.mean(axis=0), true.mean(axis=0), pred.mean(axis=0)
    out = {"mse_all": float(np.mean((m_true - m_pred) ** 2)),
           "pearson_delta_all": _pearson(m_true - m_ctrl, m_pred - m_ctrl)}
    s_true, s_pred = wilcoxon_scores(true, ctrl), wilcoxon_scores(pred, ctrl)
    for k in top_k:
        if not 1 <= k <= ctrl.shape[1]:
            raise BenchError(f"top_k: {k} is outside [1, {ctrl.shape[1]}] (the number of genes)")
        top_t, top_p = _top_genes(s_true, k), _top_genes(s_pred, k)
        out[f"mse_top{k}"] = float(np.mean((m_true[top_t] - m_pred[top_t]) ** 2))
        out[f"pearson_delta_top{k}"] = _pearson(m_true[top_t] - m_ctrl[top_t], m_pred[top_t] - m_ctrl[top_t])
        inter = len(np.intersect1d(top_t, top_p))
        out[f"jaccard_top{k}"] = inter / (2 * k - inter)
    return out
