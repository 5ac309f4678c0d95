"""Read the upstream GeneLab benchmark layout (labels, metadata, fold structure).

Only reads and checks; no conversion. Layout (see the spec, §1)::

    <root>/tasks/<TASK_DIR>/task_info.json
    <root>/tasks/<TASK_DIR>/fold_<MISSION>_test/{fold_info.json, train_y.csv, test_y.csv,
                                               train_meta.csv, test_meta.csv, selected_genes.txt}
    <root>/tasks/<TASK_DIR>/fold_<MISSION>_holdout/...
    <root>/tasks/<B_TASK_DIR>/pair_<TRAIN>_<TEST>/test_y.csv
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bench.errors import BenchError
from bench.io import read_json
from bench.loaders.tables import read_csv_indexed

_FOLD_RE = re.compile(r"^fold_(?P<mission>.+)_(?P<kind>test|holdout)$")
_PAIR_RE = re.compile(r"^pair_(?P<train>[^_]+)_(?P<test>[^_]+)$")


def read_labels(path: str | Path) -> pd.Series:
    """Read a ``*_y.csv``: index = sample id, one value column (``0`` or ``label``) with 0/1.

    Returns a float Series named ``label`` indexed by sample id, in file order.
    """
    path = Path(path)
    df = read_csv_indexed(path, what="label file")
    if df.shape[1] != 1:
        raise BenchError(f"{path}: expected the sample id column and one label column "
                         f"(named '0' or 'label'), got columns {list(df.columns)}")
    if df.columns[0] not in ("0", "label"):
        raise BenchError(f"{path}: label column must be named '0' or 'label', got {df.columns[0]!r}")
    ids = df.index.astype(str)
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        raise BenchError(f"{path}: duplicate sample id(s) {dup[:5]}; every sample must appear once")
    values = pd.to_numeric(df.iloc[:, 0], errors="coerce")
    bad = ~values.isin([0.0, 1.0])
    if bad.any():
        examples = [f"{i}={v!r}" for i, v in zip(ids[bad.to_numpy()][:5], df.iloc[:, 0][bad].tolist()[:5])]
        raise BenchError(f"{path}: field '{df.columns[0]}': labels must be 0 or 1 "
                         f"(1 = Flight, 0 = Ground), got {', '.join(examples)}")
    return pd.Series(values.to_numpy(dtype=np.float64), index=pd.Index(ids, name="sample_id"), name="label")


def read_meta(path: str | Path) -> pd.DataFrame:
    """Read a ``*_meta.csv`` (index = sample id; columns vary by task: all are kept)."""
    path = Path(path)
    df = read_csv_indexed(path, what="metadata file")
    df.index.name = "sample_id"
    if df.index.duplicated().any():
        dup = df.index[df.index.duplicated()].unique().tolist()[:5]
        raise BenchError(f"{path}: duplicate sample id(s) {dup}")
    return df


@dataclass
class Fold:
    """One upstream fold (Category A: ``fold_<M>_test``/``_holdout``) or pair (Category B)."""

    name: str
    path: Path
    test_mission: str
    train_missions: list[str]
    holdout: bool = False
    info: dict = field(default_factory=dict)

    def test_y(self) -> pd.Series:
        """The test labels; fewer or more rows than ``fold_info.json``'s ``n_test`` is an error naming
        ``test_y.csv`` (a truncated label file, not a submission with unknown samples)."""
        path = self.path / "test_y.csv"
        y = read_labels(path)
        n_test = self.info.get("n_test")
        if isinstance(n_test, int) and not isinstance(n_test, bool) and n_test != len(y):
            raise BenchError(f"{path}: {len(y)} sample(s) but {self.path / 'fold_info.json'} says n_test {n_test}; "
                             "the label file is truncated or damaged (restore it from the upstream checkout)")
        return y

    def train_y(self) -> pd.Series | None:
        p = self.path / "train_y.csv"
        return read_labels(p) if p.is_file() else None

    def test_meta(self) -> pd.DataFrame | None:
        p = self.path / "test_meta.csv"
        return read_meta(p) if p.is_file() else None

    def train_meta(self) -> pd.DataFrame | None:
        p = self.path / "train_meta.csv"
        return read_meta(p) if p.is_file() else None

    def selected_genes(self) -> list[str] | None:
        p = self.path / "selected_genes.txt"
        if not p.is_file():
            return None
        return [g for g in p.read_text().split() if g]


@dataclass
class TaskLayout:
    """Every fold of one upstream task folder, sorted by folder name (the evaluator's order)."""

    task_dir: Path
    folds: list[Fold]
    task_info: dict | None = None

    @property
    def evaluated_folds(self) -> list[Fold]:
        """Non-holdout folds: the ones a submission must cover."""
        return [f for f in self.folds if not f.holdout]

    def fold(self, name: str) -> Fold:
        for f in self.folds:
            if f.name == name:
                return f
        raise BenchError(f"{self.task_dir}: no fold {name!r}; folds are {[f.name for f in self.folds]}")


def task_dir_for(root: str | Path, task_dir_name: str) -> Path:
    """``<root>/tasks/<task_dir_name>`` (``root`` may also be the ``tasks`` folder itself)."""
    root = Path(root)
    if not root.is_dir():
        raise BenchError(f"data dir not found: {root}")
    for cand in (root / "tasks" / task_dir_name, root / task_dir_name):
        if cand.is_dir():
            return cand
    raise BenchError(f"{root}: no task folder {task_dir_name!r} (expected {root / 'tasks' / task_dir_name}); "
                     "is this a GeneLab benchmark checkout (jang1563/GeneLab_benchmark layout)?")


def read_task_layout(task_dir: str | Path) -> TaskLayout:
    """Discover the folds of an upstream task folder (A: ``fold_*``; B: ``pair_*``)."""
    task_dir = Path(task_dir)
    if not task_dir.is_dir():
        raise BenchError(f"task folder not found: {task_dir}")
    info_path = task_dir / "task_info.json"
    task_info = read_json(info_path, what="task_info.json") if info_path.is_file() else None
    folds: list[Fold] = []
    for sub in sorted(p for p in task_dir.iterdir() if p.is_dir()):
        m = _FOLD_RE.match(sub.name)
        if m:
            fi_path = sub / "fold_info.json"
            info = read_json(fi_path, what="fold_info.json") if fi_path.is_file() else {}
            folds.append(Fold(name=sub.name, path=sub, test_mission=m["mission"],
                              train_missions=list(info.get("train_missions", [])),
                              holdout=m["kind"] == "holdout", info=info))
            continue
        m = _PAIR_RE.match(sub.name)
        if m:
            folds.append(Fold(name=sub.name, path=sub, test_mission=m["test"], train_missions=[m["train"]]))
    if not folds:
        raise BenchError(f"{task_dir}: no fold_<MISSION>_test or pair_<TRAIN>_<TEST> folders; "
                         "expected the upstream GeneLab task layout")
    return TaskLayout(task_dir=task_dir, folds=folds, task_info=task_info)
