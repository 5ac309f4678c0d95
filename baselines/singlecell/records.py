"""Single-cell result records: ``embedding.npy`` (cells x dims) and ``obs.csv`` (``cell_id``, the label
column and the batch column, in the embedding's row order) beside the record. The predictions sha256
is over the rows sorted by cell id (a reordered file hashes the same); the scores are recomputed in
the stored order by ``bench verify`` (the family table's ``records`` entry, :func:`verify`)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from bench.errors import BenchError
from bench.results.family_records import (check_hash, check_splits, dataset_fields, envelope, file_beside, json_value,
                                  recompute)
from bench.metrics.singlecell import score_embedding
from bench.results.record import Verification, canonical_sha256, split_checksum

SC_EMBEDDING = "embedding.npy"
SC_CELLS = "obs.csv"
SC_METRICS = {"clustering": "sc_clustering", "embedding": "sc_silhouette", "label_prediction": "sc_label_prediction",
              "integration": "sc_integration"}


def primary_value(rows: list[dict], metric: str):
    """The value of ``metric`` in score rows (label prediction: the mean over classifiers)."""
    hits = [r for r in rows if r["metric"] == metric]
    hits = [r for r in hits if str(r["params"].get("classifier", "MEAN")).startswith("MEAN")] or hits
    return hits[0]["value"] if hits else None


def embedding_sha256(X: np.ndarray, cell_ids: Sequence[str]) -> str:
    """sha256 of the embedding's rows sorted by cell id (with the ids and the shape): row order plays no part."""
    ids = np.asarray([str(c) for c in cell_ids])
    if len(set(ids.tolist())) != len(ids):
        raise BenchError("cell ids must be unique to key an embedding's rows")
    order = np.argsort(ids, kind="stable")
    digest = hashlib.sha256()
    digest.update(canonical_sha256({"cells": ids[order].tolist(), "shape": list(X.shape)}).encode())
    digest.update(np.ascontiguousarray(np.asarray(X, dtype="<f8")[order]).tobytes())
    return digest.hexdigest()


def cell_labels(cells: pd.DataFrame, label_key: str, batch_key: str | None) -> dict[str, Any]:
    """``{cell id: label}`` or ``{cell id: [label, batch]}``."""
    ids = cells["cell_id"].astype(str)
    labels = cells[label_key].astype(str)
    if batch_key:
        return dict(zip(ids, ([a, b] for a, b in zip(labels, cells[batch_key].astype(str)))))
    return dict(zip(ids, labels))


def score_rows(rows: list[dict]) -> list[dict]:
    return json_value([{k: r[k] for k in ("task", "metric", "params", "value")} for r in rows])


def singlecell_value(rows: list[dict], metric: str) -> dict:
    return json_value({"primary": metric, "value": primary_value(rows, metric), "rows": score_rows(rows)})


def cells_table(cell_ids, labels, batches, label_key: str, batch_key: str | None) -> pd.DataFrame:
    """obs.csv beside the embedding: cell ids, labels (and batches) in the embedding's row order."""
    table = {"cell_id": [str(c) for c in cell_ids], label_key: [str(v) for v in labels]}
    if batch_key:
        table[batch_key] = [str(v) for v in batches]
    return pd.DataFrame(table)


def singlecell_record(spec, *, X: np.ndarray, cells: pd.DataFrame, rows: list[dict], tasks: Sequence[str], seed: int,
                      label_key: str, batch_key: str | None, metric: str, model: dict, synthetic: bool, origin: str,
                      alarms: Sequence[dict] = (), runtime_seconds: float | None = None,
                      command: Sequence[str] | None = None) -> dict:
    """The record of a single-cell embedding scored by ``score_embedding`` (``cells``: :func:`cells_table`)."""
    ids = cells["cell_id"].astype(str).tolist()
    return envelope(
        spec, metric={"id": [SC_METRICS.get(t, t) for t in tasks], "primary": metric,
                      "params": {"tasks": list(tasks), "random_state": int(seed), "label_key": label_key,
                                 "batch_key": batch_key}},
        value=singlecell_value(rows, metric), splits=split_checksum({"cells": ids}),
        labels_sha256=canonical_sha256(cell_labels(cells, label_key, batch_key)),
        predictions={"file": SC_EMBEDDING, "cells": SC_CELLS, "sha256": embedding_sha256(X, ids),
                     "keyed_by": "cell_id", "n": len(ids), "shape": list(X.shape)},
        model=model, dataset=dataset_fields(spec, synthetic=synthetic, origin=origin), alarms=alarms,
        runtime_seconds=runtime_seconds, command=command)


def read_embedding_and_cells(path: Path, record: dict) -> tuple[np.ndarray, pd.DataFrame, Path, Path]:
    """A single-cell record's embedding (``.npy``, never unpickled) and cells table beside it, checked
    to hold cell_id and the metric's label/batch columns with one row per embedding row; also their paths."""
    emb_path, cells_path = file_beside(path, record, "file"), file_beside(path, record, "cells")
    try:
        X = np.load(emb_path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise BenchError(f"{emb_path}: not a numeric .npy array ({exc})") from None
    cells = pd.read_csv(cells_path, dtype=str, keep_default_na=False)
    params = record["metric"]["params"]
    needed = ["cell_id", params["label_key"]] + ([params["batch_key"]] if params.get("batch_key") else [])
    absent = [c for c in needed if c not in cells.columns]
    if absent or len(cells) != len(X):
        raise BenchError(f"{cells_path}: expected columns {needed} and {len(X)} rows (one per embedding row); "
                         f"{'missing ' + ', '.join(absent) if absent else f'it has {len(cells)} rows'}")
    return X, cells, emb_path, cells_path


def recompute_singlecell(path: Path, record: dict, spec, data_dir, out: Verification) -> None:
    X, cells, emb_path, cells_path = read_embedding_and_cells(path, record)
    params = record["metric"]["params"]
    ids = cells["cell_id"].tolist()
    check_hash(out, "predictions.sha256", record["predictions"].get("sha256"), embedding_sha256(X, ids), emb_path)
    check_splits(out, record, {"cells": ids})
    if canonical_sha256(cell_labels(cells, params["label_key"], params.get("batch_key"))) != record.get("labels_sha256"):
        out.differences.append(f"labels_sha256: the labels in {cells_path.name} differ from the record's")
    batches = cells[params["batch_key"]].to_numpy(dtype=object) if params.get("batch_key") else None
    rows = score_embedding(X, cells[params["label_key"]].to_numpy(dtype=object), batches=batches,
                           tasks=params["tasks"], random_state=params["random_state"])
    out.recomputed = singlecell_value(rows, record["metric"]["primary"])


def verify(path: Path, record: dict, *, data_dir=None) -> Verification:
    """Recompute a single-cell record's scores from its embedding and cells: MATCH or each difference named."""
    return recompute(path, record, data_dir, recompute_singlecell)
