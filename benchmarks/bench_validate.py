"""bench validate reads parquet footers only: time it against the obvious alternative.

The alternative checks the same things by loading every split with ``datasets.load_dataset``
and looking at the feature arrays. One run prints both times and the ratio.

    python benchmarks/bench_validate.py [--rows 400] [--genes 20000]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import datasets
import numpy as np

from bench.loaders.repo import read_config_meta, write_config
from bench.loaders.validate import validate_repo

from bench_load_vs_csv import best_of   # same folder


def build(root: Path, rows: int, genes: int) -> Path:
    rng = np.random.default_rng(0)
    feats = datasets.Features({"sample_id": datasets.Value("string"), "label": datasets.Value("int8"),
                               "features": datasets.List(datasets.Value("float32"), length=genes)})
    splits = {}
    for k, mission in enumerate(["rr_1", "rr_3", "rr_6", "rr_9"]):
        n = rows // 4
        x = rng.normal(size=(n, genes)).astype(np.float32)
        splits[mission] = datasets.Dataset.from_dict(
            {"sample_id": [f"{mission}_{i}" for i in range(n)], "label": (np.arange(n) % 2).astype("int8"),
             "features": list(x)}, features=feats)
    meta = {"task": "big", "family": "genelab", "description": "benchmark", "source": {"x": 1}, "license": "MIT",
            "license_id": "mit", "citation": "@x", "synthetic": True, "feature_column": "features",
            "feature_ids": [f"g{i}" for i in range(genes)]}
    write_config(root, "big", splits, meta=meta)
    return root


def load_and_check(root: Path, cache_dir: str | None = None) -> list[str]:
    dsd = datasets.load_dataset(str(root), "big", cache_dir=cache_dir)
    p = len(read_config_meta(root, "big")["feature_ids"])
    problems = []
    for split, ds in dsd.items():
        x = ds.with_format("numpy")[0:ds.num_rows]["features"]
        if x.shape[1] != p:
            problems.append(split)
    return problems


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=400)
    ap.add_argument("--genes", type=int, default=20000)
    args = ap.parse_args()
    datasets.disable_progress_bars()
    with tempfile.TemporaryDirectory() as tmp:
        root = build(Path(tmp) / "hub", args.rows, args.genes)
        size = sum(f.stat().st_size for f in root.rglob("*.parquet")) / 1e6
        assert validate_repo(root) == [] and load_and_check(root) == []
        t_validate = best_of(lambda: validate_repo(root), 3)
        t_warm = best_of(lambda: load_and_check(root), 3)
        t_cold = best_of(lambda: load_and_check(root, cache_dir=tempfile.mkdtemp(dir=tmp)), 3)
    print(f"{args.rows} samples x {args.genes} genes, 4 splits, {size:.0f} MB of parquet")
    print(f"bench validate (footers only):                   {t_validate * 1000:8.1f} ms")
    print(f"load_dataset + numpy check, fresh cache (cold):  {t_cold * 1000:8.1f} ms  "
          f"(validate {t_cold / t_validate:.0f}x faster)")
    print(f"load_dataset + numpy check, cached (warm):       {t_warm * 1000:8.1f} ms  "
          f"(validate {t_warm / t_validate:.1f}x faster)")


if __name__ == "__main__":
    main()
