"""GeneLab submission files (upstream format) and scoring them with the evaluator's rules.

Format (spec genelab.md §2)::

    {"task_id": "A5", "model_name": "MyModel_v1", "model_description": "...",
     "submission_date": "YYYY-MM-DD", "predictions": {"<fold>": {"<sample_id>": 0.87}}}

Scores are Flight probabilities in [0, 1]. Holdout folds (``fold_<M>_holdout``) are optional and
evaluated only on request. Validation lists *every* problem (each naming the task, fold and sample
and what was expected) and refuses evaluation if there is any.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench import __version__
from bench.errors import BenchError
from bench.io import TOO_DEEP, sha256_file, write_json_atomic
from bench.metrics.genelab import lomo

REQUIRED_FIELDS = ("task_id", "model_name", "predictions")
MODEL_NAME_RE = re.compile(r"^[\w\-\.]+$")
MODEL_NAME_MAX = 50
_MAX_LISTED = 20  # per fold and kind of problem; the rest are counted


class _JSONObject(dict):
    """A JSON object that remembers keys that appeared more than once (json keeps the last)."""

    duplicates: list[str]


def _object_pairs(pairs: list[tuple[str, Any]]) -> _JSONObject:
    obj = _JSONObject()
    obj.duplicates = []
    for key, value in pairs:
        if key in obj and key not in obj.duplicates:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


@dataclass
class Submission:
    """A parsed submission (not yet checked against a task's folds)."""

    task_id: Any
    model_name: Any
    predictions: Any
    model_description: str = ""
    submission_date: str = ""
    extra: dict = field(default_factory=dict)
    path: Path | None = None
    sha256: str | None = None
    problems: list[str] = field(default_factory=list)  # structural problems found while reading
    present: frozenset = frozenset(REQUIRED_FIELDS)     # which required fields the file has


def read_submission(path: str | Path) -> Submission:
    """Parse a submission JSON. Malformed JSON or a non-object top level raise at once;
    missing fields and duplicate keys are collected in ``Submission.problems``."""
    path = Path(path)
    if not path.is_file():
        raise BenchError(f"submission file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_object_pairs)
    except json.JSONDecodeError as exc:
        raise BenchError(f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; "
                         "expected a submission object {\"task_id\", \"model_name\", \"predictions\"}") from None
    except UnicodeDecodeError as exc:
        raise BenchError(f"{path}: not UTF-8 text ({exc.reason}); expected a JSON submission") from None
    except RecursionError:
        raise BenchError(f"{path}: {TOO_DEEP}; expected a submission object") from None
    if not isinstance(data, dict):
        raise BenchError(f"{path}: top level must be a JSON object with fields {list(REQUIRED_FIELDS)}, "
                         f"got {type(data).__name__}")
    problems = [f"field {name!r} is missing (required: {', '.join(REQUIRED_FIELDS)})"
                for name in REQUIRED_FIELDS if name not in data]
    problems += [f"field {k!r} appears more than once at the top level" for k in getattr(data, "duplicates", [])]
    known = set(REQUIRED_FIELDS) | {"model_description", "submission_date"}
    return Submission(
        task_id=data.get("task_id"), model_name=data.get("model_name"), predictions=data.get("predictions"),
        model_description=str(data.get("model_description", "") or ""),
        submission_date=str(data.get("submission_date", "") or ""),
        extra={k: v for k, v in data.items() if k not in known},
        path=path, sha256=sha256_file(path), problems=problems,
        present=frozenset(k for k in REQUIRED_FIELDS if k in data),
    )


def write_submission(path: str | Path, *, task_id: str, model_name: str, predictions: dict[str, dict[str, float]],
                     model_description: str = "", submission_date: str | None = None) -> Path:
    """Write a submission in the upstream format (atomically). Scores are stored as floats."""
    problems = _model_name_problems(model_name)
    if problems:
        raise BenchError(f"cannot write submission {path}: {problems[0]}")
    body = {
        "task_id": str(task_id),
        "model_name": model_name,
        "model_description": model_description,
        "submission_date": submission_date or _dt.date.today().isoformat(),
        "predictions": {str(fold): {str(sid): float(v) for sid, v in scores.items()}
                        for fold, scores in predictions.items()},
    }
    try:
        return write_json_atomic(path, body)
    except ValueError as exc:  # NaN/inf cannot be written as strict JSON
        raise BenchError(f"cannot write submission {path}: {exc}; scores must be finite numbers in [0, 1]") from None


def _model_name_problems(name: Any) -> list[str]:
    if not isinstance(name, str) or not name.strip():
        return [f"field 'model_name' must be a non-empty string, got {name!r}"]
    out = []
    if len(name) > MODEL_NAME_MAX:
        out.append(f"field 'model_name' is {len(name)} characters; expected at most {MODEL_NAME_MAX}")
    if not MODEL_NAME_RE.match(name):
        out.append(f"field 'model_name' {name!r} has characters other than letters, digits, '_', '-' and '.'")
    return out


def _score_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"score {value!r} is not a number"
    if math.isnan(value):
        return "score is NaN"
    if math.isinf(value):
        return f"score is {'+' if value > 0 else '-'}infinite"
    if not 0.0 <= value <= 1.0:
        return f"score {value!r} is outside [0, 1]"
    return None


def _ids_preview(ids: list[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:10])
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > 10 else "")


def submission_problems(sub: Submission, *, task_name: str, task_ids: set[str], folds: dict[str, list[str]],
                        holdout_folds: set[str] = frozenset()) -> list[str]:
    """Every problem of ``sub`` against a task whose folds hold these test sample ids.

    ``folds``: fold name -> test sample ids (all folds incl. holdout); ``holdout_folds`` may be absent.
    """
    problems = list(sub.problems)
    if "task_id" in sub.present and str(sub.task_id) not in task_ids:
        problems.append(f"field 'task_id' is {sub.task_id!r}; expected {' or '.join(sorted(task_ids))} "
                        f"(evaluating task {task_name})")
    if "model_name" in sub.present:
        problems += _model_name_problems(sub.model_name)
    preds = sub.predictions
    if "predictions" not in sub.present:
        return problems
    if not isinstance(preds, dict):
        return problems + [f"field 'predictions' must be an object {{fold: {{sample_id: score}}}}, "
                           f"got {type(preds).__name__}"]
    if not preds:
        return problems + [f"field 'predictions' is empty; expected folds {', '.join(sorted(set(folds) - set(holdout_folds)))}"]
    problems += [f"fold {k!r} appears more than once in 'predictions'" for k in getattr(preds, "duplicates", [])]
    for fold in sorted(folds):
        if fold not in preds and fold not in holdout_folds:
            problems.append(f"fold {fold!r} is missing from 'predictions' "
                            f"(expected scores for its {len(folds[fold])} test samples)")
    for fold in preds:
        if fold not in folds:
            problems.append(f"fold {fold!r} is not a fold of task {task_name}; expected one of "
                            f"{', '.join(sorted(folds))}")
    for fold in sorted(set(preds) & set(folds)):
        problems += _fold_problems(fold, preds[fold], folds[fold])
    return problems


def _fold_problems(fold: str, scores: Any, expected_ids: list[str]) -> list[str]:
    where = f"fold {fold!r}"
    if not isinstance(scores, dict):
        return [f"{where}: expected an object {{sample_id: score}}, got {type(scores).__name__}"]
    if not scores:
        return [f"{where}: no predictions; expected scores for its {len(expected_ids)} test samples"]
    out = [f"{where}, sample {sid!r}: appears more than once" for sid in getattr(scores, "duplicates", [])]
    expected = set(expected_ids)
    missing = [sid for sid in expected_ids if sid not in scores]
    extra = [sid for sid in scores if sid not in expected]
    if missing:
        out.append(f"{where}: {len(missing)} test sample(s) have no score: {_ids_preview(missing)} "
                   f"(expected all {len(expected_ids)} test samples of the fold)")
    if extra:
        out.append(f"{where}: {len(extra)} sample id(s) are not test samples of this fold: {_ids_preview(extra)}")
    bad = [(sid, p) for sid, v in scores.items() if (p := _score_problem(v))]
    for sid, p in bad[:_MAX_LISTED]:
        out.append(f"{where}, sample {sid!r}: {p}; expected a Flight probability in [0, 1]")
    if len(bad) > _MAX_LISTED:
        out.append(f"{where}: ... and {len(bad) - _MAX_LISTED} more invalid scores")
    return out


def validate_submission(sub: Submission, **kwargs) -> None:
    """Raise one :class:`BenchError` listing every problem (see :func:`submission_problems`)."""
    problems = submission_problems(sub, **kwargs)
    if problems:
        where = sub.path if sub.path else "submission"
        lines = "\n".join(f"  - {p}" for p in problems)
        raise BenchError(f"{where}: invalid submission for task {kwargs.get('task_name')} "
                         f"({len(problems)} problem(s); evaluation refused):\n{lines}")


def fold_scores(sub: Submission, fold: str, sample_ids: list[str]) -> np.ndarray:
    """The scores of ``fold`` in the order of ``sample_ids`` (the fold's test_y order)."""
    scores = sub.predictions[fold]
    return np.array([float(scores[sid]) for sid in sample_ids], dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Scoring a submission file against a task's checked labels
# --------------------------------------------------------------------------------------------

def check_scorable(spec) -> None:
    """Refuse a task that is not scored with lomo_auroc (before any label is read)."""
    if spec.metric.get("name") != "lomo_auroc":
        raise BenchError(f"task {spec.name} is scored with {spec.metric.get('name')!r}; `bench evaluate` scores "
                         "lomo_auroc tasks (GeneLab categories A and B)", field="task")


def evaluate_submission(path: str | Path, spec, *, labels, include_holdout: bool = False,
                        n_bootstrap: int | None = None, n_permutations: int | None = None, seed: int | None = None,
                        rng: str = "default", thresholds: dict | None = None, large_test_min: int | None = None) -> dict:
    """Validate and score a submission file for task ``spec``; returns a self-describing results dict.

    ``labels``: the task's checked fold labels (``folds`` of (name, holdout, labels Series), ``root``,
    ``synthetic``), as :func:`bench.loaders.genelab.labels.task_labels` reads them; this module reads
    no label file itself. Defaults for the statistics come from the task spec's ``metric`` block
    (2,000 / 1,000 / 42).
    """

    check_scorable(spec)
    metric = spec.metric
    n_bootstrap = metric.get("n_bootstrap", lomo.DEFAULT_N_BOOTSTRAP) if n_bootstrap is None else n_bootstrap
    n_permutations = (metric.get("n_permutations", lomo.DEFAULT_N_PERMUTATIONS)
                      if n_permutations is None else n_permutations)
    seed = metric.get("seed", lomo.DEFAULT_SEED) if seed is None else seed
    if large_test_min is None:
        large_test_min = metric.get("large_test_min", lomo.LARGE_TEST_MIN)
    lomo.check_statistics_options(n_bootstrap=n_bootstrap, n_permutations=n_permutations, seed=seed,
                                  large_test_min=large_test_min)
    if rng not in lomo.RNG_MODES:
        raise BenchError(f"rng must be one of {', '.join(lomo.RNG_MODES)}, got {rng!r}")
    try:
        th = lomo.Thresholds.from_any({**(metric.get("thresholds") or {}), **(thresholds or {})})
    except BenchError:
        raise
    except (TypeError, ValueError) as exc:
        raise BenchError(f"thresholds: {exc}") from None
    category = str((spec.params or {}).get("category", "A"))

    sub = read_submission(path)
    folds = labels.folds
    synthetic = labels.synthetic
    labels = {f.name: f.labels for f in folds}
    holdout = {f.name for f in folds if f.holdout}
    task_ids = {spec.name} | ({str(spec.upstream_id)} if spec.upstream_id else set())
    validate_submission(sub, task_name=spec.name, task_ids=task_ids,
                        folds={name: list(y.index) for name, y in labels.items()}, holdout_folds=holdout)
    evaluated = [f.name for f in folds if not f.holdout or (include_holdout and f.name in sub.predictions)]
    fold_data = [(name, labels[name].to_numpy(), fold_scores(sub, name, list(labels[name].index)))
                 for name in evaluated]
    stats = lomo.evaluate_folds(fold_data, n_bootstrap=n_bootstrap, n_permutations=n_permutations, seed=seed,
                                rng=rng, thresholds=th, category="B" if category == "B" else "A",
                                large_test_min=large_test_min)
    return {
        "bench_version": __version__,
        "metric": "lomo_auroc",
        "task": spec.name,
        "task_upstream_id": spec.upstream_id,
        "task_version": spec.version,
        "task_spec_sha256": spec.spec_hash,
        "category": category,
        "statistics": ("evaluator rules (numpy default_rng)" if rng == "default"
                       else "legacy statistics (numpy RandomState)"),
        "rng": rng,
        "seed": seed,
        "n_bootstrap": n_bootstrap,
        "n_permutations": n_permutations,
        "include_holdout": bool(include_holdout),
        "synthetic": synthetic,
        "submission": {"path": Path(sub.path).name, "sha256": sub.sha256, "task_id": sub.task_id,
                       "model_name": sub.model_name, "model_description": sub.model_description,
                       "submission_date": sub.submission_date},
        "folds_evaluated": evaluated,
        "ignored_holdout_folds": sorted(f for f in holdout if f in sub.predictions and f not in evaluated),
        **{k: v for k, v in stats.items() if k != "settings"},
    }
