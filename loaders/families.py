"""One entry point per family for building a registry task into a built HF repository.

``bench build`` and :func:`bench.loaders.load` use this; each family's loader module does the
reading and converting (GeneLab: :mod:`bench.loaders.genelab_api`; single-cell:
:mod:`bench.loaders.anndata_io`; GEOmeta: :mod:`bench.loaders.geometa`; GenoTEX:
:mod:`bench.loaders.genotex`).
"""
from __future__ import annotations

import os
from pathlib import Path

from bench.errors import BenchError
from bench.loaders import hub_repo
from bench.tasks import TaskSpec

FAMILIES = ("genelab", "singlecell", "geometa", "genotex")


def config_names(spec: TaskSpec) -> list[str]:
    """The config(s) a task is stored under in a built repository."""
    return [str(spec.params.get("config", spec.name))]


def write_task(spec: TaskSpec, repo: str | os.PathLike, *, data_dir: str | os.PathLike | None = None) -> list[str]:
    """Build ``spec`` from ``data_dir`` (family default when None) into ``repo``; return config names.

    Returns the names written and whether the data were synthetic is recorded in each
    config's ``bench_config.json`` (``synthetic``).
    """
    repo = Path(repo)
    if spec.family == "genelab":
        from bench.loaders.genelab_api import _source, write_built

        root, synthetic, origin = _source(spec, data_dir)
        write_built(spec, root, repo, synthetic=synthetic, origin=origin)
        return [spec.name]
    if spec.family == "singlecell":
        from bench.loaders.anndata_io import build_config, config_name

        dsd, meta = build_config(spec, data_dir=data_dir)
        hub_repo.write_config(repo, config_name(spec), dict(dsd), meta=meta)
        return [config_name(spec)]
    if spec.family == "geometa":
        from bench.loaders.geometa import build_config

        _, meta = build_config(spec, data_dir=data_dir, repo_dir=repo)
        if meta.get("feature_column") is None:
            import warnings

            from bench.loaders.geometa import GeometaWarning

            warnings.warn(f"{spec.name}: labels only, no expression column (for ARCHS4 expression run "
                          "`bench geometa build --expression FILE|synthetic`)", GeometaWarning, stacklevel=2)
        return [meta.get("config_name", spec.name)]
    if spec.family == "genotex":
        return _write_genotex(spec, repo, data_dir=data_dir)
    raise BenchError(f"task {spec.name}: no loader for family {spec.family!r}; families: {', '.join(FAMILIES)}")


def _write_genotex(spec: TaskSpec, repo: Path, *, data_dir) -> list[str]:
    from bench.loaders.genotex import build_repo

    root = Path(data_dir) if data_dir else genotex_synthetic_root()
    trait = (getattr(spec, "bindings", None) or {}).get("trait")
    wanted = config_names(spec)[0]
    traits = [trait] if trait else (None if wanted == "genotex_cohorts" else [])
    written = build_repo(root, repo, traits=traits)
    if wanted not in written:
        raise BenchError(f"task {spec.name}: the GenoTEX root {root} produced {written}, not {wanted!r} "
                         "(is output/preprocess/<trait>/ present?)")
    return written


def genotex_synthetic_root() -> Path:
    """The embedded synthetic GenoTEX root (seeded), generated once under the bench cache."""
    from bench.io import atomic_path
    from bench.loaders.cache import bench_cache_dir
    from bench.loaders.genotex_synthetic import build_genotex_root

    root = bench_cache_dir() / "genotex_synthetic"
    if not (root / "metadata").is_dir():
        with atomic_path(root, directory=True) as tmp:
            build_genotex_root(tmp)
    return root


def load_task(spec: TaskSpec, *, data_dir=None, cache_dir=None):
    """Build a non-GeneLab task into the bench cache and return it as a ``DatasetDict``."""
    from bench.loaders.cache import bench_cache_dir
    from bench.loaders.genelab_api import read_built

    repo = Path(cache_dir) if cache_dir else bench_cache_dir() / f"{spec.family}_built"
    names = write_task(spec, repo, data_dir=data_dir)
    wanted = config_names(spec)[0]
    return read_built(repo, wanted if wanted in names else names[0])   # carries bench_config.json (config_meta)
