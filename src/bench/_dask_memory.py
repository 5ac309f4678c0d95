"""Worker memory settings for the block tasks on a LocalCluster that bench starts.

Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536``
(``distributed.nanny.pre-spawn-environ``) so that freed memory goes back to the OS quickly.
On glibc, setting that variable also freezes the mmap threshold at 128 KB, so every distance
block (4 Mi entries, 16 MB in float32) is a fresh ``mmap``: each allocation page-faults and
zero-fills its pages again. Measured (benchmarks/bench_dask.py, 40 silhouette blocks of
100,000 cells): 10.1-10.4 s on each of 2 workers vs 6.7-8.2 s in the client process; with the
thresholds below 7.2-8.0 s. Blocks then come from the heap and are reused; at most
:data:`TRIM_BYTES` of freed memory stays with a worker. Numbers do not change (only where
memory comes from). Clusters bench connects to are not touched (they belong to someone else).
"""
from __future__ import annotations

import ctypes
import ctypes.util

from distributed import WorkerPlugin

M_TRIM_THRESHOLD = -1  # glibc mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_BYTES = 32 << 20  # blocks below this come from the heap (glibc's largest allowed value)
TRIM_BYTES = 128 << 20


def reuse_freed_blocks() -> bool:
    """Raise glibc's mmap and trim thresholds in this process; False where there is no glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_BYTES))


class ReuseFreedBlocks(WorkerPlugin):
    """Applies :func:`reuse_freed_blocks` on every worker, including ones restarted later."""

    name = "bench-reuse-freed-blocks"

    def setup(self, worker) -> None:
        worker.bench_reuse_freed_blocks = reuse_freed_blocks()
