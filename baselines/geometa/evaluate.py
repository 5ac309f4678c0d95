"""``bench evaluate geometa_human_gender predictions.csv``: score predicted GEOmeta labels against the
task's official test split with the leaderboard's F1 rules, as the same
:class:`bench.baselines.report.Result` shape as ``bench run``.

PREDICTIONS: a CSV with ``GSM_ID`` and one column per scored target, named as the label column
(``Gender``, ``Organ``, ``Disease``, ``Age_Group``) or as the target (``gender``, ...). Every test
sample with a label for the target must have a prediction (else an error naming the first missing
ids); predictions for other samples are ignored and counted in a note.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.baselines.geometa.records import GEOMETA_PREDICTIONS, as_text, geometa_record
from bench.baselines.geometa.run import target_rows
from bench.baselines.report import Result, provenance, summary
from bench.errors import BenchError
from bench.loaders.geometa import load_label_tables, target_column
from bench.metrics.geometa import geometa_f1
from bench.tasks import TaskSpec


def evaluate(spec: TaskSpec, predictions, *, data_dir=None, seed: int | None = None, command=None) -> Result:
    """Score ``predictions`` (CSV path) for every target of ``spec`` on its official test split; the
    Result carries the verifiable record (``record.json`` + ``predictions.json`` keyed by target and GSM id)."""
    started = time.perf_counter()
    path = Path(predictions)
    submitted = read_predictions(path)
    test = official_test(spec, data_dir)
    targets = [spec.params["target"]] if spec.params.get("target") else list(spec.params["targets"])
    results, notes, keyed, truth = {}, [], {}, {}
    for target in targets:
        column = target_column(spec, target)
        predicted = prediction_column(submitted, path, column, target)
        exclude = list(spec.params.get("baseline_exclude_values", [])) if column == "Organ" else []
        rows = test.loc[target_rows(test, column, exclude)]
        y_pred = aligned_predictions(rows["GSM_ID"], predicted, path, predicted.name)
        results[target] = {**geometa_f1(rows[column].astype(str).tolist(), y_pred, compat="leaderboard"),
                           "n_test": len(rows), "column": column, "excluded_values": exclude}
        keyed[target] = dict(zip(rows["GSM_ID"].astype(str), y_pred))
        truth[target] = dict(zip(rows["GSM_ID"].astype(str), rows[column].astype(str)))
    extra = sorted(set(submitted["GSM_ID"]) - set(test["GSM_ID"]))
    if extra:
        notes.append(f"{len(extra)} prediction row(s) for samples outside the test split ignored: "
                     f"{', '.join(extra[:5])}{' ...' if len(extra) > 5 else ''}")
    primary = spec.metric.get("primary", "macro_f1")
    values = {t: r[primary] for t, r in results.items()}
    return Result(
        task=spec.name, family=spec.family,
        summary=summary(primary, float(np.mean(list(values.values()))), per_fold=values,
                        **{t: {k: v for k, v in r.items() if k not in ("per_class_f1", "support")}
                           for t, r in results.items()}),
        settings={"predictions": path.name, "predictions_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                  "targets": targets, "split": "official test CSV"},
        tables={"per_class": [{"target": t, "class": c, "support": r["support"][c], "f1": r["per_class_f1"][c]}
                              for t, r in results.items() for c in r["support"]]},
        notes=notes,
        files={GEOMETA_PREDICTIONS: as_text(keyed), "record.json": geometa_record(
            spec, predictions=keyed, labels=truth, model={"id": path.stem}, synthetic=False, origin="local",
            runtime_seconds=time.perf_counter() - started, command=command)},
        provenance=provenance(spec, seed=seed, synthetic=False, origin="local", data_dir=data_dir,
                              inputs={"predictions": path}),
    )


def read_predictions(path: Path) -> pd.DataFrame:
    """The predictions CSV as strings; GSM_ID required and unique."""
    if not path.is_file():
        raise BenchError(f"predictions CSV not found: {path}", field="predictions")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise BenchError(f"{path}: not a readable CSV ({exc})", field="predictions") from None
    if "GSM_ID" not in table.columns:
        raise BenchError(f"{path}: no GSM_ID column (columns: {', '.join(table.columns)}); expected GSM_ID and "
                         "one predicted label column per target", field="predictions")
    duplicated = table.loc[table["GSM_ID"].duplicated(), "GSM_ID"].tolist()
    if duplicated:
        raise BenchError(f"{path}: GSM_ID {duplicated[0]!r} appears more than once "
                         f"({len(duplicated)} duplicate row(s))", field="predictions")
    return table


def official_test(spec: TaskSpec, data_dir) -> pd.DataFrame:
    """The labelled rows of the task's official test CSV."""
    tables, _ = load_label_tables(spec, data_dir=data_dir)
    if "test" not in tables:
        raise BenchError(f"{spec.name}: the official test CSV is absent under the data dir; scoring needs it",
                         field="data_dir")
    return tables["test"]


def prediction_column(table: pd.DataFrame, path: Path, column: str, target: str) -> pd.Series:
    """The predicted labels of ``target`` indexed by GSM_ID (column named ``column`` or ``target``)."""
    for name in (column, target):
        if name in table.columns:
            return table.set_index("GSM_ID")[name]
    raise BenchError(f"{path}: no column {column!r} (or {target!r}) with the predicted {target} labels; "
                     f"columns: {', '.join(table.columns)}", field="predictions")


def aligned_predictions(ids: pd.Series, predicted: pd.Series, path: Path, name: str) -> list[str]:
    """Predictions in the order of ``ids``; every id must have a non-empty prediction."""
    missing = [i for i in ids if i not in predicted.index or predicted.get(i, "") == ""]
    if missing:
        raise BenchError(f"{path}: column {name!r} has no prediction for {len(missing)} of {len(ids)} test "
                         f"sample(s): {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}",
                         field="predictions")
    return predicted.loc[ids].tolist()
