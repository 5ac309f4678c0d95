"""Result records: one JSON file per scored result that anyone can re-check with ``bench verify``.

A record sits beside its predictions (``predictions.json``, the upstream submission format keyed by
fold and sample id, never by row order) and holds what is needed to recompute and compare the
score: the benchmark (task, spec version and sha256), the dataset (repository, revision, origin),
an order-invariant checksum of the test splits (sha256 of each fold's sorted sample ids) and of the
labels, the predictions' canonical sha256, the metric (id, version, statistics parameters), the
value with its uncertainty (CI, per-fold values), the model (id, revision, declared pre-training
corpus), the software (bench version, git revision, key dependency versions), the exact command,
hardware and runtime, the sanity alarms, and a verification level:

* ``self-reported``: written by the run that produced the predictions (bench computed the value,
  but nobody else has re-checked the file);
* ``recomputed``: ``bench verify`` recomputed the value from the predictions and the pinned data
  and every field matched.

No absolute path is stored: the predictions file is named relative to the record, and local data
is recorded as ``origin: local`` (``bench verify --data-dir`` says where the labels are).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import sklearn

from bench import __version__
from bench.errors import BenchError
from bench.io import read_json, sha256_file, write_json_atomic
from bench.loaders.genelab.labels import task_labels
from bench.metrics import alarms as al
from bench.metrics.genelab import lomo
from bench.metrics.genelab.submission import read_submission, write_submission
from bench.tasks import get_task

RECORD_FORMAT = "bench-result-record"
RECORD_VERSION = 1
RECORD_FILE = "record.json"
PREDICTIONS_FILE = "predictions.json"
LEVELS = ("self-reported", "recomputed")
#: Values are compared to this relative tolerance (recomputation is bit-for-bit in practice).
VALUE_RTOL = 1e-12


# --------------------------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------------------------

def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_predictions(predictions: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """``{fold: {sample_id: float}}`` with string keys (row order plays no part)."""
    return {str(fold): {str(sid): float(v) for sid, v in scores.items()} for fold, scores in predictions.items()}


def predictions_sha256(predictions: Mapping[str, Mapping[str, Any]]) -> str:
    """sha256 of the predictions as canonical JSON (keys sorted, floats in shortest round-trip form).

    Equal for two files holding the same scores for the same ids whatever their order or layout.
    """
    canon = canonical_predictions(predictions)
    return _sha256_text(json.dumps(canon, sort_keys=True, separators=(",", ":"), allow_nan=False))


def split_checksum(folds: Mapping[str, Iterable[str]]) -> dict:
    """Order-invariant checksum of test splits: sha256 of each fold's sorted ids, and of those hashes."""
    per_fold = {str(f): _sha256_text("\n".join(sorted(str(i) for i in ids))) for f, ids in folds.items()}
    sizes = {str(f): len(list(ids)) for f, ids in folds.items()}
    return {"sha256": _sha256_text(json.dumps(per_fold, sort_keys=True)), "per_fold": dict(sorted(per_fold.items())),
            "n_samples": dict(sorted(sizes.items()))}


def labels_sha256(labels: Mapping[str, Mapping[str, float]]) -> str:
    """sha256 of ``{fold: {sample_id: label}}`` as canonical JSON (order-invariant)."""
    return predictions_sha256(labels)


def canonical_sha256(obj: Any) -> str:
    """sha256 of any JSON value as canonical JSON (keys sorted, no NaN): labels or predictions of any type
    keyed by id, whatever their order."""
    return _sha256_text(json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False))


def tree_files(folder: str | os.PathLike) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``folder`` (a folder of outputs keyed by file)."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------

def git_revision(path: str | os.PathLike | None = None) -> str | None:
    """The commit of the git checkout holding ``path`` (bench's own source by default), else None."""
    where = Path(path) if path else Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    rev = out.stdout.strip()
    return rev if out.returncode == 0 and len(rev) == 40 else None


