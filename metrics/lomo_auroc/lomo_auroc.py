"""lomo_auroc: leave-one-mission-out AUROC with bootstrap CI, permutation p and the GO/NO-GO verdict
of the GeneLab spaceflight benchmark, computed exactly as its evaluator does.

A thin Hugging Face ``evaluate`` wrapper around :mod:`bench.metrics.genelab.lomo` (plain numpy). Imports are
absolute (``bench...``) because ``evaluate`` copies this file into its modules cache.
"""
from __future__ import annotations

import math

import datasets
import evaluate
import numpy as np

from bench.errors import BenchError
from bench.metrics.checks import (RawInputChecks, check_binary_column, check_choice, check_number_column,
                                  check_string_column)
from bench.metrics.genelab import lomo

_DESCRIPTION = """\
Leave-one-mission-out AUROC (GeneLab benchmark evaluator rules). Each example carries a score, a 0/1 label
(1 = Flight, 0 = Ground) and the fold (held-out mission) it was predicted in. Per fold: AUROC (sklearn
semantics, ties count 1/2), a percentile bootstrap 95% CI (default_rng(seed), 2,000 draws, single-class draws
skipped) and a permutation p-value (new default_rng(seed), 1,000 permutations, +1 pseudocount). Summary:
mean/std AUROC over folds with a defined AUROC, mean CI lower, mean p, pooled AUROC + CI over all folds
concatenated in sorted fold order, and GO = mean AUROC > 0.70 and mean CI lower > 0.50 and mean p < 0.05.
A fold with one class is reported as undefined and left out of the means.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `float`): Flight scores (probabilities in [0, 1], or any real-valued score).
    references (`list` of `int`): true labels, 1 = Flight, 0 = Ground.
    folds (`list` of `str`): the fold (held-out mission, e.g. "fold_RR-7_test") of each example. Folds are
        evaluated in sorted name order; within a fold examples keep their order.
    n_bootstrap (`int`, default 2000): bootstrap draws per fold and for the pooled CI (0 disables CIs).
    n_permutations (`int`, default 1000): permutations per fold (0 disables p-values).
    seed (`int`, default 42): seed of every random step.
    thresholds (`dict`, optional): GO thresholds {"mean_auroc": 0.70, "mean_ci_lower": 0.50, "mean_perm_p": 0.05}.
    rng (`str`, default "default"): "default" = evaluator rules (numpy default_rng); "legacy" = numpy
        RandomState(seed) as the upstream pathway-level/B/C/D/NC scripts.
    category (`str`, default "A"): "A" (GO/NO-GO) or "B" (cross-mission pairs: transfer-pattern summary).
    large_test_min (`int`, default 20): Category B "large test set" = at least this many test samples.
Returns:
    mean_auroc, std_auroc (ddof 0), mean_ci_lower, mean_perm_p, overall_auroc_pooled, overall_ci_lower,
    overall_ci_upper, go (bool, None if undetermined), go_nogo ("GO"/"NO-GO"/None), worst_fold, worst_auroc,
    n_folds, n_folds_defined, undefined_folds, per_fold (list of {fold, n_test, n_flight, n_ground, auroc,
    ci_lower, ci_upper, perm_p}), thresholds, settings (and transfer_pattern for category "B").
Examples:
    >>> lomo_auroc = evaluate.load("lomo_auroc")
    >>> out = lomo_auroc.compute(predictions=[0.9, 0.2, 0.7, 0.4, 0.8, 0.1, 0.3, 0.6],
    ...                          references=[1, 0, 1, 0, 1, 0, 1, 0],
    ...                          folds=["RR-1"] * 4 + ["RR-3"] * 4, n_bootstrap=200, n_permutations=200)
    >>> round(out["mean_auroc"], 3), [f["auroc"] for f in out["per_fold"]]
    (0.875, [1.0, 0.75])
"""

