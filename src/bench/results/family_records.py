"""What the records of every family but GeneLab share: a record with the fields of a GeneLab record
(:mod:`bench.results.record`: benchmark, dataset, order-invariant split checksum, labels and predictions
sha256 keyed by id, metric id + version + params, value, model, software, command, hardware,
runtime, alarms, verification level), the predictions beside it, the checks and the recomputation
frame of ``bench verify``, and the record folder of ``bench evaluate --record``.

Each family's own part (its value, its predictions files, its recomputation) lives in its
``baselines/<family>/records.py``, named by the family table's ``records`` entry (e.g. a GEOmeta
record keeps ``predictions.json`` ``{target: {GSM id: label}}`` beside it, a single-cell record
``embedding.npy`` + ``obs.csv``, a GenoTEX record the scored output folder part).
"""
from __future__ import annotations

import math
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from bench import __version__
from bench.baselines.report import _write_file
from bench.errors import BenchError
from bench.io import write_json_atomic
from bench.results.record import (RECORD_FILE, RECORD_FORMAT, RECORD_VERSION, Verification, diff_values, record_tail,
                          spec_differences, split_checksum)
from bench.tasks import get_task

#: ``check(path, record, spec, data_dir, out)``: a family's recomputation; it sets ``out.recomputed``
#: and appends to ``out.differences``.
Recomputation = Callable[[Path, dict, Any, Any, Verification], None]


def json_value(obj: Any) -> Any:
    """JSON-ready copy: numpy scalars as Python numbers, NaN/inf as None, tuples as lists."""
    if isinstance(obj, dict):
        return {str(k): json_value(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_value(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dataset_fields(spec, *, synthetic: bool, origin: str) -> dict:
    source = getattr(spec, "source", None) or {}
    return {"repo": source.get("hub_repo"), "revision": None, "upstream_commit": source.get("upstream_commit"),
            "origin": origin, "synthetic": bool(synthetic)}


def envelope(spec, *, metric: dict, value: dict, splits: dict, labels_sha256: str, predictions: dict, model: dict,
             dataset: dict, alarms: Sequence[dict] = (), runtime_seconds: float | None = None,
             command: Sequence[str] | None = None) -> dict:
    """A record with the same fields as a GeneLab record (``bench.baselines.genelab.records``)."""
    return {
        "record_format": RECORD_FORMAT,
        "record_version": RECORD_VERSION,
        "benchmark": {"name": "bench", "family": spec.family, "task": spec.name, "upstream_id": spec.upstream_id,
                      "task_version": spec.version, "spec_sha256": spec.spec_hash},
        "dataset": dataset,
        "splits": splits,
        "labels_sha256": labels_sha256,
        "predictions": predictions,
        "metric": {"version": __version__, **metric},
        "value": json_value(value),
        **record_tail(model, command=command, runtime_seconds=runtime_seconds, alarms=alarms),
    }


def bench_model(model: str, description: str, seed: int | None) -> dict:
    """The model block of a bench baseline run."""
    return {"id": f"bench/{model}", "revision": __version__, "description": description, "seed": seed}


def file_beside(path: Path, record: dict, key: str) -> Path:
    """``record.predictions[key]`` as a file (or folder) beside the record, checked to stay there."""
    name = str((record.get("predictions") or {}).get(key, ""))
    if not name or Path(name).name != name or name in (".", ".."):
        raise BenchError(f"{path}: predictions.{key} must be a name beside the record, got {name!r}")
    target = path.parent / name
    if not target.exists():
        raise BenchError(f"{path}: its predictions {key} {target} is missing")
    return target


# ------------------------------------------------------------------------------------------ verify

def check_hash(out: Verification, field: str, claimed, actual: str, where: Path) -> None:
    if claimed != actual:
        out.differences.append(f"{field}: record says {claimed}, {where.name} hashes to {actual} (the predictions changed)")


def check_splits(out: Verification, record: dict, ids: Mapping[str, Sequence[str]]) -> None:
    splits = split_checksum(ids)
    if splits["sha256"] != (record.get("splits") or {}).get("sha256"):
        out.differences.append("splits.sha256: the evaluated ids differ from the record's (other data or predictions?)")


def recompute(path: Path, record: dict, data_dir, check: Recomputation) -> Verification:
    """A family's ``bench verify``: the task spec's sha256, then ``check`` (the family's
    recomputation), then every leaf of the recomputed value against the record's: MATCH or each
    difference named."""
    spec = get_task(record["benchmark"]["task"])
    out = Verification(record=path)
    out.differences += spec_differences(record, spec)
    check(path, record, spec, data_dir, out)
    if out.recomputed:
        out.differences += diff_values(record["value"], out.recomputed)
    return out


def write_record_folder(folder: str | os.PathLike, files: Mapping[str, Any]) -> Path:
    """``record.json`` and the predictions it names (from a Result's ``files``) into ``folder``: new,
    empty, or a previous record folder (only the record's own files are replaced)."""
    folder = Path(folder)
    record = files[RECORD_FILE]
    names = [record["predictions"]["file"]] + ([record["predictions"]["cells"]] if "cells" in record["predictions"] else [])
    if folder.exists() and (not folder.is_dir() or (any(folder.iterdir()) and not (folder / RECORD_FILE).is_file())):
        raise BenchError(f"--record {folder}: exists and is not empty nor a previous record folder; choose a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = folder / name
        if target.is_dir():
            shutil.rmtree(target)
        _write_file(target, files[name])
    return write_json_atomic(folder / RECORD_FILE, record)
