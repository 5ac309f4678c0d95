"""Fold data for the GeneLab baselines, read ONLY through bench's public loader API.

``bench.loaders.load`` gives a DatasetDict with one split per mission; ``folds``/``get_fold``
say which splits train and test each fold; ``to_numpy`` turns a split into a float32 matrix.
Nothing here opens an upstream file.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import bench.loaders as loaders
from bench.errors import BenchError


@dataclass
class FoldData:
    """One fold as arrays: fit on (X_train, y_train), score X_test."""

    name: str
    test_mission: str
    train_missions: list[str]
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    test_ids: list[str]
    feature_ids: list[str]
    needs_variance_filter: bool   # gene level without the fold's selected_features
    obs_train: pd.DataFrame
    obs_test: pd.DataFrame
    needs_imputer: bool = False   # test rows have gaps in features complete on train
    n_dropped_incomplete: int = 0  # features left out because a TRAIN sample lacks them


def load_config(name: str, *, data_dir=None):
    """``(DatasetDict, meta)`` of registry config ``name``; BenchError if it carries no features."""
    dsd = loaders.load(name, data_dir=data_dir)
    meta = loaders.config_meta(dsd)
    check_has_features(dsd, meta, name=name)
    return dsd, meta


def check_has_features(dsd, meta: dict, *, name: str) -> None:
    """A baseline needs a feature matrix: ``feature_ids`` in the meta and the feature column."""
    column = meta.get("feature_column") or "features"
    ids = meta.get("feature_ids") or []
    splits = list(dsd.keys()) if hasattr(dsd, "keys") else []
    missing_col = [s for s in splits if column not in dsd[s].column_names]
    if not ids or missing_col:
        what = ("no feature_ids in its bench_config.json" if not ids
                else f"no {column!r} column in split(s) {missing_col}")
        raise BenchError(f"config {name!r} has no features ({what}); a baseline needs the expression or "
                         "pathway matrix: rebuild the config with `bench build` from a checkout that has "
                         "the feature matrices, or use a pathway-level config")


def feature_level(meta: dict, spec=None) -> str:
    kind = meta.get("feature_kind") or (spec.params.get("level") if spec is not None else None) or "gene"
    if kind not in ("gene", "pathway"):
        raise BenchError(f"bench_config.json field 'feature_kind' must be 'gene' or 'pathway', got {kind!r}")
    return kind


def list_folds(dsd, *, include_holdout: bool = False) -> list[dict]:
    """The config's folds in evaluator order (sorted by name), holdout folds left out by default."""
    folds = sorted(loaders.folds(dsd), key=lambda f: f["name"])
    return [f for f in folds if include_holdout or not f.get("holdout")]


def _labels(obs: pd.DataFrame, target: str, *, where: str) -> np.ndarray:
    if target not in obs.columns:
        raise BenchError(f"{where}: target column {target!r} is not in the config "
                         f"(columns: {list(obs.columns)})")
    values = obs[target]
    if values.isna().any():
        bad = values.index[values.isna()].tolist()[:5]
        raise BenchError(f"{where}: target column {target!r} is missing for sample(s) {bad}")
    return values.to_numpy()


def fold_data(dsd, fold: dict, *, level: str, target: str = "label") -> FoldData:
    """Arrays of one fold. Gene level uses the fold's ``selected_features`` (the train-only
    variance filter) when the config has them; otherwise the pipeline fits that filter on train."""
    train, test = loaders.get_fold(dsd, fold["name"])
    selected = fold.get("selected_features")
    features = list(selected) if (selected and level == "gene") else None
    X_train, feature_ids, obs_train = loaders.to_numpy(train, features=features)
    X_test, _, obs_test = loaders.to_numpy(test, features=features if features else list(feature_ids))
    where = f"fold {fold['name']}"
    # Gene-level configs are a union of fold gene lists, so a gene can be missing (NaN) for some
    # samples. Which columns to keep is decided on TRAIN rows only; test gaps are mean-imputed
    # by an imputer fitted on train (inside the pipeline).
    complete = ~np.isnan(X_train).any(axis=0)
    n_dropped = int((~complete).sum())
    if n_dropped:
        X_train, X_test = X_train[:, complete], X_test[:, complete]
        feature_ids = [f for f, keep in zip(feature_ids, complete) if keep]
    if X_train.shape[1] == 0:
        raise BenchError(f"{where}: no feature is measured in every training sample")
    return FoldData(
        name=fold["name"], test_mission=fold.get("test_mission", ""),
        train_missions=list(fold.get("train_missions", [])),
        X_train=X_train, y_train=_labels(obs_train, target, where=where),
        X_test=X_test, y_test=_labels(obs_test, target, where=where),
        test_ids=[str(i) for i in obs_test.index], feature_ids=list(feature_ids),
        needs_variance_filter=(level == "gene" and not features),
        obs_train=obs_train, obs_test=obs_test,
        needs_imputer=bool(np.isnan(X_test).any()), n_dropped_incomplete=n_dropped,
    )


def all_samples(dsd, *, target: str | None, splits: list[str] | None = None):
    """``(X, y, obs, feature_ids)`` of every sample in ``splits`` (default: all), in split order;
    ``y`` is None when ``target`` is None."""
    names = splits or sorted(dsd.keys())
    parts = [loaders.to_numpy(dsd[s]) for s in names]
    feature_ids = list(parts[0][1])
    X = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
    obs = pd.concat([p[2] for p in parts])
    y = None if target is None else _labels(obs, target, where=f"splits {names}")
    complete = ~np.isnan(X).any(axis=0)   # label-free: keep features measured in every sample
    if not complete.all():
        X = X[:, complete]
        feature_ids = [f for f, keep in zip(feature_ids, complete) if keep]
    return X, y, obs, feature_ids
