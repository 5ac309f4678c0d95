"""Read ARCHS4 gene-level HDF5 files column-chunk-wise, and write small synthetic ones.

ARCHS4 layout (``human_gene_v2.2.h5`` / ``mouse_gene_v2.2.h5``)::

    data/expression              uint32 counts, shape (genes, samples)
    meta/samples/geo_accession   GSM ids (bytes), one per column
    meta/samples/series_id       GSE ids (bytes)
    meta/genes/symbol            gene symbols (``gene_symbol`` in some releases)
    meta/genes/ensembl_gene_id   Ensembl ids (``ensembl_gene`` in some releases)

The full files are ~1 M samples x ~67 k genes. Upstream reads the whole matrix (``[:]``); here
only the requested GSM columns are read, in sorted order, a bounded number of columns at a time
(a contiguous slab when the wanted columns are dense, h5py fancy indexing otherwise). Each
column is normalised to log1p(CPM) (library size over all genes of the file) and stored as
float32. Needs ``h5py`` (``pip install 'bench[geometa]'``).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

import datasets
import numpy as np
import pandas as pd
import pyarrow as pa
from datasets.arrow_writer import ArrowWriter
from tqdm.auto import tqdm

from bench.errors import BenchError
from bench.io import atomic_path
from bench.loaders.geometa.source import GeometaWarning
from bench.loaders.repo import ShardedSplit, StreamedSplit
from bench.scheduler import active_runner

EXPRESSION_KEY = "data/expression"
GSM_KEY = "meta/samples/geo_accession"
SERIES_KEY = "meta/samples/series_id"
SYMBOL_KEYS = ("meta/genes/symbol", "meta/genes/gene_symbol")
ENSEMBL_KEYS = ("meta/genes/ensembl_gene_id", "meta/genes/ensembl_gene")
NORMALISATION = "log1p(CPM): counts / column total over all genes of the file * 1e6, then natural log1p; float32"
SYNTHETIC_VERSION = "2"
DEFAULT_MAX_CHUNK_BYTES = 64 << 20
DEFAULT_MAX_SHARD_BYTES = 500_000_000  # as datasets' push_to_hub max_shard_size "500MB"
_ARROW_VERSION = "3"  # 2: rows stored in label-table order; 3: shards of at most max_shard_bytes


def require_h5py():
    """Import h5py or explain how to get it."""
    try:
        import h5py
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise BenchError("reading ARCHS4 HDF5 files needs h5py: pip install 'bench[geometa]'") from None
    return h5py


def default_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """``cache_dir`` or ``<HF datasets cache>/bench_geometa`` (created)."""
    if cache_dir is None:
        cache_dir = Path(datasets.config.HF_DATASETS_CACHE) / "bench_geometa"
    path = Path(cache_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def decode_strings(values) -> list[str]:
    """HDF5 string data (bytes or str, fixed or variable length) as a list of str."""
    return [v.decode("utf-8") if isinstance(v, (bytes, np.bytes_)) else str(v) for v in np.asarray(values).ravel()]


# -------------------------------------------------------------------------------------- layout
@dataclass(frozen=True)
class Archs4Layout:
    """What an ARCHS4-format file holds (its ids, not its counts)."""

    path: Path
    n_genes: int
    n_samples: int
    gsm_ids: list[str]
    gene_symbols: list[str] | None
    gene_ensembl_ids: list[str] | None
    chunks: tuple | None

    @property
    def gene_ids(self) -> list[str]:
        """Ensembl ids when present (unique), else symbols."""
        return self.gene_ensembl_ids if self.gene_ensembl_ids is not None else self.gene_symbols

    def column_positions(self, gsms) -> tuple[np.ndarray, list[str]]:
        """Column of each GSM (-1 if absent; first column if the file repeats it) and the absent GSMs."""
        first: dict[str, int] = {}
        for i, g in enumerate(self.gsm_ids):
            first.setdefault(g, i)
        cols = np.array([first.get(g, -1) for g in gsms], dtype=np.int64)
        return cols, [g for g, c in zip(gsms, cols) if c < 0]


def _first_key(handle, keys) -> str | None:
    return next((k for k in keys if k in handle), None)


@contextlib.contextmanager
def unreadable_h5_named(path: Path):
    """h5py's OSErrors (a truncated file, a corrupted chunk) carry no file name: re-raise them as a
    :class:`BenchError` naming ``path``."""
    try:
        yield
    except OSError as exc:
        if getattr(exc, "filename", None):
            raise
        raise BenchError(f"{path}: cannot read this HDF5 file ({exc}); it is truncated or corrupted: "
                         "download it again") from None


def read_layout(path: str | os.PathLike) -> Archs4Layout:
    """Open ``path`` and check it has the ARCHS4 datasets; raise naming any that are missing."""
    h5py = require_h5py()
    path = Path(path)
    if not path.is_file():
        raise BenchError(f"ARCHS4 expression file not found: {path}")
    if not h5py.is_hdf5(path):
        raise BenchError(f"{path}: not an HDF5 file (expected an ARCHS4 gene-level .h5)")
    with unreadable_h5_named(path), h5py.File(path, "r") as fh:
        sym_key, ens_key = _first_key(fh, SYMBOL_KEYS), _first_key(fh, ENSEMBL_KEYS)
        missing = [k for k in (EXPRESSION_KEY, GSM_KEY) if k not in fh]
        if sym_key is None and ens_key is None:
            missing.append(" or ".join(SYMBOL_KEYS + ENSEMBL_KEYS))
        if missing:
            raise BenchError(f"{path}: not an ARCHS4-format file, missing dataset(s) {', '.join(missing)} "
                             f"(found: {', '.join(_dataset_names(fh)) or 'nothing'})")
        expr = fh[EXPRESSION_KEY]
        if expr.ndim != 2 or expr.dtype.kind not in "ui":
            raise BenchError(f"{path}: {EXPRESSION_KEY} must be a 2-D integer count matrix (genes x samples), "
                             f"got shape {expr.shape} dtype {expr.dtype}")
        n_genes, n_samples = (int(n) for n in expr.shape)
        gsms = decode_strings(fh[GSM_KEY][()])
        symbols = decode_strings(fh[sym_key][()]) if sym_key else None
        ensembl = decode_strings(fh[ens_key][()]) if ens_key else None
        chunks = expr.chunks
    if len(gsms) != n_samples:
        raise BenchError(f"{path}: {GSM_KEY} has {len(gsms)} ids but {EXPRESSION_KEY} has {n_samples} "
                         "sample columns (expected shape genes x samples)")
    for key, ids in ((sym_key, symbols), (ens_key, ensembl)):
        if ids is not None and len(ids) != n_genes:
            raise BenchError(f"{path}: {key} has {len(ids)} ids but {EXPRESSION_KEY} has {n_genes} gene rows")
    return Archs4Layout(path, n_genes, n_samples, gsms, symbols, ensembl, chunks)


def _dataset_names(handle) -> list[str]:
    names: list[str] = []
    handle.visititems(lambda name, obj: names.append(name) if hasattr(obj, "shape") else None)
    return names[:20]


def select_genes(layout: Archs4Layout, genes: list[str] | None) -> np.ndarray | None:
    """Row indices of ``genes`` (symbols or Ensembl ids), in the given order; None = all genes."""
    if genes is None:
        return None
    lookup: dict[str, int] = {}
    for ids in (layout.gene_symbols, layout.gene_ensembl_ids):
        for i, g in enumerate(ids or []):
            lookup.setdefault(g, i)
    unknown = [g for g in genes if g not in lookup]
    if unknown:
        raise BenchError(f"{layout.path}: {len(unknown)} requested gene(s) not in the file: "
                         f"{', '.join(unknown[:10])}{' ...' if len(unknown) > 10 else ''}")
    return np.array([lookup[g] for g in genes], dtype=np.int64)


# ------------------------------------------------------------------------------------- reading
def log1p_cpm(counts: np.ndarray) -> np.ndarray:
    """(genes, k) counts -> (k, genes) float32 log1p(counts per million). All-zero columns stay 0.

    >>> [round(float(v), 4) for v in log1p_cpm(np.array([[1], [3]]))[0]]
    [12.4292, 13.5278]
    """
    totals = counts.sum(axis=0, dtype=np.float64)
    scale = np.divide(1e6, totals, out=np.zeros_like(totals), where=totals > 0)
    out = counts.T.astype(np.float32)
    out *= scale.astype(np.float32)[:, None]
    return np.log1p(out, out=out)


def read_columns(dset, cols: np.ndarray) -> np.ndarray:
    """Counts of the sorted, unique columns ``cols`` as a (genes, len(cols)) array.

    Dense runs are read as one contiguous slab (then sliced); sparse ones by fancy indexing,
    which h5py requires to be increasing.
    """
    lo, hi = int(cols[0]), int(cols[-1]) + 1
    if hi - lo <= 2 * len(cols):
        return dset[:, lo:hi][:, cols - lo]
    return dset[:, cols]


def chunk_bounds(sorted_cols: np.ndarray, n_genes: int, *, chunk_cols: int | None = None,
                 max_chunk_bytes: int = DEFAULT_MAX_CHUNK_BYTES) -> list[tuple[int, int]]:
    """Plan the reads: [start, stop) ranges over ``sorted_cols``.

    A read spans at most ``max_chunk_bytes / (12 * n_genes)`` file columns (slab as uint32 plus the
    selected copy and its float32 normalisation fit the budget). When the file is chunked
    ``chunk_cols`` samples wide, reads are cut at chunk boundaries so that no HDF5 chunk is
    decompressed twice (unless one chunk column alone exceeds the budget).

    >>> chunk_bounds(np.array([0, 1, 5, 6, 9, 30]), 1, chunk_cols=4, max_chunk_bytes=12 * 8)
    [(0, 4), (4, 5), (5, 6)]
    """
    n = len(sorted_cols)
    max_span = max(1, int(max_chunk_bytes // (max(1, n_genes) * 12)))
    if n == 0:
        return []
    if not chunk_cols:
        bounds, start = [], 0
        while start < n:
            stop = int(np.searchsorted(sorted_cols, sorted_cols[start] + max_span, side="left"))
            bounds.append((start, max(stop, start + 1)))
            start = bounds[-1][1]
        return bounds
    chunk_id = sorted_cols // chunk_cols
    group_starts = np.flatnonzero(np.r_[True, chunk_id[1:] != chunk_id[:-1]])
    group_stops = np.r_[group_starts[1:], n]
    bounds, start = [], None
    for g_start, g_stop in zip(group_starts, group_stops):
        g_start, g_stop = int(g_start), int(g_stop)
        if start is not None and sorted_cols[g_stop - 1] - sorted_cols[start] + 1 <= max_span:
            bounds[-1] = (start, g_stop)  # this chunk column joins the current read
            continue
        if sorted_cols[g_stop - 1] - sorted_cols[g_start] + 1 <= max_span:
            start = g_start
            bounds.append((g_start, g_stop))
        else:  # one chunk column is larger than the budget: split it
            start = None
            sub = chunk_bounds(sorted_cols[g_start:g_stop], n_genes, max_chunk_bytes=max_chunk_bytes)
            bounds += [(g_start + a, g_start + b) for a, b in sub]
    return bounds


def iter_log_cpm(path: str | os.PathLike, cols: np.ndarray, *, gene_index: np.ndarray | None = None,
                 max_chunk_bytes: int = DEFAULT_MAX_CHUNK_BYTES, progress: bool = True,
                 desc: str = "ARCHS4 columns") -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(positions, block)``: ``block[i]`` is log1p(CPM) of column ``cols[positions[i]]``.

    ``cols`` are file columns (unique, any order); they are visited in increasing order.
    ``gene_index`` picks genes after normalisation (library sizes always use every gene).
    """
    h5py = require_h5py()
    cols = np.asarray(cols, dtype=np.int64)
    order = np.argsort(cols, kind="stable")
    sorted_cols = cols[order]
    if len(sorted_cols) and np.any(np.diff(sorted_cols) == 0):
        raise BenchError("iter_log_cpm: the requested columns must be unique")
    with unreadable_h5_named(path), h5py.File(path, "r", rdcc_nbytes=16 << 20) as fh:
        dset = fh[EXPRESSION_KEY]
        chunk_cols = dset.chunks[1] if dset.chunks else None
        bounds = chunk_bounds(sorted_cols, dset.shape[0], chunk_cols=chunk_cols, max_chunk_bytes=max_chunk_bytes)
        with tqdm(total=len(sorted_cols), desc=desc, unit="sample", disable=not progress, leave=False) as bar:
            for start, stop in bounds:
                block = log1p_cpm(read_columns(dset, sorted_cols[start:stop]))
                if gene_index is not None:
                    block = block[:, gene_index]
                bar.update(stop - start)
                yield order[start:stop], block