_CITATION = """\
@dataset{kang2026genelab,
  title   = {GeneLab Benchmark: A Multi-Tissue Spaceflight Transcriptomics Benchmark for AI/ML Models},
  author  = {Kang, Jaeyoung},
  year    = {2026},
  url     = {https://huggingface.co/datasets/jang1563/genelab-benchmark},
  note    = {v1.0-alpha}
}
"""


def _check_inputs(predictions, references, folds) -> tuple[np.ndarray, np.ndarray, list[str]]:
    if not (len(predictions) == len(references) == len(folds)):
        raise BenchError(f"lomo_auroc: predictions ({len(predictions)}), references ({len(references)}) and "
                         f"folds ({len(folds)}) must have the same length")
    if len(predictions) == 0:
        raise BenchError("lomo_auroc: no examples; expected predictions, references and folds for every test sample")
    scores = np.asarray(predictions, dtype=np.float64)
    bad = [i for i, v in enumerate(scores) if not math.isfinite(v)]
    if bad:
        raise BenchError(f"lomo_auroc: predictions must be finite numbers; example(s) {bad[:5]} "
                         f"(fold {folds[bad[0]]!r}) are {scores[bad[0]]!r}")
    labels = np.asarray(references)
    bad = [i for i, v in enumerate(labels) if v not in (0, 1)]
    if bad:
        raise BenchError(f"lomo_auroc: references must be 0 (Ground) or 1 (Flight); example(s) {bad[:5]} "
                         f"(fold {folds[bad[0]]!r}) are {labels[bad[0]]!r}")
    return scores, labels.astype(np.int64), [str(f) for f in folds]


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class LomoAuroc(RawInputChecks, evaluate.Metric):
    """GeneLab leave-one-mission-out AUROC statistics (evaluator rules, bit for bit)."""

    raw_checks = {"predictions": check_number_column, "references": check_binary_column,
                  "folds": check_string_column}

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({
                "predictions": datasets.Value("float64"),
                "references": datasets.Value("int32"),
                "folds": datasets.Value("string"),
            }),
            reference_urls=["https://github.com/jang1563/GeneLab_benchmark",
                            "https://scikit-learn.org/stable/modules/generated/sklearn.metrics.roc_auc_score.html"],
        )

    def check_options(self, n_bootstrap=lomo.DEFAULT_N_BOOTSTRAP, n_permutations=lomo.DEFAULT_N_PERMUTATIONS,
                      seed=lomo.DEFAULT_SEED, thresholds=None, rng="default", category="A",
                      large_test_min=lomo.LARGE_TEST_MIN) -> None:
        lomo.check_statistics_options(n_bootstrap=n_bootstrap, n_permutations=n_permutations, seed=seed,
                                      large_test_min=large_test_min)
        check_choice(rng, "rng", lomo.RNG_MODES)
        check_choice(category, "category", ("A", "B"))
        lomo.Thresholds.from_any(thresholds)

    def _compute(self, predictions, references, folds, n_bootstrap: int = lomo.DEFAULT_N_BOOTSTRAP,
                 n_permutations: int = lomo.DEFAULT_N_PERMUTATIONS, seed: int = lomo.DEFAULT_SEED,
                 thresholds: dict | None = None, rng: str = "default", category: str = "A",
                 large_test_min: int = lomo.LARGE_TEST_MIN):
        scores, labels, fold_names = _check_inputs(predictions, references, folds)
        try:
            out = lomo.lomo_statistics(labels, scores, fold_names, n_bootstrap=n_bootstrap,
                                       n_permutations=n_permutations, seed=seed, rng=rng,
                                       thresholds=thresholds, category=category, large_test_min=large_test_min)
        except lomo.InvalidInput as exc:
            raise BenchError(f"lomo_auroc: {exc}") from None
        summary = out["summary"]
        result = dict(summary)
        result["go"] = None if summary["go_nogo"] is None else summary["go_nogo"] == "GO"
        result["per_fold"] = out["per_fold"]
        result["thresholds"] = out["thresholds"]
        result["settings"] = out["settings"]
        if "transfer_pattern" in out:
            result["transfer_pattern"] = out["transfer_pattern"]
        return result
