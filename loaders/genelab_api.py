"""Public GeneLab data API (re-exported by :mod:`bench.loaders`): load, config_meta, folds,
get_fold, to_numpy, resolve_data_dir. See the data contract in the README section "GeneLab".
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from bench.errors import BenchError, close_matches_hint
from bench.loaders import hub_repo
from bench.loaders.cache import bench_cache_dir
from bench.loaders.genelab import (
    FEATURE_COLUMN, HUB_REPO, build_config, genelab_spec, is_pathway, needed_task_dirs, source_fingerprint,
    source_key,
)
from bench.tasks import TaskSpec, list_tasks

log = logging.getLogger("bench.genelab")
SYNTHETIC = "synthetic"


class SyntheticDataWarning(UserWarning):
    """Data comes from bench's synthetic generator, not from real measurements."""


# --------------------------------------------------------------------------------------------
# where the upstream layout comes from
# --------------------------------------------------------------------------------------------

def hub_offline() -> bool:
    """True when the Hugging Face Hub must not be contacted (``HF_HUB_OFFLINE``)."""
    try:
        from huggingface_hub import constants
        return bool(constants.HF_HUB_OFFLINE)
    except ImportError:  # pragma: no cover
        return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def hub_patterns(spec: TaskSpec | None) -> tuple[list[str], list[str]]:
    """(allow_patterns, ignore_patterns) for a task's folders (with or without a ``tasks/`` prefix)
    and pathway files; every task's labels/metadata (no matrices) when ``spec`` is None."""
    specs = [spec] if spec is not None else list_tasks("genelab")
    allow: list[str] = []
    for s in specs:
        for d in needed_task_dirs(s):
            allow += [f"{d}/*", f"tasks/{d}/*"]
        if is_pathway(s):
            allow.append(f"processed/pathway_scores/{s.params['tissue']}/*_gsva_{s.params['collection']}.csv")
    if spec is None:
        allow.append("processed/pathway_scores/*")
    ignore = ["*_X.csv"] if spec is None or is_pathway(spec) else []
    return list(dict.fromkeys(allow)), ignore


def download_from_hub(spec: TaskSpec | None, *, cache_dir: str | os.PathLike | None = None) -> Path:
    """Download a task's upstream folders from the Hub dataset ``jang1563/genelab-benchmark``.

    Returns the snapshot root (an upstream-layout root). Raises the huggingface_hub error when the
    Hub is unreachable.
    """
    from huggingface_hub import snapshot_download

    allow, ignore = hub_patterns(spec)
    path = snapshot_download(repo_id=HUB_REPO, repo_type="dataset", allow_patterns=allow,
                             ignore_patterns=ignore or None, cache_dir=cache_dir)
    return Path(path)


def _synthetic_root(spec: TaskSpec | None, *, progress: bool = True) -> Path:
    from bench.loaders.genelab_synthetic import ensure_all_labels, ensure_synthetic

    if spec is None:
        return ensure_all_labels()
    return ensure_synthetic(spec, progress=progress)


def _is_synthetic_root(root: Path, spec: TaskSpec | None) -> bool:
    from bench.loaders.genelab_layout import task_dir_for

    dirs = needed_task_dirs(spec)[:1] if spec is not None else []
    for d in dirs:
        try:
            info = task_dir_for(root, d) / "task_info.json"
        except BenchError:
            return False
        if info.is_file():
            try:
                return bool(json.loads(info.read_text()).get("synthetic", False))
            except json.JSONDecodeError:
                return False
    return False


def synthetic_origin(root: Path, spec: TaskSpec | None) -> str:
    """Portable origin text of a synthetic root: ``synthetic:genelab-v3-seed0`` (the generator
    version and seed from its task_info.json; roots of generator v2 did not record them)."""
    from bench.loaders.genelab_layout import task_dir_for

    for d in (needed_task_dirs(spec)[:1] if spec is not None else []):
        try:
            info = json.loads((task_dir_for(root, d) / "task_info.json").read_text())
        except (BenchError, OSError, json.JSONDecodeError):
            continue
        gen = info.get("generator") or {}
        if gen.get("version") is not None:
            name = f"genelab-v{gen['version']}-seed{gen.get('seed', '?')}"
            effect = (gen.get("params") or {}).get("flight_effect")
            return f"synthetic:{name}" + ("" if gen.get("default_effect", True) else f"-flight{effect:g}")
        return f"synthetic:{info.get('generated_by', 'genelab (generator version not recorded)')}"
    return "synthetic:genelab (generator version not recorded)"