def read_log_cpm(path: str | os.PathLike, gsms: list[str], *, gene_index: np.ndarray | None = None,
                 max_chunk_bytes: int = DEFAULT_MAX_CHUNK_BYTES, progress: bool = True,
                 desc: str = "ARCHS4 columns") -> tuple[np.ndarray, np.ndarray, list[str]]:
    """log1p(CPM) matrix (n_found, n_genes) for ``gsms`` in their order, a found-mask and the
    GSMs absent from the file. Holds the whole result in memory: for a bounded-memory build
    use :func:`join_expression`."""
    layout = read_layout(path)
    cols, missing = layout.column_positions(list(gsms))
    found = cols >= 0
    n_out = layout.n_genes if gene_index is None else len(gene_index)
    out = np.empty((int(found.sum()), n_out), dtype=np.float32)
    for positions, block in iter_log_cpm(path, cols[found], gene_index=gene_index,
                                         max_chunk_bytes=max_chunk_bytes, progress=progress, desc=desc):
        out[positions] = block
    return out, found, missing


# ------------------------------------------------------------------------------------- joining
def join_expression(tables: Mapping[str, pd.DataFrame], h5_path: str | os.PathLike, *,
                    genes: list[str] | None = None, column: str = "expression",
                    cache_dir: str | os.PathLike | None = None, progress: bool = True,
                    max_chunk_bytes: int = DEFAULT_MAX_CHUNK_BYTES, max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
                    label_features=None):
    """Join each label table to the file's log1p(CPM) columns: ``({split: Dataset}, info)``.

    Rows are written to Arrow files in the cache, in the label table's order (never the whole
    matrix in memory): one file per shard of at most ``max_shard_bytes`` of expression values
    (one file for a split below it). The sample chunks are read, normalised and written as tasks
    of the active scheduler (:func:`bench.scheduler.active_runner`; each task opens the HDF5 file
    itself), so the same files come out serially or on a Dask cluster. Each returned Dataset is
    exactly those files (``Dataset.from_file``), so :func:`streamed_splits` can hand it to
    ``write_config`` without memory-mapping it. GSMs absent from the file are left out with a
    :class:`~bench.loaders.geometa.GeometaWarning` naming them; ``info["missing"]`` lists them.
    ``label_features``: the label columns' features (default: every one a string; ClassLabel columns
    hold codes in the tables).
    """
    layout = read_layout(h5_path)
    gene_index = select_genes(layout, genes)
    gene_ids = list(layout.gene_ids) if gene_index is None else [layout.gene_ids[i] for i in gene_index]
    splits, missing = {}, {}
    for split, table in tables.items():
        splits[split], missing[split] = _join_split(layout, split, table, gene_index, len(gene_ids), column=column,
                                                    label_features=label_features,
                                                    cache_dir=cache_dir, progress=progress,
                                                    max_chunk_bytes=max_chunk_bytes, max_shard_bytes=max_shard_bytes)
    symbols = layout.gene_symbols
    if symbols is not None and gene_index is not None:
        symbols = [symbols[i] for i in gene_index]
    info = {
        "expression_file": str(Path(h5_path).resolve()), "expression_file_bytes": Path(h5_path).stat().st_size,
        "expression_layout": {"genes": layout.n_genes, "samples": layout.n_samples, "chunks": layout.chunks},
        "normalisation": NORMALISATION, "feature_ids": gene_ids, "feature_symbols": symbols,
        "n_features": len(gene_ids), "missing": missing,
    }
    return splits, info


