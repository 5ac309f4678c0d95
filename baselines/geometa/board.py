"""GEOmeta's leaderboard input (the family table's ``board`` entry, :func:`board_entry`): units =
studies (GSE series of the label tables); a study carries its test samples' per-class hit/true/
predicted counts per target; a draw's value is the mean over targets of the macro-F1 recomputed on
the drawn studies' samples. Generated controls: the seeded uniform-random label floor and the
perfect control (the labels as predictions)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bench.baselines.geometa.records import geometa_labels, geometa_series, geometa_table
from bench.results.board_units import Records, check_value, shared_value, units_entry
from bench.errors import BenchError
from bench.results.family_records import file_beside
from bench.metrics import leaderboard as lb
from bench.results.record import canonical_sha256
from bench.tasks import get_task


def checked_predictions(path: Path, record: dict) -> dict[str, dict[str, str]]:
    """The record's ``{target: {GSM id: label}}`` as text, checked against its sha256."""
    pred_path = file_beside(path, record, "file")
    preds = json.loads(pred_path.read_text(encoding="utf-8"))
    if not isinstance(preds, dict) or not all(isinstance(p, dict) for p in preds.values()):
        raise BenchError(f"{pred_path}: expected {{target: {{GSM id: label}}}}")
    if canonical_sha256(preds) != record["predictions"].get("sha256"):
        raise BenchError(f"{pred_path}: its sha256 differs from the record's (the predictions changed); "
                         "run `bench verify` on it")
    return {str(t): {str(i): str(v) for i, v in p.items()} for t, p in preds.items()}


def board_entry(task: str, records: Records, *, data_dir=None, seed: int = 0) -> dict:
    """Studies (GSE) with their test samples; macro-F1 recomputed per target on the drawn studies."""
    spec = get_task(task)
    shared_value(records, "metric", lambda r: (r["metric"].get("id"), r["metric"].get("primary")))
    if records[0][1]["metric"].get("primary") != "macro_f1":
        raise BenchError(f"{records[0][0]}: the board resamples GEOmeta macro_f1; this record's primary is "
                         f"{records[0][1]['metric'].get('primary')!r}")
    shared_value(records, "evaluated GSM ids (splits.sha256)", lambda r: r["splits"]["sha256"])
    preds = [(path, record, checked_predictions(path, record)) for path, record in records]
    targets = list(preds[0][2])
    ids = {t: sorted(preds[0][2][t]) for t in targets}
    table = geometa_table(spec, data_dir)   # read the label tables once for labels and studies
    all_labels = geometa_labels(spec, targets, table=table)
    missing = [i for t in targets for i in ids[t] if i not in all_labels[t]]
    if missing:
        raise BenchError(f"{records[0][0]}: {len(missing)} predicted GSM id(s) have no label under the data dir "
                         f"(first {missing[0]}); run `bench verify` on it")
    labels = {t: {i: str(all_labels[t][i]) for i in ids[t]} for t in targets}
    expected_sha256 = canonical_sha256(labels)
    for path, record in records:
        if expected_sha256 != record.get("labels_sha256"):
            raise BenchError(f"{path}: its labels sha256 differs from the labels of task {task} under the data dir "
                             "(computed on other data); run `bench verify` on it")
    series = geometa_series(spec, table=table)
    study = {i: series.get(i) or f"(no GSE) {i}" for t in targets for i in ids[t]}
    units = sorted(set(study.values()))
    position = {u: k for k, u in enumerate(units)}
    classes = {t: sorted(set(labels[t].values())) for t in targets}
    finish = lb.macro_f1_finish([len(classes[t]) for t in targets])
    entry = units_entry("studies (GSE)", units,
                        "studies (GSE series) with all their test samples; macro-F1 recomputed per target on the "
                        "drawn studies' samples, mean over targets", "geometa_f1 macro_f1", ceiling=None,
                        ceiling_note="")

    def stats(predicted: dict[str, dict[str, str]]) -> np.ndarray:
        blocks = []
        for t in targets:
            code = {c: k for k, c in enumerate(classes[t])}
            y = np.array([code[labels[t][i]] for i in ids[t]])
            p = np.array([code.get(predicted[t][i], -1) for i in ids[t]])
            u = np.array([position[study[i]] for i in ids[t]])
            blocks.append(lb.confusion_stats(u, y, p, len(classes[t]), len(units)))
        return np.hstack(blocks)

    for path, record, predicted in preds:
        s = stats(predicted)
        check_value(path, record["value"].get("value"), float(finish(s.sum(axis=0, keepdims=True))[0]), 1e-9)
        entry["runs"].append((path, record, (s, finish)))
    rng = np.random.default_rng(seed)
    guesses = {}
    for t in targets:
        picks = rng.integers(0, len(classes[t]), len(ids[t]))
        guesses[t] = {i: classes[t][k] for i, k in zip(ids[t], picks)}
    entry["generated"] = {"control:random": (stats(guesses), finish), "control:perfect": (stats(labels), finish)}
    entry["generated_note"] = ("random = a label drawn uniformly from the target's test classes per sample "
                               "(default_rng(seed + task index), targets in order, samples by GSM id); "
                               "perfect = the labels as predictions")
    return entry
