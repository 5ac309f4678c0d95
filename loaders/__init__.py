"""Loaders: read upstream layouts and convert them to Hugging Face ``datasets`` configs.

Family-agnostic public API (the data contract)::

    from bench.loaders import load, get_fold, to_numpy, folds, config_meta, resolve_data_dir
    dsd = load("A5_skin")                          # any registry task; GeneLab: one split per mission
    train, test = get_fold(dsd, "fold_RR-7_test")  # or "RR-7" / "rr_7"
    X, genes, obs = to_numpy(train, features=folds(dsd)[2]["selected_features"])
"""
from bench.loaders.families import load_task
from bench.loaders.repo import SyntheticDataWarning, config_meta, folds, get_fold, to_numpy
from bench.errors import BenchError
from bench.tasks import get_task
from bench.tasks.families import DEFAULT_FAMILY, get_family


def load(name: str, *, data_dir=None, cache_dir=None, rebuild: bool = False):
    """Any registry task as a ``datasets.DatasetDict`` (GeneLab: one split per mission).

    ``data_dir``: the family's upstream files (a local checkout, ``"synthetic"``) or a repository
    written by ``bench build``; None = the family default (GeneLab: the Hub when online, else the
    embedded synthetic data, which says so). Built configs are cached under ``cache_dir`` (default
    ``<bench cache>/<family>_built``) and rebuilt when the source files or the task spec change
    (or ``rebuild=True``); see :mod:`bench.loaders.cache`.
    """
    return load_task(get_task(name), data_dir=data_dir, cache_dir=cache_dir, rebuild=rebuild)


def resolve_data_dir(data_dir=None, *, task: str | None = None):
    """The folder a task's upstream files are read from: the ``resolve_data_dir`` hook of its family's
    ``source`` module (``task`` None: of :data:`bench.tasks.families.DEFAULT_FAMILY`, GeneLab, whose
    labels root this is: a checkout as given, else the Hub snapshot or the embedded synthetic data)."""
    family = get_family(get_task(task).family if task is not None else DEFAULT_FAMILY)
    hook = family.hook("source", "resolve_data_dir")
    if hook is None:
        raise BenchError(f"family {family.name!r} has no default data folder; pass data_dir", field="data_dir")
    return hook(data_dir, task=task)


__all__ = ["load", "config_meta", "folds", "get_fold", "to_numpy", "resolve_data_dir", "SyntheticDataWarning"]
