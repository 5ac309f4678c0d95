"""GeneLab's leaderboard input (the family table's ``board`` entry, :func:`board_entry`): the records'
predictions (keyed by sample id) and the task's labels read through the checked labels reader (their
sha256 must equal the record's), the floors (constant and seeded random scores, unless a run of them
is among the records) and the perfect control (scores = labels); :mod:`bench.results.ranking` resamples them
hierarchically (missions, then samples within missions)."""
from __future__ import annotations

import numpy as np

from bench.baselines.genelab.records import evaluated_labels, fold_arrays
from bench.results.board_units import PERFECT, Records, floor_kind
from bench.errors import BenchError
from bench.metrics.genelab.submission import read_submission
from bench.results.record import labels_sha256
from bench.tasks import get_task

RESAMPLED = "missions, then samples"


def board_entry(task: str, records: Records, *, data_dir=None, seed: int = 0) -> dict:
    """Folds, labels per fold and scores per model (seeds x samples per fold) of GeneLab records, with
    the generated controls (:func:`add_controls`, seeded by ``seed``)."""
    entry = lomo_inputs(task, records, data_dir=data_dir)
    add_controls(entry, seed=seed)
    return entry


def lomo_inputs(task: str, recs: Records, *, data_dir=None) -> dict:
    """Folds, labels per fold and scores per model (seeds x samples per fold) of GeneLab records."""
    for path, record in recs:
        if record["metric"].get("id") != "lomo_auroc":
            raise BenchError(f"{path}: bench leaderboard ranks GeneLab lomo_auroc records (A/B); this one is "
                             f"{record['metric'].get('id')}")
    folds = [r["fold"] for r in recs[0][1]["value"]["per_fold"]]
    entry = {"kind": "samples", "folds": folds, "scores": {}, "controls": [], "metric": "lomo_auroc",
             "unit": "missions", "resampled": RESAMPLED}
    for path, record in recs:
        other = [r["fold"] for r in record["value"]["per_fold"]]
        if other != folds:
            raise BenchError(f"{path}: task {task} folds {other} differ from another record's {folds}")
    labels = evaluated_labels(get_task(task), folds, data_dir, where=recs[0][0])
    entry["labels"] = [np.array(list(labels[f].values())) for f in folds]
    expected_sha256 = labels_sha256(labels)
    for path, record in recs:
        if record.get("labels_sha256") and record["labels_sha256"] != expected_sha256:
            raise BenchError(f"{path}: its labels sha256 differs from the labels of task {task} under the data dir "
                             "(computed on other data); run `bench verify` on it")
        preds = read_submission(path.parent / record["predictions"]["file"]).predictions
        model = str(record["model"].get("id") or "unknown")
        model = floor_kind(model) or model
        try:
            per_fold = [scores for _, _, scores in fold_arrays(labels, preds, folds)]
        except (KeyError, TypeError):
            raise BenchError(f"{path}: its predictions do not cover every test sample of task {task}; "
                             "run `bench verify` on it") from None
        entry["scores"].setdefault(model, []).append(per_fold)
    entry["scores"] = {m: [np.stack([seed_run[f] for seed_run in runs]) for f in range(len(folds))]
                       for m, runs in entry["scores"].items()}
    return entry


def add_controls(entry: dict, *, seed: int) -> None:
    """Constant (0.5) and random floors (``default_rng(seed).random(n)`` per fold in fold order), unless
    runs of them are among the records, and the perfect control (the labels as scores)."""
    rng = np.random.default_rng(seed)
    generated = {"control:constant": [np.full((1, y.size), 0.5) for y in entry["labels"]],
                 "control:random": [rng.random(y.size)[None, :] for y in entry["labels"]],
                 PERFECT: [y.astype(np.float64)[None, :] for y in entry["labels"]]}
    for name, per_fold in generated.items():
        entry["scores"].setdefault(name, per_fold)
    entry["controls"] = [m for m in entry["scores"] if m.startswith("control:")]
    entry["generated_note"] = ("constant = 0.5 and random = uniform scores, default_rng(seed + task index).random(n) "
                               "per fold in fold order; perfect = the labels as scores")
