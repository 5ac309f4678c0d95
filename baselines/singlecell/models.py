"""Single-cell baseline models: a PCA embedding (cz-benchmarks' compute_baseline), a seeded
random-embedding floor, and the control-median perturbation floor (in run.py)."""
from __future__ import annotations

import numpy as np

from bench.errors import BenchError
from bench.tasks import get_task

MODELS = {
    "pca": "PCA (50 comps, seed) on highly variable genes (seurat flavour, 3000 or all genes) after "
           "normalize_total + log1p unless the config is already log-normalised (scanpy; as cz-benchmarks)",
    "random": "random-embedding floor: i.i.d. standard normal, 50 dims, seeded (no information)",
    "control_median": "perturbation floor (legacy cz-benchmarks baseline): every perturbed cell is predicted "
                      "as the per-gene median of the control cells",
}
EMBEDDING_MODELS = ("pca", "random")
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


def embed(adata, *, model: str, seed: int, normalised: bool) -> np.ndarray:
    if model == "pca":
        return pca_embedding(adata, random_state=seed, normalised=normalised)
    if model == "random":
        return random_embedding(adata.n_obs, seed=seed)
    raise BenchError(f"unknown model {model!r}; choices: {', '.join(MODELS)}")


def subtasks(spec) -> list:
    """The task specs a run covers: ``params.tasks`` of an umbrella spec, else the spec itself."""
    names = spec.params.get("tasks")
    return [get_task(n) for n in names] if names else [spec]
