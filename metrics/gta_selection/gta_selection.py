"""GenoTEX dataset filtering and selection as a Hugging Face ``evaluate`` metric (thin wrapper
over :func:`bench.metrics.genotex.score_selection`)."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import datasets
import evaluate

from bench.errors import BenchError, BenchTypeError
from bench.metrics.checks import RawInputChecks, check_choice, check_string_column, check_strings
from bench.io import read_csv_header
from bench.metrics.genotex import (
    CITATION, COMPAT_MODES, LinkedColumns, check_trait_name, linked_lookup, score_selection)

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
    pred_linked_columns, ref_linked_columns (`dict`, optional): the linked CSV headers,
        {trait: {cohort: [column names, index column dropped]}} (a cohort not listed has no
        linked CSV); needed for two-step problems (the regressor check), else they are skipped.
        `bench.baselines.genotex.folders.linked_headers(preprocess_dir, task_info)` reads them.
    pred_preprocess_dir, ref_preprocess_dir (`str`, optional): DEPRECATED, removed in the next
        release (a FutureWarning says so): preprocess folders the headers are read from instead.
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
                      compat="v2", pred_linked_columns=None, ref_linked_columns=None) -> None:
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
        for side, folder, columns in (("pred", pred_preprocess_dir, pred_linked_columns),
                                      ("ref", ref_preprocess_dir, ref_linked_columns)):
            if folder is not None and not isinstance(folder, str):
                raise BenchTypeError(f"{side}_preprocess_dir: expected a folder path string, got {type(folder).__name__}")
            if folder is not None and columns is not None:
                raise BenchError(f"{side}_linked_columns and {side}_preprocess_dir: give one (the headers, or the "
                                 "deprecated folder they are read from), not both")
        check_choice(compat, "compat", COMPAT_MODES)

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation=CITATION, inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
            reference_urls=["https://github.com/Liu-Hy/GenoTex"],
        )

    def _compute(self, predictions, references, traits=None, task_info=None, pred_preprocess_dir=None,
                 ref_preprocess_dir=None, compat="v2", pred_linked_columns=None, ref_linked_columns=None):
        self.check_options(traits=traits, task_info=task_info, pred_preprocess_dir=pred_preprocess_dir,
                           ref_preprocess_dir=ref_preprocess_dir, compat=compat,
                           pred_linked_columns=pred_linked_columns, ref_linked_columns=ref_linked_columns)
        if not references:
            raise BenchError("references: no cohort_info pairs to score")
        if len(traits) != len(references):
            raise BenchError(f"traits: expected one trait name per cohort_info pair ({len(references)}), "
                             f"got {None if traits is None else len(traits)}")
        ref_infos = {t: _parse(r, f"references[{i}]") for i, (t, r) in enumerate(zip(traits, references))}
        pred_infos = {t: _parse(p, f"predictions[{i}]") for i, (t, p) in enumerate(zip(traits, predictions))}
        problems = task_info if task_info is not None else {t: {"related_genes": [], "conditions": []} for t in traits}
        out = score_selection(ref_infos, pred_infos, problems,
                              ref_linked=_linked("ref", ref_linked_columns, ref_preprocess_dir),
                              pred_linked=_linked("pred", pred_linked_columns, pred_preprocess_dir), compat=compat)
        result = out["results"]
        if task_info is None:
            result.pop("selection")
        return result


def _linked(side: str, columns: dict | None, preprocess_dir: str | None) -> LinkedColumns | None:
    """The regressor check's lookup: over the headers given, else (deprecated) read from the folder."""
    if columns is not None:
        return linked_lookup(columns, f"{side}_linked_columns")
    if preprocess_dir is None:
        return None
    warnings.warn(f"gta_selection: {side}_preprocess_dir is deprecated and goes in the next release; pass "
                  f"{side}_linked_columns={{trait: {{cohort: [column names]}}}} (bench.baselines.genotex.folders."
                  "linked_headers(preprocess_dir, task_info) reads them)", FutureWarning, stacklevel=2)
    return _folder_lookup(preprocess_dir)


def _folder_lookup(preprocess_dir: str) -> LinkedColumns:
    """Header of ``<preprocess_dir>/<trait>/<cohort>.csv`` (None if absent): the deprecated path form."""
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
