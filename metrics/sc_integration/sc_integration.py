"""sc_integration: batch (or species) mixing of an embedding -> entropy_per_cell and batch_silhouette."""
import datasets
import evaluate
import numpy as np

from bench.metrics import singlecell
from bench.metrics.checks import RawInputChecks, check_string_column, check_vector_column

_CITATION = """\
@article{luecken2022benchmarking,
  title={Benchmarking atlas-level data integration in single-cell genomics},
  author={Luecken, Malte D. and others}, journal={Nature Methods}, volume={19}, pages={41--50}, year={2022}
}
"""
_DESCRIPTION = """\
cz-benchmarks' BatchIntegrationTask / CrossSpeciesIntegrationTask. entropy_per_cell: for each cell the
batch composition of its 200 nearest cells (itself included, EXACT euclidean k-NN where cz-benchmarks
uses approximate HNSW) -> Shannon entropy / ln(number of batches), averaged (1 = perfectly mixed).
batch_silhouette: scib-metrics silhouette_batch (1 - |silhouette of batch| within each cell type,
averaged per type, then over types).
"""
_KWARGS_DESCRIPTION = """
Args:
    embeddings (list of float lists): one embedding vector per cell, shape (n_cells, n_dims).
    labels (list of str): cell type of each cell.
    batches (list of str): batch (or species) of each cell; at least two distinct values.
    n_neighbors (int, keyword): neighbourhood size for the entropy, self included (default 200).
Returns:
    entropy_per_cell (float), batch_silhouette (float): both in [0, 1], higher = better mixed.
Examples:
    >>> import evaluate, numpy as np
    >>> integ = evaluate.load("metrics/sc_integration")
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 3))
    >>> out = integ.compute(embeddings=X.tolist(), labels=["t"] * 60, batches=["b1", "b2"] * 30, n_neighbors=20)
    >>> out["entropy_per_cell"] > 0.9
    True
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class ScIntegration(RawInputChecks, evaluate.Metric):
    raw_checks = {"embeddings": check_vector_column, "labels": check_string_column, "batches": check_string_column}

    def check_options(self, n_neighbors=200) -> None:
        singlecell.check_n_neighbors(n_neighbors)

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"embeddings": datasets.Sequence(datasets.Value("float64")),
                                        "labels": datasets.Value("string"),
                                        "batches": datasets.Value("string")}),
            reference_urls=["https://github.com/chanzuckerberg/cz-benchmarks"],
        )

    def _compute(self, embeddings, labels, batches, *, n_neighbors=200):
        return singlecell.integration_scores(np.asarray(embeddings, dtype=np.float64), labels, batches,
                                             n_neighbors=n_neighbors)
