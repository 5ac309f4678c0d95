"""Build GeneLab registry configs (A gene/pathway level, A1 variants, B pairs, D tasks) from an
upstream-layout folder into ``datasets`` splits, one split per mission (the data contract).

The builder reads the upstream layout with :mod:`bench.loaders.genelab.layout`, checks that
labels, metadata and feature matrices agree, and returns ``({split: datasets.Dataset}, meta)``
ready for :func:`bench.loaders.repo.write_config`. Plain ``Dataset`` construction from Arrow
tables is used (no builder script): a built config is a folder of parquet files that
``datasets.load_dataset(<repo>, <config>)`` reads offline.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import json
import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from datasets.table import InMemoryTable
from tqdm.auto import tqdm

from bench.errors import BenchError
from bench.io import read_yaml
from bench.loaders.repo import class_codes
from bench.loaders.genelab.layout import Fold, TaskLayout, read_task_layout, task_dir_for
from bench.tasks import TaskSpec, get_task, list_tasks, split_name
from bench.tasks.families import BuiltConfig, Source
from bench.tasks.registry import TASKS_DIR

log = logging.getLogger("bench.genelab")

HUB_REPO = "jang1563/genelab-benchmark"
PATHWAY_DBS = ("hallmark", "kegg", "reactome", "mitocarta")
FEATURE_COLUMN = "features"
RESERVED_COLUMNS = ("sample_id", "mission", "label", FEATURE_COLUMN)
LOADER_VERSION = 3   # 2: label as ClassLabel, data_files checksums, portable origin; 3: Category D target as ClassLabel
_ZSCORE_MEAN_TOL = 1e-2


class GeneLabJoinWarning(UserWarning):
    """Some samples could not be joined to their pathway scores (they are listed, not dropped silently)."""


@dataclass
class MissionRows:
    """The samples of one mission: its test labels and metadata, in ``test_y.csv`` order."""

    mission: str
    fold: Fold
    y: pd.Series
    meta: pd.DataFrame


@dataclass
class BuildResult:
    """What :func:`build_config` returns."""

    splits: dict            # {split: datasets.Dataset}
    meta: dict              # bench_config.json content


# --------------------------------------------------------------------------------------------
# task resolution
# --------------------------------------------------------------------------------------------

def genelab_spec(name: str | TaskSpec) -> TaskSpec:
    """The registry spec of a GeneLab task (BenchError for unknown or non-GeneLab names)."""
    spec = name if isinstance(name, TaskSpec) else get_task(name)
    if spec.family != "genelab":
        raise BenchError(f"task {spec.name!r} belongs to family {spec.family!r}, not genelab")
    return spec


def labels_task_dir(spec: TaskSpec) -> str:
    """Upstream folder holding the samples' labels/metadata/matrices (A dir; B: ``labels_from``)."""
    return str(spec.params.get("labels_from") or spec.params["task_dir"])


def needed_task_dirs(spec: TaskSpec) -> list[str]:
    """Every upstream task folder a config reads (labels dir first)."""
    dirs = [labels_task_dir(spec)]
    if spec.params["task_dir"] not in dirs:
        dirs.append(str(spec.params["task_dir"]))
    return dirs


def is_pathway(spec: TaskSpec) -> bool:
    return spec.params.get("level") == "pathway"


# --------------------------------------------------------------------------------------------
# CSV readers with checked errors
# --------------------------------------------------------------------------------------------

#: pandas' default missing-value strings (``read_csv`` ``na_values``): pyarrow reads them as NaN too.
NA_VALUES = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
             "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]


#: Upper bound of pyarrow's block size (it must fit in an int32); larger files are read in several blocks.
MAX_BLOCK_BYTES = 1 << 30


def _csv_header(path: Path) -> list[str]:
    """The header row (quotes resolved), or a BenchError naming the file when there is none."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BenchError(f"{path}: cannot parse as CSV: {exc}") from None
    if not header:
        raise BenchError(f"{path}: cannot parse as CSV: the file is empty (expected a header row "
                         "',<feature>,...' and one row per sample)")
    return header


def _field_count_error(path: Path, n_fields: int) -> str:
    """``line N: expected K fields, saw M`` for the first row whose field count differs from the header's."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        for row in reader:
            if row and len(row) != n_fields:
                return f"line {reader.line_num}: expected {n_fields} fields, saw {len(row)}"
    return "a row's field count differs from the header's"


def _arrow_frame(table: pa.Table, header: list[str]) -> pd.DataFrame:
    """Samples x features frame (float64 when every feature column is numeric; else as read, so the
    checks name the non-numeric columns)."""
    ids = pd.Index(table.column(0).to_numpy(zero_copy_only=False), name="sample_id")
    features = table.columns[1:]
    if not all(pa.types.is_integer(c.type) or pa.types.is_floating(c.type) or pa.types.is_null(c.type)
               for c in features):
        frame = pd.DataFrame({j: c.to_pandas() for j, c in enumerate(features)})
        frame.index, frame.columns = ids, header[1:]
        return frame
    values = np.empty((table.num_rows, len(features)), dtype=np.float64)
    for j, column in enumerate(features):
        values[:, j] = np.nan if pa.types.is_null(column.type) else column.to_numpy()
    return pd.DataFrame(values, index=ids, columns=header[1:], copy=False)