def shard_bounds(n_rows: int, row_bytes: int, max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES) -> list[tuple[int, int]]:
    """[start, stop) label-order row ranges of at most ``max_shard_bytes`` of values each (>= 1 row).

    >>> shard_bounds(5, 4, 8), shard_bounds(3, 4, 100)
    ([(0, 2), (2, 4), (4, 5)], [(0, 3)])
    """
    per_shard = max(1, int(max_shard_bytes) // max(1, row_bytes))
    return [(start, min(start + per_shard, n_rows)) for start in range(0, n_rows, per_shard)] or [(0, 0)]


def _join_split(layout: Archs4Layout, split: str, table: pd.DataFrame, gene_index, n_features: int, *,
                column: str, cache_dir, progress: bool, max_chunk_bytes: int, max_shard_bytes: int,
                label_features=None):
    cols, missing = layout.column_positions(table["GSM_ID"].tolist())
    if missing:
        warnings.warn(f"{split}: {len(missing)} of {len(table)} GSM(s) are not in {layout.path.name} and are left "
                      f"out: {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}",
                      GeometaWarning, stacklevel=3)
    kept = table.loc[cols >= 0].reset_index(drop=True)
    if kept.empty:
        raise BenchError(f"none of the {len(table)} {split} GSMs is in {layout.path} "
                         "(wrong species file, or not an ARCHS4 file of GEO samples?)")
    kept_cols = cols[cols >= 0]
    given = label_features or {}
    features = datasets.Features({c: given.get(c, datasets.Value("string")) for c in kept.columns})
    features[column] = datasets.List(datasets.Value("float32"), length=n_features)
    shards = shard_bounds(len(kept), 4 * n_features, max_shard_bytes)
    targets = _arrow_cache_paths(layout, split, kept, gene_index, cache_dir, shards, features)
    if not all(t.is_file() for t in targets):
        _write_arrow(targets, shards, layout, kept, kept_cols, gene_index, features, column=column,
                     progress=progress, max_chunk_bytes=max_chunk_bytes, desc=f"{split}: reading ARCHS4")
    parts = [datasets.Dataset.from_file(str(t)) for t in targets]
    return (parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)), missing


