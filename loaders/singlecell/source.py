"""Where a single-cell task's AnnData is: embedded in a wheel (scanpy) or ``<data_dir>/<file>``."""
from __future__ import annotations

import importlib.util
import os
import warnings
from pathlib import Path

from bench.errors import BenchError
from bench.tasks.families import Source
from bench.loaders.singlecell.anndata_io import _require_anndata


def embedded_h5ad(package: str, relpath: str) -> Path:
    """Path of a data file shipped inside an installed wheel (e.g. scanpy's pbmc68k_reduced)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BenchError(f"package {package!r} is not installed: pip install 'bench[singlecell]'")
    path = Path(list(spec.submodule_search_locations)[0]) / relpath
    if not path.is_file():
        raise BenchError(f"{package} does not ship {relpath} (looked for {path})")
    return path


def read_source_anndata(spec, *, data_dir: str | os.PathLike | None = None):
    """Read the AnnData a task spec points to: embedded in a wheel or ``<data_dir>/<file>``."""
    anndata = _require_anndata()
    source = spec.source
    kind = source.get("kind")
    if kind == "embedded":
        path = Path(data_dir) / source["file"] if data_dir else embedded_h5ad(source["package"], source["path"])
    elif kind == "h5ad":
        if data_dir is None:
            raise BenchError(f"task {spec.name}: --data-dir is required (a folder holding {source['file']}; "
                             f"download from {source.get('url', 'the upstream bucket')})")
        path = Path(data_dir) / source["file"]
    else:
        raise BenchError(f"task {spec.name}: unknown source kind {kind!r} (expected 'embedded' or 'h5ad')")
    if not path.is_file():
        raise BenchError(f"task {spec.name}: data file not found: {path}")
    try:
        with warnings.catch_warnings():  # old-format files (pbmc68k_reduced): anndata's upgrade notices
            warnings.filterwarnings("ignore", module=r"anndata(\.|$)")
            return anndata.read_h5ad(path)
    except Exception as exc:  # anndata raises anything on a foreign HDF5 layout (AttributeError, TypeError, ...)
        raise BenchError(f"{path}: not a readable .h5ad file ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else 'no details'})") from None


def source(spec, data_dir: str | os.PathLike | None = None) -> Source:
    """The family contract: the folder holding the task's .h5ad (``data_dir``) or the wheel that embeds it."""
    files = tuple(p for p in [_h5ad_path(spec, data_dir)] if p is not None and p.is_file())
    if data_dir is not None:
        return Source(Path(data_dir), False, "local", files)
    if spec.source.get("kind") == "embedded":
        return Source(None, False, f"embedded:{spec.source.get('package')}", files)
    return Source(None, False, "local", files)


def _h5ad_path(spec, data_dir) -> Path | None:
    """Where the task's .h5ad is (None when that cannot be known without --data-dir)."""
    if data_dir is not None and "file" in spec.source:
        return Path(data_dir) / spec.source["file"]
    if spec.source.get("kind") == "embedded":
        try:
            return embedded_h5ad(spec.source["package"], spec.source["path"])
        except BenchError:
            return None
    return None