def _arrow_read(path: Path, names: list[str], *, typed: bool) -> pa.Table:
    """One pyarrow read: the whole file is one block (pyarrow's per-block, per-column cost dominates on
    20k-column matrices; see benchmarks/bench_matrix_csv.py); ``typed`` reads every feature as float64."""
    types = {"c0": pa.string(), **({n: pa.float64() for n in names[1:]} if typed else {})}
    block = min(path.stat().st_size + 1, MAX_BLOCK_BYTES)
    return pacsv.read_csv(path, read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=block),
                          convert_options=pacsv.ConvertOptions(column_types=types, null_values=NA_VALUES))


def _read_numeric_csv(path: Path) -> pd.DataFrame:
    """Read an ``id,v,v,...`` matrix CSV with pyarrow's C++ reader (floats correctly rounded, as
    ``np.fromstring`` did; pandas' NA strings). A row with too few or too many fields is a BenchError
    naming the file and line; a non-numeric feature column is read as text for the checks to name."""
    header = _csv_header(path)
    if len(header) < 2:
        raise BenchError(f"{path}: no feature columns; expected one column per feature id")
    names = [f"c{i}" for i in range(len(header))]  # header names may repeat or be empty; checked later
    try:
        try:
            table = _arrow_read(path, names, typed=True)
        except pa.ArrowInvalid as exc:
            if "conversion error" not in str(exc):
                raise
            table = _arrow_read(path, names, typed=False)  # a text cell: infer types, the checks name the column
    except pa.ArrowInvalid as exc:
        if "Expected" in str(exc) and "columns, got" in str(exc):
            raise BenchError(f"{path}: cannot parse as CSV: {_field_count_error(path, len(header))}") from None
        raise BenchError(f"{path}: cannot parse as CSV: {exc}") from None
    return _arrow_frame(table, header)


def read_matrix_csv(path: Path, *, what: str, allow_duplicate_ids: bool = False) -> pd.DataFrame:
    """Read a samples x features CSV (index = sample id) as float32, checking ids and columns."""
    if not path.is_file():
        raise BenchError(f"{what} not found: {path}")
    return _check_matrix(path, _read_numeric_csv(path), allow_duplicate_ids=allow_duplicate_ids)



def _check_matrix(path: Path, df: pd.DataFrame, *, allow_duplicate_ids: bool) -> pd.DataFrame:
    if df.shape[1] == 0:
        raise BenchError(f"{path}: no feature columns; expected one column per feature id")
    if not allow_duplicate_ids and df.index.duplicated().any():
        dup = df.index[df.index.duplicated()].unique().tolist()[:5]
        raise BenchError(f"{path}: duplicate sample id(s) {dup}; every sample must appear once")
    cols = pd.Index(df.columns.astype(str))
    if cols.duplicated().any():
        raise BenchError(f"{path}: duplicate column(s) {cols[cols.duplicated()].unique().tolist()[:5]}; "
                         "every feature id must appear once")
    kinds = {str(t) for t in df.dtypes.unique()}
    bad = [] if kinds <= {"float32", "float64", "int64", "int32"} else \
        [c for c, t in zip(cols, df.dtypes) if not pd.api.types.is_numeric_dtype(t)]
    if bad:
        raise BenchError(f"{path}: column(s) {bad[:5]} are not numeric; expected float values in every "
                         "feature column")
    df.columns = cols
    return df if (df.dtypes == np.float32).all() else df.astype(np.float32)


def _check_same_ids(ids_a, path_a: Path, ids_b, path_b: Path, *, field_name: str = "sample id") -> None:
    a, b = list(ids_a), list(ids_b)
    if set(a) == set(b):
        return
    missing = [i for i in a if i not in set(b)][:5]
    extra = [i for i in b if i not in set(a)][:5]
    raise BenchError(f"{path_b}: {field_name}s do not match {path_a}: "
                     f"missing {missing}, unexpected {extra} (expected the same {len(a)} samples)")


# --------------------------------------------------------------------------------------------
# rows: one mission per fold's test set
# --------------------------------------------------------------------------------------------

def _read_mission_rows(layout: TaskLayout) -> list[MissionRows]:
    """One entry per Category A fold (test mission), folds sorted by name; ids/metadata checked."""
    out: list[MissionRows] = []
    seen_sample: dict[str, Path] = {}
    seen_mission: dict[str, str] = {}
    for fold in layout.folds:
        if fold.name.startswith("pair_"):
            raise BenchError(f"{fold.path}: expected Category A folds (fold_<MISSION>_test) in "
                             f"{layout.task_dir}, found a cross-mission pair folder")
        if fold.test_mission in seen_mission:
            raise BenchError(f"{fold.path}: mission {fold.test_mission!r} is already the test mission of "
                             f"{seen_mission[fold.test_mission]}; each mission must be tested once")
        seen_mission[fold.test_mission] = fold.name
        y = fold.test_y()
        meta_path = fold.path / "test_meta.csv"
        meta = fold.test_meta()
        if meta is None:
            raise BenchError(f"metadata file not found: {meta_path} (every fold needs test_meta.csv)")
        _check_same_ids(y.index, fold.path / "test_y.csv", meta.index, meta_path)
        meta = meta.loc[y.index]
        if "mission" in meta.columns:
            bad = meta["mission"].astype(str) != fold.test_mission
            if bad.any():
                raise BenchError(f"{meta_path}: field 'mission': expected {fold.test_mission!r} (the fold's "
                                 f"test mission) for every row, got {sorted(set(meta['mission'][bad].astype(str)))}")
        for sid in y.index:
            if sid in seen_sample:
                raise BenchError(f"{fold.path / 'test_y.csv'}: duplicate sample {sid!r}: it is also a test "
                                 f"sample in {seen_sample[sid]}; each sample belongs to one mission")
            seen_sample[sid] = fold.path / "test_y.csv"
        out.append(MissionRows(fold.test_mission, fold, y, meta))
    return out


