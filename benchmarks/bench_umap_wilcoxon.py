"""UMAP connectivities and Wilcoxon scores: bench's numpy code vs the libraries it reproduces.

    python benchmarks/bench_umap_wilcoxon.py [--cells 50000] [--k 15] [--group 800] [--reference 8000]
                                             [--genes 5060] [--only umap|wilcoxon]

Synthetic, seeded. Each method runs in a fresh forked process (nothing imported or compiled
beforehand): "first call" includes importing the library and, for umap-learn, numba's JIT
compilation, which a `bench evaluate` / `bench run` process pays once; "second call" is warm.
Ratios > 1 mean bench is faster.

* UMAP connectivities of an exact 15-NN graph (bench_singlecell.py's embedding: 10 cell types,
  2 batches, 50 dims; the k-NN is computed once, outside the timings): ``bench.metrics.singlecell.umap_connectivities`` vs umap-learn's
  ``fuzzy_simplicial_set`` called exactly as ``scanpy.pp.neighbors`` calls it. Max |difference|
  of the two sparse graphs, and whether their stored entries are the same.
* Wilcoxon rank-sum scores (legacy perturbation metrics: one perturbation's cells vs the control
  cells, log1p counts with ~75% zeros, so many ties): ``wilcoxon_scores`` vs
  ``scipy.stats.mannwhitneyu`` (its U turned into the same z) and scanpy's
  ``rank_genes_groups(method="wilcoxon")``. Max |difference| of the scores and whether the gene
  order by score (what the metrics use) is the same.
"""
from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import time
import warnings

import numpy as np

from bench_singlecell import synthetic   # the embedding of benchmarks/bench_singlecell.py (same folder)

INPUTS: dict = {}   # filled in the parent before forking: the children share it copy-on-write


# ------------------------------------------------------------------------------------- inputs
def counts(n_cells: int, n_genes: int, shift: float, seed: int) -> np.ndarray:
    """log1p of negative-binomial counts (~75% zeros), float32 as in an AnnData X."""
    rng = np.random.default_rng(seed)
    mean = rng.gamma(0.3, 1.0, n_genes) * (1.0 + shift * (rng.random(n_genes) < 0.05))
    return np.log1p(rng.negative_binomial(1, 1.0 / (1.0 + mean), (n_cells, n_genes))).astype(np.float32)


# ------------------------------------------------------------------------------------- methods
def bench_umap():
    from bench.metrics.singlecell import umap_connectivities
    return umap_connectivities(INPUTS["idx"], INPUTS["dist"])


def umap_learn_umap():
    """umap-learn's fuzzy simplicial set, as ``scanpy.neighbors._connectivity.umap`` calls it."""
    import scipy.sparse as sp
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Tensorflow not installed")
        from umap.umap_ import fuzzy_simplicial_set
    idx, dist = INPUTS["idx"], INPUTS["dist"]
    graph, _, _ = fuzzy_simplicial_set(sp.coo_matrix((len(idx), 1)), idx.shape[1], None, None, knn_indices=idx,
                                       knn_dists=dist, set_op_mix_ratio=1.0, local_connectivity=1.0)
    return graph.tocsr()


def bench_wilcoxon():
    from bench.metrics.singlecell import wilcoxon_scores
    return wilcoxon_scores(INPUTS["group"], INPUTS["reference"])


def scipy_wilcoxon():
    """z of ``mannwhitneyu``'s U (no tie correction, as scanpy's default and bench), on float64 values as
    bench ranks them (on float32 input scipy keeps float32 rank sums: |difference| ~1e-6)."""
    from scipy.stats import mannwhitneyu
    g, r = INPUTS["group"].astype(np.float64), INPUTS["reference"].astype(np.float64)
    u = mannwhitneyu(g, r, axis=0, use_continuity=False, method="asymptotic").statistic
    n_g, n_r = len(g), len(r)
    return (u - n_g * n_r / 2.0) / math.sqrt(n_g * n_r * (n_g + n_r + 1) / 12.0)


