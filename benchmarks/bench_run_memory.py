"""Wall time and peak memory of `bench run A1_liver --model lr` on the synthetic 20k-gene config.

Two measurements in one run:
1. the CLI itself in a subprocess (wall time, peak RSS from resource.getrusage of the child);
2. the same steps in-process under tracemalloc, fold by fold: load the fold (to_numpy), fit the
   pipeline (scaler + elastic-net LR), predict, score. Each step's peak Python-heap allocation is
   printed as a multiple of one copy of that fold's training matrix (float32), the claim being
   that no step holds more than two copies (the float32 matrix and the scaler's standardised copy).
   Arrow buffers (the memory-mapped / in-memory dataset) are allocated outside tracemalloc's view
   and show up only in the RSS figure.

    python benchmarks/bench_run_memory.py [--task A1_liver] [--model lr]
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings


def cli_run(task: str, model: str) -> tuple[float, float]:
    out = tempfile.mkdtemp(prefix="bench-mem-")
    env = dict(os.environ, HF_HUB_OFFLINE="1", MPLBACKEND="Agg")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bench.cli", "run", task, "--model", model, "--out", out],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, rss_mb


def traced_steps(task: str, model: str) -> list[dict]:
    from bench.baselines.genelab_data import feature_level, fold_data, list_folds, load_config
    from bench.baselines.genelab_models import fit_predict
    from bench.baselines.genelab_scoring import score_folds
    from bench.tasks import get_task

    spec = get_task(task)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dsd, meta = load_config(spec.name)
    level = feature_level(meta, spec)
    rows, report = [], []
    tracemalloc.start()
    for fold in list_folds(dsd):
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fd = fold_data(dsd, fold, level=level)
        load_peak = tracemalloc.get_traced_memory()[1] - base
        copy = fd.X_train.nbytes
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        t0 = time.perf_counter()
        pipe, proba = fit_predict(model, fd.X_train, fd.y_train, fd.X_test, level=level,
                                  variance_filter=fd.needs_variance_filter)
        fit_s = time.perf_counter() - t0
        fit_peak = tracemalloc.get_traced_memory()[1] - base
        rows.append({"fold": fd.name, "y": fd.y_test, "scores": proba[:, -1]})
        report.append({"fold": fd.name, "shape": fd.X_train.shape, "copy_mb": copy / 2**20,
                       "load_peak_copies": load_peak / copy, "fit_peak_copies": fit_peak / copy, "fit_s": fit_s,
                       "n_iter": int(getattr(pipe.named_steps["model"], "n_iter_", [0])[0])})
        del fd, pipe, proba
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    score_folds(rows)
    score_peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    report.append({"fold": "scoring", "score_peak_mb": score_peak / 2**20})
    return report, bool(meta.get("synthetic")), len(meta["feature_ids"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="A1_liver")
    ap.add_argument("--model", default="lr")
    args = ap.parse_args(argv)
    wall, rss = cli_run(args.task, args.model)
    print(f"`bench run {args.task} --model {args.model}` (CLI, subprocess): wall {wall:.1f} s, peak RSS {rss:.0f} MB")
    report, synthetic, p = traced_steps(args.task, args.model)
    print(f"in-process, tracemalloc ({'synthetic' if synthetic else 'real'} config, {p} features):")
    print(f"{'fold':22s} {'train shape':>14s} {'1 copy MB':>9s} {'load peak':>10s} {'fit+predict peak':>17s} {'fit s':>6s} {'saga iters':>10s}")
    worst = 0.0
    for r in report[:-1]:
        worst = max(worst, r["load_peak_copies"], r["fit_peak_copies"])
        print(f"{r['fold']:22s} {str(r['shape']):>14s} {r['copy_mb']:9.1f} {r['load_peak_copies']:9.2f}x "
              f"{r['fit_peak_copies']:16.2f}x {r['fit_s']:6.1f} {r['n_iter']:10d}")
    print(f"scoring (lomo statistics, all folds): peak {report[-1]['score_peak_mb']:.1f} MB")
    print(f"largest step peak = {worst:.2f} copies of the fold's training matrix "
          f"({'within' if worst <= 2.0 else 'ABOVE'} the two-copy budget)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
