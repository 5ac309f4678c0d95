"""Where a GenoTEX task's files are: a local GenoTEX root or the embedded synthetic one."""
from __future__ import annotations

import os
from pathlib import Path


from bench.io import atomic_path
from bench.loaders.cache import bench_cache_dir
from bench.loaders.genotex.synthetic import SYNTHETIC_MARKER, build_genotex_root
from bench.tasks import TaskSpec
from bench.tasks.families import Source


def synthetic_root() -> Path:
    """The embedded synthetic GenoTEX root (seeded), generated once under the bench cache."""
    root = bench_cache_dir() / "genotex_synthetic"
    if not (root / "metadata").is_dir():
        with atomic_path(root, directory=True) as tmp:
            build_genotex_root(tmp)
    return root


def source(spec: TaskSpec, data_dir: str | os.PathLike | None) -> Source:
    """A local GenoTEX root (``data_dir``) or the embedded synthetic one."""
    if data_dir:
        root = Path(data_dir)
        synthetic, origin = (root / SYNTHETIC_MARKER).is_file(), "local"
    else:
        root, synthetic, origin = synthetic_root(), True, "synthetic:genotex-seed7"
    return Source(root, synthetic, origin, tuple(sorted(p for p in root.rglob("*") if p.is_file())))
