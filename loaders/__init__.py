"""Loaders: read upstream layouts and convert them to Hugging Face ``datasets`` configs.

GeneLab public API (the data contract)::

    from bench.loaders import load, get_fold, to_numpy, folds, config_meta, resolve_data_dir
    dsd = load("A5_skin")                         # any registry task; GeneLab shown                         # DatasetDict, one split per mission
    train, test = get_fold(dsd, "fold_RR-7_test")  # or "RR-7" / "rr_7"
    X, genes, obs = to_numpy(train, features=folds(dsd)[2]["selected_features"])
"""
from bench.loaders.genelab_api import (
    SyntheticDataWarning,
    config_meta,
    folds,
    get_fold,
    resolve_data_dir,
    to_numpy,
)


def load(name: str, *, data_dir=None, cache_dir=None, rebuild: bool = False):
    """Any registry task as a ``datasets.DatasetDict`` (GeneLab: one split per mission).

    GeneLab tasks go through :func:`bench.loaders.genelab_api.load` (local checkout, built repo,
    Hub, or the embedded synthetic default); the other families are built by their loader
    into the bench cache (:func:`bench.loaders.families.load_task`).
    """
    from bench.tasks import get_task

    spec = get_task(name)
    if spec.family == "genelab":
        from bench.loaders.genelab_api import load as load_genelab

        return load_genelab(spec.name, data_dir=data_dir, cache_dir=cache_dir, rebuild=rebuild)
    from bench.loaders.families import load_task

    return load_task(spec, data_dir=data_dir, cache_dir=cache_dir)


__all__ = ["load", "config_meta", "folds", "get_fold", "to_numpy", "resolve_data_dir", "SyntheticDataWarning"]
