"""Serial vs a 2-process Dask LocalCluster: single-cell metrics, a sweep, and the projection inputs.

    python benchmarks/bench_dask.py metrics [--n 100000] [--dims 50]
    python benchmarks/bench_dask.py sweep              # 24 runs: A5_skin, A6_eye_hallmark x pca_lr rf confound random x 3 seeds (fast models)
    python benchmarks/bench_dask.py archs4 [--samples 12500,50000] [--genes 5000] [--h5-dir DIR]

metrics: silhouette_label and entropy_per_cell (k = 200) on n synthetic cells (10 types, 2
batches, float32; SYNTHETIC) serially (one thread, n_jobs=1) and on ``--scheduler local:2``
(2 worker processes x 1 thread); prints both wall times, the ratio, whether the values are
bit-identical, the peak RSS of each worker, the per-block costs used by the README projection,
and the error of the seeded subsampling mode (sample_cells) against the exact values.
sweep: the same 24 GeneLab runs serially and on local:2 (fresh output folders), ratio and
whether the leaderboards agree.
archs4: for each sample count, a SYNTHETIC ARCHS4-format file (uint32 genes x samples, gzip chunks)
and a GEOmeta-style label table of every sample in random order; the config build (sample chunks:
HDF5 read, log1p-CPM, label-order Arrow; then parquet shards of <= 500 MB) serially and on
local:2, each in a fresh process with fresh caches; wall times, ratio, whether every output file is
byte-identical (sha256), peak RSS of the serial process, of the local:2 client and of each worker
(bounded per worker: compare the sample counts). Ratios > 1 mean local:2 is faster. The machine may be shared:
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
from bench_singlecell import K, synthetic   # the same seeded SYNTHETIC cells as the single-cell benchmark


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
    print_projection(t_sil_s / pairs * 1e9, t_ent_s / n * 1e3, n, dims)
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
    from bench.results.leaderboard import collect_runs, leaderboard_rows
    from bench.scheduler import scheduler
    from bench.sweep import plan_cells, run_sweep

    cells = plan_cells(["A5_skin", "A6_eye_hallmark"], ["pca_lr", "rf", "confound", "random"], [0, 1, 2])
    print(f"sweep: {len(cells)} runs (GeneLab, SYNTHETIC default data); {load()}")
    root = Path(tempfile.mkdtemp(prefix="bench_dask_sweep_"))
    try:
        warm = [c for c in cells if c.model == "random" and c.seed == 0]
        times, boards = {}, {}
        for where in ("serial", "local:2"):
            with scheduler(where, quiet=True):
                # warm the on-disk data cache and each process's imports, so neither timing pays for them
                run_sweep(warm, root / f"warm_{where.replace(':', '_')}", stream=open(os.devnull, "w"))
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


def print_projection(sil_s_per_1e9_pairs: float, ent_ms_per_cell: float, n_measured: int, dims: int) -> None:
    """The README's projection table from the measured per-block costs: exact silhouette costs
    n^2/2 pairs; the pruned exact entropy's per-cell cost grows ~linearly with n on clustered data
    (a cell's candidates are its own region), so it is scaled by n / n_measured. Blocks are assumed
    to run perfectly in parallel, one core per worker. Memory per worker: the shared prepared
    embedding (float32 products + float64 centred copy) + ~0.3 GB runtime."""
    print("| cells | exact cost (core-hours) silhouette / entropy | 10 workers | 100 workers | memory per worker |")
    print("|---|---|---|---|---|")
    for n in (10**6, 10**7, 10**8):
        sil_h = n * n / 2 / 1e9 * sil_s_per_1e9_pairs / 3600
        ent_h = n * ent_ms_per_cell / 1e3 * (n / n_measured) / 3600
        per_cell_bytes = 2 * 4 * (dims + 2) + 8 * (dims + 1)
        mem_gb = n * per_cell_bytes / 1e9 + 0.3
        walls = " | ".join(f"{_duration(sil_h / w)} / {_duration(ent_h / w)}" for w in (10, 100))
        print(f"| 10^{len(str(n)) - 1} | {sil_h:,.1f} h / {ent_h:,.1f} h | {walls} | ~{mem_gb:,.1f} GB |")


def _duration(hours: float) -> str:
    if hours < 1 / 60:
        return f"{hours * 3600:.0f} s"
    if hours < 1:
        return f"{hours * 60:.1f} min"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def archs4_file(n_samples: int, n_genes: int, folder: Path) -> Path:
    from bench.loaders.geometa import archs4

    path = folder / f"synthetic_archs4_{n_samples}x{n_genes}.h5"
    if not path.is_file():
        gsms = archs4.synthetic_gsm_ids(n_samples)
        series = [f"GSE{100 + i // 500}" for i in range(n_samples)]
        labels = __import__("pandas").DataFrame({"GSM_ID": gsms, "GSE_ID": series})
        archs4.write_synthetic_archs4(path, labels=labels, n_genes=n_genes, n_extra_samples=0, seed=0,
                                      progress=False)
    return path


def _warm_imports() -> None:
    import datasets  # noqa: F401
    import h5py  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    from datasets import arrow_writer  # noqa: F401

    import bench.loaders.geometa.archs4  # noqa: F401
    import bench.loaders.repo  # noqa: F401


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _workers_cpu(runner) -> list[float]:
    return list(runner.client.run(_cpu_seconds).values()) if runner.client is not None else []


def archs4_child(where: str, h5: Path, workdir: Path) -> dict:
    """One build in this (fresh) process: the label table in random order, joined and written."""
    import pandas as pd

    from bench.io import sha256_file
    from bench.loaders.geometa import archs4
    from bench.loaders.repo import write_config
    from bench.scheduler import scheduler

    gsms = archs4.read_layout(h5).gsm_ids
    order = np.random.default_rng(0).permutation(len(gsms))
    table = pd.DataFrame({"GSM_ID": [gsms[i] for i in order], "GSE_ID": [f"GSE{100 + i // 500}" for i in order]})
    with scheduler(where, quiet=True) as runner:
        _warm_imports()
        if runner.client is not None:
            runner.client.run(_warm_imports)  # imports are not part of the build's throughput
        cpu_before = _cpu_seconds() + sum(_workers_cpu(runner))
        start = time.perf_counter()
        splits, info = archs4.join_expression({"train": table}, h5, cache_dir=workdir / "cache", progress=False)
        joined = time.perf_counter() - start
        meta = {"task": "bench_dask_archs4", "family": "geometa", "description": "benchmark (SYNTHETIC)",
                "synthetic": True, "feature_column": "expression", "feature_ids": info["feature_ids"]}
        write_config(workdir / "repo", "archs4", archs4.streamed_splits(splits), meta=meta)
        seconds = time.perf_counter() - start
        cpu = _cpu_seconds() + sum(_workers_cpu(runner)) - cpu_before
        workers = worker_peak_rss_mb(runner.client) if runner.client is not None else []
    files = {str(f.relative_to(workdir / "repo")): sha256_file(f)
             for f in sorted((workdir / "repo").rglob("*")) if f.is_file()}
    own = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return {"seconds": seconds, "join_seconds": joined, "cpu_seconds": cpu, "files": files, "peak_rss_mb": own, "workers_peak_rss_mb": workers}


def bench_archs4(sample_counts: list[int], n_genes: int, h5_dir: str | None, repeats: int) -> None:
    import json
    import subprocess
    import sys

    root = Path(tempfile.mkdtemp(prefix="bench_dask_archs4_"))
    try:
        for n in sample_counts:
            h5 = archs4_file(n, n_genes, Path(h5_dir) if h5_dir else root)
            raw_mb = n * n_genes * 4 / 1e6
            print(f"ARCHS4 SYNTHETIC {n} samples x {n_genes} genes (float32 output {raw_mb:.0f} MB, "
                  f"h5 {h5.stat().st_size / 1e6:.0f} MB gzip); {load()}")
            results: dict = {}
            for where in ("serial", "local:2") * repeats:  # alternated: the machine may be shared
                work = root / f"{n}_{where.replace(':', '_')}"
                child = subprocess.run([sys.executable, __file__, "_archs4_child", "--where", where, "--h5", str(h5),
                                        "--workdir", str(work)], capture_output=True, text=True,
                                       env={**os.environ, "TQDM_DISABLE": "1"})
                if child.returncode != 0:
                    raise SystemExit(f"{where} build failed:\n{child.stderr[-3000:]}")
                results.setdefault(where, []).append(json.loads(child.stdout.strip().splitlines()[-1]))
                shutil.rmtree(work, ignore_errors=True)
                last = results[where][-1]
                print(f"  {where:7s}: {last['seconds']:6.1f} s (sample chunks {last['join_seconds']:5.1f} s, "
                      f"parquet {last['seconds'] - last['join_seconds']:5.1f} s; CPU {last['cpu_seconds']:5.1f} s "
                      f"in the client and workers); {load()}", flush=True)
            s, d = (min(results[w], key=lambda r: r["seconds"]) for w in ("serial", "local:2"))
            if any(r["files"] != s["files"] for r in results["serial"] + results["local:2"]):
                s = dict(s, files={})
            shards = [f for f in s["files"] if f.endswith(".parquet")]
            print(f"archs4 build {n:6d} (best of {repeats}): serial {s['seconds']:6.1f} s | local:2 {d['seconds']:6.1f} s | ratio "
                  f"{s['seconds'] / d['seconds']:4.2f}x | byte-identical {s['files'] == d['files']} "
                  f"({len(s['files'])} files, {len(shards)} parquet shard(s))")
            print(f"  peak RSS (MB): serial process {s['peak_rss_mb']}, local:2 client {d['peak_rss_mb']}, "
                  f"workers {d['workers_peak_rss_mb']}; {load()}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["metrics", "sweep", "archs4", "_archs4_child"])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dims", type=int, default=50)
    parser.add_argument("--samples", default="12500,50000", help="archs4: sample counts, comma-separated")
    parser.add_argument("--genes", type=int, default=5000, help="archs4: genes in the file")
    parser.add_argument("--repeats", type=int, default=2, help="archs4: alternating runs of each (best kept)")
    parser.add_argument("--h5-dir", default=None, help="archs4: keep the synthetic files here and reuse them")
    parser.add_argument("--where", help=argparse.SUPPRESS)
    parser.add_argument("--h5", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.what == "metrics":
        bench_metrics(args.n, args.dims)
    elif args.what == "sweep":
        bench_sweep()
    elif args.what == "archs4":
        bench_archs4([int(v) for v in args.samples.split(",")], args.genes, args.h5_dir, args.repeats)
    else:
        import json

        print(json.dumps(archs4_child(args.where, Path(args.h5), Path(args.workdir))))


if __name__ == "__main__":
    main()
