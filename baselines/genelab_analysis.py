"""``bench run`` entry for the ``genelab_analysis`` family: analyses built on several GeneLab
configs rather than one (Category C cross-tissue transfer, negative controls NC1/NC2).

They live in their own family so that everything in family ``genelab`` stays a buildable data
config (``bench build all``); the models and runners are those of :mod:`bench.baselines.genelab`.
"""
from bench.baselines.genelab import MODELS, run_task

__all__ = ["MODELS", "run_task"]