def streamed_splits(splits: Mapping[str, object]) -> dict:
    """``{split: StreamedSplit or ShardedSplit}`` for the Datasets of :func:`join_expression`:
    ``write_config`` then streams each Arrow file into parquet with plain reads (one parquet shard
    per Arrow file, shards written as tasks of the active scheduler), so the output's pages are
    never mapped into the process (peak memory stays at about one row group)."""
    out = {}
    for split, ds in splits.items():
        files = [f["filename"] for f in ds.cache_files]
        out[split] = (StreamedSplit.from_dataset(ds) if len(files) == 1 else
                      ShardedSplit(tuple(StreamedSplit.from_arrow_file(f, features=ds.features) for f in files)))
        if out[split].num_rows != ds.num_rows:
            raise BenchError(f"{split}: its Arrow files hold {out[split].num_rows} rows, the dataset {ds.num_rows}")
    return out


def _arrow_cache_paths(layout: Archs4Layout, split: str, kept: pd.DataFrame, gene_index, cache_dir,
                       shards: list[tuple[int, int]], features=None) -> list[Path]:
    stat = layout.path.stat()
    h = hashlib.sha256()
    for part in (_ARROW_VERSION, str(layout.path.resolve()), str(stat.st_size), str(stat.st_mtime_ns), split,
                 repr(shards)):
        h.update(part.encode() + b"\0")
    h.update(pd.util.hash_pandas_object(kept, index=False).values.tobytes())
    h.update(b"all" if gene_index is None else np.asarray(gene_index).tobytes())
    if features is not None:   # ClassLabel names live in the Arrow files' schema metadata
        h.update(json.dumps(features.to_dict(), sort_keys=True).encode())
    stem = default_cache_dir(cache_dir) / "arrow" / f"{split}-{h.hexdigest()[:20]}"
    if len(shards) == 1:
        return [stem.with_suffix(".arrow")]
    return [stem.with_name(f"{stem.name}-{i:05d}-of-{len(shards):05d}.arrow") for i in range(len(shards))]


