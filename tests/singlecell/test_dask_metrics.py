"""Single-cell metrics on a Dask LocalCluster (2 worker processes) equal the serial values bit for bit.

Needs the dask extra; skipped otherwise. Independent truths for the values themselves are in
test_singlecell_metrics.py (sklearn, brute force); here the truth is the serial path with the
same block plan.
"""
from __future__ import annotations

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed (pip install 'bench[dask]')")
da = pytest.importorskip("dask.array", reason="the dask extra is not installed (pip install 'bench[dask]')")

from bench.metrics import singlecell as sc_metrics  # noqa: E402
from bench.metrics.singlecell import _knn as sc_knn  # noqa: E402
from bench.scheduler import scheduler  # noqa: E402
from .test_metrics import blobs, brute_force_entropy  # noqa: E402

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def cluster_address():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=50) as cluster:
        yield cluster.scheduler_address


@pytest.fixture()
def data(monkeypatch):
    monkeypatch.setattr(sc_knn, "CELLS_PER_TILE", 50)  # 12 spatial tiles: 12 k-NN tasks
    X, y = blobs(n=600, d=8, k=5, seed=21)
    batch = np.random.default_rng(21).choice(["b0", "b1", "b2"], len(X))
    return X, y, batch


def every_metric(X, y, batch):
    opts = dict(chunk_entries=600 * 23, chunks_per_block=3)  # 27 chunks in 9 blocks of 3
    return {
        "silhouette_label": sc_metrics.silhouette_label(X, y, **opts),
        "silhouette_batch": sc_metrics.silhouette_batch(X, y, batch, return_per_label=True, **opts),
        "silhouette_samples": sc_metrics.silhouette_samples(X, y, chunk_entries=600 * 23).tolist(),
        "entropy": sc_metrics.entropy_per_cell(X, batch, n_neighbors=30, chunk_entries=600 * 17,
                                               return_per_cell=True)[1].tolist(),
        "knn": [a.tolist() for a in sc_metrics.knn_exact(X, 15, chunk_entries=600 * 9)],
        "label_prediction": sc_metrics.label_prediction(X[:200], y[:200], n_folds=3, classifiers=["lr", "knn", "rf"]),
    }


def test_every_parallel_metric_is_bit_identical_serial_and_on_two_workers(data, cluster_address):
    X, y, batch = data
    serial = every_metric(X, y, batch)
    with scheduler(cluster_address, quiet=True) as runner:
        assert runner.n_workers == 2
        parallel = every_metric(X, y, batch)
    assert parallel == serial  # exact equality of every float
    assert np.mean(serial["entropy"]) == pytest.approx(brute_force_entropy(X, batch, 30), abs=1e-12)


def test_a_dask_array_is_read_on_the_workers_and_gives_the_serial_numbers(data, cluster_address):
    X, y, batch = data
    lazy = da.from_array(X, chunks=(128, 8))
    want = (sc_metrics.silhouette_label(X, y, chunk_entries=600 * 23, chunks_per_block=3),
            sc_metrics.silhouette_batch(X, y, batch, chunk_entries=600 * 23),
            sc_metrics.entropy_per_cell(X, batch, n_neighbors=30))
    with scheduler(cluster_address, quiet=True):
        got = (sc_metrics.silhouette_label(lazy, y, chunk_entries=600 * 23, chunks_per_block=3),
               sc_metrics.silhouette_batch(lazy, y, batch, chunk_entries=600 * 23),
               sc_metrics.entropy_per_cell(lazy, batch, n_neighbors=30))
    assert got == want
    # serial with a dask array: computed here, same numbers
    assert sc_metrics.silhouette_label(lazy, y, chunk_entries=600 * 23, chunks_per_block=3) == want[0]


def test_a_bad_value_in_a_dask_array_is_the_usual_error_raised_from_the_worker(cluster_address):
    X, y = blobs(n=60, d=4, seed=3)
    X[7, 2] = np.nan
    with scheduler(cluster_address, quiet=True), pytest.raises(Exception, match="NaN or inf"):
        sc_metrics.silhouette_label(da.from_array(X, chunks=20), y)


def test_block_plan_changes_only_rounding_and_one_chunk_blocks_equal_per_chunk_sums():
    X, y = blobs(n=300, d=6, seed=5)
    ref = sc_metrics.silhouette_label(X, y, precision="float64", chunk_entries=300 * 7, chunks_per_block=1)
    for per in (2, 5, 100):
        got = sc_metrics.silhouette_label(X, y, precision="float64", chunk_entries=300 * 7, chunks_per_block=per)
        assert got == pytest.approx(ref, abs=1e-13)
