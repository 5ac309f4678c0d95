"""bench: public transcriptomics benchmarks as Hugging Face ``datasets`` configs,
``evaluate`` metrics and baselines.

>>> import bench
>>> bench.get_task("A5_skin").family
'genelab'

The public functions are reached lazily (PEP 562, as scipy and lazy_loader do): ``import bench``
imports no heavy library and writes nothing; ``bench.load`` imports :mod:`bench.loaders` on first use.
"""
from __future__ import annotations

import importlib
from typing import Any

from bench.errors import BenchError

__version__ = "0.1.0"

#: public name -> "module:attribute" it is imported from on first use
_LAZY = {
    "get_task": "bench.tasks:get_task",
    "list_tasks": "bench.tasks:list_tasks",
    "load": "bench.loaders:load",
    "load_metric": "bench.metrics.loading:load_metric",
    "push": "bench.loaders.publish:push",
}

__all__ = ["BenchError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name].split(":")
    except KeyError:
        raise AttributeError(f"module 'bench' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