@dataclass(frozen=True)
class FillTask:
    """One sample chunk of the join: read ``cols`` (sorted file columns) from ``h5_path``, normalise,
    and write row ``i`` at byte ``offsets[i]`` of ``files[file_of[i]]``. Runs anywhere the paths resolve."""

    h5_path: str
    cols: np.ndarray
    files: tuple[str, ...]
    file_of: np.ndarray
    offsets: np.ndarray
    gene_index: np.ndarray | None
    max_chunk_bytes: int


def fill_rows(task: FillTask) -> int:
    """Do one :class:`FillTask` (opening the HDF5 file and the targets itself); returns the rows written."""
    fds: dict[int, int] = {}
    try:
        for positions, block in iter_log_cpm(task.h5_path, task.cols, gene_index=task.gene_index,
                                             max_chunk_bytes=task.max_chunk_bytes, progress=False):
            block = np.ascontiguousarray(block, dtype=np.float32)
            for pos, row in zip(positions.tolist(), block):
                target = int(task.file_of[pos])
                if target not in fds:
                    fds[target] = os.open(task.files[target], os.O_WRONLY)
                _pwrite_all(fds[target], memoryview(row).cast("B"), int(task.offsets[pos]))
    finally:
        for fd in fds.values():
            os.close(fd)
    return len(task.cols)


def fill_plan(h5_path, kept_cols: np.ndarray, files: list[Path], file_of: np.ndarray, offsets: np.ndarray, *,
              chunk_cols: int | None, n_genes: int, gene_index, max_chunk_bytes: int) -> list[FillTask]:
    """The sample chunks of a join as :class:`FillTask` s: the label-order rows sorted by file column and
    cut by :func:`chunk_bounds` (HDF5 chunk columns never split between tasks). Independent of the scheduler."""
    order = np.argsort(kept_cols, kind="stable")
    sorted_cols = kept_cols[order]
    if len(sorted_cols) and np.any(np.diff(sorted_cols) == 0):
        raise BenchError("the requested ARCHS4 columns must be unique")
    names = tuple(str(Path(f).resolve()) for f in files)  # absolute: a worker may not share our cwd
    return [FillTask(str(Path(h5_path).resolve()), sorted_cols[a:b], names, file_of[order[a:b]], offsets[order[a:b]], gene_index,
                     max_chunk_bytes)
            for a, b in chunk_bounds(sorted_cols, n_genes, chunk_cols=chunk_cols, max_chunk_bytes=max_chunk_bytes)]


