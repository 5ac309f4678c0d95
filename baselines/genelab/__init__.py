"""GeneLab baselines (families genelab and genelab_analysis): ``MODELS`` and ``run(spec, ...) -> Result``.

models.py   the sklearn pipelines (upstream hyperparameters)    data.py     fold arrays via bench.loaders
run.py      Categories A/B and the dispatch                       condition.py  D and NC1/NC2
transfer.py Category C cross-tissue                               scoring.py  lomo statistics adapter
plots.py    ROC, forest and heatmap figures
"""
from bench.baselines.genelab.models import MODELS
from bench.baselines.genelab.run import run

__all__ = ["MODELS", "run"]
