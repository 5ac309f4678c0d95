"""Result records of the GenoTEX, GEOmeta and single-cell families: the schema of a GeneLab record
(:mod:`bench.record`: benchmark, dataset, order-invariant split checksum, labels and predictions
sha256 keyed by id, metric id + version + params, value, model, software, command, hardware,
runtime, alarms, verification level) and their recomputation for ``bench verify``.

The predictions sit beside the record, keyed by id (never by row order):

* GEOmeta: ``predictions.json`` ``{target: {GSM id: predicted label}}``; the labels are read again
  from the task's label tables (``--data-dir`` as ``bench run``).
* single-cell: ``embedding.npy`` (cells x dims) and ``obs.csv`` (``cell_id``, the label column and the
  batch column, in the embedding's row order). The predictions sha256 is over the rows sorted by
  cell id (a reordered file hashes the same); the scores are recomputed in the stored order.
* GenoTEX: the output folder part (``regress/`` or ``preprocess/``) beside the record; its sha256 is
  over ``{relative path (trait/problem file): file sha256}``. The reference is ``--data-dir`` (a
  GenoTEX root) or, for a record of synthetic data, bench's seeded generator.
"""
from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from bench import __version__
from bench.errors import BenchError
from bench.record import (RECORD_FORMAT, RECORD_VERSION, Verification, canonical_sha256, diff_values,
                          record_tail, split_checksum, tree_files)

GEOMETA_PREDICTIONS = "predictions.json"
GEOMETA_KEYS = ("macro_f1", "weighted_f1", "accuracy", "leaderboard_f1", "leaderboard_f1_std", "n")
SC_EMBEDDING = "embedding.npy"
SC_CELLS = "obs.csv"
SC_METRICS = {"clustering": "sc_clustering", "embedding": "sc_silhouette", "label_prediction": "sc_label_prediction",
              "integration": "sc_integration"}
GTA_METRICS = {"analysis": "gta_gene_set", "selection": "gta_selection", "preprocessing": "gta_preprocessing"}
GTA_FOLDER = {"analysis": "regress", "selection": "preprocess", "preprocessing": "preprocess"}
SYNTHETIC_GENOTEX = re.compile(r"^synthetic:genotex-seed(\d+)$")


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
    """A record with the same fields as a GeneLab record (:func:`bench.record.genelab_record`)."""
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


# ------------------------------------------------------------------------------------------ GEOmeta

def as_text(by_target: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    return {str(t): {str(i): str(v) for i, v in ids.items()} for t, ids in by_target.items()}


def geometa_value(spec, predictions: Mapping[str, Mapping[str, Any]], labels: Mapping[str, Mapping[str, Any]]) -> dict:
    """Per target the geometa_f1 leaderboard scores of the predicted GSMs (sorted by id), and the mean primary."""
    from bench.metrics.geometa import geometa_f1

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
    from bench.metrics.alarms import Alarm

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
    from bench.loaders.geometa import GeometaWarning, load_label_tables

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GeometaWarning)
        tables, _ = load_label_tables(spec, data_dir=data_dir)
    return pd.concat([tables[k] for k in sorted(tables, key=lambda k: k != "test")], ignore_index=True)


def geometa_series(spec, data_dir=None) -> dict[str, str | None]:
    """``{GSM id: GSE id}`` (the sample's study; None where the table has none) from the label tables."""
    table = geometa_table(spec, data_dir).drop_duplicates("GSM_ID")
    return {str(g): (None if s is None or (isinstance(s, float) and math.isnan(s)) else str(s))
            for g, s in zip(table["GSM_ID"], table["GSE_ID"])}


def geometa_labels(spec, targets: Sequence[str], data_dir=None) -> dict[str, dict[str, Any]]:
    """``{target: {GSM id: label}}`` from the task's label tables (every split)."""
    from bench.loaders.geometa import target_column

    table = geometa_table(spec, data_dir)
    out = {}
    for target in targets:
        column = target_column(spec, target)
        rows = table[table[column].notna()].drop_duplicates("GSM_ID")
        out[target] = dict(zip(rows["GSM_ID"].astype(str), rows[column].astype(str)))
    return out


