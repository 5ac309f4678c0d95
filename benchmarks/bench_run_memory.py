"""Wall time and peak memory of `bench run A1_liver --model lr` on the synthetic 20k-gene config.

One run of the real command path (``bench.baselines.genelab.run``: load the config, per
fold select the fold's genes, fit StandardScaler + elastic-net LR, predict, score with the lomo
core, write the report), with two probes:

- wall time and peak RSS of the process (``resource.getrusage``);
- tracemalloc around each fold's data step (``fold_data``: to_numpy + gene selection) and model
  step (``fit_predict``: scaler, saga, predict). Each step's peak Python-heap allocation is printed
  as a multiple of ONE copy of that fold's training matrix (float32, n_train x p). The claim: no
  step holds more than two copies (the selected float32 matrix and the scaler's standardised copy;
  saga works in float32 on the scaled copy without another one).

Arrow buffers (the dataset itself) are allocated by pyarrow outside tracemalloc's view; they
show up only in the RSS figure. This script reports; it asserts nothing.

    python benchmarks/bench_run_memory.py [--task A1_liver] [--model lr]
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="A1_liver")
    ap.add_argument("--model", default="lr")
    args = ap.parse_args(argv)

    import importlib

    from bench.baselines.report import write_report
    from bench.tasks import get_task

    gl = importlib.import_module("bench.baselines.genelab.run")   # the module (the package exports run())

    steps: list[dict] = []
    real_fold_data, real_fit_predict = gl.fold_data, gl.fit_predict

    def traced(kind, fn):
        def wrapper(*a, **kw):
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            t0 = time.perf_counter()
            out = fn(*a, **kw)
            steps.append({"kind": kind, "peak": tracemalloc.get_traced_memory()[1] - base,
                          "seconds": time.perf_counter() - t0, "out": out if kind == "data" else None})
            return out
        return wrapper

    gl.fold_data = traced("data", real_fold_data)
    gl.fit_predict = traced("model", real_fit_predict)
    spec = get_task(args.task)
    out = tempfile.mkdtemp(prefix="bench-mem-")
    t0 = time.perf_counter()
    tracemalloc.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_report(gl.run(spec, model=args.model, data_dir=None, seed=42), out)
    tracemalloc.stop()
    wall = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\n`bench run {args.task} --model {args.model}` (synthetic default, in-process): "
          f"wall {wall:.1f} s, peak RSS {rss_mb:.0f} MB")
    print("one copy = the fold's feature matrix (train + test rows x the fold's features, float32); "
          "'held' = the fold matrix already in memory + the step's own peak allocation")
    print(f"{'fold':18s} {'train/test':>10s} {'p':>6s} {'1 copy MB':>9s} {'data step':>10s} "
          f"{'model step':>11s} {'held':>6s} {'data s':>7s} {'model s':>8s}")
    worst = 0.0
    for data, model in zip(steps[0::2], steps[1::2]):
        fd = data["out"]
        copy = fd.X_train.nbytes + fd.X_test.nbytes
        d, m = data["peak"] / copy, model["peak"] / copy
        held = 1.0 + m
        worst = max(worst, d, held)
        print(f"{fd.name:18s} {fd.X_train.shape[0]:>4d}/{fd.X_test.shape[0]:<5d} {fd.X_train.shape[1]:>6d} "
              f"{copy / 2**20:9.1f} {d:9.2f}x {m:10.2f}x {held:5.2f}x {data['seconds']:7.2f} {model['seconds']:8.1f}")
    print(f"largest step = {worst:.2f} x the fold's feature matrix (held: the matrix itself + the step's "
          "allocations; the LR step's are the standardised training copy plus O(n + p) solver vectors). "
          "The dataset's Arrow buffers are outside tracemalloc (see RSS).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
