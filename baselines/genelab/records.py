"""GeneLab result records (``lomo_auroc``, Categories A and B): building a record of a run or an
evaluation, writing it beside its predictions (the upstream submission format keyed by fold and
sample id), and its recomputation for ``bench verify`` (the family table's ``records`` entry,
:func:`verify`). The record format itself is :mod:`bench.results.record`."""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from bench import __version__
from bench.errors import BenchError
from bench.io import write_json_atomic
from bench.loaders.genelab.labels import task_labels
from bench.metrics import alarms as al
from bench.metrics.genelab import lomo
from bench.metrics.genelab.submission import read_submission, write_submission
from bench.results.record import (PREDICTIONS_FILE, RECORD_FILE, RECORD_FORMAT, RECORD_VERSION, Verification,
                          canonical_predictions, labels_sha256, predictions_sha256, record_tail, same_value,
                          spec_differences, split_checksum)
from bench.tasks import get_task

#: The value fields recomputed and compared by :func:`verify` (besides ``pooled_ci`` and ``per_fold``).
SUMMARY_KEYS = ("mean_auroc", "std_auroc", "mean_ci_lower", "pooled_auroc", "mean_perm_p", "go_nogo")
FOLD_KEYS = ("n_test", "n_flight", "n_ground", "auroc", "ci_lower", "ci_upper", "perm_p")


def _finite(value):
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def genelab_record(spec, results: dict, *, predictions: Mapping[str, Mapping[str, float]],
                   labels: Mapping[str, Mapping[str, float]], model: dict, dataset: dict,
                   alarms: Sequence[dict] = (), runtime_seconds: float | None = None,
                   command: Sequence[str] | None = None, predictions_file: str = PREDICTIONS_FILE) -> dict:
    """The record of a GeneLab ``lomo_auroc`` result (``results``: ``evaluate_submission``'s dict
    or a baseline run's results with ``per_fold``, ``summary`` and the statistics settings).

    ``labels``: the evaluated folds' test labels ``{fold: {sample_id: label}}``; ``model``: id,
    revision, pretraining_corpus, description; ``dataset``: repo, revision, origin, synthetic.
    """
    summary = results["summary"]
    per_fold = results["per_fold"]
    settings = results.get("settings") or {k: results[k] for k in ("seed", "n_bootstrap", "n_permutations", "rng")}
    evaluated = {r["fold"] for r in per_fold}
    preds = {f: s for f, s in canonical_predictions(predictions).items() if f in evaluated}
    return {
        "record_format": RECORD_FORMAT,
        "record_version": RECORD_VERSION,
        "benchmark": {"name": "bench", "family": spec.family, "task": spec.name, "upstream_id": spec.upstream_id,
                      "task_version": spec.version, "spec_sha256": spec.spec_hash,
                      "category": str((spec.params or {}).get("category", "A"))},
        "dataset": {"repo": dataset.get("repo"), "revision": dataset.get("revision"),
                    "upstream_commit": dataset.get("upstream_commit"), "origin": dataset.get("origin", "local"),
                    "synthetic": bool(dataset.get("synthetic"))},
        "splits": split_checksum({f: list(ids) for f, ids in labels.items()}),
        "labels_sha256": labels_sha256(labels),
        "predictions": {"file": predictions_file, "sha256": predictions_sha256(preds), "keyed_by": "fold/sample_id",
                        "n": sum(len(s) for s in preds.values())},
        "metric": {"id": "lomo_auroc", "primary": "mean_auroc", "version": __version__,
                   "rules": "evaluator (default_rng)" if settings["rng"] == "default" else "legacy (RandomState)",
                   "params": {"seed": int(settings["seed"]), "n_bootstrap": int(settings["n_bootstrap"]),
                              "n_permutations": int(settings["n_permutations"]), "rng": settings["rng"],
                              "thresholds": results.get("thresholds")}},
        "value": {"mean_auroc": _finite(summary.get("mean_auroc")), "std_auroc": _finite(summary.get("std_auroc")),
                  "mean_ci_lower": _finite(summary.get("mean_ci_lower")),
                  "pooled_auroc": _finite(summary.get("overall_auroc_pooled")),
                  "pooled_ci": [_finite(summary.get("overall_ci_lower")), _finite(summary.get("overall_ci_upper"))],
                  "mean_perm_p": _finite(summary.get("mean_perm_p")), "go_nogo": summary.get("go_nogo"),
                  "per_fold": [{k: r.get(k) for k in ("fold",) + FOLD_KEYS} for r in per_fold]},
        **record_tail(model, command=command, runtime_seconds=runtime_seconds, alarms=alarms),
    }


