"""GeneLab baseline models with the upstream hyperparameters (spec §4), as sklearn pipelines.

Every step that learns anything (variance filter, scaler, PCA, classifier) lives inside one
:class:`sklearn.pipeline.Pipeline`, so ``pipeline.fit(X_train, y_train)`` is the only place
parameters are estimated and the test fold can never reach them.

``build_model(name, *, level, n_train, n_features, seed)`` returns an unfitted pipeline.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from bench.errors import BenchError, close_matches_hint

MODELS: dict[str, str] = {
    "lr": "StandardScaler -> LogisticRegression elastic net (saga, l1_ratio 0.5, C 1, balanced)",
    "pca_lr": "StandardScaler -> PCA(min(50, n_train-1, p)) -> LogisticRegression (lbfgs, C 1, balanced)",
    "rf": "RandomForestClassifier (200 trees, balanced)",
    "xgboost": "XGBClassifier (200 trees; needs the optional extra: pip install 'bench[xgboost]')",
    "constant": "floor: the same score for every sample (AUROC 0.5 by construction)",
    "random": "floor: seeded uniform random scores",
    "confound": "control: LogisticRegression on the batch/technical metadata only (mission, OSD study, strain, "
                "track, duration, library size, detected genes, top-100 share), never the expression",
}
#: Metadata a confound-only control may see (an allow-list: label-derived columns never enter).
CONFOUND_COLUMNS = ("mission", "osd_id", "strain", "track", "duration_days", "library_size", "n_detected_genes",
                    "pct_top100_genes")
MAX_ITER = {"gene": 10_000, "pathway": 5_000}
VARIANCE_KEEP_FRACTION = 0.75   # upstream: genes above the 25th variance percentile of TRAIN


class ChunkedStandardScaler(StandardScaler):
    """StandardScaler whose ``fit`` works on blocks of columns.

    sklearn accumulates the mean/variance of float32 data in float64, which briefly allocates
    about two float32 copies of the whole matrix on top of the input. Per-column statistics are
    independent, so fitting block by block gives bit-identical ``mean_``/``var_``/``scale_`` (tested)
    with a temporary of one block. ``transform`` does sklearn's arithmetic (``X -= mean_``,
    ``X /= scale_`` in X's dtype, on one copy) but always returns C order, so the saga solver (which needs C order)
    does not copy the matrix once more when the input was column-major.
    """

    def __init__(self, *, copy=True, with_mean=True, with_std=True, block_columns: int = 2048):
        super().__init__(copy=copy, with_mean=with_mean, with_std=with_std)
        self.block_columns = block_columns

    def fit(self, X, y=None, sample_weight=None):
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] <= self.block_columns or sample_weight is not None:
            return super().fit(X, y, sample_weight=sample_weight)
        parts = [StandardScaler(copy=True, with_mean=self.with_mean, with_std=self.with_std)
                 .fit(X[:, start:start + self.block_columns])
                 for start in range(0, X.shape[1], self.block_columns)]
        self.n_features_in_ = X.shape[1]
        self.n_samples_seen_ = parts[0].n_samples_seen_
        for attr in ("mean_", "var_", "scale_"):
            values = [getattr(p, attr) for p in parts]
            setattr(self, attr, None if values[0] is None else np.concatenate(values))
        return self

    def transform(self, X, copy=None):
        check_is_fitted(self, "n_features_in_")
        if not (isinstance(X, np.ndarray) and X.dtype in (np.float32, np.float64) and X.ndim == 2):
            return super().transform(X, copy=copy)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")
        out = np.array(X, order="C", copy=True)
        if self.with_mean:
            out -= self.mean_.astype(out.dtype)
        if self.with_std:
            out /= self.scale_.astype(out.dtype)
        return out


def sklearn_supports_l1_ratio_alone() -> bool:
    """scikit-learn >= 1.8 selects elastic net from ``l1_ratio`` alone (``penalty`` is deprecated)."""
    major, minor = (int(x) for x in sklearn.__version__.split(".")[:2])
    return (major, minor) >= (1, 8)


def elastic_net_lr(*, max_iter: int, seed: int, C: float = 1.0, l1_ratio: float = 0.5) -> LogisticRegression:
    """The upstream LR, made a real elastic net on every scikit-learn version.

    Before 1.8, ``LogisticRegression(solver="saga", l1_ratio=0.5)`` silently fits an L2 model
    (``penalty`` defaults to "l2" and ``l1_ratio`` is ignored); there ``penalty="elasticnet"``
    is passed explicitly. From 1.8 ``penalty`` is deprecated and ``l1_ratio`` alone decides.
    """
    kwargs = dict(solver="saga", l1_ratio=l1_ratio, C=C, class_weight="balanced",
                  max_iter=max_iter, random_state=seed)
    if not sklearn_supports_l1_ratio_alone():
        kwargs["penalty"] = "elasticnet"
    return LogisticRegression(**kwargs)


class TrainVarianceFilter(TransformerMixin, BaseEstimator):
    """Keep the columns whose variance (on the data it is fitted on) is in the top ``keep_fraction``.

    Upstream keeps genes with variance >= the 25th percentile computed on the TRAIN missions;
    fitted inside the pipeline it only ever sees the training folds.
    """

    def __init__(self, keep_fraction: float = VARIANCE_KEEP_FRACTION):
        self.keep_fraction = keep_fraction

    def fit(self, X, y=None):
        X = np.asarray(X)
        self.variances_ = X.var(axis=0, dtype=np.float64)
        cutoff = np.percentile(self.variances_, 100.0 * (1.0 - self.keep_fraction))
        self.support_ = np.flatnonzero(self.variances_ >= cutoff)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        check_is_fitted(self, "support_")
        return np.asarray(X)[:, self.support_]


class ConstantScorer(ClassifierMixin, BaseEstimator):
    """Floor model: probability 0.5 of the positive class for every sample (all ties)."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        n = np.asarray(X).shape[0]
        return np.full((n, len(self.classes_)), 1.0 / len(self.classes_))

    def predict(self, X):
        return self.classes_[np.zeros(np.asarray(X).shape[0], dtype=int)]


