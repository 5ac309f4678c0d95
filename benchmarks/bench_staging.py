"""`bench build` into an existing repository stages a copy of it: time and extra disk of that copy when
the parquet data are hard-linked (bench.io.link_or_copy) against a full byte copy (shutil.copy2).

The repository is synthetic (random bytes in <config>/<split>-*.parquet files, a README, one
bench_config.json per config): staging does not read the files. One run prints both and the ratio.

    python benchmarks/bench_staging.py [--configs 20] [--mb-per-config 50]
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from bench.io import link_or_copy


def make_repo(root: Path, configs: int, mb: int) -> Path:
    repo = root / "repo"
    block = os.urandom(1 << 20)
    for c in range(configs):
        folder = repo / f"config_{c:03d}"
        folder.mkdir(parents=True)
        (folder / "bench_config.json").write_text('{"config_name": "config_%03d"}\n' % c)
        for split in range(2):
            with open(folder / f"split{split}-00000-of-00001.parquet", "wb") as fh:
                for _ in range(mb // 2):
                    fh.write(block)
    (repo / "README.md").write_text("---\nconfigs: []\n---\n# synthetic staging benchmark\n")
    return repo


def stage(repo: Path, copy_function) -> tuple[float, int]:
    """(seconds, bytes of new data blocks) of one staging copy."""
    before = shutil.disk_usage(repo).used
    start = time.perf_counter()
    dst = repo.with_name(".repo.stage.tmp")
    shutil.copytree(repo, dst, copy_function=copy_function)
    os.sync()
    elapsed = time.perf_counter() - start
    extra = shutil.disk_usage(repo).used - before
    shutil.rmtree(dst)
    return elapsed, extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=20)
    parser.add_argument("--mb-per-config", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        repo = make_repo(Path(tmp), args.configs, args.mb_per_config)
        size = sum(p.stat().st_size for p in repo.rglob("*") if p.is_file())
        os.sync()
        t_copy, d_copy = stage(repo, shutil.copy2)
        t_link, d_link = stage(repo, link_or_copy)
    print(f"repository: {args.configs} configs, {size / 1e6:.0f} MB")
    print(f"full copy (shutil.copy2):  {t_copy:7.3f} s, {d_copy / 1e6:8.1f} MB extra disk")
    print(f"hard links (link_or_copy): {t_link:7.3f} s, {d_link / 1e6:8.1f} MB extra disk")
    print(f"ratio copy/link: {t_copy / max(t_link, 1e-9):.0f}x time")


if __name__ == "__main__":
    main()
