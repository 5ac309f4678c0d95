"""cz-benchmarks BatchIntegration / CrossSpeciesIntegration metrics."""
from __future__ import annotations

from bench.metrics.singlecell._entropy import entropy_per_cell
from bench.metrics.singlecell._silhouette import silhouette_batch


def integration_scores(X, labels, batch, *, n_neighbors: int = 200, chunk_entries: int | None = None) -> dict:
    """cz-benchmarks BatchIntegration / CrossSpeciesIntegration: entropy_per_cell + batch_silhouette."""
    return {"entropy_per_cell": entropy_per_cell(X, batch, n_neighbors=n_neighbors, chunk_entries=chunk_entries),
            "batch_silhouette": silhouette_batch(X, labels, batch, chunk_entries=chunk_entries)}
