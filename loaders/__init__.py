"""Loaders: read upstream layouts and convert them to Hugging Face ``datasets`` configs.

GeneLab public API (the data contract)::

    from bench.loaders import load, get_fold, to_numpy, folds, config_meta, resolve_data_dir
    dsd = load("A5_skin")                         # DatasetDict, one split per mission
    train, test = get_fold(dsd, "fold_RR-7_test")  # or "RR-7" / "rr_7"
    X, genes, obs = to_numpy(train, features=folds(dsd)[2]["selected_features"])
"""
from bench.loaders.genelab_api import (
    SyntheticDataWarning,
    config_meta,
    folds,
    get_fold,
    load,
    resolve_data_dir,
    to_numpy,
)

__all__ = ["load", "config_meta", "folds", "get_fold", "to_numpy", "resolve_data_dir", "SyntheticDataWarning"]