def write_record(folder: str | os.PathLike, record: dict, predictions: Mapping[str, Mapping[str, float]] | None = None,
                 *, task_id: str | None = None, model_name: str | None = None) -> Path:
    """Write ``record.json`` into ``folder``, and with ``predictions`` also its predictions file
    (upstream submission format, the evaluated folds only). Without ``predictions`` the file the
    record names must already be there (e.g. the ``submission.json`` of ``bench run``)."""
    folder = Path(folder)
    pred_file = folder / record["predictions"]["file"]
    if predictions is not None:
        evaluated = {r["fold"] for r in record["value"]["per_fold"]}
        preds = {f: s for f, s in canonical_predictions(predictions).items() if f in evaluated}
        write_submission(pred_file, task_id=task_id, model_name=model_name, predictions=preds,
                         model_description=record["model"].get("description") or "")
    elif not pred_file.is_file():
        raise BenchError(f"cannot write {folder / RECORD_FILE}: its predictions file {pred_file} is missing")
    return write_json_atomic(folder / RECORD_FILE, record)


def fold_arrays(labels: Mapping[str, Mapping[str, float]], predictions: Mapping[str, Mapping[str, Any]],
                folds: Sequence[str]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(fold, labels, scores)`` in each fold's label order, scores looked up by sample id."""
    return [(f, np.array([float(v) for v in labels[f].values()]),
             np.array([float(predictions[f][sid]) for sid in labels[f]])) for f in folds]


def evaluation_alarms(results: dict, labels: Mapping[str, Mapping[str, float]],
                      predictions: Mapping[str, Mapping[str, Any]]) -> list:
    """The sanity alarms (:mod:`bench.metrics.alarms`) of a scored lomo_auroc result."""
    folds = [r["fold"] for r in results["per_fold"]]
    data = fold_arrays(labels, predictions, folds)
    return al.lomo_alarms(data, results["per_fold"], results["summary"].get("mean_auroc"))


def evaluated_labels(spec, folds_evaluated: Sequence[str], data_dir, *, where=None) -> dict[str, dict[str, float]]:
    """``{fold: {sample_id: label}}`` of the evaluated folds, read through the checked labels reader;
    BenchError (prefixed by ``where``, e.g. the record) for a fold the task does not have."""
    by_name = {f.name: f.labels for f in task_labels(spec, data_dir).folds}
    unknown = [f for f in folds_evaluated if f not in by_name]
    if unknown:
        raise BenchError(f"{where or 'task ' + spec.name}: fold(s) {', '.join(unknown)} are not folds of task "
                         f"{spec.name}")
    return {f: {str(k): float(v) for k, v in by_name[f].items()} for f in folds_evaluated}


# --------------------------------------------------------------------------------------------
# bench verify
# --------------------------------------------------------------------------------------------

def compare_values(claimed: dict, recomputed: dict) -> list[str]:
    """Every summary and per-fold value where the record and the recomputation differ."""
    out = []
    for key in SUMMARY_KEYS:
        if not same_value(claimed.get(key), recomputed.get(key)):
            out.append(f"value.{key}: record says {claimed.get(key)!r}, recomputed {recomputed.get(key)!r}")
    for i, (a, b) in enumerate(zip(claimed.get("pooled_ci") or [None, None], recomputed["pooled_ci"])):
        if not same_value(a, b):
            out.append(f"value.pooled_ci[{i}]: record says {a!r}, recomputed {b!r}")
    want = {r["fold"]: r for r in recomputed["per_fold"]}
    got = {r.get("fold"): r for r in claimed.get("per_fold") or []}
    if sorted(want) != sorted(got):
        out.append(f"value.per_fold: record has folds {sorted(got)}, recomputed {sorted(want)}")
    for fold in sorted(set(want) & set(got)):
        for key in FOLD_KEYS:
            if not same_value(got[fold].get(key), want[fold].get(key)):
                out.append(f"value.per_fold[{fold}].{key}: record says {got[fold].get(key)!r}, "
                           f"recomputed {want[fold].get(key)!r}")
    return out


def verify(path: Path, record: dict, *, data_dir=None) -> Verification:
    """Recompute a GeneLab record's value from its predictions file and the labels under ``data_dir``.

    Checks, naming each difference: the predictions' sha256, the split checksum and labels sha256,
    every value field (summary and per fold), and the sanity alarms (missing/extra ids, impossible
    AUROCs, constant or NaN scores, below the random floor, order dependence).
    """
    out = Verification(record=path)
    bench_meta = record["benchmark"]
    if record["metric"].get("id") != "lomo_auroc":
        raise BenchError(f"{path}: a GeneLab record of metric {record['metric'].get('id')!r}; bench verify "
                         "recomputes lomo_auroc")
    spec = get_task(bench_meta["task"])
    out.differences += spec_differences(record, spec)
    pred_path = path.parent / record["predictions"]["file"]
    sub = read_submission(pred_path)
    if not isinstance(sub.predictions, dict):
        raise BenchError(f"{pred_path}: field 'predictions' must be an object {{fold: {{sample_id: score}}}}")
    claimed_folds = [r["fold"] for r in record["value"].get("per_fold") or []]
    preds = {f: sub.predictions.get(f, {}) for f in claimed_folds}
    sha = predictions_sha256({f: s for f, s in preds.items() if isinstance(s, dict)})
    if sha != record["predictions"].get("sha256"):
        out.differences.append(f"predictions.sha256: record says {record['predictions'].get('sha256')}, "
                               f"{pred_path.name} hashes to {sha} (the predictions changed)")

    labels = evaluated_labels(spec, claimed_folds, data_dir, where=path)
    splits = split_checksum({f: list(labels[f]) for f in claimed_folds})
    if splits["sha256"] != record["splits"].get("sha256"):
        changed = [f for f in claimed_folds if splits["per_fold"][f] != record["splits"].get("per_fold", {}).get(f)]
        out.differences.append(f"splits.sha256: the test splits differ from the record's (folds {', '.join(changed)}): "
                               "different data revision?")
    if record.get("labels_sha256") and labels_sha256(labels) != record["labels_sha256"]:
        out.differences.append("labels_sha256: the labels under the data dir differ from the record's")

    id_alarms = al.id_alarms({f: list(s) for f, s in preds.items() if isinstance(s, dict)},
                             {f: list(labels[f]) for f in claimed_folds})
    if id_alarms:
        out.alarms = [a.to_dict() for a in id_alarms]
        out.differences += [f"alarm {a}" for a in id_alarms]
        return out
    fold_data = fold_arrays(labels, preds, claimed_folds)
    params = record["metric"]["params"]
    stats = lomo.evaluate_folds(fold_data, n_bootstrap=params["n_bootstrap"], n_permutations=params["n_permutations"],
                                seed=params["seed"], rng=params.get("rng", "default"),
                                thresholds=params.get("thresholds") or spec.metric.get("thresholds") or None,
                                category="B" if bench_meta.get("category") == "B" else "A")
    s = stats["summary"]
    out.recomputed = {"mean_auroc": s["mean_auroc"], "std_auroc": s["std_auroc"], "mean_ci_lower": s["mean_ci_lower"],
                      "pooled_auroc": s["overall_auroc_pooled"],
                      "pooled_ci": [s["overall_ci_lower"], s["overall_ci_upper"]], "mean_perm_p": s["mean_perm_p"],
                      "go_nogo": s["go_nogo"], "per_fold": stats["per_fold"]}
    out.headline = f"recomputed mean AUROC {s['mean_auroc']!r} over {len(stats['per_fold'])} fold(s)"
    out.differences += compare_values(record["value"], out.recomputed)
    alarms = al.impossible_auroc_alarms(record["value"].get("per_fold") or [])
    alarms += al.lomo_alarms(fold_data, stats["per_fold"], s["mean_auroc"])
    out.alarms = [a.to_dict() for a in alarms]
    claimed_alarms = sorted(a.get("id") for a in record.get("alarms") or [])
    found = sorted(a.id for a in alarms if a.id != "impossible_auroc")
    if claimed_alarms != found:
        out.differences.append(f"alarms: record lists {claimed_alarms or 'none'}, recomputation raises {found or 'none'}")
    return out
