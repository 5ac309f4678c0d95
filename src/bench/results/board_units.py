"""What the leaderboard inputs of the families share (``bench leaderboard``). Each family's
``baselines/<family>/board.py`` (the family table's ``board`` entry, ``board_entry(task, records, *,
data_dir, seed) -> dict``) turns a task's result records into the board's input:

* ``kind: "samples"``: folds, labels per fold and scores per model, resampled hierarchically
  (e.g. GeneLab: missions, then samples within missions);
* ``kind: "units"`` (:func:`units_entry`): per-unit sufficient statistics of each run and the
  finisher that recomputes the metric from their sum (:func:`bench.metrics.leaderboard.resampled_draws`),
  e.g. GEOmeta studies, GenoTEX problems, single-cell cells or donors; ``runs`` gets ``(path, record,
  (stats, finisher))`` per record and ``generated`` ``{control: (stats, finisher)}`` (the seeded
  floors and the perfect control the family defines).

Every adapter checks that the records of a task agree (metric, parameters, evaluated ids, labels;
:func:`shared_value`) and that the board's full-data value equals each record's value
(:func:`check_value`), naming the record that differs.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

from bench.errors import BenchError

Records = list  # [(path, record)]
PERFECT = "control:perfect"
FLOOR_MODELS = ("constant", "random", "confound")


def floor_kind(model_id: str) -> str | None:
    """``control:<kind>`` for a run of a floor model or of the confound-only control (any prefix), else None."""
    tail = str(model_id).rsplit("/", 1)[-1]
    return f"control:{tail}" if tail in FLOOR_MODELS else None


def shared_value(records: Records, what: str, get: Callable[[dict], object]) -> object:
    """The value ``get(record)`` shared by every record of a task; BenchError naming the first that differs."""
    first_path, first = records[0]
    want = get(first)
    for path, record in records[1:]:
        if get(record) != want:
            raise BenchError(f"{path}: its {what} ({get(record)!r}) differs from that of {first_path} ({want!r}); "
                             f"records of one task must share it to be ranked together")
    return want


def check_value(path: Path, claimed, recomputed: float, tol: float) -> None:
    """BenchError when the board's full-data value differs from the record's by more than ``tol``."""
    if claimed is None or not math.isclose(float(claimed), recomputed, rel_tol=0, abs_tol=tol):
        raise BenchError(f"{path}: the board recomputes {recomputed!r} from its predictions but the record says "
                         f"{claimed!r}; run `bench verify` on it")


def units_entry(unit: str, units: list[str], resampled: str, metric: str, *, ceiling: float | None,
                ceiling_note: str) -> dict:
    """A task's board entry of kind ``units`` (see the module docstring)."""
    return {"kind": "units", "unit": unit, "units": units, "folds": units, "runs": [],
            "generated": {}, "resampled": resampled, "metric": metric, "ceiling": ceiling, "ceiling_note": ceiling_note}


def record_ids(record: dict) -> list[str]:
    """The metric id(s) of a record, as a list."""
    ids = record["metric"].get("id")
    return [str(i) for i in ids] if isinstance(ids, list) else [str(ids)]
