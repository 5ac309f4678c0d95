"""Load a built 20k-gene GeneLab config into numpy vs reading the same data from the upstream CSVs.

    python benchmarks/bench_load_vs_csv.py [--task A5_skin] [--data-dir SRC] [--repeats 5]

Builds the config once (embedded synthetic default unless --data-dir points to an upstream
checkout with the Hub matrices), then times, best of ``--repeats``:

1. whole config: every split -> (X float32, ids, obs) with bench.loaders (parquet, one fixed-length
   float32 list column)  vs  pandas.read_csv of every fold's test_X.csv (the same samples x genes);
2. one LOMO fold as a model needs it: get_fold + to_numpy(train/test, selected genes)  vs
   pandas.read_csv of that fold's train_X.csv + test_X.csv;
3. for reference, datasets.load_dataset(<repo>, cfg) (warm Arrow cache) + numpy conversion.

Prints both times and the ratio per case.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="A5_skin")
    ap.add_argument("--data-dir", default="synthetic")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.simplefilter("ignore")

    import datasets
    from bench.loaders import folds, get_fold, load, to_numpy
    from bench.loaders.families import write_task
    from bench.loaders.genelab.source import source
    from bench.loaders.genelab.layout import read_task_layout, task_dir_for
    from bench.tasks import get_task

    datasets.disable_progress_bars()
    spec = get_task(args.task)
    src = source(spec, args.data_dir)
    root, synthetic = src.root, src.synthetic
    repo = Path(tempfile.mkdtemp(prefix="bench-perf-")) / "bench"
    t0 = time.perf_counter()
    write_task(spec, repo, data_dir=args.data_dir)
    build_s = time.perf_counter() - t0
    layout = read_task_layout(task_dir_for(root, spec.params["task_dir"]))
    dsd = load(spec.name, data_dir=repo)
    n = sum(ds.num_rows for ds in dsd.values())
    p = len(to_numpy(next(iter(dsd.values())))[1])
    print(f"task {spec.name}{' (SYNTHETIC)' if synthetic else ''}: {n} samples x {p} features, "
          f"{len(dsd)} splits; built once in {build_s:.2f} s")

    def bench_all():
        d = load(spec.name, data_dir=repo)
        return [to_numpy(ds)[0] for ds in d.values()]

    def csv_all():
        return [pd.read_csv(f.path / "test_X.csv", index_col=0).to_numpy(np.float32) for f in layout.folds]

    fold = folds(dsd)[-1]

    def bench_fold():
        d = load(spec.name, data_dir=repo)
        train, test = get_fold(d, fold["name"])
        sel = fold["selected_features"]
        return to_numpy(train, features=sel)[0], to_numpy(test, features=sel)[0]

    def csv_fold():
        path = layout.fold(fold["name"]).path
        return (pd.read_csv(path / "train_X.csv", index_col=0).to_numpy(np.float32),
                pd.read_csv(path / "test_X.csv", index_col=0).to_numpy(np.float32))

    # correctness first: the two routes give the same numbers
    a, b = bench_fold(), csv_fold()
    assert all(np.array_equal(x.shape, y.shape) for x, y in zip(a, b))
    np.testing.assert_allclose(a[1], b[1], rtol=1e-6)

    datasets.load_dataset(str(repo), spec.name)          # warm the Arrow cache once

    def hf_all():
        d = datasets.load_dataset(str(repo), spec.name)
        return [np.asarray(ds.with_format("numpy")["features"]) for ds in d.values()]

    cases = [("whole config -> numpy", bench_all, csv_all),
             (f"one fold ({fold['name']}) train+test", bench_fold, csv_fold)]
    for label, fast, slow in cases:
        t_fast, t_slow = best_of(fast, args.repeats), best_of(slow, args.repeats)
        print(f"{label:38s} bench.loaders {t_fast * 1e3:8.1f} ms | pandas CSV {t_slow * 1e3:8.1f} ms | "
              f"ratio {t_slow / t_fast:6.1f}x")
    t_hf = best_of(hf_all, args.repeats)
    t_csv = best_of(csv_all, args.repeats)
    print(f"{'datasets.load_dataset (warm) -> numpy':38s} datasets      {t_hf * 1e3:8.1f} ms | pandas CSV "
          f"{t_csv * 1e3:8.1f} ms | ratio {t_csv / t_hf:6.1f}x")


if __name__ == "__main__":
    main()