def scanpy_wilcoxon():
    import anndata
    import pandas as pd
    import scanpy as sc
    g, r = INPUTS["group"], INPUTS["reference"]
    labels = pd.Categorical(["group"] * len(g) + ["reference"] * len(r))
    adata = anndata.AnnData(X=np.vstack([g, r]), obs=pd.DataFrame({"condition": labels},
                                                                    index=[str(i) for i in range(len(labels))]))
    sc.tl.rank_genes_groups(adata, "condition", groups=["group"], reference="reference", method="wilcoxon",
                            n_genes=adata.n_vars, tie_correct=False)
    result = adata.uns["rank_genes_groups"]
    scores = np.empty(adata.n_vars)
    scores[adata.var_names.get_indexer(result["names"]["group"])] = result["scores"]["group"]
    return scores


# ------------------------------------------------------------------------------------- timing
def _child(fn_name: str, queue) -> None:
    fn = globals()[fn_name]
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    start = time.perf_counter()
    value = fn()
    queue.put((value, first, time.perf_counter() - start))


def measure(fn_name: str):
    """(value, first-call seconds, second-call seconds) in a fresh forked process."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn_name, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def print_times(name: str, first: float, warm: float) -> None:
    print(f"  {name:<46} first call {first:7.2f} s   second call {warm:7.2f} s")


def print_ratios(ours, theirs, name: str) -> None:
    print(f"  -> bench vs {name}: {theirs[1] / ours[1]:.1f}x first call, {theirs[2] / ours[2]:.1f}x second call")


# ------------------------------------------------------------------------------------- sections
def umap_section(n: int, k: int) -> None:
    from bench.metrics.singlecell import knn_exact

    INPUTS["idx"], INPUTS["dist"] = knn_exact(synthetic(n, 50)[0], k)
    print(f"UMAP connectivities: {n} cells, exact {k}-NN of 50 dims (k-NN not timed)")
    ours, theirs = measure("bench_umap"), measure("umap_learn_umap")
    print_times("bench umap_connectivities", *ours[1:])
    print_times("umap-learn fuzzy_simplicial_set (as scanpy)", *theirs[1:])
    print_ratios(ours, theirs, "umap-learn")
    a, b = ours[0], theirs[0]
    a.sort_indices()
    b.sort_indices()
    same = a.nnz == b.nnz and np.array_equal(a.indices, b.indices) and np.array_equal(a.indptr, b.indptr)
    print(f"  max |difference| {abs(a - b).max():.2e}; same stored entries: {same} (nnz {a.nnz} vs {b.nnz})\n")


def wilcoxon_section(n_group: int, n_reference: int, n_genes: int) -> None:
    INPUTS["group"] = counts(n_group, n_genes, shift=3.0, seed=1)
    INPUTS["reference"] = counts(n_reference, n_genes, shift=0.0, seed=2)
    zeros = float(np.mean(INPUTS["reference"] == 0))
    print(f"Wilcoxon scores: {n_group} vs {n_reference} cells x {n_genes} genes ({zeros:.0%} zeros)")
    ours = measure("bench_wilcoxon")
    print_times("bench wilcoxon_scores", *ours[1:])
    for fn_name, name in (("scipy_wilcoxon", "scipy mannwhitneyu -> z"),
                          ("scanpy_wilcoxon", "scanpy rank_genes_groups wilcoxon")):
        theirs = measure(fn_name)
        print_times(name, *theirs[1:])
        print_ratios(ours, theirs, name)
        order = np.array_equal(np.lexsort((np.arange(n_genes), -ours[0])), np.lexsort((np.arange(n_genes), -theirs[0])))
        print(f"  max |difference| {np.abs(ours[0] - theirs[0]).max():.2e}; same gene order by score: {order}")
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, default=50_000)
    ap.add_argument("--k", type=int, default=15)
    ap.add_argument("--group", type=int, default=800)
    ap.add_argument("--reference", type=int, default=8_000)
    ap.add_argument("--genes", type=int, default=5_060)
    ap.add_argument("--only", choices=("umap", "wilcoxon"))
    args = ap.parse_args()
    if args.only != "wilcoxon":
        umap_section(args.cells, args.k)
    if args.only != "umap":
        wilcoxon_section(args.group, args.reference, args.genes)


if __name__ == "__main__":
    main()