def _write_arrow(targets: list[Path], shards: list[tuple[int, int]], layout: Archs4Layout, kept: pd.DataFrame,
                 kept_cols: np.ndarray, gene_index, features, *, column: str, progress: bool, max_chunk_bytes: int,
                 desc: str) -> None:
    """Write the joined rows of each shard to its target in the label table's order, never memory-mapped.

    First each shard's Arrow file is written with its float values left as a sparse hole
    (:class:`_HoleSink` notes where); then the sample chunks (:func:`fill_plan`) run as tasks of
    the active scheduler: each reads its file columns in increasing order (each HDF5 chunk
    decompressed once) and ``pwrite`` s every row straight to its place. Should pyarrow not hand
    the values buffer to the sink as it is, the rows go through unmapped float32 scratch files
    instead (same bytes, one extra pass). Everything is written to temporary names first.
    """
    n_features = features[column].length
    # record batches of a third of the read budget: one batch, its strings and the writer's buffer fit it
    rows_per_batch = max(1, max_chunk_bytes // (3 * max(1, 4 * n_features)))
    with contextlib.ExitStack() as stack:
        tmps = [stack.enter_context(atomic_path(t)) for t in targets]
        row_offsets = [_write_skeleton(tmp, kept.iloc[a:b], features, column, rows_per_batch)
                       for tmp, (a, b) in zip(tmps, shards)]
        direct = all(offsets is not None for offsets in row_offsets)
        if not direct:  # only if pyarrow copied the values buffer before writing it
            files = [tmp.with_name(tmp.name + ".scratch.f32") for tmp in tmps]
            for f, (a, b) in zip(files, shards):
                with open(f, "wb") as fh:
                    fh.truncate((b - a) * 4 * n_features)
            row_offsets = [np.arange(b - a, dtype=np.int64) * 4 * n_features for a, b in shards]
        else:
            files = tmps
        file_of = np.repeat(np.arange(len(shards)), [b - a for a, b in shards])
        tasks = fill_plan(layout.path, kept_cols, files, file_of, np.concatenate(row_offsets),
                          chunk_cols=layout.chunks[1] if layout.chunks else None, n_genes=layout.n_genes,
                          gene_index=gene_index, max_chunk_bytes=max_chunk_bytes)
        _run_fill(tasks, len(kept), progress=progress, desc=desc)
        if not direct:
            for tmp, scratch, (a, b) in zip(tmps, files, shards):
                _write_from_scratch(tmp, scratch, kept.iloc[a:b], features, column, rows_per_batch)


def _run_fill(tasks: list[FillTask], n_rows: int, *, progress: bool, desc: str) -> None:
    with tqdm(total=n_rows, desc=desc, unit="sample", disable=not progress, leave=False) as bar:
        for written in active_runner().map(fill_rows, tasks):
            bar.update(written)


def _label_batches(kept: pd.DataFrame, features, column: str, rows_per_batch: int, values_for):
    """Arrow tables of ``rows_per_batch`` label-order rows: the label columns and ``values_for(start, stop)``."""
    schema, n_features = features.arrow_schema, features[column].length
    for start in range(0, len(kept), rows_per_batch):
        stop = min(start + rows_per_batch, len(kept))
        rows = kept.iloc[start:stop]
        arrays = [pa.array(rows[c].tolist(), type=pa.string()) if schema.field(c).type == pa.string()
                  else pa.array(rows[c], type=schema.field(c).type, from_pandas=True) for c in kept.columns]
        values = pa.array(values_for(start, stop).ravel(), type=pa.float32())
        arrays.append(pa.FixedSizeListArray.from_arrays(values, n_features))
        yield start, stop, pa.Table.from_arrays(arrays, schema=schema)


class _HoleSink(io.RawIOBase):
    """A file sink for ``ArrowWriter`` that leaves every write of bytes from ``skip`` as a sparse hole
    and records ``(offset in skip, length, file position)`` of each in :attr:`holes`."""

    def __init__(self, path: Path, skip: np.ndarray):
        super().__init__()
        self._file = open(path, "wb")
        self._low, self._high = skip.ctypes.data, skip.ctypes.data + skip.nbytes
        self.holes: list[tuple[int, int, int]] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data)
        address = getattr(data, "address", None)  # pyarrow hands its buffers over as pa.Buffer
        if view.nbytes and address is not None and self._low <= address and address + view.nbytes <= self._high:
            self.holes.append((address - self._low, view.nbytes, self._file.tell()))
            self._file.seek(view.nbytes, os.SEEK_CUR)
            return view.nbytes
        return self._file.write(view)

    def tell(self) -> int:
        return self._file.tell()

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
        super().close()


