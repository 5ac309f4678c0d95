"""Single-cell baselines: ``MODELS`` and ``run(spec, ...) -> Result`` (models.py: PCA and random
embeddings; run.py: scoring, perturbation floor, report)."""
from bench.baselines.singlecell.models import MODELS
from bench.baselines.singlecell.run import run

__all__ = ["MODELS", "run"]
