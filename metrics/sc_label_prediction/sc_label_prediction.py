"""sc_label_prediction: cross-validated LR / kNN / RF predicting cell labels from an embedding."""
import datasets
import evaluate
import numpy as np

from bench.metrics import singlecell
from bench.metrics.checks import (RawInputChecks, check_choice, check_int, check_seed, check_string_column,
                                  check_strings, check_vector_column)

_CITATION = """\
@software{czbenchmarks,
  title={cz-benchmarks: benchmarks for single-cell foundation models},
  author={{Chan Zuckerberg Initiative}}, url={https://github.com/chanzuckerberg/cz-benchmarks}, year={2025}
}
"""
_DESCRIPTION = """\
cz-benchmarks' MetadataLabelPredictionTask: classes with fewer than 10 cells are dropped; logistic
regression (StandardScaler(with_mean=False) + LogisticRegression()), 5-NN (same scaling) and a random
forest (100 trees, seed 42) are scored with StratifiedKFold(5, shuffle=True, random_state=42): macro
F1 / precision / recall, accuracy and one-vs-rest macro AUROC (binary averaging with two classes).
"""
_KWARGS_DESCRIPTION = """
Args:
    embeddings (list of float lists): one embedding vector per cell, shape (n_cells, n_dims).
    labels (list of str): the label to predict (e.g. cell type).
    n_folds (int, keyword): CV folds (default 5).
    min_class_size (int, keyword): drop classes with fewer cells (default 10).
    random_state (int, keyword): seed of the folds and the random forest (default 42).
    classifiers (list of str, keyword): subset of ["lr", "knn", "rf"] (default all).
Returns:
    mean_fold_{accuracy,f1,precision,recall,auroc}: mean over every fold of every classifier
    (cz-benchmarks' "MEAN(knn,lr,rf)"); mean_fold_<metric>_<classifier> per classifier; n_cells,
    n_classes, dropped_classes.
Examples:
    >>> import evaluate, numpy as np
    >>> lp = evaluate.load("metrics/sc_label_prediction")
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (30, 4)), rng.normal(6, 1, (30, 4))])
    >>> out = lp.compute(embeddings=X.tolist(), labels=["a"] * 30 + ["b"] * 30)
    >>> out["mean_fold_accuracy"]
    1.0
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class ScLabelPrediction(RawInputChecks, evaluate.Metric):
    raw_checks = {"embeddings": check_vector_column, "labels": check_string_column}

    def check_options(self, n_folds=5, min_class_size=10, random_state=42, classifiers=singlecell.CLASSIFIERS) -> None:
        check_int(n_folds, "n_folds", minimum=2)
        check_int(min_class_size, "min_class_size", minimum=1)
        check_seed(random_state, "random_state")
        for i, name in enumerate(check_strings(classifiers, "classifiers", non_empty=True)):
            check_choice(name, f"classifiers[{i}]", singlecell.CLASSIFIERS)

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"embeddings": datasets.Sequence(datasets.Value("float64")),
                                        "labels": datasets.Value("string")}),
            reference_urls=["https://github.com/chanzuckerberg/cz-benchmarks"],
        )

    def _compute(self, embeddings, labels, *, n_folds=5, min_class_size=10, random_state=42,
                 classifiers=singlecell.CLASSIFIERS):
        return singlecell.label_prediction(np.asarray(embeddings, dtype=np.float64), labels, n_folds=n_folds,
                                           min_class_size=min_class_size, random_state=random_state,
                                           classifiers=classifiers)
