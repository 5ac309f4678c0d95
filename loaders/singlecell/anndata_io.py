"""AnnData (.h5ad) <-> Hugging Face config: one row per cell, expression stored sparse.

Layout of a single-cell config (one split, ``test``: every cell is scored)::

    cell_id       string                      obs index
    gene_index    List(int32)                 positions of the non-zero genes (into ``feature_ids``)
    expression    List(float32)               their values, same length as ``gene_index``
    <obs column>  ClassLabel / Value          every obs column; categoricals keep their categories
    obsm_<key>    List(float32, length=d)     optional embeddings (e.g. ``obsm_X_pca``)

Gene identifiers (the AnnData ``var_names``) are stored once per config in
``bench_config.json`` (``feature_ids``); :func:`to_anndata` needs them back (pass the config
meta or ``feature_ids``). ``to_anndata(from_anndata(adata))`` gives back X (as CSR), obs,
var_names and the chosen obsm exactly when X is float32 (values are stored as float32).

anndata/scanpy are imported lazily (extra ``singlecell``) so the rest of bench never needs them.
"""
from __future__ import annotations

from typing import Any, Iterable

import datasets
import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp

from bench.errors import BenchError

CELL_ID = "cell_id"
GENE_INDEX = "gene_index"
EXPRESSION = "expression"
OBSM_PREFIX = "obsm_"
DEFAULT_SPLIT = "test"
RESERVED = {CELL_ID, GENE_INDEX, EXPRESSION}


def _require_anndata():
    try:
        import anndata
    except ImportError:  # pragma: no cover - depends on the environment
        raise BenchError("the single-cell family needs anndata and scanpy: pip install 'bench[singlecell]'") from None
    return anndata


# --------------------------------------------------------------------------------------------
# AnnData -> datasets
# --------------------------------------------------------------------------------------------

def _matrix(adata, layer: str | None):
    """The expression matrix to store: ``X``, ``raw`` (adata.raw.X) or a layer name."""
    if layer in (None, "X"):
        return adata.X
    if layer == "raw":
        if adata.raw is None:
            raise BenchError("layer='raw' but the AnnData has no .raw")
        if list(adata.raw.var_names) != list(adata.var_names):
            raise BenchError("layer='raw': adata.raw has different genes than adata.var_names; "
                             "store adata.raw.to_adata() instead")
        return adata.raw.X
    if layer not in adata.layers:
        raise BenchError(f"layer {layer!r} not found; AnnData layers: {sorted(adata.layers)} "
                         "(or use 'X' / 'raw')")
    return adata.layers[layer]


def _as_csr(matrix):
    csr = sp.csr_matrix(matrix)
    csr.sum_duplicates()
    csr.sort_indices()
    csr.eliminate_zeros()
    return csr


