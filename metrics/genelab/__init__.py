"""GeneLab metric cores (numpy; they read no label file and import no loader).

``lomo``: per-fold AUROC, percentile bootstrap CI, permutation p, mean/pooled summaries and the
GO/NO-GO verdict. ``submission``: the upstream submission format (read, check every problem) and
scoring it against the checked labels :func:`bench.loaders.genelab.labels.task_labels` returns.
"""
from bench.metrics.genelab import lomo, submission
from bench.metrics.genelab.lomo import evaluate_folds, lomo_statistics
from bench.metrics.genelab.submission import (
    evaluate_submission, read_submission, validate_submission, write_submission,
)

__all__ = ["lomo", "submission", "evaluate_folds", "lomo_statistics", "evaluate_submission",
           "read_submission", "validate_submission", "write_submission"]
