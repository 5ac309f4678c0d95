"""Peak memory and throughput of the chunked ARCHS4 join vs reading the whole matrix (upstream).

    python benchmarks/bench_archs4.py                      # 20,000 samples x 20,000 genes, select 10,000
    python benchmarks/bench_archs4.py --samples 4000 --genes 4000 --select 2000   # quick look
    python benchmarks/bench_archs4.py --h5 /tmp/archs4_20k.h5   # keep the 0.5 GB file for the next run

1. writes a synthetic ARCHS4-format file (uint32 genes x samples, gzip-chunked like ARCHS4, ids as
   bytes) block by block into a temporary folder (or reuses ``--h5``);
2. in a fresh process per method, selects ``--select`` random GSMs and
   - ``chunked``: :func:`bench.loaders.geometa.archs4.join_expression` + ``write_config`` of
     :func:`~bench.loaders.geometa.archs4.streamed_splits`, as ``build_config`` does (the whole config build:
     sorted column chunks -> log1p(CPM) float32 -> label-order Arrow -> parquet streamed in row
     groups with plain reads + card);
   - ``chunked_dataset_parquet``: the same join, but ``write_config`` given the Datasets
     (``Dataset.to_parquet`` reads the memory-mapped Arrow file: its pages become resident);
   - ``chunked_in_memory``: :func:`bench.loaders.geometa.archs4.read_log_cpm` (result matrix kept in RAM);
   - ``whole_matrix``: upstream's way, ``f["data/expression"][:]`` then column selection and the same
     normalisation (result in RAM, nothing written);
3. prints wall time, samples/s, peak RSS (VmHWM, includes memory-mapped Arrow pages the kernel
   keeps resident) and peak anonymous RSS (sampled every 20 ms), then the ratios, and whether the
   streamed and the Dataset parquet files are byte-identical.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def proc_status(field: str) -> int:
    """A ``/proc/self/status`` field in bytes (0 where /proc is unavailable)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class AnonPeak:
    """Sample RssAnon in a thread: the peak of memory the process itself allocated."""

    def __init__(self, every: float = 0.02):
        self.peak, self.every, self._stop = 0, every, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, proc_status("RssAnon"))
            time.sleep(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, proc_status("RssAnon"))


def selected_gsms(h5: Path, n_select: int, seed: int) -> list[str]:
    from bench.loaders.geometa.archs4 import read_layout

    ids = read_layout(h5).gsm_ids
    pick = np.random.default_rng(seed).choice(len(ids), n_select, replace=False)
    return [ids[i] for i in pick]  # random order, as a label table would list them


def run_method(method: str, h5: Path, n_select: int, seed: int, workdir: Path) -> dict:
    """Executed in a child process; returns the measurements."""
    import h5py
    import pandas as pd

    from bench.loaders.geometa import archs4

    gsms = selected_gsms(h5, n_select, seed)
    base_rss = proc_status("VmRSS")
    t0 = time.perf_counter()
    with AnonPeak() as anon:
        if method in ("chunked", "chunked_dataset_parquet"):
            from bench.loaders.repo import write_config

            table = pd.DataFrame({"GSM_ID": gsms, "GSE_ID": ["GSE0"] * len(gsms)})
            splits, info = archs4.join_expression({"test": table}, h5, cache_dir=workdir / f"cache_{method}",
                                                  progress=False)
            meta = {"task": "bench_archs4", "family": "geometa", "description": "benchmark", "synthetic": True,
                    "feature_column": "expression", "feature_ids": info["feature_ids"], "license_id": "other"}
            to_write = archs4.streamed_splits(splits) if method == "chunked" else splits
            write_config(workdir / f"repo_{method}", "bench_archs4", to_write, meta=meta)
            checksum = float(np.asarray(splits["test"].with_format("numpy")[:3]["expression"]).sum())
        elif method == "chunked_in_memory":
            x, _, _ = archs4.read_log_cpm(h5, gsms, progress=False)
            checksum = float(x[:3].sum())
        elif method == "whole_matrix":
            layout = archs4.read_layout(h5)
            cols, _ = layout.column_positions(gsms)
            with h5py.File(h5, "r") as fh:
                counts = fh["data/expression"][:]  # upstream: the whole matrix in memory
            x = archs4.log1p_cpm(counts[:, cols])
            del counts
            checksum = float(x[:3].sum())
        else:
            raise SystemExit(f"unknown method {method}")
    seconds = time.perf_counter() - t0
    return {"method": method, "seconds": seconds, "samples_per_s": n_select / seconds,
            "peak_rss_bytes": proc_status("VmHWM"), "peak_anon_bytes": anon.peak, "start_rss_bytes": base_rss,
            "checksum_first_rows": checksum}


def make_file(path: Path, *, n_samples: int, n_genes: int, seed: int, compression: str | None) -> float:
    from bench.loaders.geometa import archs4

    t0 = time.perf_counter()
    archs4.write_synthetic_archs4(path, gsm_ids=archs4.synthetic_gsm_ids(n_samples), n_genes=n_genes,
                                  n_extra_samples=0, seed=seed, block_samples=500, compression=compression,
                                  progress=True)
    return time.perf_counter() - t0