def _default_train_missions(fold: Fold, rows: list[MissionRows]) -> list[str]:
    return [r.mission for r in rows if r.mission != fold.test_mission and not r.fold.holdout]


def _check_train_membership(rows: list[MissionRows]) -> None:
    """Each fold's train_y.csv must hold exactly its train missions' samples with the same labels."""
    by_mission = {r.mission: r for r in rows}
    for r in rows:
        fold = r.fold
        train_missions = fold.train_missions or _default_train_missions(fold, rows)
        unknown = [m for m in train_missions if m not in by_mission]
        if unknown:
            raise BenchError(f"{fold.path / 'fold_info.json'}: field 'train_missions' names {unknown}, which "
                             f"have no fold folder; expected missions among {sorted(by_mission)}")
        train_path = fold.path / "train_y.csv"
        train_y = fold.train_y()
        if train_y is None:
            raise BenchError(f"label file not found: {train_path} (every fold needs train_y.csv)")
        expected = pd.concat([by_mission[m].y for m in train_missions]) if train_missions else pd.Series(dtype=float)
        _check_same_ids(expected.index, Path(f"test_y.csv of missions {train_missions}"), train_y.index, train_path)
        diff = (train_y != expected.loc[train_y.index])
        if diff.any():
            sid = diff[diff].index[0]
            raise BenchError(f"{train_path}: field 'label' of sample {sid!r} is {train_y[sid]:g} but its "
                             f"mission's test_y.csv says {expected[sid]:g}")
        fold.train_missions = list(train_missions)


def _read_pairs(spec: TaskSpec, root: Path, rows: list[MissionRows]) -> list[dict]:
    """Category B pairs: each ``pair_<I>_<J>/test_y.csv`` must equal mission J's samples and labels."""
    layout = read_task_layout(task_dir_for(root, str(spec.params["task_dir"])))
    by_mission = {r.mission: r for r in rows}
    folds = []
    for pair in layout.folds:
        if not pair.name.startswith("pair_"):
            raise BenchError(f"{pair.path}: expected pair_<TRAIN>_<TEST> folders in {layout.task_dir}")
        (train_m,) = pair.train_missions
        for m in (train_m, pair.test_mission):
            if m not in by_mission:
                raise BenchError(f"{pair.path}: mission {m!r} has no fold in {labels_task_dir(spec)}; "
                                 f"missions are {sorted(by_mission)}")
        y = pair.test_y()
        ref = by_mission[pair.test_mission]
        _check_same_ids(ref.y.index, ref.fold.path / "test_y.csv", y.index, pair.path / "test_y.csv")
        if (y != ref.y.loc[y.index]).any():
            sid = (y != ref.y.loc[y.index]).idxmax()
            raise BenchError(f"{pair.path / 'test_y.csv'}: field 'label' of sample {sid!r} is {y[sid]:g} but "
                             f"{ref.fold.path / 'test_y.csv'} says {ref.y[sid]:g}")
        folds.append({"name": pair.name, "test_mission": pair.test_mission,
                      "test_split": split_name(pair.test_mission), "train_missions": [train_m],
                      "train_splits": [split_name(train_m)], "holdout": False, "selected_features": None})
    n_expected = spec.split.get("n_pairs")
    if n_expected is not None and len(folds) != int(n_expected):
        raise BenchError(f"{layout.task_dir}: expected {n_expected} pair_* folders (task {spec.name}), "
                         f"found {len(folds)}")
    return folds


# --------------------------------------------------------------------------------------------
# observation table
# --------------------------------------------------------------------------------------------

def _clean_object_column(col: pd.Series) -> pd.Series:
    """Object columns become bool (if every value is bool) or str; missing stays missing."""
    values = col.dropna()
    if len(values) and all(isinstance(v, (bool, np.bool_)) for v in values):
        return col.astype("boolean")
    return col.map(lambda v: v if pd.isna(v) else str(v)).astype("string")


def _obs_frame(rows: list[MissionRows]) -> pd.DataFrame:
    """sample_id, mission, label (int8), then the union of metadata columns (reserved names -> meta_*)."""
    parts = []
    for r in rows:
        meta = r.meta.drop(columns=[c for c in ("mission",) if c in r.meta.columns])
        meta = meta.rename(columns={c: f"meta_{c}" for c in meta.columns if c in RESERVED_COLUMNS})
        head = pd.DataFrame({"sample_id": list(r.y.index), "mission": r.mission,
                             "label": r.y.to_numpy().astype(np.int8)}, index=r.y.index)
        parts.append(pd.concat([head, meta], axis=1))
    obs = pd.concat(parts, axis=0, join="outer", sort=False).reset_index(drop=True)
    for c in obs.columns:
        if obs[c].dtype == object:
            obs[c] = _clean_object_column(obs[c])
    obs["label"] = obs["label"].astype(np.int8)
    obs["sample_id"] = obs["sample_id"].astype("string")
    obs["mission"] = obs["mission"].astype("string")
    return obs


