"""GeneLab labels for scoring a submission: the one checked label reader.

Every label file a task's folds use is checked against the others first (each fold's test and
train labels and metadata agree, each Category B pair equals its test mission; see
:func:`bench.loaders.genelab.build.read_rows_and_folds`), then each fold's ``test_y.csv`` is
returned in its file order (the order the evaluator's resampling uses). A repository written by
``bench build`` holds the same labels in its test splits (checked when it was built).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import bench.loaders as loaders   # loaders.resolve_data_dir is the public hook (looked up at call time)

from bench.errors import BenchError
from bench.io import read_json
from bench.loaders.genelab.build import labels_task_dir, read_rows_and_folds
from bench.loaders.genelab.layout import read_task_layout, task_dir_for
from bench.loaders.repo import config_meta, is_built_repo, read_built, read_config_meta
from bench.tasks import TaskSpec


@dataclass(frozen=True)
class FoldLabels:
    """One fold's test labels: float 0/1 indexed by sample id, in the fold's file order."""

    name: str
    holdout: bool
    labels: pd.Series


@dataclass(frozen=True)
class TaskLabels:
    """Every fold of a task (sorted by fold name), where they were read and whether they are synthetic."""

    folds: list[FoldLabels]
    root: Path
    synthetic: bool


def labels_root(data_dir: str | Path | None) -> Path:
    """The upstream-layout root holding ``tasks/``: ``data_dir``, else bench's GeneLab data dir."""
    if data_dir is not None:
        return Path(data_dir)
    resolve = getattr(loaders, "resolve_data_dir", None)
    if resolve is None:
        raise BenchError("no data directory given: pass --data-dir (data_dir=) pointing at a GeneLab_benchmark "
                         "checkout (the folder containing tasks/<TASK_DIR>/.../test_y.csv)", field="data_dir")
    return Path(resolve(None))


def built_repo_folds(spec: TaskSpec, repo: Path) -> list[FoldLabels]:
    """The folds of config ``spec.name`` in a built repository, with labels from its test splits."""
    dsd = read_built(repo, spec.name)
    folds = []
    for f in sorted(config_meta(dsd)["folds"], key=lambda f: f["name"]):
        split = dsd[f["test_split"]]
        labels = split.select_columns(["sample_id", "label"]).to_pandas().set_index("sample_id")["label"]
        folds.append(FoldLabels(f["name"], bool(f.get("holdout")), labels.astype(float)))
    return folds


def labels_are_synthetic(spec: TaskSpec, root: Path) -> bool:
    """True when the task's labels under ``root`` come from bench's synthetic generator (its
    ``task_info.json`` says ``"synthetic": true``); B tasks read their labels task's folder."""
    try:
        if is_built_repo(root):
            meta = read_config_meta(root, spec.name)
        else:
            info = task_dir_for(root, labels_task_dir(spec)) / "task_info.json"
            meta = read_json(info, what="task_info.json") if info.is_file() else {}
    except (BenchError, OSError, UnicodeDecodeError):  # absent or unreadable metadata: not marked synthetic
        return False
    return isinstance(meta, dict) and meta.get("synthetic") is True


def task_labels(spec: TaskSpec, data_dir: str | Path | None) -> TaskLabels:
    """The checked labels of every fold of ``spec`` under ``data_dir`` (an upstream checkout or a built repo)."""
    if not spec.params.task_dir:
        raise BenchError(f"task {spec.name}: its spec has no params.task_dir; cannot locate its labels",
                         field="task")
    root = labels_root(data_dir)
    if is_built_repo(root):
        return TaskLabels(built_repo_folds(spec, root), root, labels_are_synthetic(spec, root))
    read_rows_and_folds(spec, root)          # checks every label file of the task against the others
    layout = read_task_layout(task_dir_for(root, spec.params.task_dir))
    folds = [FoldLabels(f.name, f.holdout, f.test_y()) for f in layout.folds]
    return TaskLabels(folds, root, labels_are_synthetic(spec, root))


def labels_origin(spec: TaskSpec, labels: TaskLabels, *, given: bool) -> str:
    """Where a task's labels came from, as portable text (never a path): ``synthetic``, ``local`` /
    ``local-built`` (a given data dir: upstream checkout / ``bench build`` repo) or ``hub:<repo>``."""
    if labels.synthetic:
        return "synthetic"
    if given:
        return "local-built" if is_built_repo(labels.root) else "local"
    return f"hub:{(getattr(spec, 'source', None) or {}).get('hub_repo') or 'unknown'}"
