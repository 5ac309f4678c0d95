"""GenoTEX baselines: ``MODELS`` and ``run(spec, ...) -> Result`` (models.py: the regress.py numerics;
run.py: solve, score against the reference, report; folders.py: an upstream output folder walked
and read for the metrics/genotex cores)."""
from bench.baselines.genotex.models import MODELS
from bench.baselines.genotex.run import run

__all__ = ["MODELS", "run"]
