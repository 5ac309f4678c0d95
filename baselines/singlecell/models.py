"""Single-cell baseline models: a PCA embedding (cz-benchmarks' compute_baseline), a seeded
random-embedding floor, the confound-only control (each cell's batch and QC covariates, no
expression profile) and the control-median perturbation floor (in run.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from bench.errors import BenchError
from bench.tasks import get_task

MODELS = {
    "pca": "PCA (50 comps, seed) on highly variable genes (seurat flavour, 3000 or all genes) after "
           "normalize_total + log1p unless the config is already log-normalised (scanpy; as cz-benchmarks)",
    "random": "random-embedding floor: i.i.d. standard normal, 50 dims, seeded (no information)",
    "confound": "confound-only control: an embedding of each cell's batch (one-hot, when the task has a batch_key) and "
                "technical QC covariates from obs (log1p library size, log1p genes detected, percent mito; "
                "standardised), no expression profile",
    "control_median": "perturbation floor (legacy cz-benchmarks baseline): every perturbed cell is predicted "
                      "as the per-gene median of the control cells",
}
EMBEDDING_MODELS = ("pca", "random", "confound")
#: QC covariates of the confound control: (output name, obs column names in order of preference, log1p?)
QC_COVARIATES = (("log1p_library_size", ("n_counts", "total_counts", "nCount_RNA"), True),
                 ("log1p_genes_detected", ("n_genes", "n_genes_by_counts", "nFeature_RNA"), True),
                 ("percent_mito", ("percent_mito", "pct_counts_mt", "percent.mt"), False))
PERTURBATION_MODELS = ("control_median",)
EMBEDDING_KINDS = {"clustering", "embedding", "label_prediction", "integration"}
N_DIMS = 50


def pca_embedding(adata, *, n_top_genes: int = 3000, n_comps: int = N_DIMS, random_state: int = 42,
                  normalised: bool = False) -> np.ndarray:
    """cz-benchmarks' ``compute_baseline``: normalize_total -> log1p -> HVG (seurat) -> PCA.

    ``normalised=True`` skips normalize_total/log1p for configs that already hold log1p values
    (pbmc68k). With fewer genes than ``n_top_genes`` every gene is kept.
    """
    import scanpy as sc

    ad = adata.copy()
    ad.X = ad.X.astype(np.float32)
    if not normalised:
        sc.pp.normalize_total(ad)
        sc.pp.log1p(ad)
    if n_top_genes < ad.n_vars:
        sc.pp.highly_variable_genes(ad, n_top_genes=n_top_genes, flavor="seurat")
        ad = ad[:, ad.var["highly_variable"].to_numpy()].copy()
    n_comps = min(n_comps, min(ad.shape) - 1)
    sc.pp.pca(ad, n_comps=n_comps, random_state=random_state)
    return np.asarray(ad.obsm["X_pca"], dtype=np.float32)


def random_embedding(n_cells: int, *, n_dims: int = N_DIMS, seed: int = 42) -> np.ndarray:
    """The information-free floor: standard normal (n_cells, n_dims), float32, seeded."""
    return np.random.default_rng(seed).standard_normal((n_cells, n_dims)).astype(np.float32)


def confound_embedding(obs: pd.DataFrame, *, batch_key: str | None = None) -> tuple[np.ndarray, list[str]]:
    """The confound-only control's embedding and its column names: the one-hot batch (categories
    sorted) and each QC covariate present in ``obs`` (log1p for counts), standardised to mean 0 and
    standard deviation 1 (ddof 0; a constant column becomes 0). BenchError when there is neither."""
    columns, names = [], []
    if batch_key:
        batches = obs[batch_key].astype(str).to_numpy()
        for b in sorted(set(batches.tolist())):
            columns.append((batches == b).astype(np.float64))
            names.append(f"{batch_key}={b}")
    for name, candidates, log in QC_COVARIATES:
        found = next((c for c in candidates if c in obs.columns), None)
        if found is None:
            continue
        values = pd.to_numeric(obs[found], errors="raise").to_numpy(dtype=np.float64)
        columns.append(np.log1p(values) if log else values)
        names.append(f"{name} ({found})")
    if not columns:
        raise BenchError("confound control: obs has no batch column and none of the QC columns "
                         f"{[c for _, cands, _ in QC_COVARIATES for c in cands]}; nothing for it to see")
    X = np.column_stack(columns)
    sd = X.std(axis=0)
    return ((X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)).astype(np.float32), names


def embed(adata, *, model: str, seed: int, normalised: bool, batch_key: str | None = None) -> np.ndarray:
    if model == "confound":
        return confound_embedding(adata.obs, batch_key=batch_key)[0]
    if model == "pca":
        return pca_embedding(adata, random_state=seed, normalised=normalised)
    if model == "random":
        return random_embedding(adata.n_obs, seed=seed)
    raise BenchError(f"unknown model {model!r}; choices: {', '.join(MODELS)}")


def subtasks(spec) -> list:
    """The task specs a run covers: ``params.tasks`` of an umbrella spec, else the spec itself."""
    names = spec.params.get("tasks")
    return [get_task(n) for n in names] if names else [spec]