def _source(spec: TaskSpec | None, data_dir, *, progress: bool = True) -> tuple[Path, bool, str]:
    """(upstream-layout root, synthetic?, origin text) for ``data_dir`` (None = Hub, else synthetic)."""
    if data_dir is not None and str(data_dir) != SYNTHETIC:
        root = Path(data_dir).expanduser()
        if not root.is_dir():
            raise BenchError(f"data dir not found: {root} (expected a GeneLab upstream checkout with "
                             "tasks/ and processed/, or a repo built by `bench build`)")
        synthetic = _is_synthetic_root(root, spec)
        return root, synthetic, synthetic_origin(root, spec) if synthetic else "local"
    if data_dir is None and not hub_offline():
        try:
            root = download_from_hub(spec)
            return root, _is_synthetic_root(root, spec), f"hub:{HUB_REPO}@{root.name}"
        except OSError as exc:  # every huggingface_hub network/HTTP/cache error is an OSError: fall back, loudly
            warnings.warn(f"the Hugging Face Hub dataset {HUB_REPO} is unreachable ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}); using bench's embedded SYNTHETIC "
                          "GeneLab data instead", SyntheticDataWarning, stacklevel=3)
    root = _synthetic_root(spec, progress=progress)
    return root, True, synthetic_origin(root, spec)


def resolve_data_dir(data_dir: str | os.PathLike | None = None, *, task: str | None = None) -> Path:
    """The upstream-layout root to read labels from.

    ``data_dir`` as given (checked to exist); ``"synthetic"`` or None offline: the embedded
    deterministic synthetic root under the bench cache, generated on demand (for ``task`` only, or
    every task's labels when ``task`` is None); None online: the Hub snapshot.
    """
    spec = genelab_spec(task) if task is not None else None
    root, synthetic, _ = _source(spec, data_dir, progress=False)
    if synthetic and data_dir is None:
        log.warning("GeneLab data dir: embedded SYNTHETIC default at %s", root)
    return root


# --------------------------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------------------------

def is_built_repo(path: str | os.PathLike) -> bool:
    """True if ``path`` is a repository written by ``bench build``: README.md ``configs:`` whose
    folders hold ``bench_config.json`` (an upstream Hub snapshot's own card does not count)."""
    p = Path(path)
    if not (p.is_dir() and (p / "README.md").is_file()):
        return False
    try:
        configs = hub_repo.list_configs(p)
    except BenchError:
        return False
    return any((p / c / hub_repo.CONFIG_META).is_file() for c in configs)


