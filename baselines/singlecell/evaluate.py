"""``bench evaluate pbmc68k EMB.npy --obs OBS.csv`` or ``bench evaluate pbmc68k cells.h5ad --obsm X_pca X_scvi``:
score any model's cell embedding(s) on every applicable single-cell metric. Several ``--obsm`` keys
are scored on the same cells and printed side by side (one column per embedding, as scib-metrics'
Benchmarker); one :class:`bench.baselines.report.Result`.

Rows of an ``.npy`` embedding (cells x dims) align one to one with the rows of the obs table
(.csv). ``--label-key`` (default: the task's label column) names the cell-type column,
``--batch-key`` (default: the task's batch key, if any) the batch or species column for the
integration metrics.
"""
from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from bench.baselines.report import Result, format_table, provenance, summary
from bench.baselines.singlecell.models import subtasks
from bench.baselines.singlecell.records import SC_CELLS, SC_EMBEDDING, cells_table, primary_value, singlecell_record
from bench.baselines.singlecell.run import rows_text
from bench.errors import BenchError, close_matches_hint
from bench.loaders.singlecell.source import read_source_anndata
from bench.metrics.alarms import gene_universe_alarm
from bench.metrics.singlecell import score_embedding

#: An .h5ad whose genes are less than this share genes of the task's data raises the gene_universe alarm.
GENE_OVERLAP = 0.5


def read_embedding(path: str | Path) -> np.ndarray:
    """A 2-D numeric array from a .npy file (never unpickles)."""
    path = Path(path)
    if not path.is_file():
        raise BenchError(f"EMB.npy: file not found: {path}")
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:  # EOFError: an empty or cut-short file
        raise BenchError(f"EMB.npy: {path} is not a numeric .npy array ({exc or type(exc).__name__})") from None
    return check_matrix(arr, f"EMB.npy: {path}")


def check_matrix(arr, where: str) -> np.ndarray:
    if arr.dtype.kind not in "iuf":
        raise BenchError(f"{where} holds dtype {arr.dtype}, expected real numbers (int or float)")
    if arr.ndim != 2:
        raise BenchError(f"{where} has shape {arr.shape}, expected (n_cells, n_dims)")
    return arr


def read_obs(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise BenchError(f"--obs: file not found: {path}")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=True)
    except (ValueError, pd.errors.ParserError) as exc:
        raise BenchError(f"--obs: {path} is not a readable CSV ({exc})") from None


def read_h5ad(path: Path, keys: list[str]) -> tuple[dict[str, np.ndarray], pd.DataFrame, list[str]]:
    """``{key: adata.obsm[key]}``, ``adata.obs`` (with its index as ``cell_id`` when obs has no such
    column) and ``adata.var_names`` of an .h5ad (anndata reads HDF5; nothing is unpickled)."""
    import anndata  # optional extra: bench[singlecell]

    try:
        adata = anndata.read_h5ad(path, backed="r")
    except Exception as exc:  # anndata raises anything on a foreign HDF5 layout (AttributeError, TypeError, ...)
        raise BenchError(f"PREDICTIONS: {path} is not a readable .h5ad file ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else 'no details'})") from None
    if not keys:
        raise BenchError(f"--obsm: name the embedding(s) to score in {path.name}; it has: "
                         f"{', '.join(adata.obsm.keys()) or 'no obsm entries'}")
    missing = [k for k in keys if k not in adata.obsm]
    if missing:
        raise BenchError(f"--obsm {missing[0]!r} is not in {path.name}.{close_matches_hint(missing[0], adata.obsm.keys())} "
                         f"obsm keys: {', '.join(adata.obsm.keys())}")
    embeddings = {k: check_matrix(np.asarray(adata.obsm[k]), f"--obsm {k!r} in {path.name}") for k in keys}
    obs = adata.obs.astype(str).where(adata.obs.notna(), None)
    if "cell_id" not in obs.columns:
        obs.insert(0, "cell_id", [str(c) for c in adata.obs_names])
    return embeddings, obs.reset_index(drop=True), [str(g) for g in adata.var_names]


