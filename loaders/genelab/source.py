"""Public GeneLab data API (re-exported by :mod:`bench.loaders`): load, config_meta, folds,
get_fold, to_numpy, resolve_data_dir. See the data contract in the README section "GeneLab".
"""
from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

import huggingface_hub
from huggingface_hub import constants as hub_constants

from bench.errors import BenchError
from bench.loaders.cache import SYNTHETIC
from bench.loaders.genelab.build import HUB_REPO, genelab_spec, is_pathway, needed_task_dirs, source_files
from bench.loaders.genelab.layout import task_dir_for
from bench.loaders.genelab.synthetic import ensure_all_labels, ensure_synthetic
from bench.loaders.repo import SyntheticDataWarning
from bench.tasks import TaskSpec, list_tasks
from bench.tasks.families import Source

log = logging.getLogger("bench.genelab")


# --------------------------------------------------------------------------------------------
# where the upstream layout comes from
# --------------------------------------------------------------------------------------------

def hub_offline() -> bool:
    """True when the Hugging Face Hub must not be contacted (``HF_HUB_OFFLINE``)."""
    return bool(hub_constants.HF_HUB_OFFLINE)


def hub_patterns(spec: TaskSpec | None) -> tuple[list[str], list[str]]:
    """(allow_patterns, ignore_patterns) for a task's folders (with or without a ``tasks/`` prefix)
    and pathway files; every task's labels/metadata (no matrices) when ``spec`` is None."""
    specs = [spec] if spec is not None else list_tasks("genelab")
    allow: list[str] = []
    for s in specs:
        for d in needed_task_dirs(s):
            allow += [f"{d}/*", f"tasks/{d}/*"]
        if is_pathway(s):
            allow.append(f"processed/pathway_scores/{s.params['tissue']}/*_gsva_{s.params['collection']}.csv")
    if spec is None:
        allow.append("processed/pathway_scores/*")
    ignore = ["*_X.csv"] if spec is None or is_pathway(spec) else []
    return list(dict.fromkeys(allow)), ignore


def download_from_hub(spec: TaskSpec | None, *, cache_dir: str | os.PathLike | None = None) -> Path:
    """Download a task's upstream folders from the Hub dataset ``jang1563/genelab-benchmark``.

    Returns the snapshot root (an upstream-layout root). Raises the huggingface_hub error when the
    Hub is unreachable.
    """
    allow, ignore = hub_patterns(spec)
    path = huggingface_hub.snapshot_download(repo_id=HUB_REPO, repo_type="dataset", allow_patterns=allow,
                                             ignore_patterns=ignore or None, cache_dir=cache_dir)
    return Path(path)


def _synthetic_root(spec: TaskSpec | None, *, progress: bool = True) -> Path:
    if spec is None:
        return ensure_all_labels()
    return ensure_synthetic(spec, progress=progress)


def _is_synthetic_root(root: Path, spec: TaskSpec | None) -> bool:
    dirs = needed_task_dirs(spec)[:1] if spec is not None else []
    for d in dirs:
        try:
            info = task_dir_for(root, d) / "task_info.json"
        except BenchError:
            return False
        if info.is_file():
            try:
                return bool(json.loads(info.read_text()).get("synthetic", False))
            except json.JSONDecodeError:
                return False
    return False


def synthetic_origin(root: Path, spec: TaskSpec | None) -> str:
    """Portable origin text of a synthetic root: ``synthetic:genelab-v3-seed0`` (the generator
    version and seed from its task_info.json; roots of generator v2 did not record them)."""
    for d in (needed_task_dirs(spec)[:1] if spec is not None else []):
        try:
            info = json.loads((task_dir_for(root, d) / "task_info.json").read_text())
        except (BenchError, OSError, json.JSONDecodeError):
            continue
        gen = info.get("generator") or {}
        if gen.get("version") is not None:
            name = f"genelab-v{gen['version']}-seed{gen.get('seed', '?')}"
            effect = (gen.get("params") or {}).get("flight_effect")
            return f"synthetic:{name}" + ("" if gen.get("default_effect", True) else f"-flight{effect:g}")
        return f"synthetic:{info.get('generated_by', 'genelab (generator version not recorded)')}"
    return "synthetic:genelab (generator version not recorded)"


def _source(spec: TaskSpec | None, data_dir, *, progress: bool = True) -> tuple[Path, bool, str]:
    """(upstream-layout root, synthetic?, origin text) for ``data_dir`` (None = Hub, else synthetic)."""
    if data_dir is not None and str(data_dir) != SYNTHETIC:
        root = Path(data_dir).expanduser()
        if not root.is_dir():
            raise BenchError(f"data dir not found: {root} (expected a GeneLab upstream checkout with "
                             "tasks/ and processed/, or a repo built by `bench build`)")
        synthetic = _is_synthetic_root(root, spec)
        return root, synthetic, synthetic_origin(root, spec) if synthetic else "local"
    if data_dir is None and not hub_offline():
        try:
            root = download_from_hub(spec)
            return root, _is_synthetic_root(root, spec), f"hub:{HUB_REPO}@{root.name}"
        except OSError as exc:  # every huggingface_hub network/HTTP/cache error is an OSError: fall back, loudly
            warnings.warn(f"the Hugging Face Hub dataset {HUB_REPO} is unreachable ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}); using bench's embedded SYNTHETIC "
                          "GeneLab data instead", SyntheticDataWarning, stacklevel=3)
    root = _synthetic_root(spec, progress=progress)
    return root, True, synthetic_origin(root, spec)


def source(spec: TaskSpec, data_dir) -> Source:
    """The family contract: where ``spec``'s upstream layout is (local, Hub snapshot or embedded synthetic)."""
    root, synthetic, origin = _source(spec, data_dir)
    return Source(root, synthetic, origin, tuple(source_files(spec, root)))


def resolve_data_dir(data_dir: str | os.PathLike | None = None, *, task: str | None = None) -> Path:
    """The upstream-layout root to read labels from.

    ``data_dir`` as given (checked to exist); ``"synthetic"`` or None offline: the embedded
    deterministic synthetic root under the bench cache, generated on demand (for ``task`` only, or
    every task's labels when ``task`` is None); None online: the Hub snapshot.
    """
    spec = genelab_spec(task) if task is not None else None
    root, synthetic, _ = _source(spec, data_dir, progress=False)
    if synthetic and data_dir is None:
        log.warning("GeneLab data dir: embedded SYNTHETIC default at %s", root)
    return root


# --------------------------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# metadata, folds, numpy
# --------------------------------------------------------------------------------------------