def read_built(repo_dir: str | os.PathLike, config: str):
    """Read one config of a built repository into a DatasetDict carrying its bench metadata."""
    import datasets
    import pyarrow.parquet as pq
    from datasets.table import InMemoryTable

    repo = Path(repo_dir)
    if not (repo / config / hub_repo.CONFIG_META).is_file():    # the folder, not README, is the truth
        configs = hub_repo.list_configs(repo)
        raise BenchError(f"{repo}: no config {config!r} in README.md configs:{close_matches_hint(config, configs)} "
                         f"Available: {', '.join(configs) or '(none)'}; "
                         f"build it with `bench build {config} --out {repo}`")
    meta_path = repo / config / hub_repo.CONFIG_META
    description = meta_path.read_text(encoding="utf-8")      # the JSON text itself, parsed once (cached)
    try:
        meta = _parse_meta(description)
    except json.JSONDecodeError as exc:
        raise BenchError(f"{meta_path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    out = datasets.DatasetDict()
    records = meta.get(hub_repo.DATA_FILES_KEY) or {}
    for split in meta.get("splits", {}):
        path = repo / config / hub_repo.split_file_name(split)
        if not path.is_file():
            raise BenchError(f"{path}: split file of {config}/{split} is missing (listed in bench_config.json)")
        if path.name in records:
            hub_repo.verify_data_file(path, records[path.name], config=config)
        table = pq.read_table(path, memory_map=True)
        info = datasets.DatasetInfo(description=description, features=datasets.Features.from_arrow_schema(table.schema),
                                    config_name=config)
        st = path.stat()
        # an explicit fingerprint (file identity) avoids datasets hashing the whole table
        fingerprint = hashlib.sha256(f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
        out[split] = datasets.Dataset(InMemoryTable(table), info=info, split=split, fingerprint=fingerprint)
    if meta.get("synthetic"):
        warnings.warn(f"{config}: SYNTHETIC data (bench's deterministic generator), not real measurements",
                      SyntheticDataWarning, stacklevel=3)
    return out


def load(name: str, *, data_dir: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None,
         rebuild: bool = False):
    """Load a GeneLab registry config as a ``datasets.DatasetDict`` with one split per mission.

    ``data_dir``: a local upstream checkout (root containing ``tasks/`` and ``processed/``), a repo
    built by ``bench build``, or ``"synthetic"``; None = the Hub ``jang1563/genelab-benchmark`` when
    online, else the embedded deterministic synthetic default (which says so). Built configs are
    cached under ``cache_dir`` (default ``<bench cache>/genelab_built``) and rebuilt when the source
    files or the task spec change (or ``rebuild=True``).
    """
    spec = genelab_spec(name)
    if data_dir is not None and str(data_dir) != SYNTHETIC and is_built_repo(data_dir):
        return read_built(data_dir, spec.name)
    root, synthetic, origin = _source(spec, data_dir)
    repo = Path(cache_dir) if cache_dir else bench_cache_dir() / "genelab_built"
    repo = repo / source_key(root, synthetic=synthetic)
    fingerprint = source_fingerprint(spec, root)
    meta_path = repo / spec.name / hub_repo.CONFIG_META
    if not rebuild and meta_path.is_file():
        try:
            cached = json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            cached = {}
        if cached.get("source_fingerprint") == fingerprint:
            return read_built(repo, spec.name)
    write_built(spec, root, repo, synthetic=synthetic, origin=origin, fingerprint=fingerprint)
    return read_built(repo, spec.name)


def write_built(spec: TaskSpec, root: Path, repo: Path, *, synthetic: bool, origin: str,
                fingerprint: str | None = None, progress: bool = True) -> Path:
    """Build ``spec`` from ``root`` and write it as one config of the HF repository ``repo``."""
    from datasets.utils import logging as ds_logging

    result = build_config(spec, root, synthetic=synthetic, origin=origin, progress=progress)
    meta = dict(result.meta, source_fingerprint=fingerprint or source_fingerprint(spec, root))
    bars_on = ds_logging.is_progress_bar_enabled()
    ds_logging.disable_progress_bar()          # one parquet bar per split is noise here
    try:
        return hub_repo.write_config(repo, spec.name, result.splits, meta=meta)
    finally:
        if bars_on:
            ds_logging.enable_progress_bar()


# --------------------------------------------------------------------------------------------
# metadata, folds, numpy
# --------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=32)
def _parse_meta(description: str) -> dict:
    return json.loads(description)


@functools.lru_cache(maxsize=32)
def _feature_positions(description: str) -> dict:
    return {g: i for i, g in enumerate(_parse_meta(description)["feature_ids"])}


@functools.lru_cache(maxsize=64)
def _fold_selection_index(description: str, fold_name: str) -> np.ndarray:
    fold = next(f for f in _parse_meta(description)["folds"] if f["name"] == fold_name)
    pos = _feature_positions(description)
    return np.fromiter((pos[g] for g in fold["selected_features"]), dtype=np.intp)


def _selection_index(description: str, meta: dict, features: list[str]) -> np.ndarray:
    """Column positions of ``features``; a fold's own ``selected_features`` list hits a cache."""
    for f in meta["folds"]:
        if features is f.get("selected_features"):
            return _fold_selection_index(description, f["name"])
    pos = _feature_positions(description)
    unknown = [g for g in features if g not in pos]
    if unknown:
        raise BenchError(f"to_numpy: feature id(s) {unknown[:5]} are not in config {meta.get('task')} "
                         f"({len(pos)} features; see config_meta(...)['feature_ids'])")
    return np.fromiter((pos[g] for g in features), dtype=np.intp, count=len(features))


def _description(ds) -> str:
    import datasets

    if isinstance(ds, (datasets.DatasetDict, dict)):
        ds = next(iter(ds.values()))
    return ds.info.description or ""


def config_meta(dsd_or_split, *, repo_dir: str | os.PathLike | None = None) -> dict:
    """The config's ``bench_config.json`` dict (feature_ids, folds, synthetic, ...).

    Works on what :func:`load` returns (and splits, folds and selections of it). For a dataset
    loaded with ``datasets.load_dataset(<repo>, <config>)`` pass ``repo_dir=<repo>``.
    """
    import datasets

    ds = dsd_or_split
    if isinstance(ds, (datasets.DatasetDict, dict)):
        if not ds:
            raise BenchError("config_meta: empty DatasetDict")
        ds = next(iter(ds.values()))
    if not isinstance(ds, datasets.Dataset):
        raise BenchError(f"config_meta: expected a datasets.Dataset or DatasetDict, got {type(dsd_or_split).__name__}")
    if repo_dir is not None:
        return hub_repo.read_config_meta(repo_dir, ds.info.config_name)
    desc = ds.info.description or ""
    try:
        meta = _parse_meta(desc)
    except json.JSONDecodeError:
        meta = None
    if not isinstance(meta, dict) or not ({"feature_ids", "config_name"} & set(meta)):
        raise BenchError("this dataset carries no bench metadata (feature ids, folds): load it with "
                         "bench.loaders.load(name, data_dir=...) or pass repo_dir=<built repo> "
                         "(datasets.load_dataset does not keep bench_config.json)")
    return dict(meta)


def folds(dsd) -> list[dict]:
    """The config's folds: {name, test_mission, test_split, train_missions, train_splits, holdout,
    selected_features}, sorted by fold name (the upstream evaluator's order)."""
    return list(config_meta(dsd)["folds"])


def _find_fold(meta: dict, fold: str) -> dict:
    all_folds = meta["folds"]
    for f in all_folds:
        if f["name"] == fold:
            return f
    if meta.get("category") != "B":
        for holdout in (False, True):
            for f in all_folds:
                if f["holdout"] == holdout and fold in (f["test_mission"], f["test_split"]):
                    return f
    names = [f["name"] for f in all_folds]
    raise BenchError(f"unknown fold {fold!r} for task {meta.get('task')}.{close_matches_hint(fold, names)} "
                     f"Folds: {', '.join(names)}")


def get_fold(dsd, fold: str):
    """(train, test) Datasets of one fold: test = the test mission's split, train = its train splits.

    ``fold``: an upstream fold name (``fold_RR-7_test``, ``pair_RR-1_RR-3``) or, for LOMO, the
    mission (``RR-7``) or split name (``rr_7``).
    """
    import datasets

    meta = config_meta(dsd)
    f = _find_fold(meta, fold)
    missing = [s for s in [f["test_split"], *f["train_splits"]] if s not in dsd]
    if missing:
        raise BenchError(f"fold {f['name']}: split(s) {missing} are not in this DatasetDict ({list(dsd)})")
    parts = [dsd[s] for s in f["train_splits"]]
    train = parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)
    return train, dsd[f["test_split"]]


def to_numpy(ds, *, features: list[str] | None = None) -> tuple[np.ndarray, list[str], pd.DataFrame]:
    """(X float32 [n, p'], feature ids, obs) of one split or fold side.

    ``obs`` holds every non-feature column (sample_id, mission, label, metadata), index = sample id.
    ``features``: ids to select, in that order (e.g. a fold's ``selected_features``).
    """
    import datasets

    if isinstance(ds, datasets.DatasetDict):
        raise BenchError(f"to_numpy: pass one split (e.g. dsd[{next(iter(ds), 'split')!r}]) or a side of get_fold, "
                         "not the whole DatasetDict")
    meta = config_meta(ds)
    if "feature_ids" not in meta:
        raise BenchError(f"to_numpy: config {meta.get('config_name', '?')!r} has no feature vector "
                         "(a labels-only config); its columns are plain data: use ds.to_pandas()")
    column = meta.get("feature_column", FEATURE_COLUMN)
    ids = list(meta["feature_ids"])
    table = ds.data.table if ds._indices is None else ds.with_format("arrow")[:]
    n, p = table.num_rows, len(ids)
    index_column = meta.get("feature_index_column")
    if index_column:   # sparse rows (single-cell): (feature index list, value list) per row
        X = _dense_from_sparse(table.column(index_column).combine_chunks(), table.column(column).combine_chunks(), n, p)
        drop = [column, index_column]
    else:
        values = table.column(column).combine_chunks()
        X = values.flatten().to_numpy(zero_copy_only=False).reshape(n, p) if n else np.zeros((0, p), np.float32)
        drop = [column]
    X = X.astype(np.float32, copy=False)
    if features is not None:
        X = X[:, _selection_index(_description(ds), meta, features)]
        ids = list(features)
    obs = table.drop_columns(drop).to_pandas()
    id_column = next((c for c in ID_COLUMNS if c in obs.columns), None)
    if id_column is not None:
        obs.index = pd.Index(obs[id_column].astype(str).to_numpy())
    return X, ids, obs


ID_COLUMNS = ("sample_id", "cell_id", "GSM_ID")


def _dense_from_sparse(index_lists, value_lists, n: int, p: int) -> np.ndarray:
    """Dense float32 [n, p] from per-row (feature index, value) list columns."""
    X = np.zeros((n, p), dtype=np.float32)
    offsets = index_lists.offsets.to_numpy()
    rows = np.repeat(np.arange(n), np.diff(offsets))
    cols = index_lists.flatten().to_numpy(zero_copy_only=False)
    if cols.size and (cols.min() < 0 or cols.max() >= p):
        raise BenchError(f"to_numpy: feature index out of range [0, {p}) in the sparse rows")
    X[rows, cols] = value_lists.flatten().to_numpy(zero_copy_only=False)
    return X