def obs_column(obs: pd.DataFrame, key: str, *, option: str, path) -> np.ndarray:
    if key not in obs.columns:
        raise BenchError(f"{option} {key!r} is not a column of {path}.{close_matches_hint(key, obs.columns)} "
                         f"Columns: {', '.join(map(str, obs.columns[:20]))}")
    col = obs[key]
    if col.isna().any():
        rows = np.flatnonzero(col.isna().to_numpy())
        raise BenchError(f"{option} {key!r}: {len(rows)} empty value(s) in {path} (first data rows: {rows[:5].tolist()})")
    return col.to_numpy(dtype=object)


def read_inputs(predictions, *, obs=None, obsm=None) -> tuple[dict[str, np.ndarray], pd.DataFrame, str, list | None]:
    """(embeddings by name, obs table, obs source name, the .h5ad's genes or None) from an .npy + --obs,
    or an .h5ad + --obsm."""
    path = Path(predictions)
    if path.suffix == ".h5ad":
        if obs is not None:
            raise BenchError("--obs is for an .npy embedding; an .h5ad carries its own obs table")
        embeddings, table, genes = read_h5ad(path, list(obsm or []))
        return embeddings, table, path.name, genes
    if obsm:
        raise BenchError(f"--obsm needs an .h5ad file; {path.name} is not one (an .npy is scored with --obs)")
    if obs is None:
        raise BenchError("--obs OBS.csv is required with an .npy embedding (one row per cell, same order)")
    X = read_embedding(path)
    table = read_obs(obs)
    if len(table) != len(X):
        raise BenchError(f"EMB.npy has {len(X)} rows but --obs {obs} has {len(table)} rows; "
                         "they must describe the same cells in the same order")
    return {path.stem: X}, table, str(obs), None


def cell_ids(table: pd.DataFrame) -> list[str]:
    """Cell ids of the obs rows: its ``cell_id`` column, else its first column when unique (a saved
    index), else the row numbers (``row0``, ``row1``, ...)."""
    for column in (["cell_id"] if "cell_id" in table.columns else []) + list(table.columns[:1]):
        values = table[column].astype(str)
        if values.is_unique and table[column].notna().all():
            return values.tolist()
    return [f"row{i}" for i in range(len(table))]


