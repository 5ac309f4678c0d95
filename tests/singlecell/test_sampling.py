"""The seeded subsampling mode (for 10^8 cells): sampled cells are scored exactly against all cells."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import silhouette_samples

from bench.errors import BenchError
from bench.metrics import singlecell as sc_metrics
from .test_metrics import blobs


def test_sampled_silhouette_is_the_mean_of_sklearns_per_cell_values_over_the_sample():
    X, y = blobs(n=400, d=5, seed=8)
    per_cell = silhouette_samples(X.astype(np.float64), y)
    rows = np.sort(np.random.default_rng(3).choice(400, size=60, replace=False))
    got = sc_metrics.silhouette_label(X, y, rescale=False, precision="float64", sample_cells=60, random_state=3)
    assert got == pytest.approx(per_cell[rows].mean(), abs=1e-12)
    full = sc_metrics.silhouette_label(X, y, precision="float64", sample_cells=400)
    assert full == pytest.approx(sc_metrics.silhouette_label(X, y, precision="float64"), abs=1e-12)


def test_sampled_entropy_is_the_exact_per_cell_entropy_of_the_sampled_cells():
    X, _ = blobs(n=400, d=5, seed=9)
    batch = np.random.default_rng(9).choice(["a", "b"], 400)
    _, exact = sc_metrics.entropy_per_cell(X, batch, n_neighbors=20, return_per_cell=True)
    rows = np.sort(np.random.default_rng(5).choice(400, size=50, replace=False))
    mean, sampled = sc_metrics.entropy_per_cell(X, batch, n_neighbors=20, sample_cells=50, random_state=5,
                                                return_per_cell=True)
    np.testing.assert_array_equal(sampled, exact[rows])
    assert mean == exact[rows].mean()
    with pytest.raises(BenchError, match="sample_cells"):
        sc_metrics.entropy_per_cell(X, batch, sample_cells=0)
