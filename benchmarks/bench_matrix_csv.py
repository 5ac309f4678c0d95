"""GeneLab matrix CSV reading: pyarrow.csv (what ``read_matrix_csv`` uses) vs pandas' C engine.

    python benchmarks/bench_matrix_csv.py                        # 300 samples x 20,000 genes
    python benchmarks/bench_matrix_csv.py --samples 60 --genes 2000   # quick look

Writes a synthetic ``id,v,v,...`` matrix (seeded normal values, pandas' to_csv float format) into a
temporary folder, then times (best of ``--repeat``):

- ``read_matrix_csv``: bench's reader: pyarrow.csv, the whole file one block, features typed float64;
- ``pyarrow default blocks``: the same read with pyarrow's default 1 MB blocks and type inference
  (why the block size is set: per-block, per-column work dominates on 20k columns);
- ``pandas C``: ``pd.read_csv(index_col=0)`` (default float converter);
- ``pandas C round_trip``: ``float_precision="round_trip"`` (correctly rounded, as pyarrow).

Prints seconds and ratios to ``read_matrix_csv``, and whether each result equals bench's bit for bit
as float32 (pyarrow and round_trip are correctly rounded; pandas' default converter may differ in the
last float64 bit).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from bench.loaders.genelab.build import read_matrix_csv


def write_matrix(path: Path, samples: int, genes: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(samples, genes)) * 10
    frame = pd.DataFrame(values, index=[f"S{i}" for i in range(samples)],
                         columns=[f"ENSMUSG{i:011d}" for i in range(genes)])
    frame.to_csv(path)


def best_of(fn, repeat: int) -> tuple[float, np.ndarray]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), np.asarray(out, dtype=np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--genes", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-matrix-csv-") as tmp:
        path = Path(tmp) / "train_X.csv"
        write_matrix(path, args.samples, args.genes)
        print(f"{args.samples} x {args.genes} matrix, {path.stat().st_size / 1e6:.1f} MB")
        methods = {
            "read_matrix_csv": lambda: read_matrix_csv(path, what="matrix").to_numpy(),
            "pyarrow default blocks": lambda: pacsv.read_csv(
                path, convert_options=pacsv.ConvertOptions(column_types={"": pa.string()})).drop_columns([""])
            .to_pandas().to_numpy(),
            "pandas C": lambda: pd.read_csv(path, index_col=0).to_numpy(),
            "pandas C round_trip": lambda: pd.read_csv(path, index_col=0, float_precision="round_trip").to_numpy(),
        }
        results = {name: best_of(fn, args.repeat) for name, fn in methods.items()}
    base_time, base = results["read_matrix_csv"]
    for name, (seconds, values) in results.items():
        same = np.array_equal(values.view(np.uint32), base.view(np.uint32))
        print(f"{name:24s} {seconds:7.2f} s  x{seconds / base_time:5.2f}  float32 bits equal: {same}")


if __name__ == "__main__":
    main()
