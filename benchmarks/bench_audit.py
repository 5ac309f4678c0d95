"""The leakage audit's near-duplicate search: blocked Pearson r vs the full n x n matrix.

Prints, for a GeneLab-sized and a larger config, the time and peak extra memory of
``near_duplicate_pairs`` (row blocks of ``--block``) against ``numpy.corrcoef`` on all rows,
checks both find the same pairs, and the whole ``audit_repo`` time on a built repository.

    python benchmarks/bench_audit.py [--rows 2000] [--genes 5000] [--block 512]
"""
from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

import datasets
import numpy as np

from bench.loaders.audit import audit_repo, near_duplicate_pairs
from bench.loaders.repo import write_config


def matrix(rows: int, genes: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, genes))
    groups = np.arange(rows) % 4
    X[rows // 2] = X[1] * 1.01 + 0.001 * rng.normal(size=genes)   # one planted near-duplicate across groups
    return X, groups


def timed(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, elapsed, peak


def full_corrcoef(X, groups):
    r = np.corrcoef(X)
    i, j = np.nonzero(np.triu(r > 0.999, 1))
    return [(a, b) for a, b in zip(i, j) if groups[a] != groups[b]]


def build_repo(root: Path, rows: int, genes: int) -> Path:
    X, groups = matrix(rows, genes)
    feats = datasets.Features({"sample_id": datasets.Value("string"), "mission": datasets.Value("string"),
                               "label": datasets.Value("int8"),
                               "features": datasets.List(datasets.Value("float32"), length=genes)})
    splits = {}
    for g in range(4):
        idx = np.flatnonzero(groups == g)
        splits[f"m{g}"] = datasets.Dataset.from_dict(
            {"sample_id": [f"s{i}" for i in idx], "mission": [f"M{g}"] * len(idx),
             "label": ((idx // 4) % 2).astype("int8"), "features": list(X[idx].astype(np.float32))}, features=feats)
    meta = {"task": "big", "family": "genelab", "description": "benchmark", "source": {"origin": "synthetic:bench"},
            "license": "MIT", "license_id": "mit", "citation": "@x", "synthetic": True, "feature_column": "features",
            "feature_ids": [f"g{i}" for i in range(genes)], "domain_column": "mission", "label_column": "label"}
    write_config(root, "big", splits, meta=meta)
    return root


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--genes", type=int, default=5000)
    ap.add_argument("--block", type=int, default=512)
    args = ap.parse_args()
    X, groups = matrix(args.rows, args.genes)
    blocked, t_b, m_b = timed(lambda: near_duplicate_pairs(X, groups, block=args.block))
    full, t_f, m_f = timed(lambda: full_corrcoef(X, groups))
    assert sorted((i, j) for i, j, _ in blocked) == sorted(full), "blocked and full searches disagree"
    print(f"{args.rows} rows x {args.genes} features, block {args.block}: {len(blocked)} pair(s) found by both")
    print(f"  blocked: {t_b:.2f} s, peak {m_b / 1e6:.0f} MB;  numpy.corrcoef: {t_f:.2f} s, peak {m_f / 1e6:.0f} MB "
          f"(memory ratio {m_f / max(m_b, 1):.1f}x)")
    with tempfile.TemporaryDirectory() as tmp:
        repo = build_repo(Path(tmp) / "repo", args.rows, args.genes)
        findings, t_a, _ = timed(lambda: audit_repo(repo, block=args.block))
        print(f"  audit_repo on the built repository: {t_a:.2f} s, {len(findings)} finding(s): "
              + "; ".join(f"{f.check}: {f.message[:60]}" for f in findings))


if __name__ == "__main__":
    main()
