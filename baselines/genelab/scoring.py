"""Scoring for the GeneLab baselines: a thin adapter over the lomo statistics core.

``bench.metrics.genelab.lomo`` implements the evaluator rules (AUROC, bootstrap CI, permutation p,
GO/NO-GO, Category B transfer pattern). ``legacy=True`` selects its legacy
``numpy.random.RandomState(42)`` draws, which reproduce the CIs/p-values published by the
upstream pathway-level, B-summary, C, D and NC scripts; the default is the evaluator rules.
"""
from __future__ import annotations

import numpy as np

from bench.baselines.report import format_table, summary
from bench.metrics.genelab import lomo


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


def _fmt(value, spec: str = ".3f") -> str:
    if value is None:
        return "undefined"
    if isinstance(value, float):
        return format(value, spec)
    return str(value)


def format_results(results: dict, *, title: str | None = None) -> str:
    """A readable per-fold table plus the summary and verdict (WILDS-style ``results_str``);
    ``results["synthetic"]`` true marks every row and the verdict SYNTHETIC."""
    per_fold = results["per_fold"]
    summary = results["summary"]
    settings = results.get("settings", {})
    synthetic = bool(results.get("synthetic"))
    rows = [{"fold": r["fold"], "n_test": r["n_test"], "n_flight": r["n_flight"], "n_ground": r["n_ground"],
             "auroc": _fmt(r["auroc"]),
             "95% CI": "undefined" if r["ci_lower"] is None else f"[{r['ci_lower']:.3f}, {r['ci_upper']:.3f}]",
             "perm_p": _fmt(r["perm_p"], ".4f"), **({"data": "SYNTHETIC"} if synthetic else {})} for r in per_fold]
    lines = [format_table(rows, title=title), ""]
    pooled_ci = ("undefined" if summary["overall_ci_lower"] is None
                 else f"[{summary['overall_ci_lower']:.3f}, {summary['overall_ci_upper']:.3f}]")
    lines.append(f"mean AUROC   {_fmt(summary['mean_auroc'])} ± {_fmt(summary['std_auroc'])} "
                 f"(std, ddof 0; {summary['n_folds_defined']}/{summary['n_folds']} folds defined)"
                 + ("  [SYNTHETIC data]" if synthetic else ""))
    lines.append(f"mean CI lower {_fmt(summary['mean_ci_lower'])}    mean perm p {_fmt(summary['mean_perm_p'], '.4f')}")
    lines.append(f"pooled AUROC {_fmt(summary['overall_auroc_pooled'])} {pooled_ci}")
    if summary.get("undefined_folds"):
        lines.append(f"undefined folds (one class, excluded from means): {', '.join(summary['undefined_folds'])}")
    th = results.get("thresholds", {})
    if settings.get("category", "A") == "A":
        verdict = summary["go_nogo"] or "undetermined (a statistic is undefined)"
        lines.append(f"verdict      {verdict}  (GO = mean AUROC > {th.get('mean_auroc')}, mean CI lower > "
                     f"{th.get('mean_ci_lower')}, mean perm p < {th.get('mean_perm_p')})"
                     + ("  [on SYNTHETIC data: says nothing about spaceflight]" if synthetic else ""))
    else:
        tp = results["transfer_pattern"]
        a, big = tp["all_pairs"], tp["large_pairs"]
        lines.append(f"transfer pattern (no single GO): perm p < {tp['perm_p_below']}: {a['n_significant']}/{a['n_defined']} "
                     f"pairs; AUROC >= {tp['auroc_at_least']}: {a['n_auroc_ge_threshold']}/{a['n_defined']}")
        ci = tp["mean_auroc_ci"]
        if ci["lower"] is not None:
            lines.append(f"  mean pair AUROC {_fmt(a['mean_auroc'])}, 95% CI over pairs [{ci['lower']:.3f}, "
                         f"{ci['upper']:.3f}] (upstream B summary: legacy RandomState)")
        lines.append(f"  pairs with n_test >= {tp['large_test_min']}: perm p < {tp['perm_p_below']}: "
                     f"{big['n_significant']}/{big['n_defined']}; AUROC >= {tp['auroc_at_least']}: "
                     f"{big['n_auroc_ge_threshold']}/{big['n_defined']}")
    if settings:
        lines.append(f"statistics   seed {settings.get('seed')}, {settings.get('n_bootstrap')} bootstrap, "
                     f"{settings.get('n_permutations')} permutations, rng {settings.get('rng')}"
                     + (" (evaluator rules)" if settings.get("rng") == "default" else " (legacy RandomState)"))
    return "\n".join(lines)


def lomo_summary(evaluation: dict) -> dict:
    """The Result summary of a lomo evaluation: mean AUROC, GO/NO-GO (Category A; B has a transfer
    pattern instead), per-fold AUROC, then every lomo summary statistic."""
    s = evaluation["summary"]
    category = evaluation.get("settings", {}).get("category", "A")
    extra = {"transfer_pattern": evaluation["transfer_pattern"]} if evaluation.get("transfer_pattern") else {}
    return summary("mean_auroc", s["mean_auroc"], verdict=s.get("go_nogo") if category == "A" else None,
                   per_fold={f["fold"]: f["auroc"] for f in evaluation["per_fold"]}, **s, **extra)
