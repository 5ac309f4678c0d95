"""Where bench keeps generated and built data, and the one cache rule every family follows.

Root: ``$BENCH_CACHE``, else ``$HF_HOME/bench``. A task built from a source lives in
``<root>/<family>_built/<source key>/<config>/``; it is reused while its ``source_fingerprint``
(spec sha256, cache version, and name/size/mtime of every file the :class:`Source` lists) is
unchanged, and rebuilt otherwise.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from bench.tasks import TaskSpec
from bench.tasks.families import Source

SYNTHETIC = "synthetic"   # the data_dir value that asks for the embedded synthetic data
CACHE_VERSION = 4          # bump when a build's output changes for the same source files
_SAFE_RE = re.compile(r"[^A-Za-z0-9_.-]+")


def bench_cache_dir() -> Path:
    """The bench cache root (created on demand by the callers that write into it).

    ``BENCH_CACHE`` wins; otherwise ``$HF_HOME/bench`` (default ``~/.cache/huggingface/bench``),
    following the Hugging Face cache conventions rather than a folder in the working directory.
    """
    if os.environ.get("BENCH_CACHE"):
        return Path(os.environ["BENCH_CACHE"]).expanduser()
    hf_home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "huggingface")
    return Path(hf_home).expanduser() / "bench"


def source_key(source: Source) -> str:
    """Folder name of the built cache for a source: readable prefix + hash of where it is."""
    where = str(Path(source.root).resolve()) if source.root is not None else source.origin
    digest = hashlib.sha256(where.encode()).hexdigest()[:12]
    if source.synthetic:
        prefix = "synthetic"
    else:
        prefix = _SAFE_RE.sub("_", Path(source.root).resolve().name if source.root is not None else source.origin)[:40]
    return f"{prefix}-{digest}"


def source_fingerprint(spec: TaskSpec, source: Source) -> str:
    """sha256 over the spec hash, the cache version and (name, size, mtime) of every source file."""
    h = hashlib.sha256(f"{spec.spec_hash}:{CACHE_VERSION}:{source.origin if source.root is None else ''}".encode())
    for path in source.files:
        st = path.stat()
        h.update(f"{_relative(path, source.root)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _relative(path: Path, root: Path | None) -> str:
    try:
        return str(Path(path).relative_to(root)) if root is not None else Path(path).name
    except ValueError:
        return Path(path).name


def built_dir(spec: TaskSpec, source: Source, cache_dir: str | os.PathLike | None = None) -> Path:
    """The built repository that caches ``spec``'s family built from ``source``."""
    base = Path(cache_dir) if cache_dir else bench_cache_dir() / f"{spec.family}_built"
    return base / source_key(source)