def _same_parquet(path: Path) -> str:
    from bench.io import sha256_file

    return sha256_file(path) if path.is_file() else f"missing {path}"


def check_file(h5: Path, *, n_samples: int, n_genes: int) -> None:
    """A reused file must have the requested shape."""
    from bench.loaders.geometa import archs4

    layout = archs4.read_layout(h5)
    if (layout.n_genes, layout.n_samples) != (n_genes, n_samples):
        raise SystemExit(f"{h5}: {layout.n_genes} genes x {layout.n_samples} samples, expected "
                         f"{n_genes} x {n_samples}; remove it or pass another --h5")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=20000)
    ap.add_argument("--genes", type=int, default=20000)
    ap.add_argument("--select", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--compression", choices=["gzip", "none"], default="gzip")
    ap.add_argument("--methods", default="chunked,chunked_dataset_parquet,chunked_in_memory,whole_matrix")
    ap.add_argument("--workdir", default=None, help="temporary folder (default: a new one, removed at the end)")
    ap.add_argument("--h5", default=None, help="keep the synthetic file here and reuse it when it exists "
                    "(same --samples/--genes/--seed/--compression; saves the generation time between runs)")
    ap.add_argument("--_child", nargs=2, metavar=("METHOD", "H5"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._child:
        workdir = Path(args.workdir)
        print(json.dumps(run_method(args._child[0], Path(args._child[1]), args.select, args.seed, workdir)))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench_archs4_", dir=args.workdir) as tmp:
        tmp = Path(tmp)
        h5 = Path(args.h5) if args.h5 else tmp / "synthetic_gene_v2.2.h5"
        reused = h5.is_file()
        gen_s = 0.0 if reused else make_file(h5, n_samples=args.samples, n_genes=args.genes, seed=args.seed,
                                             compression=None if args.compression == "none" else args.compression)
        check_file(h5, n_samples=args.samples, n_genes=args.genes)
        raw_gb = args.samples * args.genes * 4 / 1e9
        print(f"file: {args.genes} genes x {args.samples} samples uint32 ({raw_gb:.2f} GB raw, "
              f"{h5.stat().st_size / 1e9:.2f} GB on disk, {args.compression}), "
              f"{'reused from ' + str(h5) if reused else f'written in {gen_s:.0f} s'}; "
              f"selecting {args.select} samples (random order)\n")
        results = {}
        for method in args.methods.split(","):
            child = subprocess.run([sys.executable, __file__, "--_child", method, str(h5), "--select", str(args.select),
                                    "--seed", str(args.seed), "--workdir", str(tmp)],
                                   capture_output=True, text=True, env={**os.environ, "TQDM_DISABLE": "1"})
            if child.returncode != 0:
                print(f"{method}: FAILED\n{child.stderr[-2000:]}")
                continue
            res = json.loads(child.stdout.strip().splitlines()[-1])
            results[method] = res
            print(f"{method:24s} {res['seconds']:7.1f} s  {res['samples_per_s']:8.0f} samples/s  "
                  f"peak RSS {res['peak_rss_bytes'] / 2**20:7.0f} MiB  peak anon {res['peak_anon_bytes'] / 2**20:7.0f} MiB"
                  f"  (interpreter at start {res['start_rss_bytes'] / 2**20:.0f} MiB)")
        sums = {m: r["checksum_first_rows"] for m, r in results.items()}
        if len(sums) > 1 and not np.allclose(list(sums.values()), next(iter(sums.values())), rtol=1e-4):
            print(f"WARNING: methods disagree on the first rows: {sums}")
        if "whole_matrix" in results:
            ref = results["whole_matrix"]
            print("\nratios vs whole_matrix (upstream [:]):")
            for method, res in results.items():
                if method == "whole_matrix":
                    continue
                print(f"  {method:24s} peak RSS x{res['peak_rss_bytes'] / ref['peak_rss_bytes']:.2f}, "
                      f"peak anon x{res['peak_anon_bytes'] / ref['peak_anon_bytes']:.2f}, "
                      f"speed x{res['samples_per_s'] / ref['samples_per_s']:.2f}")
        if "chunked" in results:
            res = results["chunked"]
            out_mib = args.select * args.genes * 4 / 2**20
            print(f"\nchunked config build: peak RSS {res['peak_rss_bytes'] / 2**30:.2f} GiB "
                  f"({'<=' if res['peak_rss_bytes'] <= 1e9 else '>'} 1 GB goal) for a {out_mib:.0f} MiB float32 "
                  f"output; of it, own allocations (anon) {res['peak_anon_bytes'] / 2**30:.2f} GiB")
        if "chunked" in results and "chunked_dataset_parquet" in results:
            new, old = results["chunked"], results["chunked_dataset_parquet"]
            print(f"streamed parquet vs Dataset.to_parquet: peak RSS "
                  f"x{new['peak_rss_bytes'] / old['peak_rss_bytes']:.2f}, time x{new['seconds'] / old['seconds']:.2f}")
            same = [_same_parquet(tmp / f"repo_{m}" / "bench_archs4" / "test-00000-of-00001.parquet")
                    for m in ("chunked", "chunked_dataset_parquet")]
            print("parquet files identical: " + ("yes" if same[0] == same[1] else "NO"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
