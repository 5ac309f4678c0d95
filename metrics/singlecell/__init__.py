"""Single-cell embedding metrics (cz-benchmarks definitions); see the private modules."""
from bench.metrics.singlecell._knn import *  # noqa: F401,F403
from bench.metrics.singlecell._knn import (  # noqa: F401
    CELLS_PER_TILE, CHUNK_ENTRIES, CLASSIFIERS, EMBEDDING_TASKS, FOLD_METRICS, PRECISIONS,
    _SquaredDistances, _knn_plan)
