"""sc_perturbation: legacy cz-benchmarks (<= 0.10) perturbation-prediction metrics for one perturbation."""
import datasets
import evaluate
import numpy as np

from bench.errors import BenchError
from bench.metrics import singlecell
from bench.metrics.checks import (RawInputChecks, check_int, check_sequence, check_string_column,
                                  check_vector_column)

_CITATION = """\
@software{czbenchmarks,
  title={cz-benchmarks: benchmarks for single-cell foundation models},
  author={{Chan Zuckerberg Initiative}}, url={https://github.com/chanzuckerberg/cz-benchmarks}, year={2025}
}
"""
_DESCRIPTION = """\
Legacy cz-benchmarks PerturbationTask (<= v0.10.2) for one perturbation: per-gene means of control,
observed (truth) and predicted cells; MSE and Pearson-delta (Pearson of truth-control vs
prediction-control) on all genes and on the top-K (20, 100) genes by signed Wilcoxon score of truth vs
control (scanpy rank_genes_groups, no tie correction); Jaccard of the truth and prediction top-K sets.
"""
_KWARGS_DESCRIPTION = """
Args:
    expression (list of float lists): one expression vector per cell (genes aligned across cells).
    group (list of str): "control", "truth" or "prediction" for each row.
    top_k (list of int, keyword): sizes of the DE gene sets (default [20, 100]).
Returns:
    mse_all, pearson_delta_all, mse_top<K>, pearson_delta_top<K>, jaccard_top<K>.
Examples:
    >>> import evaluate, numpy as np
    >>> pert = evaluate.load("metrics/sc_perturbation")
    >>> rng = np.random.default_rng(0)
    >>> ctrl = rng.normal(size=(30, 40)); truth = ctrl + np.linspace(0, 3, 40)
    >>> rows = np.vstack([ctrl, truth, truth]).tolist()
    >>> out = pert.compute(expression=rows, group=["control"] * 30 + ["truth"] * 30 + ["prediction"] * 30, top_k=[5])
    >>> out["mse_all"], out["jaccard_top5"]
    (0.0, 1.0)
"""
GROUPS = ("control", "truth", "prediction")


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class ScPerturbation(RawInputChecks, evaluate.Metric):
    raw_checks = {"expression": check_vector_column, "group": check_string_column}

    def check_options(self, top_k=(20, 100)) -> None:
        sizes = check_sequence(top_k, "top_k")
        if not sizes:
            raise BenchError("top_k: is empty; expected at least one DE gene-set size")
        for i, k in enumerate(sizes):
            check_int(k, f"top_k[{i}]", minimum=1)

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"expression": datasets.Sequence(datasets.Value("float64")),
                                        "group": datasets.Value("string")}),
            reference_urls=["https://github.com/chanzuckerberg/cz-benchmarks/tree/v0.10.2"],
        )

    def _compute(self, expression, group, *, top_k=(20, 100)):
        X = np.asarray(expression, dtype=np.float64)
        group = np.asarray(group, dtype=str)
        unknown = sorted(set(group) - set(GROUPS))
        if unknown:
            raise BenchError(f"group: unknown value(s) {unknown}; expected {list(GROUPS)}")
        parts = {g: X[group == g] for g in GROUPS}
        empty = [g for g, p in parts.items() if len(p) < 2]
        if empty:
            raise BenchError(f"group: needs >= 2 rows of each of {list(GROUPS)}; too few for {empty}")
        return singlecell.perturbation_metrics(parts["control"], parts["truth"], parts["prediction"],
                                               top_k=tuple(top_k))
