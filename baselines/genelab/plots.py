"""Plots of the GeneLab baselines (matplotlib's object API, no pyplot state): each function returns
a ``Figure`` that :mod:`bench.baselines.report` saves as PNG."""
from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from bench.baselines.report import format_value as _fmt

GO_THRESHOLDS = {"mean_auroc": 0.70, "mean_ci_lower": 0.50, "mean_perm_p": 0.05}


def plot_roc_curves(curves: list[dict], *, title: str) -> Figure:
    """One ROC curve per fold (``curves``: {fold, y, scores, auroc}) on shared axes."""
    fig = Figure(figsize=(5.2, 5))
    ax = fig.subplots()
    for c in curves:
        y = np.asarray(c["y"])
        if len(np.unique(y)) < 2:
            continue
        fpr, tpr, _ = roc_curve(y, np.asarray(c["scores"]))
        ax.plot(fpr, tpr, lw=1.8, label=f"{c['fold']} (AUROC {_fmt(c.get('auroc'))})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="chance")
    ax.set(xlabel="False positive rate", ylabel="True positive rate", title=title, xlim=(-0.01, 1.01), ylim=(-0.01, 1.01))
    ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_forest(folds: list[dict], summary: dict, *, title: str, thresholds: dict | None = None,
                verdict: bool = True) -> Figure:
    """Per-fold AUROC with bootstrap CI, the mean, and the GO thresholds (AUROC 0.70, CI lower 0.50).

    ``verdict=False`` (Category B: no single GO) draws chance (0.50) only, no GO threshold."""
    thresholds = thresholds or GO_THRESHOLDS
    rows = [f for f in folds if f.get("auroc") is not None]
    fig = Figure(figsize=(6.4, 1.2 + 0.45 * (len(rows) + 1)))
    ax = fig.subplots()
    for i, f in enumerate(rows):
        lo, hi = f.get("ci_lower"), f.get("ci_upper")
        if lo is not None and hi is not None:
            ax.plot([lo, hi], [i, i], color="tab:blue", lw=2)
        ax.plot(f["auroc"], i, "o", color="tab:blue")
        ax.text(1.07, i, f"p={_fmt(f.get('perm_p'))}", va="center", fontsize=8, transform=ax.get_yaxis_transform())
    mean_y = len(rows)
    if summary.get("mean_auroc") is not None:
        ax.plot(summary["mean_auroc"], mean_y, "D", color="black", ms=7)
        if summary.get("mean_ci_lower") is not None:
            ax.plot([summary["mean_ci_lower"], summary["mean_auroc"]], [mean_y, mean_y], color="black", lw=2)
    ax.axvline(0.5, color="grey", ls=":", lw=1, label="chance / CI-lower threshold 0.50" if verdict else "chance 0.50")
    if verdict:
        ax.axvline(thresholds["mean_auroc"], color="tab:red", ls="--", lw=1,
                   label=f"GO: mean AUROC > {thresholds['mean_auroc']:.2f}")
    ax.set_yticks(range(len(rows) + 1), [f["fold"] for f in rows] + ["mean AUROC (bar from mean CI lower)"])
    ax.invert_yaxis()
    if summary.get("go_nogo"):
        title = (f"{title} · {summary['go_nogo']} (mean AUROC {_fmt(summary.get('mean_auroc'))}, "
                 f"CI lower {_fmt(summary.get('mean_ci_lower'))}, p {_fmt(summary.get('mean_perm_p'))})")
    ax.set(xlim=(0, 1.04), xlabel="AUROC (95% bootstrap CI)", title=title)
    ax.legend(loc="lower left", fontsize=7)
    return fig


def plot_heatmap(matrix: np.ndarray, labels: list[str], *, title: str) -> Figure:
    """Train-mission (rows) x test-mission (columns) AUROC heatmap; NaN on the diagonal."""
    n = len(labels)
    fig = Figure(figsize=(1.6 + 0.8 * n, 1.2 + 0.7 * n))
    ax = fig.subplots()
    cmap = matplotlib.colormaps["RdBu_r"].copy()
    cmap.set_bad("lightgrey")   # the diagonal (no self-transfer) and undefined pairs
    im = ax.imshow(np.ma.masked_invalid(matrix), vmin=0, vmax=1, cmap=cmap)
    for i in range(n):
        for j in range(n):
            if not np.isnan(matrix[i, j]):
                colour = "white" if abs(matrix[i, j] - 0.5) > 0.3 else "black"
                ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(range(n), labels, rotation=45, ha="right")
    ax.set_yticks(range(n), labels)
    ax.set(xlabel="test mission", ylabel="train mission", title=title)
    fig.colorbar(im, ax=ax, label="AUROC")
    return fig