def software() -> dict:
    """bench version and git revision, Python and the versions of the numeric dependencies."""
    return {"bench_version": __version__, "git_revision": git_revision(), "python": platform.python_version(),
            "numpy": np.__version__, "scikit_learn": sklearn.__version__, "pandas": pd.__version__}


def hardware() -> dict:
    """The machine (no host name, no user name)."""
    return {"system": platform.system(), "machine": platform.machine(), "processor": platform.processor() or None,
            "cpu_count": os.cpu_count()}


def portable_command(argv: Sequence[str] | None = None) -> list[str]:
    """The command line with the program as ``bench`` and absolute paths reduced to their file names."""
    argv = list(sys.argv if argv is None else argv)
    if argv and Path(argv[0]).name in ("bench", "__main__.py", "cli.py"):
        argv[0] = "bench"
    return [Path(a).name if os.path.isabs(a) else a for a in argv]


# --------------------------------------------------------------------------------------------
# Building, writing and reading records
# --------------------------------------------------------------------------------------------

def _finite(value):
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value



def record_tail(model: dict, *, command, runtime_seconds, alarms) -> dict:
    """The fields every family's record ends with: model, software, command, hardware, runtime, UTC
    time, alarms and the verification level (self-reported)."""
    return {
        "model": {"id": model.get("id"), "revision": model.get("revision"),
                  "pretraining_corpus": model.get("pretraining_corpus"), "description": model.get("description"),
                  **({"seed": model["seed"]} if model.get("seed") is not None else {})},
        "software": software(),
        "command": portable_command(command),
        "hardware": hardware(),
        "runtime_seconds": None if runtime_seconds is None else round(float(runtime_seconds), 3),
        "created_utc": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "alarms": list(alarms),
        "verification": {"level": "self-reported"},
    }


