"""GenoTEX preprocessing similarity as a Hugging Face ``evaluate`` metric (thin wrapper over
:func:`bench.metrics.genotex.table_similarity`)."""
from __future__ import annotations

from pathlib import Path

import datasets
import evaluate
import pandas as pd

from bench.errors import BenchError
from bench.metrics.checks import RawInputChecks, check_choice, check_string_column
from bench.metrics.genotex import CITATION, COMPAT_MODES, similarity_means, table_similarity, table_zero

_DESCRIPTION = """\
Similarity of predicted and reference preprocessed GenoTEX tables (gene, clinical or linked
CSV files): Jaccard of feature names, Jaccard of sample IDs, mean per-feature Pearson r over the
common samples, and their product (composite_similarity_correlation). Fractions in [-1, 1].
"""
_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): paths of predicted CSV files ("" = missing).
    references (`list` of `str`): paths of the matching reference CSV files.
    subtask (`str`): "gene" or "clinical" (files are features x samples and are transposed,
        as upstream) or "linked" (samples x features).
    compat (`str`): "v2" (default: missing predictions skipped, mean rounded to 2) or "genomas"/
        "bench" (missing predictions score 0; bench does not round).
Returns:
    dict: mean attributes_jaccard, samples_jaccard, feature_correlation,
    composite_similarity_correlation, n_files.
Examples:
    >>> m = evaluate.load("metrics/gta_preprocessing")  # doctest: +SKIP
"""
SUBTASKS = ("gene", "clinical", "linked")


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class GtaPreprocessing(RawInputChecks, evaluate.Metric):
    """GenoTEX preprocessing similarity."""

    raw_checks = {"predictions": check_string_column, "references": check_string_column}

    def check_options(self, subtask="linked", compat="v2") -> None:
        check_choice(subtask, "subtask", SUBTASKS)
        check_choice(compat, "compat", COMPAT_MODES)

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=CITATION, inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
            reference_urls=["https://github.com/Liu-Hy/GenoTex"],
        )

    def _compute(self, predictions, references, subtask="linked", compat="v2"):
        self.check_options(subtask=subtask, compat=compat)
        if not references:
            raise BenchError("references: no tables to compare; expected one reference CSV path per prediction")
        rows = []
        for i, (p, r) in enumerate(zip(predictions, references)):
            ref = _read(r, subtask, f"references[{i}]", must_exist=True)
            pred = _read(p, subtask, f"predictions[{i}]", must_exist=False)
            if pred is None:
                if compat in ("v2", "legacy"):
                    continue
                rows.append(table_zero())
                continue
            rows.append(table_similarity(pred, ref))
        return similarity_means(rows, compat=compat)


def _read(path, subtask, field, *, must_exist):
    if not path or not Path(path).is_file():
        if must_exist:
            raise BenchError(f"{field}: reference table not found: {path!r}")
        return None
    try:
        df = pd.read_csv(path, index_col=0)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        if must_exist:
            raise BenchError(f"{field}: {path}: unreadable CSV ({exc})") from None
        return pd.DataFrame()  # upstream: any read error scores 0
    df.index = df.index.astype(str)
    df.columns = df.columns.astype(str)
    return df.T if subtask in ("gene", "clinical") else df
