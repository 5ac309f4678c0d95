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

This module is the format every family shares; a family's own records (its value, its predictions
files, its recomputation) live in ``baselines/<family>/records.py``, which the family table's
``records`` entry names: :func:`verify_record` dispatches there.
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
from bench.io import read_json, sha256_file
from bench.tasks.families import get_family

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
    #: What was recomputed, in words, when the family says it its own way (default: the primary value).
    headline: str = ""

    @property
    def status(self) -> str:
        return "MATCH" if not self.differences else "MISMATCH"


def same_value(a, b) -> bool:
    """Equal, numbers to :data:`VALUE_RTOL` (None only equals None)."""
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
        same = same_value(claimed, recomputed)
    else:
        same = claimed == recomputed
    return [] if same else [f"{where}: record says {claimed!r}, recomputed {recomputed!r}"]


def spec_differences(record: dict, spec) -> list[str]:
    """The difference of the record's task spec sha256 from this bench's task, if any."""
    claimed = record["benchmark"].get("spec_sha256")
    if claimed and claimed != spec.spec_hash:
        return [f"benchmark.spec_sha256: record says {claimed}, this bench's task {spec.name} has {spec.spec_hash} "
                "(task spec changed)"]
    return []


def family_layer(path: Path, record: dict, layer: str):
    """The ``layer`` entry (``"records"``: its ``verify``; ``"board"``: its ``board_entry``) of the family
    that wrote ``record``, from the family table; a BenchError naming the record when there is none."""
    try:
        return get_family(str(record["benchmark"].get("family"))).resolve(layer)
    except BenchError as exc:
        raise BenchError(f"{path}: {exc}", field="record") from None


def verify_record(path: str | os.PathLike, *, data_dir: str | os.PathLike | None = None) -> Verification:
    """Recompute a record's value from its predictions and the pinned data (``data_dir``, as ``bench run``)
    with its family's ``verify``: MATCH, or each difference named (predictions sha256, splits, labels,
    every value field, the sanity alarms)."""
    path = record_path(path)
    record = read_record(path)
    return family_layer(path, record, "records")(path, record, data_dir=data_dir)


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
    if v.status == "MATCH" and (v.headline or v.recomputed):
        what = v.headline or f"recomputed {v.recomputed.get('primary')} {v.recomputed.get('value')!r}"
        lines.append(f"  {what}; predictions, splits and labels match the record")
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