class RandomScorer(ClassifierMixin, BaseEstimator):
    """Floor model: seeded uniform random scores (normalised per row), independent of X."""

    def __init__(self, seed: int = 42):
        self.seed = seed

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        n = np.asarray(X).shape[0]
        raw = np.random.default_rng(self.seed).uniform(size=(n, len(self.classes_)))
        return raw / raw.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class EncodedXGB(ClassifierMixin, BaseEstimator):
    """XGBClassifier on 0..k-1 encoded labels (XGBoost refuses arbitrary class labels)."""

    def __init__(self, seed: int = 42, n_estimators: int = 200):
        self.seed = seed
        self.n_estimators = n_estimators

    def fit(self, X, y):
        from xgboost import XGBClassifier
        self.encoder_ = LabelEncoder().fit(y)
        self.classes_ = self.encoder_.classes_
        self.model_ = XGBClassifier(n_estimators=self.n_estimators, random_state=self.seed,
                                    n_jobs=1, tree_method="hist")
        self.model_.fit(X, self.encoder_.transform(y))
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class UpstreamPCA(TransformerMixin, BaseEstimator):
    """PCA with the upstream size rule ``min(50, n_train - 1, n_features)``, decided at fit time
    from the (training) data it is fitted on."""

    def __init__(self, max_components: int = 50, seed: int = 42):
        self.max_components = max_components
        self.seed = seed

    def fit(self, X, y=None):
        n, p = np.asarray(X).shape
        self.pca_ = PCA(n_components=max(1, min(self.max_components, n - 1, p)), random_state=self.seed).fit(X)
        return self

    def transform(self, X):
        check_is_fitted(self, "pca_")
        return self.pca_.transform(X)


def xgboost_available() -> bool:
    return importlib.util.find_spec("xgboost") is not None


def check_model_name(name: str) -> None:
    """BenchError naming the choices when ``name`` is not a baseline (or its extra is missing)."""
    if name not in MODELS:
        raise BenchError(f"unknown model {name!r}.{close_matches_hint(name, MODELS)} "
                         f"Choices: {', '.join(MODELS)}")
    if name == "xgboost" and not xgboost_available():
        raise BenchError("model 'xgboost' needs the optional package xgboost, which is not installed; "
                         "install it with: pip install 'bench[xgboost]'")