def _derive_target(spec: TaskSpec, obs: pd.DataFrame) -> str | None:
    """Make sure the D target column exists; returns how it was derived (None if it was a column)."""
    target = spec.params.get("target")
    if not target or target in obs.columns:
        return None
    if target == "hardware":
        obs[target] = obs["mission"].str.extract(r"^([A-Za-z]+)", expand=False).astype("string")
        return "hardware = the mission's letter prefix (RR = Rodent Research hardware, MHU = JAXA Mouse Habitat Unit)"
    if target == "gravity":
        sid = obs["sample_id"].astype(str)
        grav = np.where(obs["label"] == 0, "ground",
                        np.where(sid.str.contains(r"_1G_", regex=True), "artificial_gravity", "microgravity"))
        obs[target] = pd.array(grav, dtype="string")
        return ("gravity = ground (label 0), artificial_gravity (Flight with a '_1G_' sample-id token) or "
                "microgravity (other Flight); upstream excludes AG samples from the binary layout, so most "
                "public configs hold only microgravity and ground")
    raise BenchError(f"task {spec.name}: params.target {target!r} is neither a metadata column "
                     f"({[c for c in obs.columns]}) nor a derivable target (hardware, gravity)")


# --------------------------------------------------------------------------------------------
# features: gene level (fold X matrices)
# --------------------------------------------------------------------------------------------

def detect_value_transform(train_X: pd.DataFrame) -> str:
    """``zscore_train`` if every gene of a train matrix has mean ~0 (and negatives), else ``log2_deseq2``."""
    values = train_X.to_numpy(dtype=np.float64)
    means = np.nanmean(values, axis=0)
    if np.nanmin(values) < 0 and np.nanmax(np.abs(means)) < _ZSCORE_MEAN_TOL:
        return "zscore_train"
    return "log2_deseq2"


def _read_fold_matrix(r: MissionRows, kind: str) -> pd.DataFrame:
    """A fold's ``<kind>_X.csv``, checked against its ``<kind>_y.csv`` ids and ``selected_genes.txt``."""
    path = r.fold.path / f"{kind}_X.csv"
    X = read_matrix_csv(path, what=f"gene-level matrix {kind}_X.csv (published on the Hub {HUB_REPO} "
                                   "for A2/A4/A5/A6 only)")
    y = r.y if kind == "test" else r.fold.train_y()
    _check_same_ids(y.index, r.fold.path / f"{kind}_y.csv", X.index, path)
    selected = r.fold.selected_genes()
    if selected is not None and set(selected) != set(X.columns):
        miss = [g for g in selected if g not in set(X.columns)][:5]
        extra = [g for g in X.columns if g not in set(selected)][:5]
        raise BenchError(f"{path}: columns do not match {r.fold.path / 'selected_genes.txt'}: missing "
                         f"{miss}, unexpected {extra} (expected the fold's {len(selected)} selected genes)")
    return X


def _gene_matrix(rows: list[MissionRows], *, progress: bool) -> tuple[np.ndarray, list[str], str]:
    """Samples x union-of-fold-genes float32 matrix, every gene in ONE frame.

    A fold's train_X + test_X hold every non-holdout sample, so each gene takes all its values from
    the first fold (by name, holdout folds last) that selected it. Samples that fold lacks (holdout
    samples) come from the other folds: copied as is for log2 values, or, when the matrices are
    z-scored with each fold's TRAIN mean/std, mapped into the reference frame by the per-gene affine
    map fitted on the samples both folds share (exact, since both are affine in the same values).
    Either way, re-standardising a fold's train split reproduces that fold's upstream matrices.
    """
    row_of = {sid: i for i, sid in enumerate(sid for r in rows for sid in r.y.index)}
    gene_pos: dict[str, int] = {}
    blocks = []
    transforms = []
    bar = tqdm(total=len(rows), desc="read fold matrices", unit="fold", disable=not progress, leave=False)
    for r in rows:
        test = _read_fold_matrix(r, "test")
        train = _read_fold_matrix(r, "train")[test.columns]
        transforms.append(detect_value_transform(train))
        for g in test.columns:
            gene_pos.setdefault(g, len(gene_pos))
        rows_idx = np.array([row_of[s] for s in [*test.index, *train.index]], dtype=np.int64)
        cols_idx = np.array([gene_pos[g] for g in test.columns], dtype=np.int64)
        values = np.vstack([test.to_numpy(np.float32), train.to_numpy(np.float32)])
        blocks.append((r.fold.holdout, rows_idx, cols_idx, values))
        bar.update()
    bar.close()
    transform = transforms[0] if len(set(transforms)) == 1 else "mixed"
    out = np.full((len(row_of), len(gene_pos)), np.nan, dtype=np.float32)
    assigned = np.zeros(len(gene_pos), dtype=bool)
    for _, rows_idx, cols_idx, values in sorted(blocks, key=lambda b: b[0]):
        new = ~assigned[cols_idx]
        if new.any():
            out[np.ix_(rows_idx, cols_idx[new])] = values[:, new]
            assigned[cols_idx[new]] = True
        old = ~new
        if old.any():
            sub = out[np.ix_(rows_idx, cols_idx[old])]
            hole = np.isnan(sub)
            if hole.any():
                src = values[:, old]
                if transform != "log2_deseq2":
                    src = map_to_reference(sub, src)
                sub[hole] = src[hole]
                out[np.ix_(rows_idx, cols_idx[old])] = sub
    return out, list(gene_pos), transform


