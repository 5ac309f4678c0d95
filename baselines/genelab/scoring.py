"""Scoring for the GeneLab baselines: a thin adapter over the lomo statistics core.

``bench.metrics.lomo`` implements the evaluator rules (AUROC, bootstrap CI, permutation p,
GO/NO-GO, Category B transfer pattern). ``legacy=True`` selects its legacy
``numpy.random.RandomState(42)`` draws, which reproduce the CIs/p-values published by the
upstream pathway-level, B-summary, C, D and NC scripts; the default is the evaluator rules.
"""
from __future__ import annotations

import numpy as np

from bench.baselines.report import summary
from bench.metrics import lomo


def statistics_label(legacy: bool) -> str:
    return ("legacy numpy.random.RandomState(42) draws (as the upstream pathway/B/C/D/NC scripts)"
            if legacy else "evaluator rules (numpy default_rng(42); 2000 bootstrap, 1000 permutations)")


def score_folds(rows: list[dict], *, legacy: bool = False, category: str = "A") -> dict:
    """``{"per_fold", "summary", "thresholds", "settings"[, "transfer_pattern"]}`` for fold rows
    (dicts with fold, y, scores) given in evaluator order."""
    cat = "B" if str(category) == "B" else "A"
    return lomo.evaluate_folds([(r["fold"], np.asarray(r["y"]), np.asarray(r["scores"])) for r in rows],
                               rng="legacy" if legacy else "default", category=cat)


def single_fold(y, scores, *, legacy: bool = False, name: str = "all") -> dict:
    """AUROC, bootstrap CI and permutation p of one set of predictions (C and NC rows)."""
    row = lomo.fold_statistics(name, np.asarray(y), np.asarray(scores, dtype=np.float64),
                                      rng="legacy" if legacy else "default")
    row.pop("fold", None)
    return row


def format_results(results: dict, *, title: str | None = None) -> str:
    return lomo.format_results(results, title=title)


def lomo_summary(evaluation: dict) -> dict:
    """The Result summary of a lomo evaluation: mean AUROC, GO/NO-GO (Category A; B has a transfer
    pattern instead), per-fold AUROC, then every lomo summary statistic."""
    s = evaluation["summary"]
    category = evaluation.get("settings", {}).get("category", "A")
    extra = {"transfer_pattern": evaluation["transfer_pattern"]} if evaluation.get("transfer_pattern") else {}
    return summary("mean_auroc", s["mean_auroc"], verdict=s.get("go_nogo") if category == "A" else None,
                   per_fold={f["fold"]: f["auroc"] for f in evaluation["per_fold"]}, **s, **extra)