def build_model(name: str, *, level: str, seed: int = 42, variance_filter: bool = False,
                impute: bool = False) -> Pipeline:
    """Unfitted pipeline for baseline ``name``.

    ``variance_filter=True`` prepends the train-only top-75%-variance filter (gene level when the
    config does not carry the fold's selected features); ``impute=True`` a train-mean imputer
    (for test samples lacking a feature every training sample has).
    """
    check_model_name(name)
    if level not in MAX_ITER:
        raise BenchError(f"feature level must be one of {list(MAX_ITER)}, got {level!r}")
    steps: list[tuple[str, object]] = []
    if impute:
        steps.append(("impute", SimpleImputer(strategy="mean")))
    if variance_filter:
        steps.append(("variance", TrainVarianceFilter()))
    if name == "lr":
        steps += [("scale", ChunkedStandardScaler()), ("model", elastic_net_lr(max_iter=MAX_ITER[level], seed=seed))]
    elif name == "pca_lr":
        steps += [("scale", ChunkedStandardScaler()),
                  ("pca", UpstreamPCA(seed=seed)),
                  ("model", LogisticRegression(C=1.0, class_weight="balanced", solver="lbfgs",
                                               max_iter=1000, random_state=seed))]
    elif name == "rf":
        steps.append(("model", RandomForestClassifier(n_estimators=200, class_weight="balanced",
                                                      random_state=seed, n_jobs=1)))
    elif name == "xgboost":
        steps.append(("model", EncodedXGB(seed=seed)))
    elif name == "constant":
        steps.append(("model", ConstantScorer()))
    elif name == "confound":
        steps += [("scale", StandardScaler()),
                  ("model", LogisticRegression(C=1.0, class_weight="balanced", solver="lbfgs", max_iter=1000,
                                               random_state=seed))]
    else:
        steps.append(("model", RandomScorer(seed=seed)))
    return Pipeline(steps)


def check_training_labels(y, *, where: str) -> None:
    """BenchError when the training labels hold fewer than two classes (nothing to learn)."""
    classes = np.unique(np.asarray(y))
    if len(classes) < 2:
        got = classes.tolist() if len(classes) else "no samples"
        raise BenchError(f"{where}: the training data has a single class ({got}); a classifier needs at "
                         "least two classes in training (check the task's labels and fold definition)")


def fit_predict(name: str, X_train: np.ndarray, y_train, X_test: np.ndarray, *, level: str,
                seed: int = 42, variance_filter: bool = False, impute: bool = False,
                where: str = "fold") -> tuple[Pipeline, np.ndarray]:
    """Fit baseline ``name`` on the training fold only; return (pipeline, test probabilities [n, k])."""
    check_training_labels(y_train, where=where)
    pipe = build_model(name, level=level, seed=seed, variance_filter=variance_filter, impute=impute)
    pipe.fit(X_train, y_train)
    return pipe, pipe.predict_proba(X_test)


def confound_design(obs_train, obs_test) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The confound-only design matrices: :data:`CONFOUND_COLUMNS` present in the split metadata,
    numeric columns as numbers (train-mean filled), the others one-hot with the TRAIN categories
    (a test category never seen in training is all zeros). Encoded from training rows only."""
    cols_train, cols_test, names = [], [], []
    for col in CONFOUND_COLUMNS:
        if col not in obs_train.columns or col not in obs_test.columns:
            continue
        tr, te = obs_train[col], obs_test[col]
        numeric_tr, numeric_te = pd.to_numeric(tr, errors="coerce"), pd.to_numeric(te, errors="coerce")
        if numeric_tr.notna().all() and numeric_te.notna().all():
            cols_train.append(numeric_tr.to_numpy(float))
            cols_test.append(numeric_te.to_numpy(float))
            names.append(col)
            continue
        for cat in sorted(tr.astype(str).unique()):
            cols_train.append((tr.astype(str) == cat).to_numpy(float))
            cols_test.append((te.astype(str) == cat).to_numpy(float))
            names.append(f"{col}={cat}")
    if not names:  # nothing to see: a constant column, so the control scores every sample alike
        return np.zeros((len(obs_train), 1)), np.zeros((len(obs_test), 1)), ["(no metadata)"]
    return np.column_stack(cols_train), np.column_stack(cols_test), names
