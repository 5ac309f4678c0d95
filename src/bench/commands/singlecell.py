"""``bench evaluate-embedding``: score any model's cell embedding on every single-cell metric.

Rows of the embedding (.npy, cells x dims) are aligned one to one with the rows of the obs
table (.csv); ``--label-key`` names the cell-type column, ``--batch-key`` (optional) the batch or
species column for the integration metrics.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from bench import __version__
from bench.errors import BenchError, close_matches_hint
from bench.io import sha256_file, write_json_atomic
from bench.scheduler import add_scheduler_argument, parse_scheduler, scheduler


def register(sub) -> None:
    p = sub.add_parser("evaluate-embedding", help="score a cell embedding (.npy) on the single-cell metrics")
    p.add_argument("embedding", metavar="EMB.npy", help="cells x dims float array saved with numpy.save")
    p.add_argument("--obs", required=True, metavar="OBS.csv", help="per-cell table, rows aligned with EMB.npy")
    p.add_argument("--label-key", required=True, help="obs column with the cell labels (e.g. cell_type)")
    p.add_argument("--batch-key", default=None, help="obs column with batch/species labels (adds integration)")
    p.add_argument("--tasks", nargs="+", default=None, metavar="TASK",
                   help="subset of: clustering embedding label_prediction integration (default: all applicable)")
    p.add_argument("--seed", type=int, default=42, help="random_state of Leiden, CV folds and RF (default 42)")
    p.add_argument("--json", default=None, metavar="OUT", help="also write the results as JSON")
    add_scheduler_argument(p)
    p.set_defaults(handler=cmd_evaluate_embedding)


def read_embedding(path: str | Path) -> np.ndarray:
    """A 2-D numeric array from a .npy file (never unpickles)."""
    path = Path(path)
    if not path.is_file():
        raise BenchError(f"EMB.npy: file not found: {path}")
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise BenchError(f"EMB.npy: {path} is not a numeric .npy array ({exc})") from None
    if arr.dtype.kind not in "iuf":
        raise BenchError(f"EMB.npy: {path} holds dtype {arr.dtype}, expected real numbers (int or float)")
    if arr.ndim != 2:
        raise BenchError(f"EMB.npy: {path} has shape {arr.shape}, expected (n_cells, n_dims)")
    return arr


def read_obs(path: str | Path):
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise BenchError(f"--obs: file not found: {path}")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=True)
    except (ValueError, pd.errors.ParserError) as exc:
        raise BenchError(f"--obs: {path} is not a readable CSV ({exc})") from None


def obs_column(obs, key: str, *, option: str, path) -> np.ndarray:
    if key not in obs.columns:
        raise BenchError(f"{option} {key!r} is not a column of {path}.{close_matches_hint(key, obs.columns)} "
                         f"Columns: {', '.join(map(str, obs.columns[:20]))}")
    col = obs[key]
    if col.isna().any():
        rows = np.flatnonzero(col.isna().to_numpy())
        raise BenchError(f"{option} {key!r}: {len(rows)} empty value(s) in {path} (first data rows: {rows[:5].tolist()})")
    return col.to_numpy(dtype=object)


def cmd_evaluate_embedding(args) -> int:
    from bench.metrics.singlecell import format_rows, score_embedding

    parse_scheduler(args.scheduler)  # a bad --scheduler is refused before any work
    X = read_embedding(args.embedding)
    obs = read_obs(args.obs)
    if len(obs) != len(X):
        raise BenchError(f"EMB.npy has {len(X)} rows but --obs {args.obs} has {len(obs)} rows; "
                         "they must describe the same cells in the same order")
    labels = obs_column(obs, args.label_key, option="--label-key", path=args.obs)
    batches = obs_column(obs, args.batch_key, option="--batch-key", path=args.obs) if args.batch_key else None
    start = time.perf_counter()
    try:
        with scheduler(args.scheduler):
            rows = score_embedding(X, labels, batches=batches, tasks=args.tasks, random_state=args.seed)
    except BenchError as exc:  # name the CLI options rather than the Python arguments
        msg = str(exc)
        msg = msg.replace("labels:", f"--label-key {args.label_key!r}:", 1) if msg.startswith("labels:") else msg
        msg = msg.replace("batch:", f"--batch-key {args.batch_key!r}:", 1) if msg.startswith("batch:") else msg
        msg = msg.replace("embedding:", f"EMB.npy {args.embedding}:", 1) if msg.startswith("embedding:") else msg
        raise BenchError(msg) from None
    print(format_rows(rows))
    if args.json:
        write_json_atomic(args.json, {
            "bench_version": __version__, "embedding": str(args.embedding), "embedding_sha256": sha256_file(args.embedding),
            "obs": str(args.obs), "obs_sha256": sha256_file(args.obs), "n_cells": int(X.shape[0]),
            "n_dims": int(X.shape[1]), "label_key": args.label_key, "batch_key": args.batch_key,
            "random_state": args.seed, "seconds": round(time.perf_counter() - start, 3), "results": rows,
        })
    return 0


