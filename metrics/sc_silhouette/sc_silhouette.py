"""sc_silhouette: silhouette of cell labels in an embedding, rescaled (s+1)/2 (cz-benchmarks EmbeddingTask)."""
import datasets
import evaluate
import numpy as np

from bench.metrics import singlecell
from bench.metrics.checks import RawInputChecks, check_bool, check_choice, check_string_column, check_vector_column

_CITATION = """\
@article{luecken2022benchmarking,
  title={Benchmarking atlas-level data integration in single-cell genomics},
  author={Luecken, Malte D. and others}, journal={Nature Methods}, volume={19}, pages={41--50}, year={2022}
}
"""
_DESCRIPTION = """\
Average silhouette width of the cell labels in an embedding (euclidean; a = mean distance to the cell's
own label, b = smallest mean distance to another label), rescaled to (s+1)/2 as scib-metrics'
`silhouette_label` (the metric of cz-benchmarks' EmbeddingTask). Exact, computed in row chunks
(never an n x n matrix), float64.
"""
_KWARGS_DESCRIPTION = """
Args:
    embeddings (list of float lists): one embedding vector per cell, shape (n_cells, n_dims).
    labels (list of str): the cell label (e.g. cell type) of each cell.
    rescale (bool, keyword): return (s+1)/2 (default True) or the raw mean silhouette in [-1, 1].
    allow_singletons (bool, keyword): score single-cell labels 0 as scib does instead of raising (default False).
    precision (str, keyword): "float32" (default, ~1e-7 from sklearn) or "float64" (sklearn to ~1e-15).
Returns:
    silhouette_score (float): higher is better.
Examples:
    >>> import evaluate
    >>> sil = evaluate.load("metrics/sc_silhouette")
    >>> out = sil.compute(embeddings=[[0.0], [0.1], [5.0], [5.2]], labels=["a", "a", "b", "b"])
    >>> round(out["silhouette_score"], 4)
    0.9851
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class ScSilhouette(RawInputChecks, evaluate.Metric):
    raw_checks = {"embeddings": check_vector_column, "labels": check_string_column}

    def check_options(self, rescale=True, allow_singletons=False, precision="float32") -> None:
        check_bool(rescale, "rescale")
        check_bool(allow_singletons, "allow_singletons")
        check_choice(precision, "precision", singlecell.PRECISIONS)

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"embeddings": datasets.Sequence(datasets.Value("float64")),
                                        "labels": datasets.Value("string")}),
            reference_urls=["https://github.com/chanzuckerberg/cz-benchmarks",
                            "https://scib-metrics.readthedocs.io/"],
        )

    def _compute(self, embeddings, labels, *, rescale=True, allow_singletons=False, precision="float32"):
        score = singlecell.silhouette_label(np.asarray(embeddings, dtype=np.float64), labels, rescale=rescale,
                                            allow_singletons=allow_singletons, precision=precision)
        return {"silhouette_score": score}