def verify_geometa(path: Path, record: dict, spec, data_dir, out: Verification) -> None:
    from bench.io import read_json

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


# ------------------------------------------------------------------------------------------ single-cell

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
    from bench.baselines.singlecell.run import primary_value

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


def verify_singlecell(path: Path, record: dict, spec, data_dir, out: Verification) -> None:
    from bench.metrics.singlecell import score_embedding

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


# ------------------------------------------------------------------------------------------ GenoTEX

def gta_problems(scored: dict) -> list[str]:
    """``trait/condition`` of every scored problem (analysis), else the scored groups."""
    ids = [f"{p['trait']}/{p['condition']}" for res in scored.values() for p in res.get("per_problem") or []
           if "trait" in p and "condition" in p]
    return ids or sorted(str(g) for res in scored.values() for g in res["results"])


def reference_files(ref_dir: Path, part: str, traits: Sequence[str] | None) -> dict[str, str]:
    """``{relative path: sha256}`` of the reference the part is scored against (only ``traits`` if given)."""
    folder = Path(ref_dir) / GTA_FOLDER[part]
    files = tree_files(folder) if folder.is_dir() else {}
    if traits:
        files = {k: v for k, v in files.items() if k.split("/", 1)[0] in set(traits)}
    return files


def genotex_value(scored: dict, primary: str) -> dict:
    from bench.baselines.genotex.evaluate import headline

    return json_value({"primary": primary, "value": headline(scored, primary),
                       "results": {part: res["results"] for part, res in scored.items()}})


def genotex_record(spec, *, scored: dict, settings: dict, pred_dir: Path, ref_dir: Path, primary: str, model: dict,
                   synthetic: bool, origin: str, alarms: Sequence[dict] = (), runtime_seconds: float | None = None,
                   command: Sequence[str] | None = None) -> dict:
    """The record of a GenoTEX evaluation (``scored``: {part: evaluator output}) of ``pred_dir``, whose
    part folder (regress/ or preprocess/) is stored beside the record under the same name."""
    parts = list(scored)
    folders = sorted({GTA_FOLDER[p] for p in parts})
    if len(folders) != 1:
        raise BenchError(f"a GenoTEX record covers one output folder; parts {parts} read {folders}")
    predicted = tree_files(Path(pred_dir) / folders[0])
    reference = {k: v for p in parts for k, v in reference_files(ref_dir, p, settings.get("traits")).items()}
    return envelope(
        spec, metric={"id": [GTA_METRICS[p] for p in parts], "primary": primary,
                      "params": {"parts": parts, "compat": settings["compat"], "subtasks": list(settings["subtasks"]),
                                 "traits": settings.get("traits")}},
        value=genotex_value(scored, primary), splits=split_checksum({"problems": gta_problems(scored)}),
        labels_sha256=canonical_sha256(reference),
        predictions={"file": folders[0], "sha256": canonical_sha256(predicted),
                     "keyed_by": "problem file (trait/file relative path)", "n": len(predicted)},
        model=model, dataset=dataset_fields(spec, synthetic=synthetic, origin=origin), alarms=alarms,
        runtime_seconds=runtime_seconds, command=command)


@contextlib.contextmanager
def genotex_reference(record: dict, data_dir):
    """The GenoTEX root of a record: ``data_dir``, or bench's generator at the record's synthetic seed."""
    from bench.loaders.genotex.synthetic import build_genotex_root

    origin = str(record["dataset"].get("origin") or "")
    match = SYNTHETIC_GENOTEX.match(origin)
    if data_dir is not None:
        yield Path(data_dir)
    elif match:
        with tempfile.TemporaryDirectory(prefix="bench-verify-genotex-") as tmp:
            yield build_genotex_root(Path(tmp) / "root", seed=int(match.group(1)))
    else:
        raise BenchError(f"record of {origin or 'local'} GenoTEX data: give --data-dir with the GenoTEX root it "
                         "was scored against")