def map_to_reference(ref: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Per-column affine map ``a * src + b`` least-squares fitted where ``ref`` is not NaN.

    Columns with fewer than 2 shared values or a constant ``src`` are copied unchanged.
    """
    ref64, src64 = ref.astype(np.float64), src.astype(np.float64)
    shared = ~np.isnan(ref64)
    n = shared.sum(axis=0)
    safe_n = np.maximum(n, 1)
    mx = np.where(shared, src64, 0.0).sum(axis=0) / safe_n
    my = np.where(shared, ref64, 0.0).sum(axis=0) / safe_n
    dx = np.where(shared, src64 - mx, 0.0)
    dy = np.where(shared, np.nan_to_num(ref64) - my, 0.0)
    var = (dx * dx).sum(axis=0)
    ok = (n >= 2) & (var > 0)
    a = np.where(ok, (dx * dy).sum(axis=0) / np.where(var > 0, var, 1.0), 1.0)
    b = np.where(ok, my - a * mx, 0.0)
    return (a * src64 + b).astype(np.float32)


# --------------------------------------------------------------------------------------------
# features: pathway level (GSVA tables)
# --------------------------------------------------------------------------------------------

def pathway_files(pathway_dir: Path, mission: str, db: str) -> list[Path]:
    """``<mission>_gsva_<db>.csv``, or its parts ``<mission>_<part>_gsva_<db>.csv`` (skin MHU-2 halves)."""
    direct = pathway_dir / f"{mission}_gsva_{db}.csv"
    if direct.is_file():
        return [direct]
    return sorted(p for p in pathway_dir.glob(f"{mission}_*_gsva_{db}.csv") if p.is_file())


def read_mission_pathways(pathway_dir: Path, mission: str, db: str) -> tuple[pd.DataFrame | None, dict]:
    """The mission's GSVA table (parts concatenated, duplicate ids keep first) and what was done."""
    files = pathway_files(pathway_dir, mission, db)
    if not files:
        return None, {"files": [], "duplicates_dropped": 0}
    parts = [read_matrix_csv(p, what="pathway score file", allow_duplicate_ids=True) for p in files]
    table = pd.concat(parts, axis=0, join="inner") if len(parts) > 1 else parts[0]
    if len(parts) > 1 and table.shape[1] == 0:
        raise BenchError(f"{files}: the parts of mission {mission} share no pathway column")
    dup = table.index.duplicated(keep="first")
    return table[~dup], {"files": [p.name for p in files], "duplicates_dropped": int(dup.sum())}


def _pathway_matrix(spec: TaskSpec, root: Path,
                    obs: pd.DataFrame) -> tuple[np.ndarray, list[str], np.ndarray, list[dict], dict]:
    """(matrix, pathway ids, joined mask, unjoined samples, join report) for a pathway config."""
    tissue, db = spec.params["tissue"], spec.params["collection"]
    if db not in PATHWAY_DBS:
        raise BenchError(f"task {spec.name}: params.collection must be one of {PATHWAY_DBS}, got {db!r}")
    pathway_dir = Path(root) / "processed" / "pathway_scores" / tissue
    if not pathway_dir.is_dir():
        raise BenchError(f"pathway score folder not found: {pathway_dir} (expected "
                         f"processed/pathway_scores/{tissue}/<MISSION>_gsva_{db}.csv in the upstream layout)")
    missions = list(dict.fromkeys(obs["mission"].tolist()))
    tables, report = {}, {"pathway_dir": f"processed/pathway_scores/{tissue}", "missions": {}}
    for m in missions:
        table, info = read_mission_pathways(pathway_dir, m, db)
        report["missions"][m] = info
        if table is not None:
            tables[m] = table
    if not tables:
        raise BenchError(f"{pathway_dir}: no <MISSION>_gsva_{db}.csv file for any of the missions {missions}")
    first = next(iter(tables.values()))
    common = set.intersection(*(set(t.columns) for t in tables.values()))
    pathway_ids = [c for c in first.columns if c in common]
    if not pathway_ids:
        raise BenchError(f"{pathway_dir}: the {db} tables of missions {list(tables)} share no pathway column")
    report["n_pathways_union"] = len(set.union(*(set(t.columns) for t in tables.values())))
    seen: dict[str, str] = {}
    shared = {}
    for m, t in tables.items():
        for sid in t.index:
            if sid in seen:
                shared.setdefault(f"{m} file", set()).add(seen[sid])
            else:
                seen[sid] = m
    report["ids_also_in_other_mission_files"] = {k: sorted(v) for k, v in shared.items()}
    report["n_pathways_intersection"] = len(pathway_ids)
    X = np.full((len(obs), len(pathway_ids)), np.nan, dtype=np.float32)
    joined = np.zeros(len(obs), dtype=bool)
    unjoined, n_prefix, n_other = [], 0, 0
    for i, (sid, m) in enumerate(zip(obs["sample_id"].astype(str), obs["mission"].astype(str))):
        hit = _lookup(sid, m, tables)
        if hit is None:
            reason = (f"no {db} pathway file for mission {m}" if m not in tables else
                      f"sample id not found in {report['missions'][m]['files']} (nor without a '<prefix>.')")
            unjoined.append({"sample_id": sid, "mission": m, "reason": reason})
            continue
        key, table_mission, stripped = hit
        X[i] = tables[table_mission].loc[key, pathway_ids].to_numpy(dtype=np.float32)
        joined[i] = True
        n_prefix += stripped
        n_other += table_mission != m
    report["n_joined_by_stripping_prefix"] = n_prefix
    report["n_joined_from_other_mission_file"] = n_other
    return X, pathway_ids, joined, unjoined, report


def _lookup(sid: str, mission: str, tables: dict) -> tuple[str, str, bool] | None:
    """Find a sample: its mission's table first, then the others; direct id, then without ``<prefix>.``."""
    order = ([mission] if mission in tables else []) + [m for m in tables if m != mission]
    stripped = sid.split(".", 1)[1] if "." in sid else None
    for m in order:
        index = tables[m].index
        if sid in index:
            return sid, m, False
        if stripped is not None and stripped in index:
            return stripped, m, True
    return None


# --------------------------------------------------------------------------------------------
# assembling the config
# --------------------------------------------------------------------------------------------

def _lomo_folds(rows: list[MissionRows], selected: bool) -> list[dict]:
    out = []
    for r in sorted(rows, key=lambda r: r.fold.name):
        out.append({"name": r.fold.name, "test_mission": r.mission, "test_split": split_name(r.mission),
                    "train_missions": list(r.fold.train_missions),
                    "train_splits": [split_name(m) for m in r.fold.train_missions],
                    "holdout": bool(r.fold.holdout),
                    "selected_features": r.fold.selected_genes() if selected else None})
    return out


def _arrow_splits(obs: pd.DataFrame, X: np.ndarray, meta: dict):
    """{split: datasets.Dataset} with the features as one fixed-length float32 list column."""
    p = X.shape[1]
    table = pa.Table.from_pandas(obs, preserve_index=False)
    classes = meta.get("class_names") or {}
    for column, names in classes.items():   # condition targets: names -> ClassLabel codes (same meaning)
        codes = class_codes(obs[column], names, where=f"{meta['task']}: column {column!r} (label.classes)")
        table = table.set_column(table.schema.get_field_index(column), column, pa.array(codes, type=pa.int64()))
    flat = pa.array(np.ascontiguousarray(X, dtype=np.float32).ravel(), type=pa.float32())
    table = table.append_column(FEATURE_COLUMN, pa.FixedSizeListArray.from_arrays(flat, p))
    features = datasets.Features.from_arrow_schema(table.schema)
    features[FEATURE_COLUMN] = datasets.List(datasets.Value("float32"), length=p)
    if meta.get("label_names"):   # the spec's encoding as a Hub-native ClassLabel (int64, same 0/1 values)
        features["label"] = datasets.ClassLabel(names=list(meta["label_names"]))
    for column, names in classes.items():
        features[column] = datasets.ClassLabel(names=list(names))
    table = table.cast(features.arrow_schema)
    description = json.dumps(meta, default=str)
    content = hashlib.sha256(np.ascontiguousarray(X).tobytes())
    content.update(pd.util.hash_pandas_object(obs.astype(str), index=False).to_numpy().tobytes())
    content.update(description.encode())
    splits = {}
    missions = obs["mission"].astype(str).to_numpy()
    for m in dict.fromkeys(missions):
        idx = np.flatnonzero(missions == m)
        info = datasets.DatasetInfo(description=description, features=features, config_name=meta["task"])
        fingerprint = hashlib.sha256(f"{content.hexdigest()}:{m}".encode()).hexdigest()[:16]
        splits[split_name(m)] = datasets.Dataset(InMemoryTable(table.take(pa.array(idx))), info=info,
                                                 split=split_name(m), fingerprint=fingerprint)
    return splits


def read_rows_and_folds(name: str | TaskSpec, root: str | Path) -> tuple[list[MissionRows], list[dict]]:
    """Labels, metadata and folds of a config, checked (no feature matrices needed).

    Checks every fold's test/train labels and metadata against each other and, for Category B,
    every pair's ``test_y.csv`` against the test mission's samples and labels.
    """
    spec = genelab_spec(name)
    root = Path(root)
    try:
        task_dir = task_dir_for(root, labels_task_dir(spec))
    except BenchError as exc:
        if spec.params.get("variant") and root.is_dir() and (root / "tasks").is_dir():
            raise BenchError(f"{exc} The A1 {spec.params['variant']} variant folder is not in the public "
                             "GitHub snapshot; build it from the Hub or the embedded synthetic default "
                             "(--data-dir synthetic)") from None
        raise
    layout = read_task_layout(task_dir)
    rows = _read_mission_rows(layout)
    _check_train_membership(rows)
    if spec.params.get("category") == "B":
        return rows, _read_pairs(spec, root, rows)
    return rows, _lomo_folds(rows, selected=not is_pathway(spec))


def build_config(name: str | TaskSpec, root: str | Path, *, synthetic: bool = False,
                 origin: str | None = None, progress: bool = True) -> BuildResult:
    """Build one GeneLab config from an upstream-layout root (containing ``tasks/`` and ``processed/``).

    Returns the per-mission splits and the ``bench_config.json`` metadata (feature ids, folds, ...).
    Pathway samples that cannot be joined are warned about and listed in ``unjoined_samples``.
    """
    spec = genelab_spec(name)
    root = Path(root)
    rows, folds = read_rows_and_folds(spec, root)
    category = spec.params.get("category")
    obs = _obs_frame(rows)
    target_rule = _derive_target(spec, obs)
    unjoined, join_report, skipped = [], None, []
    if is_pathway(spec):
        X, feature_ids, joined, unjoined, join_report = _pathway_matrix(spec, root, obs)
        value_transform, kind = "gsva", "pathway"
        if unjoined:
            msg = (f"{spec.name}: {len(unjoined)} sample(s) have no pathway scores and are left out "
                   f"(listed in bench_config.json 'unjoined_samples'): "
                   + ", ".join(f"{u['sample_id']} ({u['mission']})" for u in unjoined[:5])
                   + (" ..." if len(unjoined) > 5 else ""))
            warnings.warn(msg, GeneLabJoinWarning, stacklevel=2)
            log.warning(msg)
        obs, X = obs[joined].reset_index(drop=True), X[joined]
        folds, skipped = _drop_empty_folds(spec, folds, set(obs["mission"].astype(str)))
    else:
        X, feature_ids, value_transform = _gene_matrix(rows, progress=progress)
        kind = "gene"
        if value_transform != "log2_deseq2":
            msg = (f"{spec.name}: fold matrices hold {value_transform} values (z-scored with each fold's TRAIN "
                   "mean/std); bench puts every gene in one fold's frame, so the values are not log2: "
                   "re-standardise on a fold's train split before fitting (this reproduces the upstream matrices)")
            warnings.warn(msg, stacklevel=2)
    if synthetic:
        log.warning("%s: built from bench's deterministic SYNTHETIC GeneLab generator (not real data)", spec.name)
    meta = {
        "task": spec.name, "family": spec.family,
        "description": _card_description(spec, value_transform, unjoined, skipped, synthetic),
        "source": {**spec.source, "origin": origin or "local"}, "license": spec.license, "license_id": license_id(spec),
        "citation": spec.citation, "synthetic": bool(synthetic), "spec_sha256": spec.spec_hash,
        "spec_version": spec.version, "loader_version": LOADER_VERSION,
        "category": category, "level": spec.params.get("level"), "collection": spec.params.get("collection"),
        "tissue": spec.params.get("tissue"), "upstream_task_dir": spec.params.get("task_dir"),
        "label_column": "label", "label_names": label_names(spec),
        "class_names": target_class_names(spec), "domain_column": "mission", "target": spec.params.get("target") or "label",
        "target_derivation": target_rule,
        "feature_column": FEATURE_COLUMN, "feature_kind": kind, "value_transform": value_transform,
        "n_features": len(feature_ids), "feature_ids": feature_ids,
        "feature_ids_sha256": hashlib.sha256("\n".join(feature_ids).encode()).hexdigest(),
        "split_sample_ids_sha256": _split_hashes(obs),
        "missing_feature_values": _missing_per_mission(obs, X),
        "folds": sorted(folds, key=lambda f: f["name"]),
        "unjoined_samples": unjoined, "skipped_folds": skipped, "pathway_join": join_report,
    }
    splits = _arrow_splits(obs, X, meta)
    return BuildResult(splits=splits, meta=meta)


def license_id(spec: TaskSpec) -> str:
    """The card's ``license`` id: ``params.license_id``; built-in tasks ``mit`` (the upstream's); a user
    task's own ``license`` when it is an id (``cc-by-4.0``), else ``other``."""
    if spec.params.get("license_id"):
        return str(spec.params["license_id"])
    if spec.path is not None and Path(spec.path).resolve().is_relative_to(TASKS_DIR):
        return "mit"
    text = str(spec.license).strip()
    return text if re.fullmatch(r"[a-z0-9][a-z0-9.-]*", text) else "other"


def label_names(spec: TaskSpec) -> list[str] | None:
    """Class names by code of the ``label`` column (Flight/Ground) from the spec's ``label.encoding``
    ({1: Flight, 0: Ground} -> [Ground, Flight]); a Category D spec's ``label`` block describes its
    condition target, so its ``label`` column takes the family template's encoding (_genelab.yaml).
    None when the codes are not exactly 0..k-1."""
    label = spec.label or {}
    encoding = (label.get("encoding") if label.get("column", "label") == "label" else _family_label_encoding()) or {}
    try:
        codes = {int(k): str(v) for k, v in encoding.items()}
    except (TypeError, ValueError):
        return None
    if sorted(codes) != list(range(len(codes))) or len(codes) < 2:
        return None
    return [codes[i] for i in range(len(codes))]


@functools.lru_cache(maxsize=1)
def _family_label_encoding() -> dict:
    return dict((read_yaml(TASKS_DIR / "genelab" / "_genelab.yaml", what="task template") or {})["label"]["encoding"])


def target_class_names(spec: TaskSpec) -> dict[str, list[str]]:
    """``{target column: class names}`` of a Category D spec (its ``label.classes``, code i = the i-th
    name); empty for other categories. Raises naming the spec file when the list is missing or malformed."""
    target = spec.params.get("target")
    if spec.params.get("category") != "D" or not target:
        return {}
    classes = (spec.label or {}).get("classes")
    if (not isinstance(classes, list) or len(classes) < 2 or len(set(map(str, classes))) != len(classes)
            or (spec.label or {}).get("column") != target):
        raise BenchError(f"{spec.path}: field 'label.classes' must list the distinct classes (at least two) of the "
                         f"condition target {target!r} (and label.column must be {target!r}); got {classes!r}")
    return {target: [str(c) for c in classes]}


def _card_description(spec: TaskSpec, transform: str, unjoined: list, skipped: list, synthetic: bool) -> str:
    """The task description plus what a reader of the dataset card must know about this build."""
    notes = [spec.description.strip()]
    if synthetic:
        notes.append("Built from bench's deterministic SYNTHETIC generator (upstream layout, not real data).")
    notes.append(f"Feature values: {transform}. One split per mission; folds in bench_config.json.")
    if unjoined:
        notes.append(f"{len(unjoined)} sample(s) had no pathway scores and are not included "
                     "(bench_config.json 'unjoined_samples').")
    if skipped:
        notes.append(f"Skipped folds: {', '.join(f['name'] for f in skipped)}.")
    return " ".join(notes)


def _split_hashes(obs: pd.DataFrame) -> dict:
    """{split: sha256 of its sorted sample ids} (pins each split's membership)."""
    out = {}
    for m, ids in obs.groupby(obs["mission"].astype(str), sort=False)["sample_id"]:
        out[split_name(m)] = hashlib.sha256("\n".join(sorted(ids.astype(str))).encode()).hexdigest()
    return out


def _missing_per_mission(obs: pd.DataFrame, X: np.ndarray) -> dict:
    """{split: number of NaN feature values} (gene level: genes never measured for a holdout sample)."""
    nan_rows = np.isnan(X).sum(axis=1)
    out = pd.Series(nan_rows).groupby(obs["mission"].astype(str).to_numpy()).sum()
    return {split_name(m): int(v) for m, v in out.items()}


def _drop_empty_folds(spec: TaskSpec, folds: list[dict], kept_missions: set[str]) -> tuple[list[dict], list[dict]]:
    """Folds whose test mission lost every sample: holdout folds are skipped (and listed), others fail."""
    out, skipped = [], []
    for f in folds:
        if f["test_mission"] in kept_missions:
            f = dict(f, train_missions=[m for m in f["train_missions"] if m in kept_missions])
            f["train_splits"] = [split_name(m) for m in f["train_missions"]]
            out.append(f)
        elif f["holdout"]:
            skipped.append({"name": f["name"], "reason": f"no sample of {f['test_mission']} joined its pathway scores"})
        else:
            raise BenchError(f"task {spec.name}: no sample of mission {f['test_mission']} could be joined to "
                             f"its pathway scores, so fold {f['name']} cannot be built")
    return out, skipped


# --------------------------------------------------------------------------------------------
# source fingerprint (cache validity)
# --------------------------------------------------------------------------------------------

def source_files(spec: TaskSpec, root: Path) -> list[Path]:
    """Every upstream file a config depends on (for the cache fingerprint)."""
    root = Path(root)
    files: list[Path] = []
    for d in needed_task_dirs(spec):
        try:
            files += sorted(p for p in task_dir_for(root, d).rglob("*") if p.is_file())
        except BenchError:
            pass
    if is_pathway(spec):
        pdir = root / "processed" / "pathway_scores" / str(spec.params.get("tissue"))
        files += sorted(pdir.glob(f"*_gsva_{spec.params.get('collection')}.csv"))
    return files


# ------------------------------------------------------------------------------ family contract
def build(spec: TaskSpec, source: Source) -> list[BuiltConfig]:
    """The family contract: ``spec`` as one config, with the source fingerprint the build cache checks."""
    result = build_config(spec, source.root, synthetic=source.synthetic, origin=source.origin)
    return [BuiltConfig(spec.name, result.splits, dict(result.meta))]


#: ``bench build`` words for groups of GeneLab tasks: every task, a category, a feature level.
TASK_GROUPS = {"all": {}, "A": {"category": "A"}, "B": {"category": "B"}, "D": {"category": "D"},
               "gene": {"level": "gene"}, "pathway": {"level": "pathway"}}


def task_groups(word: str) -> list[str] | None:
    """The GeneLab tasks ``bench build WORD`` stands for (the family hook), None for another word."""
    if word not in TASK_GROUPS:
        return None
    wanted = TASK_GROUPS[word]
    return [s.name for s in list_tasks("genelab") if all(s.params.get(k) == v for k, v in wanted.items())]