def _obs_column(series) -> tuple[Any, Any]:
    """(datasets feature, pyarrow array) for one obs column, keeping categories and dtypes."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        names = [str(c) for c in series.cat.categories]
        codes = series.cat.codes.to_numpy().astype(np.int64)  # -1 = missing
        return datasets.ClassLabel(names=names), pa.array(codes, type=pa.int64())
    kind = series.dtype.kind
    if kind == "b":
        return datasets.Value("bool"), pa.array(series.to_numpy())
    if kind in "iu":
        dtype = series.dtype.name
        return datasets.Value(dtype), pa.array(series.to_numpy())
    if kind == "f":
        dtype = "float32" if series.dtype == np.float32 else "float64"
        return datasets.Value(dtype), pa.array(series.to_numpy())
    values = [None if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v) for v in series]
    return datasets.Value("string"), pa.array(values, type=pa.string())


def from_anndata(adata, *, layer: str | None = None, obsm_keys: Iterable[str] = ()):
    """Convert ``adata`` into ``(datasets.Dataset, meta)`` with one row per cell.

    Parameters
    ----------
    adata
        AnnData of shape (n_cells, n_genes).
    layer
        Which matrix to store: ``None``/``"X"`` (default), ``"raw"`` or a key of ``adata.layers``.
    obsm_keys
        Embeddings of ``adata.obsm`` to keep as fixed-length float32 columns ``obsm_<key>``.

    Returns the dataset and a meta dict with ``feature_ids`` (the var names), ``feature_column``,
    ``feature_index_column``, ``n_features``, ``obs_columns`` and ``obsm_keys``.
    """
    clash = RESERVED & set(map(str, adata.obs.columns)) | {c for c in map(str, adata.obs.columns)
                                                          if c.startswith(OBSM_PREFIX)}
    if clash:
        raise BenchError(f"obs column(s) {sorted(clash)} clash with bench's reserved column names "
                         f"{sorted(RESERVED)} / prefix {OBSM_PREFIX!r}; rename them first")
    csr = _as_csr(_matrix(adata, layer))
    if csr.shape != adata.shape:
        raise BenchError(f"expression matrix has shape {csr.shape}, expected {adata.shape}")
    offsets = pa.array(csr.indptr.astype(np.int32 if csr.nnz < 2**31 else np.int64))
    list_type = pa.ListArray if offsets.type == pa.int32() else pa.LargeListArray
    columns = {
        CELL_ID: pa.array([str(c) for c in adata.obs_names], type=pa.string()),
        GENE_INDEX: list_type.from_arrays(offsets, pa.array(csr.indices.astype(np.int32))),
        EXPRESSION: list_type.from_arrays(offsets, pa.array(csr.data.astype(np.float32))),
    }
    features = {CELL_ID: datasets.Value("string"),
                GENE_INDEX: datasets.List(datasets.Value("int32")),
                EXPRESSION: datasets.List(datasets.Value("float32"))}
    for name in adata.obs.columns:
        features[str(name)], columns[str(name)] = _obs_column(adata.obs[name])
    obsm_keys = list(obsm_keys)
    for key in obsm_keys:
        if key not in adata.obsm:
            raise BenchError(f"obsm key {key!r} not found; AnnData obsm keys: {sorted(adata.obsm)}")
        emb = np.asarray(adata.obsm[key], dtype=np.float32)
        if emb.ndim != 2:
            raise BenchError(f"obsm[{key!r}] must be 2-D, got shape {emb.shape}")
        col = f"{OBSM_PREFIX}{key}"
        features[col] = datasets.List(datasets.Value("float32"), length=emb.shape[1])
        columns[col] = pa.FixedSizeListArray.from_arrays(pa.array(emb.ravel()), emb.shape[1])
    feats = datasets.Features(features)
    table = pa.table(columns).cast(feats.arrow_schema)
    ds = datasets.Dataset(table, info=datasets.DatasetInfo(features=feats))
    meta = {
        "feature_column": EXPRESSION,
        "feature_index_column": GENE_INDEX,
        "feature_encoding": "sparse (gene_index int32, expression float32) per cell",
        "feature_ids": [str(g) for g in adata.var_names],
        "n_features": int(adata.n_vars),
        "n_cells": int(adata.n_obs),
        "nnz": int(csr.nnz),
        "obs_index_name": adata.obs.index.name,
        "obs_columns": [str(c) for c in adata.obs.columns],
        "obsm_keys": obsm_keys,
        "expression_layer": layer or "X",
    }
    return ds, meta


# --------------------------------------------------------------------------------------------
# datasets -> AnnData
# --------------------------------------------------------------------------------------------

def _single_dataset(ds_or_dsd):
    if isinstance(ds_or_dsd, datasets.DatasetDict):
        if len(ds_or_dsd) != 1:
            if DEFAULT_SPLIT in ds_or_dsd:
                return ds_or_dsd[DEFAULT_SPLIT]
            raise BenchError(f"DatasetDict has splits {list(ds_or_dsd)}; pass one split (e.g. dsd['test'])")
        return next(iter(ds_or_dsd.values()))
    if isinstance(ds_or_dsd, datasets.Dataset):
        return ds_or_dsd
    raise BenchError(f"expected a datasets.Dataset or DatasetDict, got {type(ds_or_dsd).__name__}")


def _column_to_pandas(table, name: str, feature):
    col = table.column(name).combine_chunks()
    if isinstance(feature, datasets.ClassLabel):
        codes = col.to_numpy(zero_copy_only=False).astype(np.int64)
        return pd.Categorical.from_codes(codes, categories=feature.names)
    if isinstance(feature, datasets.Value) and feature.dtype == "string":
        return pd.array(col.to_pylist(), dtype=object)
    return col.to_numpy(zero_copy_only=False)


def to_anndata(ds_or_dsd, *, meta: dict | None = None, feature_ids: Iterable[str] | None = None):
    """Rebuild an AnnData from a single-cell config written by :func:`from_anndata`.

    ``feature_ids`` (or ``meta["feature_ids"]``, the config's ``bench_config.json``) give the
    var names and the number of genes. X comes back as a float32 CSR matrix, obs columns with
    their dtypes and categories, ``obsm_<key>`` columns as ``obsm[key]``.
    """
    anndata = _require_anndata()
    ds = _single_dataset(ds_or_dsd)
    if feature_ids is None:
        if not meta or "feature_ids" not in meta:
            raise BenchError("to_anndata needs the gene ids: pass meta=<bench_config.json dict> or feature_ids=")
        feature_ids = meta["feature_ids"]
    var_names = [str(g) for g in feature_ids]
    missing = [c for c in (CELL_ID, GENE_INDEX, EXPRESSION) if c not in ds.column_names]
    if missing:
        raise BenchError(f"dataset is not a single-cell config: column(s) {missing} missing")
    table = ds.with_format("arrow")[:]
    idx = table.column(GENE_INDEX).combine_chunks()
    val = table.column(EXPRESSION).combine_chunks()
    indptr = np.asarray(idx.offsets.to_numpy(), dtype=np.int64)
    indices = idx.values.to_numpy().astype(np.int32)
    data = val.values.to_numpy().astype(np.float32)
    if indptr[-1] != len(indices) or not np.array_equal(indptr, np.asarray(val.offsets.to_numpy())):
        raise BenchError("gene_index and expression lists differ in length for some cell")
    if len(indices) and (indices.min() < 0 or indices.max() >= len(var_names)):
        raise BenchError(f"gene_index values must lie in [0, {len(var_names)}) (the feature_ids), "
                         f"got range [{indices.min()}, {indices.max()}]")
    X = sp.csr_matrix((data, indices, indptr - indptr[0]), shape=(ds.num_rows, len(var_names)))
    obs_names = table.column(CELL_ID).to_pylist()
    obs = pd.DataFrame(index=pd.Index(obs_names, name=(meta or {}).get("obs_index_name")))
    obsm = {}
    for name, feature in ds.features.items():
        if name in RESERVED:
            continue
        if name.startswith(OBSM_PREFIX):
            flat = table.column(name).combine_chunks()
            width = flat.type.list_size
            obsm[name[len(OBSM_PREFIX):]] = flat.flatten().to_numpy().astype(np.float32).reshape(-1, width)
        else:
            obs[name] = _column_to_pandas(table, name, feature)
    var = pd.DataFrame(index=pd.Index(var_names))
    return anndata.AnnData(X=X, obs=obs, var=var, obsm=obsm)


# --------------------------------------------------------------------------------------------
# Registered configs (tasks/singlecell/*.yaml)
# --------------------------------------------------------------------------------------------


