"""sc_clustering: Leiden clusters of an embedding vs cell labels -> ARI and NMI (cz-benchmarks ClusteringTask)."""
import datasets
import evaluate
import numpy as np

from bench.metrics import singlecell
from bench.metrics.checks import (RawInputChecks, check_int, check_real, check_seed, check_string_column,
                                  check_vector_column)

_CITATION = """\
@article{traag2019louvain,
  title={From Louvain to Leiden: guaranteeing well-connected communities},
  author={Traag, V. A. and Waltman, L. and van Eck, N. J.}, journal={Scientific Reports}, volume={9}, pages={5233}, year={2019}
}
"""
_DESCRIPTION = """\
cz-benchmarks' ClusteringTask: exact euclidean k-NN graph (15 neighbours, the cell itself included, as
scanpy), UMAP fuzzy connectivities (as `scanpy.pp.neighbors`), Leiden via igraph (modularity,
resolution 1.0, 2 iterations, seed 42; same partition as `scanpy.tl.leiden(flavor="igraph")`), then the
adjusted Rand index and normalised mutual information (arithmetic mean) against the labels.
"""
_KWARGS_DESCRIPTION = """
Args:
    embeddings (list of float lists): one embedding vector per cell, shape (n_cells, n_dims).
    labels (list of str): the ground-truth label of each cell.
    n_neighbors (int, keyword): neighbourhood size, self included (default 15).
    resolution (float, keyword): Leiden resolution (default 1.0).
    n_iterations (int, keyword): Leiden iterations (default 2).
    random_state (int, keyword): seed of igraph's RNG (default 42).
Returns:
    adjusted_rand_index (float), normalized_mutual_info (float), n_clusters (int).
Examples:
    >>> import evaluate, numpy as np
    >>> clu = evaluate.load("metrics/sc_clustering")
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (40, 5)), rng.normal(20, 1, (40, 5))])
    >>> out = clu.compute(embeddings=X.tolist(), labels=["a"] * 40 + ["b"] * 40)
    >>> out["adjusted_rand_index"] > 0.5
    True
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class ScClustering(RawInputChecks, evaluate.Metric):
    raw_checks = {"embeddings": check_vector_column, "labels": check_string_column}

    def check_options(self, n_neighbors=15, resolution=1.0, n_iterations=2, random_state=42) -> None:
        singlecell.check_n_neighbors(n_neighbors)
        check_real(resolution, "resolution", minimum=0.0, exclusive_minimum=True,
                   hint=" (Leiden resolution: larger = more clusters)")
        if n_iterations != -1:
            check_int(n_iterations, "n_iterations", minimum=1, hint=" (or -1: iterate until stable)")
        check_seed(random_state, "random_state")

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"embeddings": datasets.Sequence(datasets.Value("float64")),
                                        "labels": datasets.Value("string")}),
            reference_urls=["https://github.com/chanzuckerberg/cz-benchmarks"],
        )

    def _compute(self, embeddings, labels, *, n_neighbors=15, resolution=1.0, n_iterations=2, random_state=42):
        return singlecell.clustering_scores(np.asarray(embeddings, dtype=np.float64), labels,
                                            n_neighbors=n_neighbors, resolution=resolution,
                                            n_iterations=n_iterations, random_state=random_state)
