"""bench: public transcriptomics benchmarks as Hugging Face ``datasets`` configs,
``evaluate`` metrics and baselines.

>>> import bench
>>> bench.get_task("A5_skin").family
'genelab'
"""
from __future__ import annotations

__version__ = "0.1.0"

from bench.errors import BenchError

__all__ = ["BenchError", "__version__", "get_task", "list_tasks", "load", "load_metric", "push"]


def get_task(name: str):
    """Return the registry spec of task ``name`` (see :mod:`bench.tasks`)."""
    from bench.tasks import get_task as _get_task

    return _get_task(name)


def list_tasks(family: str | None = None):
    """Return every registered task spec, optionally of one family."""
    from bench.tasks import list_tasks as _list_tasks

    return _list_tasks(family)


def load(name: str, **kwargs):
    """Build (or read) the config ``name`` as a ``datasets.DatasetDict``; see :func:`bench.loaders.load`."""
    from bench.loaders import load as _load

    return _load(name, **kwargs)




def load_metric(name: str, *args, **kwargs):
    """``evaluate.load(name, ...)`` for a bench metric by bare name (``"lomo_auroc"``), registering
    bench's metrics in the evaluate modules cache on first use (``bench install-metrics`` does it once)."""
    import evaluate

    from bench.metrics.registration import ensure_registered

    ensure_registered()
    return evaluate.load(name, *args, **kwargs)


def push(repo_dir, repo_id: str, *, dry_run: bool = False, **kwargs):
    """Publish a built repository to the Hub dataset ``repo_id`` in one commit (``bench push``).

    ``dry_run=True`` validates, audits and returns the plan (``plan.uploads``, ``plan.audit``,
    ``plan.readme_text``) with no network or token. Keywords: ``configs``, ``revision``, ``private``,
    ``allow_synthetic``, ``allow_leakage``, ``register_benchmark`` (see :func:`bench.loaders.publish.push`).
    """
    from bench.loaders.publish import push as _push

    return _push(repo_dir, repo_id, dry_run=dry_run, **kwargs)
