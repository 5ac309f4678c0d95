"""Parse a ~50 MB synthetic GEO series matrix (real format, gzip) with bench's streaming parser
and with the obvious alternative, ``pandas.read_csv(..., comment='!')`` on the same file (what
the upstream notebooks do), and print throughput, peak memory and their ratios.

    python benchmarks/bench_series_matrix.py [--mb 50] [--samples 100] [--seed 0]

Time is measured without tracing; peak memory in a second run under ``tracemalloc`` (numpy
and pandas buffers are traced).
"""
from __future__ import annotations

import argparse
import gc
import gzip
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from bench.loaders.genotex.geo_soft import read_series_matrix


def write_matrix(path: Path, *, target_mb: float, n_samples: int, seed: int) -> tuple[int, int]:
    """Write a gzip series matrix of about ``target_mb`` uncompressed MB; return (probes, bytes)."""
    rng = np.random.default_rng(seed)
    samples = [f"GSM{4000000 + i}" for i in range(n_samples)]
    bytes_per_row = 14 + n_samples * 7.2
    n_probes = int(target_mb * 1e6 / bytes_per_row)
    header = [f'!Series_title\t"Synthetic benchmark series"', '!Series_geo_accession\t"GSE999999"',
              '!Series_platform_id\t"GPL570"',
              "!Sample_geo_accession\t" + "\t".join(f'"{s}"' for s in samples),
              "!Sample_characteristics_ch1\t" + "\t".join(f'"tissue: {"tumor" if i % 2 else "normal"}"'
                                                         for i in range(n_samples)),
              "!series_matrix_table_begin", "\t".join(['"ID_REF"'] + [f'"{s}"' for s in samples])]
    total = 0
    with gzip.open(path, "wt", compresslevel=1) as fh:
        text = "\n".join(header) + "\n"
        fh.write(text)
        total += len(text)
        for start in range(0, n_probes, 5000):
            block = rng.normal(7, 2, size=(min(5000, n_probes - start), n_samples))
            ids = [f'"{1000000 + i}_at"' for i in range(start, start + len(block))]
            frame = pd.DataFrame(block, index=ids)
            text = frame.to_csv(sep="\t", header=False, float_format="%.4f", quoting=3)
            fh.write(text)
            total += len(text)
        fh.write("!series_matrix_table_end\n")
    return n_probes, total


def ours(path):
    return read_series_matrix(path).expression


def pandas_read(path):
    return pd.read_csv(path, sep="\t", comment="!", index_col=0)


def measure(fn, path) -> tuple[float, float, tuple]:
    gc.collect()
    t0 = time.perf_counter()
    frame = fn(path)
    seconds = time.perf_counter() - t0
    shape = frame.shape
    del frame
    gc.collect()
    tracemalloc.start()
    frame = fn(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del frame
    return seconds, peak / 1e6, shape


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=50.0, help="uncompressed size of the table (MB)")
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "GSE999999_series_matrix.txt.gz"
        n_probes, n_bytes = write_matrix(path, target_mb=args.mb, n_samples=args.samples, seed=args.seed)
        mb = n_bytes / 1e6
        print(f"series matrix: {n_probes} probes x {args.samples} samples, {mb:.1f} MB text, "
              f"{path.stat().st_size / 1e6:.1f} MB gzip")
        t_ours, m_ours, s_ours = measure(ours, path)
        t_pd, m_pd, s_pd = measure(pandas_read, path)
        assert s_ours == s_pd, (s_ours, s_pd)
        check = ours(path).to_numpy(dtype=np.float64)
        np.testing.assert_allclose(check, pandas_read(path).to_numpy(), rtol=1e-6)
        print(f"{'parser':<34}{'seconds':>9}{'MB/s':>9}{'peak MB':>10}")
        print(f"{'bench read_series_matrix (float32)':<34}{t_ours:>9.2f}{mb / t_ours:>9.1f}{m_ours:>10.1f}")
        print(f"{'pandas.read_csv(comment=!)':<34}{t_pd:>9.2f}{mb / t_pd:>9.1f}{m_pd:>10.1f}")
        print(f"ratio bench/pandas: time {t_ours / t_pd:.2f}x, peak memory {m_ours / m_pd:.2f}x "
              "(bench also returns the header, sample IDs and characteristics)")


if __name__ == "__main__":
    main()