def verify_genotex(path: Path, record: dict, spec, data_dir, out: Verification) -> None:
    from bench.baselines.genotex.evaluate import score_parts
    from bench.loaders import genotex as gl

    folder = file_beside(path, record, "file")
    check_hash(out, "predictions.sha256", record["predictions"].get("sha256"), canonical_sha256(tree_files(folder)),
               folder)
    params = record["metric"]["params"]
    with genotex_reference(record, data_dir) as root:
        ref_dir = gl.root_paths(root)["regress"].parent
        reference = {k: v for p in params["parts"] for k, v in reference_files(ref_dir, p, params.get("traits")).items()}
        if canonical_sha256(reference) != record.get("labels_sha256"):
            out.differences.append("labels_sha256: the reference under the data dir differs from the record's")
        scored = score_parts(folder.parent, ref_dir, parts=params["parts"],
                             task_info_path=ref_dir.resolve().parent / "metadata" / "task_info.json",
                             subtasks=params["subtasks"], compat=params["compat"], traits=params.get("traits"))
    check_splits(out, record, {"problems": gta_problems(scored)})
    out.recomputed = genotex_value(scored, record["metric"]["primary"])


# ------------------------------------------------------------------------------------------ verify

def check_hash(out: Verification, field: str, claimed, actual: str, where: Path) -> None:
    if claimed != actual:
        out.differences.append(f"{field}: record says {claimed}, {where.name} hashes to {actual} (the predictions changed)")


def check_splits(out: Verification, record: dict, ids: Mapping[str, Sequence[str]]) -> None:
    splits = split_checksum(ids)
    if splits["sha256"] != (record.get("splits") or {}).get("sha256"):
        out.differences.append("splits.sha256: the evaluated ids differ from the record's (other data or predictions?)")


VERIFIERS = {"geometa": verify_geometa, "singlecell": verify_singlecell, "genotex": verify_genotex}


def verify_family_record(path: Path, record: dict, *, data_dir=None) -> Verification:
    """Recompute a GenoTEX, GEOmeta or single-cell record: MATCH or each difference named."""
    from bench.tasks import get_task

    family = record["benchmark"].get("family")
    if family not in VERIFIERS:
        raise BenchError(f"{path}: bench verify has no recomputation for family {family!r} "
                         f"(families: genelab, {', '.join(VERIFIERS)})")
    spec = get_task(record["benchmark"]["task"])
    out = Verification(record=path)
    claimed_sha = record["benchmark"].get("spec_sha256")
    if claimed_sha and claimed_sha != spec.spec_hash:
        out.differences.append(f"benchmark.spec_sha256: record says {claimed_sha}, this bench's task {spec.name} "
                               f"has {spec.spec_hash} (task spec changed)")
    VERIFIERS[family](path, record, spec, data_dir, out)
    if out.recomputed:
        out.differences += diff_values(record["value"], out.recomputed)
    return out


def write_record_folder(folder: str | os.PathLike, files: Mapping[str, Any]) -> Path:
    """``record.json`` and the predictions it names (from a Result's ``files``) into ``folder``: new,
    empty, or a previous record folder (only the record's own files are replaced)."""
    import shutil

    from bench.baselines.report import _write_file
    from bench.io import write_json_atomic

    folder = Path(folder)
    record = files["record.json"]
    names = [record["predictions"]["file"]] + ([record["predictions"]["cells"]] if "cells" in record["predictions"] else [])
    if folder.exists() and (not folder.is_dir() or (any(folder.iterdir()) and not (folder / "record.json").is_file())):
        raise BenchError(f"--record {folder}: exists and is not empty nor a previous record folder; choose a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = folder / name
        if target.is_dir():
            shutil.rmtree(target)
        _write_file(target, files[name])
    return write_json_atomic(folder / "record.json", record)
