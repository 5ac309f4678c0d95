"""Build any registry task into a built HF repository, through the family table.

``bench build`` and :func:`bench.loaders.load` use this; the family's row in
:data:`bench.tasks.families.FAMILIES` gives its ``source`` and ``build`` (the layer that reads
and converts), :mod:`bench.loaders.repo` writes the configs, :mod:`bench.loaders.cache`
decides when a cached build is still valid.
"""
from __future__ import annotations

import json
import os

from bench.loaders.cache import SYNTHETIC, built_dir, source_fingerprint
from bench.loaders.repo import CONFIG_META, is_built_repo, read_built, write_configs
from bench.tasks import TaskSpec
from bench.tasks.families import get_family


def config_names(spec: TaskSpec) -> list[str]:
    """The config(s) a task is stored under in a built repository."""
    return [str(spec.params.config or spec.name)]


def write_task(spec: TaskSpec, repo: str | os.PathLike, *, data_dir: str | os.PathLike | None = None,
               **options) -> list[str]:
    """Build ``spec`` from ``data_dir`` (family default when None) into ``repo``; return config names.

    ``options``: the family's build options (``bench build`` passes those the user gave). Whether the data
    were synthetic is recorded in each config's ``bench_config.json`` (``synthetic``); so is the source
    fingerprint, unless options made the build read more than its :class:`Source` lists.
    """
    family = get_family(spec.family)
    source = family.resolve("source")(spec, data_dir)
    fingerprint = None if options else source_fingerprint(spec, source)   # of the files before the build
    configs = family.resolve("build")(spec, source, **options)
    return write_configs(repo, configs if fingerprint is None else fingerprinted(configs, fingerprint))


def fingerprinted(configs, fingerprint: str):
    """``configs`` (consumed one at a time) with ``source_fingerprint`` in each one's metadata."""
    for config in configs:
        config.meta["source_fingerprint"] = fingerprint
        yield config


def load_task(spec: TaskSpec, *, data_dir=None, cache_dir=None, rebuild: bool = False):
    """``spec`` as a ``DatasetDict``: read from a built repository ``data_dir``, else built from its
    source into the bench cache (reused while the source fingerprint is unchanged)."""
    wanted = config_names(spec)[0]
    if data_dir is not None and str(data_dir) != SYNTHETIC and is_built_repo(data_dir):
        return read_built(data_dir, wanted)
    family = get_family(spec.family)
    source = family.resolve("source")(spec, data_dir)
    repo = built_dir(spec, source, cache_dir)
    fingerprint = source_fingerprint(spec, source)
    if not rebuild and _cached_fingerprint(repo, wanted) == fingerprint:
        return read_built(repo, wanted)
    names = write_configs(repo, fingerprinted(family.resolve("build")(spec, source), fingerprint))
    return read_built(repo, wanted if wanted in names else names[0])   # carries bench_config.json (config_meta)


def _cached_fingerprint(repo, config: str) -> str | None:
    path = repo / config / CONFIG_META
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("source_fingerprint")
    except (OSError, json.JSONDecodeError):
        return None
