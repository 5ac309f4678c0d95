"""GenoTEX dataset filtering and selection as a Hugging Face ``evaluate`` metric (thin wrapper
over :func:`bench.metrics.genotex.score_selection`)."""
from __future__ import annotations

import json
from pathlib import Path

import datasets
import evaluate

from bench.errors import BenchError, BenchTypeError
from bench.metrics.checks import RawInputChecks, check_choice, check_string_column, check_strings
from bench.io import read_csv_header
from bench.metrics.genotex import COMPAT_MODES, LinkedColumns, check_trait_name, score_selection

_CITATION = """\
@article{liu2024genotex,
  title={GenoTEX: A Benchmark for Automated Gene Expression Data Analysis in Alignment with Bioinformaticians},
  author={Liu, Haoyang and Chen, Shuyu and Zhang, Ye and Wang, Haohan},
  journal={arXiv preprint arXiv:2406.15341}, year={2024}
}
"""
_DESCRIPTION = """\
GenoTEX dataset filtering (is_available of every cohort of a trait: precision, recall, F1,
accuracy x100, macro over traits) and dataset selection (does the predicted cohort_info lead to
the same cohort — or two-step cohort pair — as the reference for each problem; accuracy x100).
"""
_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): predicted cohort_info.json contents (JSON text), one per trait.
    references (`list` of `str`): reference cohort_info.json contents, one per trait.
    traits (`list` of `str`): the trait of each pair (required).
    task_info (`dict`, optional): task_info.json content; enables selection accuracy.
    pred_preprocess_dir, ref_preprocess_dir (`str`, optional): preprocess folders; needed for
        two-step problems (the linked CSV headers decide the regressor check), else they are skipped.
    compat (`str`): "v2" (default), "legacy", "genomas" or "bench" (no rounding; missing pred = {}).
Returns:
    dict: filtering {precision, recall, f1, accuracy}, selection {accuracy, per category},
    n_traits, n_problems, n_two_step_skipped.
Examples:
    >>> m = evaluate.load("metrics/gta_selection")  # doctest: +SKIP
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class GtaSelection(RawInputChecks, evaluate.Metric):
    """GenoTEX filtering and selection."""

    raw_checks = {"predictions": check_string_column, "references": check_string_column}

    def check_options(self, traits=None, task_info=None, pred_preprocess_dir=None, ref_preprocess_dir=None,
                      compat="v2") -> None:
        if traits is None:
            raise BenchError("traits: required; expected one trait name per cohort_info pair")
        first = {}
        for i, trait in enumerate(check_strings(traits, "traits")):
            if trait in first:
                raise BenchError(f"traits[{i}]: {trait!r} repeats traits[{first[trait]}]; give each trait's "
                                 "cohort_info pair once")
            first[trait] = i
        if task_info is not None and not isinstance(task_info, dict):
            raise BenchTypeError(f"task_info: expected the task_info.json dict, got {type(task_info).__name__}")
        for name, value in (("pred_preprocess_dir", pred_preprocess_dir), ("ref_preprocess_dir", ref_preprocess_dir)):
            if value is not None and not isinstance(value, str):
                raise BenchTypeError(f"{name}: expected a folder path string, got {type(value).__name__}")
        check_choice(compat, "compat", COMPAT_MODES)

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=_CITATION, inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
            reference_urls=["https://github.com/Liu-Hy/GenoTex"],
        )

    def _compute(self, predictions, references, traits=None, task_info=None, pred_preprocess_dir=None,
                 ref_preprocess_dir=None, compat="v2"):
        self.check_options(traits=traits, task_info=task_info, pred_preprocess_dir=pred_preprocess_dir,
                           ref_preprocess_dir=ref_preprocess_dir, compat=compat)
        if not references:
            raise BenchError("references: no cohort_info pairs to score")
        if len(traits) != len(references):
            raise BenchError(f"traits: expected one trait name per cohort_info pair ({len(references)}), "
                             f"got {None if traits is None else len(traits)}")
        ref_infos = {t: _parse(r, f"references[{i}]") for i, (t, r) in enumerate(zip(traits, references))}
        pred_infos = {t: _parse(p, f"predictions[{i}]") for i, (t, p) in enumerate(zip(traits, predictions))}
        problems = task_info if task_info is not None else {t: {"related_genes": [], "conditions": []} for t in traits}
        out = score_selection(ref_infos, pred_infos, problems, ref_linked=_linked_columns(ref_preprocess_dir),
                              pred_linked=_linked_columns(pred_preprocess_dir), compat=compat)
        result = out["results"]
        if task_info is None:
            result.pop("selection")
        return result


def _linked_columns(preprocess_dir: str | None) -> LinkedColumns | None:
    """Header of ``<preprocess_dir>/<trait>/<cohort>.csv`` (None if absent); None without a folder."""
    if preprocess_dir is None:
        return None

    def linked(trait: str, cohort: str) -> list[str] | None:
        path = Path(preprocess_dir) / check_trait_name(trait) / f"{cohort}.csv"
        return read_csv_header(path) if path.is_file() else None
    return linked


def _parse(text, field):
    try:
        data = json.loads(text)
    except (TypeError, json.JSONDecodeError) as exc:
        raise BenchError(f"{field}: expected cohort_info.json text, got malformed JSON ({exc})") from None
    except RecursionError:
        raise BenchError(f"{field}: expected cohort_info.json text, got JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise BenchError(f"{field}: expected a JSON object {{cohort: record}}")
    return data