def data_genes(spec, data_dir) -> list[str] | None:
    """The genes of the task's data (None when the data cannot be read here)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [str(g) for g in read_source_anndata(spec, data_dir=data_dir).var_names]
    except (BenchError, OSError, ImportError, KeyError, ValueError):
        return None


def gene_universe_alarms(spec, genes: list[str] | None, data_dir) -> list[dict]:
    """The .h5ad's genes against the task data's: an alarm when fewer than half are genes of the data
    (another identifier type or organism; an embedding of other data)."""
    if not genes or spec is None:
        return []
    universe = data_genes(spec, data_dir)
    if universe is None:
        return []
    return [a.to_dict() for a in gene_universe_alarm(genes, universe, what="genes (var_names) of the .h5ad",
                                                     min_overlap=GENE_OVERLAP)]


def score(name: str, X, labels, batches, *, tasks, seed: int) -> list[dict]:
    """score_embedding; an embedding error names which embedding (labels/batch errors keep their
    ``field``, which the CLI prints as --label-key / --batch-key)."""
    try:
        return score_embedding(X, labels, batches=batches, tasks=tasks, random_state=seed)
    except BenchError as exc:
        if getattr(exc, "field", None) != "embedding":
            raise
        raise BenchError(f"embedding {name!r}{str(exc)[len('embedding'):]}", field="predictions") from None


def side_by_side(results: dict[str, list[dict]]) -> list[dict]:
    """One row per (task, metric, params), one column per embedding (scib-metrics Benchmarker style)."""
    table: dict[tuple, dict] = {}
    for name, rows in results.items():
        for r in rows:
            params = ",".join(f"{k}={v}" for k, v in r["params"].items())
            table.setdefault((r["task"], r["metric"], params),
                             {"task": r["task"], "metric": r["metric"], "params": params})[name] = r["value"]
    return list(table.values())


def add_arguments(parser) -> None:
    """Single-cell options of ``bench evaluate`` (the family hook; each reaches :func:`evaluate` by its dest)."""
    g = parser.add_argument_group("single-cell")
    g.add_argument("--obs", default=None, metavar="OBS.csv", help="per-cell table, rows aligned with EMB.npy")
    g.add_argument("--obsm", nargs="+", default=None, metavar="KEY", help="embedding(s) of an .h5ad to score")
    g.add_argument("--label-key", default=None, help="obs column with the cell labels (default: the task's)")
    g.add_argument("--batch-key", default=None, help="obs column with batch/species labels (adds integration)")
    g.add_argument("--tasks", nargs="+", default=None, metavar="KIND",
                   help="subset of: clustering embedding label_prediction integration (default: the task's)")


def evaluate(spec, predictions, *, obs=None, obsm=None, label_key: str | None = None, batch_key: str | None = None,
             tasks=None, seed: int = 42, data_dir=None, command=None) -> Result:
    """Score every embedding of ``predictions`` on the task's metrics (or ``tasks``). With one
    embedding the Result carries its verifiable record (``record.json``, ``embedding.npy``, ``obs.csv``)."""
    started = time.perf_counter()
    label_key = label_key or (spec.label.get("column") if spec is not None else None)
    if not label_key:
        raise BenchError("--label-key is required (the obs column with the cell labels)")
    batch_key = batch_key or (spec.params.get("batch_key") if spec is not None else None)
    if tasks is None and spec is not None:
        kinds = [t.params.get("kind") for t in subtasks(spec)]
        if "perturbation" in kinds:
            raise BenchError(f"task {spec.name} scores perturbation predictions, not embeddings; use `bench run "
                             f"{spec.name} --model control_median` (no evaluate input format yet)")
        tasks = [k for k in dict.fromkeys(kinds) if k != "integration" or batch_key]
    embeddings, table, obs_name, genes = read_inputs(predictions, obs=obs, obsm=obsm)
    alarms = gene_universe_alarms(spec, genes, data_dir)
    labels = obs_column(table, label_key, option="--label-key", path=obs_name)
    batches = obs_column(table, batch_key, option="--batch-key", path=obs_name) if batch_key else None
    results = {name: score(name, X, labels, batches, tasks=tasks, seed=seed) for name, X in embeddings.items()}
    metric = spec.metric["primary"] if spec is not None else "silhouette_score"
    values = {name: primary_value(rows, metric) for name, rows in results.items()}
    single = len(results) == 1
    inputs = {"predictions": Path(predictions)} | ({"obs": Path(obs)} if obs is not None else {})
    files, notes = {}, [f"alarm [{a['id']}] {a['message']}" for a in alarms]
    if single and spec is not None:
        (name, X), = embeddings.items()
        cells = cells_table(cell_ids(table), labels, batches, label_key, batch_key)
        files = {SC_EMBEDDING: np.asarray(X), SC_CELLS: cells, "record.json": singlecell_record(
            spec, X=np.asarray(X), cells=cells, rows=results[name], tasks=tasks, seed=seed, label_key=label_key,
            batch_key=batch_key, metric=metric, model={"id": name}, synthetic=False, origin="local", alarms=alarms,
            runtime_seconds=time.perf_counter() - started, command=command)}
    elif not single:
        notes.append("no result record: a record holds one embedding (score one --obsm key to get one)")
    return Result(
        task=spec.name if spec is not None else "embedding", family="singlecell",
        summary=summary(metric, next(iter(values.values())), per_fold={} if single else values,
                        embeddings={name: {f"{r['task']}/{r['metric']}"
                                           + (f"[{r['params']['classifier']}]" if "classifier" in r["params"] else ""):
                                           r["value"] for r in rows} for name, rows in results.items()}),
        settings={"label_key": label_key, "batch_key": batch_key, "tasks": tasks,
                  "embeddings": {name: list(X.shape) for name, X in embeddings.items()}, "alarms": alarms},
        tables={"results": side_by_side(results)}, files=files, notes=notes,
        text=rows_text(next(iter(results.values()))) if single else format_table(side_by_side(results), digits=4),
        provenance=provenance(spec, seed=seed, synthetic=False, origin="local", inputs=inputs),
    )
