"""What a simulated study costs in `bench simulate`, and what dominates.

Per study (one draw from the synthetic generator in the task's layout, one model fit per LOMO
fold, the lomo statistics per fold: AUROC + 2,000 bootstrap + 1,000 permutation AUROCs), CPU time
(process_time, one BLAS thread as the simulator runs) of the three parts, for a pathway task
(hallmark, 50 features) and the gene-level task (~20k genes after the variance filter), plus the
saving of drawing only the collection's genes at pathway level. ``--full`` also times the real
thing: a 10-point power curve x 200 studies per point on A5_skin_hallmark (wall and CPU).

    python benchmarks/bench_simulate.py [--studies 10] [--full]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
from threadpoolctl import threadpool_limits

from bench.baselines.genelab import simulate as sim
from bench.loaders.genelab import synthetic as gs


def parts(task: str, model: str, studies: int) -> dict:
    """Mean CPU seconds per study of draw / fit / statistics."""
    spec = sim.simulation_spec(task)
    setting = sim.Setting(0.5, None, None, model)
    level = spec.params.get("level", "gene")
    sim.run_study(spec, setting, 0)                                       # warm caches and imports
    t = {"draw": 0.0, "fit": 0.0, "stats": 0.0}
    for rep in range(1, studies + 1):
        a = time.process_time()
        study = sim.draw(spec, setting, rep)
        b = time.process_time()
        folds = sim.fold_predictions(study, model, level=level)
        c = time.process_time()
        for _, y, s in folds:
            sim.fold_statistics(y, s)
        d = time.process_time()
        t["draw"] += b - a
        t["fit"] += c - b
        t["stats"] += d - c
    return {k: v / studies for k, v in t.items()}


def draw_subset_vs_full(studies: int) -> tuple[float, float]:
    """CPU seconds per study drawing the hallmark genes only vs every gene (then scoring)."""
    spec = sim.simulation_spec("A5_skin_hallmark")
    sp = sim.generator_params(spec, sim.Setting(0.5, None, None, "pca_lr"))
    layout = sim.study_layout(spec, None)
    n_genes = int(spec.params["n_genes_before_var_filter"])
    subset = full = 0.0
    for rep in range(studies):
        a = time.process_time()
        gs.draw_study("skin", layout, sp, seed=rep, n_genes=n_genes, collection="hallmark")
        b = time.process_time()
        study = gs.draw_study("skin", layout, sp, seed=rep, n_genes=n_genes)
        model = gs.gene_model("skin", n_genes, sp, seed=rep)
        sets = gs.gene_sets(model, "skin", "hallmark", seed=rep)
        for m in study.missions:
            gs.gsva_like_scores(study.X[m], sets)
        c = time.process_time()
        subset += b - a
        full += c - b
    return subset / studies, full / studies


def report(name: str, t: dict) -> None:
    total = sum(t.values())
    shares = ", ".join(f"{k} {1000 * v:.0f} ms ({100 * v / total:.0f}%)" for k, v in t.items())
    print(f"{name}: {1000 * total:.0f} ms CPU per study = {shares}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studies", type=int, default=10)
    ap.add_argument("--full", action="store_true", help="also run 10 effects x 200 studies on A5_skin_hallmark")
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f} (shared machine)")
    with threadpool_limits(1):
        path = parts("A5_skin_hallmark", "pca_lr", args.studies)
        report("A5_skin_hallmark pca_lr (50 pathways)", path)
        print(f"  -> 2,000 studies (10 points x 200): {2000 * sum(path.values()):.0f} s CPU on one core, "
              f"~{1000 * sum(path.values()):.0f} s on 2 workers")
        sub, full = draw_subset_vs_full(max(3, args.studies // 3))
        print(f"  drawing only the hallmark genes: {1000 * sub:.0f} ms vs every gene {1000 * full:.0f} ms "
              f"({full / sub:.1f}x)")
        gene = parts("A5_skin", "pca_lr", max(2, args.studies // 5))
        report("A5_skin pca_lr (gene level, ~20k genes)", gene)
        print(f"  model fit / statistics: {gene['fit'] / gene['stats']:.1f}x at gene level vs "
              f"{path['fit'] / path['stats']:.1f}x at pathway level")
        lr = parts("A5_skin", "lr", 1)
        report("A5_skin lr (gene level, elastic net saga)", lr)
        print(f"  model fit / statistics: {lr['fit'] / lr['stats']:.1f}x")
    if args.full:
        wall, cpu = time.perf_counter(), time.process_time()
        table = sim.simulate("A5_skin_hallmark", effects=np.round(np.linspace(0, 1.8, 10), 2), reps=200)
        print(f"full: 10 points x 200 studies: {time.perf_counter() - wall:.0f} s wall, "
              f"{time.process_time() - cpu:.0f} s CPU (serial)")
        print(sim.power_table_text(table))


if __name__ == "__main__":
    main()