def _write_skeleton(path: Path, kept: pd.DataFrame, features, column: str, rows_per_batch: int):
    """Write the Arrow file with its float values as holes; return each row's values offset in the
    file, or None when the holes do not cover every row exactly (then the file holds zeros there)."""
    row_bytes = 4 * features[column].length
    zeros = np.zeros(min(rows_per_batch, len(kept)) * features[column].length, dtype=np.float32)  # never touched
    row_offsets = np.full(len(kept), -1, dtype=np.int64)
    sink = _HoleSink(path, zeros)
    writer = ArrowWriter(features=features, stream=sink)
    try:
        for start, stop, table in _label_batches(kept, features, column, rows_per_batch,
                                                 lambda a, b: zeros[:(b - a) * (row_bytes // 4)]):
            sink.holes.clear()
            writer.write_table(table)
            for skip_offset, length, file_pos in sink.holes:
                if skip_offset % row_bytes or length % row_bytes:
                    return None
                first = start + skip_offset // row_bytes
                row_offsets[first:first + length // row_bytes] = file_pos + row_bytes * np.arange(length // row_bytes)
        writer.finalize()
    finally:
        writer.close()
        sink.close()
    return row_offsets if len(kept) == 0 or row_offsets.min() >= 0 else None


def _write_from_scratch(path: Path, scratch: Path, kept: pd.DataFrame, features, column: str,
                        rows_per_batch: int) -> None:
    """Stream the float32 rows of the unmapped ``scratch`` file in label order into the Arrow file ``path``."""
    n_features = features[column].length
    fd = os.open(scratch, os.O_RDONLY)
    try:
        writer = ArrowWriter(features=features, path=str(path))
        try:
            for _, _, table in _label_batches(kept, features, column, rows_per_batch,
                                              lambda a, b: _pread_rows(fd, a, b, n_features)):
                writer.write_table(table)
            writer.finalize()
        finally:
            writer.close()
    finally:
        os.close(fd)
        scratch.unlink()


def _pwrite_all(fd: int, data: memoryview, offset: int) -> None:
    while len(data):
        done = os.pwrite(fd, data, offset)
        data, offset = data[done:], offset + done


def _pread_rows(fd: int, start: int, stop: int, n_features: int) -> np.ndarray:
    out = np.empty((stop - start, n_features), dtype=np.float32)
    view, offset = memoryview(out).cast("B"), start * 4 * n_features
    while len(view):
        got = os.preadv(fd, [view], offset)
        if got <= 0:
            raise BenchError(f"scratch file ended early at byte {offset} (disk full?)")
        view, offset = view[got:], offset + got
    return out


# ----------------------------------------------------------------------------------- synthetic
def synthetic_gsm_ids(n: int, *, start: int = 9_000_000) -> list[str]:
    """GSM-style ids that real GEO has not issued yet (GSM9000000, ...)."""
    return [f"GSM{start + i}" for i in range(n)]


def _stable_rng(*parts) -> np.random.Generator:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def write_synthetic_archs4(path: str | os.PathLike, *, labels: pd.DataFrame | None = None,
                           targets: list[str] = (), gsm_ids: list[str] | None = None, n_genes: int = 2000,
                           n_extra_samples: int | None = None, species: str = "human", seed: int = 0,
                           depth: float = 2e6, n_markers: int = 20, marker_log_fold: float = 0.5,
                           block_samples: int = 1000, chunks: tuple[int, int] | None = None,
                           compression: str | None = "gzip", gene_keys: tuple[str, str] = ("symbol", "ensembl_gene_id"),
                           progress: bool = True) -> Path:
    """Write a seeded synthetic ARCHS4-format file (uint32 genes x samples, bytes ids).

    Counts are negative-binomial around log-normal gene abundances times a per-sample library
    size. Every (target column, label value) pair up-regulates its own ``n_markers`` genes by
    ``exp(marker_log_fold)`` and every series (``GSE_ID``) shifts a few genes, so classifiers
    can learn labels (and meet batch effects). ``labels`` gives the GSMs (``GSM_ID``, optional
    ``GSE_ID`` and ``targets`` columns); else ``gsm_ids``. ``n_extra_samples`` unlabelled
    samples (default 10% + 5) are mixed in and the column order is shuffled, as in a real file
    where the wanted GSMs are scattered. Same arguments, same bytes.
    """
    h5py = require_h5py()
    if labels is None:
        if gsm_ids is None:
            raise BenchError("write_synthetic_archs4: pass labels (a table with GSM_ID) or gsm_ids")
        labels = pd.DataFrame({"GSM_ID": list(gsm_ids)})
    unknown = [t for t in targets if t not in labels.columns]
    if unknown:
        raise BenchError(f"write_synthetic_archs4: target column(s) {unknown} not in the label table")
    n_extra = max(5, len(labels) // 10) if n_extra_samples is None else int(n_extra_samples)
    taken = set(labels["GSM_ID"])
    extra = [g for g in synthetic_gsm_ids(n_extra + len(taken)) if g not in taken][:n_extra]
    samples = pd.concat([labels, pd.DataFrame({"GSM_ID": extra})], ignore_index=True)
    rng = np.random.default_rng(seed)
    samples = samples.iloc[rng.permutation(len(samples))].reset_index(drop=True)
    log_abundance = rng.normal(0.0, 2.0, n_genes)
    base = np.exp(log_abundance - log_abundance.max())
    base /= base.sum()
    prefix = "ENSMUSG9" if species == "mouse" else "ENSG9"
    ensembl = [f"{prefix}{i:010d}" for i in range(n_genes)]
    symbols = [f"SYN{i:05d}" if species != "mouse" else f"Syn{i:05d}" for i in range(n_genes)]
    n_samples = len(samples)
    chunks = chunks or (min(n_genes, 2048), min(n_samples, 256))
    path = Path(path)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as fh:
        dset = fh.create_dataset(EXPRESSION_KEY, shape=(n_genes, n_samples), dtype="uint32", chunks=chunks,
                                 compression=compression)
        for start in tqdm(range(0, n_samples, block_samples), desc="synthetic ARCHS4", unit="block",
                          disable=not progress, leave=False):
            block = samples.iloc[start:start + block_samples]
            dset[:, start:start + len(block)] = _synthetic_counts(block, targets, base, seed=seed, depth=depth,
                                                                   n_markers=n_markers, log_fold=marker_log_fold,
                                                                   block_id=start // block_samples)
        fh.create_dataset(GSM_KEY, data=np.array(samples["GSM_ID"].tolist(), dtype="S"))
        series = samples["GSE_ID"].fillna("GSE0") if "GSE_ID" in samples else pd.Series(["GSE0"] * n_samples)
        fh.create_dataset(SERIES_KEY, data=np.array(series.tolist(), dtype="S"))
        fh.create_dataset("meta/samples/title", data=np.array([f"synthetic {g}" for g in samples["GSM_ID"]], dtype="S"))
        fh.create_dataset(f"meta/genes/{gene_keys[0]}", data=np.array(symbols, dtype="S"))
        fh.create_dataset(f"meta/genes/{gene_keys[1]}", data=np.array(ensembl, dtype="S"))
        fh.create_dataset("info/version", data=np.bytes_(f"bench-synthetic-{SYNTHETIC_VERSION}"))
        fh.attrs["synthetic"] = True
        fh.attrs["seed"] = seed
    return path


def cached_synthetic_archs4(labels: pd.DataFrame, *, species: str, targets: list[str], seed: int = 0,
                            n_genes: int = 2000, cache_dir: str | os.PathLike | None = None,
                            progress: bool = True) -> Path:
    """A synthetic ARCHS4-format file for ``labels`` (default generator settings), made once and
    kept in the cache under a name that hashes every input."""
    key = hashlib.sha256("\x1f".join([SYNTHETIC_VERSION, species, str(seed), str(n_genes), *targets,
                                       labels.to_csv(index=False)]).encode()).hexdigest()[:16]
    path = default_cache_dir(cache_dir) / f"synthetic_{species}_{key}.h5"
    if not path.is_file():
        write_synthetic_archs4(path, labels=labels, targets=targets, n_genes=n_genes, species=species, seed=seed,
                               progress=progress)
    return path


def _synthetic_counts(block: pd.DataFrame, targets, base: np.ndarray, *, seed: int, depth: float,
                      n_markers: int, log_fold: float, block_id: int) -> np.ndarray:
    n_genes = len(base)
    rng = np.random.default_rng([seed, block_id])
    log_fc = np.zeros((n_genes, len(block)))
    markers: dict = {}
    for j, (_, row) in enumerate(block.iterrows()):
        for col in targets:
            value = row.get(col)
            if isinstance(value, str):
                key = (col, value)
                if key not in markers:
                    markers[key] = _stable_rng(seed, "marker", col, value).choice(
                        n_genes, min(n_markers, n_genes), replace=False)
                log_fc[markers[key], j] += log_fold
        series = row.get("GSE_ID")
        if isinstance(series, str):
            key = ("GSE", series)
            if key not in markers:
                r = _stable_rng(seed, "series", series)
                n_shifted = min(50, n_genes)
                markers[key] = (r.choice(n_genes, n_shifted, replace=False), r.normal(0.0, 0.7, n_shifted))
            genes, shifts = markers[key]
            log_fc[genes, j] += shifts
    library = depth * rng.lognormal(0.0, 0.4, len(block))
    mean = base[:, None] * np.exp(log_fc)
    mean *= library / mean.sum(axis=0)
    dispersion = 0.2
    lam = rng.gamma(1.0 / dispersion, dispersion, size=mean.shape) * mean
    return np.minimum(rng.poisson(lam), np.iinfo(np.uint32).max).astype(np.uint32)
