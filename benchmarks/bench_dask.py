"""Serial vs a 2-process Dask LocalCluster: single-cell metrics, a sweep, and the projection inputs.

    python benchmarks/bench_dask.py metrics [--n 100000] [--dims 50]
    python benchmarks/bench_dask.py sweep              # 24 runs: A5_skin, A6_eye_hallmark x 4 models x 3 seeds

metrics: silhouette_label and entropy_per_cell (k = 200) on n synthetic cells (10 types, 2
batches, float32; SYNTHETIC) serially (one thread, n_jobs=1) and on ``--scheduler local:2``
(2 worker processes x 1 thread); prints both wall times, the ratio, whether the values are
bit-identical, the peak RSS of each worker, the per-block costs used by the README projection,
and the error of the seeded subsampling mode (sample_cells) against the exact values.
sweep: the same 24 GeneLab runs serially and on local:2 (fresh output folders), ratio and
whether the leaderboards agree. Ratios > 1 mean local:2 is faster. The machine may be shared:
the load average is printed next to the numbers.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

K = 200


def synthetic(n: int, dims: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 3.0, (10, dims))
    labels = rng.integers(0, 10, n)
    batch = rng.integers(0, 2, n)
    X = centres[labels] + rng.normal(0.0, 0.5, (2, dims))[batch] + rng.normal(size=(n, dims))
    return X.astype(np.float32), labels, batch


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start


def load() -> str:
    return "load average %.1f %.1f %.1f on %d cores" % (*os.getloadavg(), os.cpu_count() or 1)


def worker_peak_rss_mb(client) -> list[float]:
    rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return [round(v / 1024, 1) for v in rss.values()]


def bench_metrics(n: int, dims: int) -> None:
    from bench.metrics.singlecell import entropy_per_cell, silhouette_label
    from bench.metrics.singlecell._distances import CHUNK_ENTRIES, MAX_BLOCKS
    from bench.scheduler import scheduler

    X, labels, batch = synthetic(n, dims)
    print(f"SYNTHETIC embedding: {n} cells x {dims} dims, 10 types, 2 batches; {load()}")
    sil_s, t_sil_s = timed(silhouette_label, X, labels, n_jobs=1)
    ent_s, t_ent_s = timed(entropy_per_cell, X, batch, n_neighbors=K, n_jobs=1)
    with scheduler("local:2", quiet=True) as runner:
        silhouette_label(X[:500], labels[:500])  # warm the workers (imports) before timing
        entropy_per_cell(X[:500], batch[:500], n_neighbors=K)
        sil_d, t_sil_d = timed(silhouette_label, X, labels)
        ent_d, t_ent_d = timed(entropy_per_cell, X, batch, n_neighbors=K)
        rss = worker_peak_rss_mb(runner.client)
    rows_per_chunk = max(1, CHUNK_ENTRIES // n)
    n_chunks = -(-n // rows_per_chunk)
    n_blocks = min(n_chunks, MAX_BLOCKS)
    print(f"silhouette_label : serial {t_sil_s:7.1f} s | local:2 {t_sil_d:7.1f} s | ratio {t_sil_s / t_sil_d:4.2f}x | "
          f"identical {sil_s == sil_d} ({sil_s!r})")
    print(f"entropy_per_cell : serial {t_ent_s:7.1f} s | local:2 {t_ent_d:7.1f} s | ratio {t_ent_s / t_ent_d:4.2f}x | "
          f"identical {ent_s == ent_d} ({ent_s!r})")
    print(f"both             : serial {t_sil_s + t_ent_s:7.1f} s | local:2 {t_sil_d + t_ent_d:7.1f} s | "
          f"ratio {(t_sil_s + t_ent_s) / (t_sil_d + t_ent_d):4.2f}x")
    print(f"peak RSS per worker (MB): {rss}; {load()}")
    pairs = n * (n - 1) / 2
    print(f"per-block costs (serial, one core): silhouette {t_sil_s / pairs * 1e9:.2f} s per 1e9 cell pairs "
          f"({n_blocks} blocks of {-(-n_chunks // n_blocks)} x {rows_per_chunk}-row chunks, "
          f"{t_sil_s / n_blocks:.2f} s per block); entropy {t_ent_s / n * 1e3:.3f} ms per cell "
          f"({t_ent_s / max(1, n // 1000):.2f} s per 1000-cell tile)")
    for m in [m for m in (1000, 5000) if m < n]:
        errs_s, errs_e, t_s, t_e = [], [], 0.0, 0.0
        for seed in range(3):
            v, t = timed(silhouette_label, X, labels, n_jobs=1, sample_cells=m, random_state=seed)
            errs_s.append(abs(v - sil_s))
            t_s += t
            v, t = timed(entropy_per_cell, X, batch, n_neighbors=K, n_jobs=1, sample_cells=m, random_state=seed)
            errs_e.append(abs(v - ent_s))
            t_e += t
        print(f"sample_cells={m:5d} (3 seeds): silhouette |error| max {max(errs_s):.1e} mean {np.mean(errs_s):.1e} "
              f"({t_s / 3:.1f} s each); entropy |error| max {max(errs_e):.1e} mean {np.mean(errs_e):.1e} "
              f"({t_e / 3:.1f} s each)")


def bench_sweep() -> None:
    from bench.leaderboard import collect_runs, leaderboard_rows
    from bench.scheduler import scheduler
    from bench.sweep import plan_cells, run_sweep

    cells = plan_cells(["A5_skin", "A6_eye_hallmark"], ["pca_lr", "lr", "rf", "random"], [0, 1, 2])
    print(f"sweep: {len(cells)} runs (GeneLab, SYNTHETIC default data); {load()}")
    root = Path(tempfile.mkdtemp(prefix="bench_dask_sweep_"))
    try:
        with scheduler("serial"):  # warm the on-disk data cache so neither timing pays for it
            run_sweep([c for c in cells if c.model == "random" and c.seed == 0], root / "warm",
                      stream=open(os.devnull, "w"))
        times, boards = {}, {}
        for where in ("serial", "local:2"):
            with scheduler(where, quiet=True):
                start = time.perf_counter()
                report = run_sweep(cells, root / where.replace(":", "_"), stream=open(os.devnull, "w"))
                times[where] = time.perf_counter() - start
            assert not report["failed"], report["failed"]
            boards[where] = [(r["task"], r["model"], r["mean"], r["std"], r["verdict"])
                             for r in leaderboard_rows(collect_runs([root / where.replace(":", "_")]))]
        print(f"sweep: serial {times['serial']:.1f} s | local:2 {times['local:2']:.1f} s | ratio "
              f"{times['serial'] / times['local:2']:.2f}x | identical leaderboards {boards['serial'] == boards['local:2']}; "
              f"{load()}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["metrics", "sweep"])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dims", type=int, default=50)
    args = parser.parse_args()
    if args.what == "metrics":
        bench_metrics(args.n, args.dims)
    else:
        bench_sweep()


if __name__ == "__main__":
    main()
