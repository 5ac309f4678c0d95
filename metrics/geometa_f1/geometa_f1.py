"""GEOmeta F1: macro/weighted F1, accuracy, per-class F1 and the leaderboard's "F1 ± std"."""
import datasets
import evaluate

from bench.metrics.checks import RawInputChecks, check_choice, check_string_column, check_strings
from bench.metrics.geometa import COMPAT_MODES, geometa_f1

_DESCRIPTION = """
Scores label predictions for GEOmeta targets (sex, organ, disease, age): macro-F1 (primary),
weighted-F1, accuracy and per-class F1. With ``compat="leaderboard"`` (or the config name
``leaderboard``) it also returns the seed leaderboard's "F1 ± std": the mean and ddof=1 std of
the ``f1-score`` column of sklearn's ``classification_report(labels=<test labels>,
output_dict=True)`` over all its rows (classes, accuracy or micro avg, macro avg, weighted avg).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): predicted labels, one per sample.
    references (list of str): true labels (no missing values: drop NA targets first).
    labels (list of str, optional): classes to score. Default: every class seen in references or
        predictions; in leaderboard mode the classes of the references (the "test labels").
    compat (str, optional): None or "leaderboard".
Returns:
    macro_f1, weighted_f1, accuracy (float), per_class_f1 / per_class_precision / per_class_recall /
    support (dict label -> value), labels, n; in leaderboard mode also leaderboard_f1,
    leaderboard_f1_std, leaderboard_rows, leaderboard_micro_row, leaderboard_display.
Examples:
    >>> import evaluate
    >>> f1 = evaluate.load("metrics/geometa_f1")  # doctest: +SKIP
    >>> f1.compute(predictions=["Male", "Female"], references=["Male", "Male"])["accuracy"]  # doctest: +SKIP
    0.5
"""

_CITATION = """
@article{paithankar2025geometa,
  title  = {Massive labeled transcriptomics as a resource of transcriptome representation learning},
  author = {Paithankar, Shreya and Zhang, Xiao and Murtaza, Sarah and others},
  year   = {2025}
}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class GeometaF1(RawInputChecks, evaluate.Metric):
    """macro-F1 and the GEOmeta leaderboard convention over string class labels."""

    raw_checks = {"predictions": check_string_column, "references": check_string_column}

    def check_options(self, labels=None, compat=None) -> None:
        if labels is not None:
            check_strings(labels, "labels", non_empty=True)
        check_choice(compat, "compat", COMPAT_MODES)

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({
                "predictions": datasets.Value("string"),
                "references": datasets.Value("string"),
            }),
            reference_urls=["https://github.com/Bin-Chen-Lab/GEO_GPT"],
        )

    def _compute(self, predictions, references, labels=None, compat=None):
        if compat is None and self.config_name == "leaderboard":
            compat = "leaderboard"
        return geometa_f1(references, predictions, labels=labels, compat=compat)
