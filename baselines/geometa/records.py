"""GEOmeta result records: ``predictions.json`` ``{target: {GSM id: predicted label}}`` beside the
record (keyed by id, never by row order), the labels read again from the task's label tables
(``--data-dir`` as ``bench run``), and the recomputation of ``bench verify`` (the family table's
``records`` entry, :func:`verify`)."""
from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from bench.errors import BenchError
from bench.results.family_records import (check_hash, check_splits, dataset_fields, envelope, file_beside, json_value,
                                  recompute)
from bench.io import read_json
from bench.loaders.geometa import GeometaWarning, load_label_tables, target_column
from bench.metrics.alarms import Alarm
from bench.metrics.geometa import geometa_f1
from bench.results.record import Verification, canonical_sha256, split_checksum

GEOMETA_PREDICTIONS = "predictions.json"
GEOMETA_KEYS = ("macro_f1", "weighted_f1", "accuracy", "leaderboard_f1", "leaderboard_f1_std", "n")


def as_text(by_target: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    return {str(t): {str(i): str(v) for i, v in ids.items()} for t, ids in by_target.items()}


def geometa_value(spec, predictions: Mapping[str, Mapping[str, Any]], labels: Mapping[str, Mapping[str, Any]]) -> dict:
    """Per target the geometa_f1 leaderboard scores of the predicted GSMs (sorted by id), and the mean primary."""
    primary = spec.metric.get("primary", "macro_f1")
    per_target = {}
    for target, preds in predictions.items():
        ids = sorted(preds)
        scores = geometa_f1([labels[target][i] for i in ids], [preds[i] for i in ids], compat="leaderboard")
        per_target[target] = {k: scores[k] for k in GEOMETA_KEYS if k in scores}
    values = [per_target[t][primary] for t in per_target]
    return json_value({"primary": primary, "value": float(np.mean(values)) if values else None,
                       "per_target": per_target})


def constant_prediction_alarms(predictions: Mapping[str, Mapping[str, Any]]) -> list[dict]:
    return [Alarm("constant_predictions", f"target {t!r}: every one of {len(p)} predictions is {next(iter(p.values()))!r}",
                  t).to_dict() for t, p in predictions.items() if len(p) > 1 and len(set(map(str, p.values()))) == 1]


def geometa_record(spec, *, predictions: Mapping[str, Mapping[str, Any]], labels: Mapping[str, Mapping[str, Any]],
                   model: dict, synthetic: bool, origin: str, runtime_seconds: float | None = None,
                   command: Sequence[str] | None = None) -> dict:
    """The record of a GEOmeta run or evaluation: ``predictions``/``labels`` ``{target: {GSM id: label}}``
    of the test rows (labels compared as text, as ``bench evaluate`` reads them)."""
    predictions, labels = as_text(predictions), as_text(labels)
    return envelope(
        spec, metric={"id": "geometa_f1", "primary": spec.metric.get("primary", "macro_f1"),
                      "params": {"compat": "leaderboard", "targets": list(predictions)}},
        value=geometa_value(spec, predictions, labels),
        splits=split_checksum({t: list(p) for t, p in predictions.items()}),
        labels_sha256=canonical_sha256(labels),
        predictions={"file": GEOMETA_PREDICTIONS, "sha256": canonical_sha256(predictions), "keyed_by": "target/GSM_ID",
                     "n": sum(len(p) for p in predictions.values())},
        model=model, dataset=dataset_fields(spec, synthetic=synthetic, origin=origin),
        alarms=constant_prediction_alarms(predictions), runtime_seconds=runtime_seconds, command=command)


def geometa_table(spec, data_dir=None) -> pd.DataFrame:
    """The task's label tables (every split, test rows first)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeometaWarning)
        tables, _ = load_label_tables(spec, data_dir=data_dir)
    return pd.concat([tables[k] for k in sorted(tables, key=lambda k: k != "test")], ignore_index=True)


def geometa_series(spec, data_dir=None, *, table: pd.DataFrame | None = None) -> dict[str, str | None]:
    """``{GSM id: GSE id}`` (the sample's study; None where the table has none) from the label tables
    (``table``: :func:`geometa_table`'s, when the caller already read it)."""
    table = (geometa_table(spec, data_dir) if table is None else table).drop_duplicates("GSM_ID")
    return {str(g): (None if s is None or (isinstance(s, float) and math.isnan(s)) else str(s))
            for g, s in zip(table["GSM_ID"], table["GSE_ID"])}


def geometa_labels(spec, targets: Sequence[str], data_dir=None, *,
                   table: pd.DataFrame | None = None) -> dict[str, dict[str, Any]]:
    """``{target: {GSM id: label}}`` from the task's label tables (every split; ``table`` as in
    :func:`geometa_series`)."""
    table = geometa_table(spec, data_dir) if table is None else table
    out = {}
    for target in targets:
        column = target_column(spec, target)
        rows = table[table[column].notna()].drop_duplicates("GSM_ID")
        out[target] = dict(zip(rows["GSM_ID"].astype(str), rows[column].astype(str)))
    return out


def recompute_geometa(path: Path, record: dict, spec, data_dir, out: Verification) -> None:
    pred_path = file_beside(path, record, "file")
    predictions = read_json(pred_path, what="GEOmeta predictions")
    if not isinstance(predictions, dict) or not all(isinstance(p, dict) for p in predictions.values()):
        raise BenchError(f"{pred_path}: expected {{target: {{GSM id: label}}}}")
    check_hash(out, "predictions.sha256", record["predictions"].get("sha256"), canonical_sha256(predictions), pred_path)
    all_labels = geometa_labels(spec, list(predictions), data_dir)
    missing = {t: [i for i in p if i not in all_labels[t]] for t, p in predictions.items()}
    if any(missing.values()):
        out.differences += [f"predictions: target {t!r}: {len(ids)} GSM id(s) without a label in the data: "
                            f"{', '.join(ids[:5])}" for t, ids in missing.items() if ids]
        return
    labels = {t: {i: all_labels[t][i] for i in p} for t, p in predictions.items()}
    check_splits(out, record, {t: list(p) for t, p in predictions.items()})
    if canonical_sha256(labels) != record.get("labels_sha256"):
        out.differences.append("labels_sha256: the labels under the data dir differ from the record's")
    out.recomputed = geometa_value(spec, predictions, labels)


def verify(path: Path, record: dict, *, data_dir=None) -> Verification:
    """Recompute a GEOmeta record from its predictions and the label tables: MATCH or each difference named."""
    return recompute(path, record, data_dir, recompute_geometa)
