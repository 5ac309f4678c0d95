"""Test access to the synthetic GenoTEX root builder (lives in the package: bench.loaders.genotex.synthetic)."""
from bench.loaders.genotex.synthetic import COHORTS, GENES, PLANTED, TASK_INFO, build_genotex_root  # noqa: F401
