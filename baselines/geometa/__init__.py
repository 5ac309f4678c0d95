"""GEOmeta baselines: ``MODELS`` and ``run(spec, ...) -> Result`` (models.py: split, expression
features and the classifiers; run.py: per-target training, scores and report)."""
from bench.baselines.geometa.models import MODELS
from bench.baselines.geometa.run import run

__all__ = ["MODELS", "run"]