def genelab_record(spec, results: dict, *, predictions: Mapping[str, Mapping[str, float]],
                   labels: Mapping[str, Mapping[str, float]], model: dict, dataset: dict,
                   alarms: Sequence[dict] = (), runtime_seconds: float | None = None,
                   command: Sequence[str] | None = None, predictions_file: str = PREDICTIONS_FILE) -> dict:
    """The record of a GeneLab ``lomo_auroc`` result (``results``: :func:`evaluate_submission`'s dict
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
                  "per_fold": [{k: r.get(k) for k in ("fold", "n_test", "n_flight", "n_ground", "auroc", "ci_lower",
                                                      "ci_upper", "perm_p")} for r in per_fold]},
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


def read_record(path: str | os.PathLike) -> dict:
    """Read a record JSON (a file, or a folder holding ``record.json``); BenchError naming the problem."""
    path = Path(path)
    if path.is_dir():
        path = path / RECORD_FILE
    record = read_json(path, what="result record")
    if not isinstance(record, dict) or record.get("record_format") != RECORD_FORMAT:
        raise BenchError(f"{path}: not a bench result record (expected \"record_format\": \"{RECORD_FORMAT}\")")
    if record.get("record_version") != RECORD_VERSION:
        raise BenchError(f"{path}: record_version {record.get('record_version')!r}; this bench reads version "
                         f"{RECORD_VERSION}")
    missing = [k for k in ("benchmark", "predictions", "metric", "value", "splits") if k not in record]
    if missing:
        raise BenchError(f"{path}: record lacks field(s) {', '.join(missing)}")
    for key in ("benchmark", "predictions", "metric", "value", "splits", "model"):
        if key in record and not isinstance(record[key], dict):
            raise BenchError(f"{path}: field {key!r} must be a JSON object, got {type(record[key]).__name__} "
                             f"{str(record[key])[:60]!r}")
    name = str(record["predictions"].get("file", ""))
    if not name or Path(name).name != name or name in (".", ".."):
        raise BenchError(f"{path}: predictions.file must be a file name beside the record, got {name!r}")
    return record


def record_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path / RECORD_FILE if path.is_dir() else path


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------

@dataclass
class Verification:
    """Outcome of :func:`verify_record`: MATCH when ``differences`` is empty."""

    record: Path
    differences: list[str] = field(default_factory=list)
    alarms: list[dict] = field(default_factory=list)
    recomputed: dict = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "MATCH" if not self.differences else "MISMATCH"


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=VALUE_RTOL, abs_tol=1e-15)


def diff_values(claimed: Any, recomputed: Any, where: str = "value") -> list[str]:
    """Every leaf where ``claimed`` and ``recomputed`` differ (numbers to :data:`VALUE_RTOL`), named by path."""
    if isinstance(claimed, dict) and isinstance(recomputed, dict):
        out = []
        for key in list(recomputed) + [k for k in claimed if k not in recomputed]:
            if key not in claimed or key not in recomputed:
                out.append(f"{where}.{key}: {'missing from the record' if key not in claimed else 'not recomputed'}")
            else:
                out += diff_values(claimed[key], recomputed[key], f"{where}.{key}")
        return out
    if isinstance(claimed, list) and isinstance(recomputed, list):
        if len(claimed) != len(recomputed):
            return [f"{where}: record has {len(claimed)} entries, recomputed {len(recomputed)}"]
        return [d for i, (a, b) in enumerate(zip(claimed, recomputed)) for d in diff_values(a, b, f"{where}[{i}]")]
    numbers = (int, float)
    if isinstance(claimed, numbers) and isinstance(recomputed, numbers) and not isinstance(claimed, bool):
        same = _same(claimed, recomputed)
    else:
        same = claimed == recomputed
    return [] if same else [f"{where}: record says {claimed!r}, recomputed {recomputed!r}"]


def _compare_values(claimed: dict, recomputed: dict) -> list[str]:
    out = []
    for key in ("mean_auroc", "std_auroc", "mean_ci_lower", "pooled_auroc", "mean_perm_p", "go_nogo"):
        if not _same(claimed.get(key), recomputed.get(key)):
            out.append(f"value.{key}: record says {claimed.get(key)!r}, recomputed {recomputed.get(key)!r}")
    for i, (a, b) in enumerate(zip(claimed.get("pooled_ci") or [None, None], recomputed["pooled_ci"])):
        if not _same(a, b):
            out.append(f"value.pooled_ci[{i}]: record says {a!r}, recomputed {b!r}")
    want = {r["fold"]: r for r in recomputed["per_fold"]}
    got = {r.get("fold"): r for r in claimed.get("per_fold") or []}
    if sorted(want) != sorted(got):
        out.append(f"value.per_fold: record has folds {sorted(got)}, recomputed {sorted(want)}")
    for fold in sorted(set(want) & set(got)):
        for key in ("n_test", "n_flight", "n_ground", "auroc", "ci_lower", "ci_upper", "perm_p"):
            if not _same(got[fold].get(key), want[fold].get(key)):
                out.append(f"value.per_fold[{fold}].{key}: record says {got[fold].get(key)!r}, "
                           f"recomputed {want[fold].get(key)!r}")
    return out


def verify_record(path: str | os.PathLike, *, data_dir: str | os.PathLike | None = None) -> Verification:
    """Recompute a GeneLab record's value from its predictions file and the labels under ``data_dir``.

    Checks, naming each difference: the predictions' sha256, the split checksum and labels sha256,
    every value field (summary and per fold), and the sanity alarms (missing/extra ids, impossible
    AUROCs, constant or NaN scores, below the random floor, order dependence).
    """
    path = record_path(path)
    record = read_record(path)
    out = Verification(record=path)
    bench_meta = record["benchmark"]
    if bench_meta.get("family") != "genelab":
        # local: bench.family_records builds on this module's record format (it imports it at its top)
        from bench.family_records import verify_family_record

        return verify_family_record(path, record, data_dir=data_dir)
    if record["metric"].get("id") != "lomo_auroc":
        raise BenchError(f"{path}: a GeneLab record of metric {record['metric'].get('id')!r}; bench verify "
                         "recomputes lomo_auroc")
    spec = get_task(bench_meta["task"])
    if bench_meta.get("spec_sha256") and bench_meta["spec_sha256"] != spec.spec_hash:
        out.differences.append(f"benchmark.spec_sha256: record says {bench_meta['spec_sha256']}, this bench's "
                               f"task {spec.name} has {spec.spec_hash} (task spec changed)")
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

    by_name = {f.name: f.labels for f in task_labels(spec, data_dir).folds}
    unknown = [f for f in claimed_folds if f not in by_name]
    if unknown:
        raise BenchError(f"{path}: fold(s) {', '.join(unknown)} are not folds of task {spec.name}")
    labels = {f: {str(k): float(v) for k, v in by_name[f].items()} for f in claimed_folds}
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
    fold_data = [(f, np.array(list(labels[f].values())), np.array([float(preds[f][sid]) for sid in labels[f]]))
                 for f in claimed_folds]
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
    out.differences += _compare_values(record["value"], out.recomputed)
    alarms = al.impossible_auroc_alarms(record["value"].get("per_fold") or [])
    alarms += al.lomo_alarms(fold_data, stats["per_fold"], s["mean_auroc"])
    out.alarms = [a.to_dict() for a in alarms]
    claimed_alarms = sorted(a.get("id") for a in record.get("alarms") or [])
    found = sorted(a.id for a in alarms if a.id != "impossible_auroc")
    if claimed_alarms != found:
        out.differences.append(f"alarms: record lists {claimed_alarms or 'none'}, recomputation raises {found or 'none'}")
    return out


def verified_copy(record: dict, verification: Verification) -> dict:
    """The record with ``verification.level = recomputed`` and what was checked (only after a MATCH)."""
    if verification.status != "MATCH":
        raise BenchError(f"{verification.record}: cannot mark as recomputed: {len(verification.differences)} difference(s)")
    out = json.loads(json.dumps(record))
    out["verification"] = {"level": "recomputed", "by": f"bench {__version__}", "git_revision": git_revision(),
                           "utc": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
                           "checked": ["predictions.sha256", "splits.sha256", "labels_sha256", "value", "alarms"]}
    return out


def format_verification(v: Verification) -> str:
    lines = [f"{v.status}  {v.record}"]
    lines += [f"  differs: {d}" for d in v.differences]
    lines += [f"  alarm: [{a['id']}] {a['message']}" for a in v.alarms
              if not any(a["message"] in d for d in v.differences)]
    if v.status == "MATCH" and v.recomputed.get("per_fold") is not None:
        lines.append(f"  recomputed mean AUROC {v.recomputed['mean_auroc']!r} over "
                     f"{len(v.recomputed['per_fold'])} fold(s); predictions, splits and labels match the record")
    elif v.status == "MATCH" and v.recomputed:
        lines.append(f"  recomputed {v.recomputed.get('primary')} {v.recomputed.get('value')!r}; predictions, splits "
                     "and labels match the record")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Records of `bench evaluate` and `bench run`
# --------------------------------------------------------------------------------------------

def dataset_info(spec, *, synthetic: bool, built_repo: bool = False, revision: str | None = None) -> dict:
    """Dataset fields of a record: the spec's Hub repo, the Hub revision when the data came from the
    Hub (else None), the upstream code commit the task pins, and the origin (local data is
    ``local``; the split checksum and labels sha256 pin it)."""
    source = getattr(spec, "source", None) or {}
    origin = "synthetic" if synthetic else ("local-built" if built_repo else "local")
    return {"repo": source.get("hub_repo"), "revision": revision, "upstream_commit": source.get("upstream_commit"),
            "origin": origin, "synthetic": synthetic}


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


def evaluated_labels(spec, folds_evaluated: Sequence[str], data_dir) -> dict[str, dict[str, float]]:
    """``{fold: {sample_id: label}}`` of the evaluated folds, read through the checked labels reader."""
    by_name = {f.name: f.labels for f in task_labels(spec, data_dir).folds}
    return {f: {str(k): float(v) for k, v in by_name[f].items()} for f in folds_evaluated}
