"""GeneLab baseline models: upstream hyperparameters, train-only fitting, floors, bad input."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from bench.baselines.genelab import models as gm
from bench.errors import BenchError


def _data(n=40, p=60, seed=0, shift=1.5):
    rng = np.random.default_rng(seed)
    y = np.array([0, 1] * (n // 2))
    X = rng.normal(size=(n, p)).astype(np.float32)
    X[:, :5] += shift * y[:, None]
    X[:, 10:20] *= 3.0  # a block of high-variance columns for the variance filter
    return X, y


def test_lr_is_a_real_elastic_net():
    X, y = _data(n=40, p=200)
    pipe = gm.build_model("lr", level="gene", seed=42).fit(X, y)
    lr = pipe.named_steps["model"]
    assert (lr.solver, lr.C, lr.l1_ratio, lr.class_weight, lr.max_iter, lr.random_state) == \
        ("saga", 1.0, 0.5, "balanced", 10_000, 42)
    # the L1 part sets exact zeros; a pure L2 fit of the same data keeps every coefficient
    assert (lr.coef_ == 0).sum() > 0
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    Xs = StandardScaler().fit_transform(X)
    kw = {} if gm.sklearn_supports_l1_ratio_alone() else {"penalty": "l2"}
    l2 = LogisticRegression(solver="saga", C=1.0, l1_ratio=0.0, class_weight="balanced", max_iter=10_000,
                            random_state=42, **kw).fit(Xs, y)
    assert (l2.coef_ == 0).sum() == 0
    assert gm.build_model("lr", level="pathway").named_steps["model"].max_iter == 5_000


@pytest.mark.parametrize("n,p,expected", [(20, 100, 19), (200, 10, 10), (200, 300, 50)])
def test_pca_size_rule(n, p, expected):
    X, y = _data(n=n, p=p)
    pipe = gm.build_model("pca_lr", level="gene").fit(X, y)
    assert pipe.named_steps["pca"].pca_.n_components_ == expected
    model = pipe.named_steps["model"]
    assert (model.solver, model.C, model.class_weight, model.random_state) == ("lbfgs", 1.0, "balanced", 42)


def test_rf_and_xgboost_hyperparameters():
    rf = gm.build_model("rf", level="gene").named_steps["model"]
    assert (rf.n_estimators, rf.class_weight, rf.random_state) == (200, "balanced", 42)
    pytest.importorskip("xgboost", reason="the xgboost extra is not installed")
    X, y = _data()
    pipe = gm.build_model("xgboost", level="gene", seed=7).fit(X, y + 5)   # labels need not be 0..k-1
    assert pipe.named_steps["model"].model_.get_params()["n_estimators"] == 200
    assert set(pipe.predict(X)) <= {5, 6}


def test_xgboost_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(gm, "xgboost_available", lambda: False)
    with pytest.raises(BenchError, match=r"pip install 'bench\[xgboost\]'"):
        gm.check_model_name("xgboost")


def test_variance_filter_keeps_top_75_percent_by_hand():
    X, _ = _data(p=40)
    f = gm.TrainVarianceFilter().fit(X)
    var = X.astype(np.float64).var(axis=0)
    expected = sorted(np.argsort(var)[10:].tolist())   # drop the 10 lowest of 40 distinct variances
    assert f.support_.tolist() == expected
    assert len(f.support_) == 30            # 40 distinct variances -> 30 kept
    assert set(range(10, 20)) <= set(f.support_)   # the inflated block survives


def test_floors():
    X, y = _data()
    _, p_const = gm.fit_predict("constant", X, y, X, level="gene")
    assert roc_auc_score(y, p_const[:, 1]) == 0.5
    _, a = gm.fit_predict("random", X, y, X, level="gene", seed=3)
    _, b = gm.fit_predict("random", X, y, X, level="gene", seed=3)
    _, c = gm.fit_predict("random", X, y, X, level="gene", seed=4)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_same_seed_same_bytes():
    X, y = _data()
    for name in ("lr", "pca_lr", "rf"):
        _, a = gm.fit_predict(name, X, y, X, level="gene", seed=42)
        _, b = gm.fit_predict(name, X, y, X, level="gene", seed=42)
        assert a.tobytes() == b.tobytes(), name


def test_unknown_model_lists_choices():
    with pytest.raises(BenchError, match=r"unknown model 'lasso'.*Choices: lr, pca_lr, rf, xgboost, constant, random"):
        gm.check_model_name("lasso")


def test_single_class_training_is_a_clear_error():
    X, _ = _data()
    with pytest.raises(BenchError, match=r"fold fold_RR-1_test: the training data has a single class \(\[1\]\)"):
        gm.fit_predict("lr", X, np.ones(len(X), dtype=int), X, level="gene", where="fold fold_RR-1_test")


@pytest.mark.parametrize("name", ["lr", "pca_lr", "rf"])
@pytest.mark.parametrize("variance_filter", [True, False])
def test_test_data_never_reaches_a_fitted_step(name, variance_filter):
    """Leakage guard at model level: changing test rows changes neither the fitted parameters nor
    the predictions of the untouched test rows."""
    X, y = _data(n=40, p=80)
    X_train, y_train, X_test = X[:30], y[:30], X[30:].copy()
    pipe_a, proba_a = gm.fit_predict(name, X_train, y_train, X_test, level="gene", variance_filter=variance_filter)
    X_test_b = X_test.copy()
    X_test_b[:4] = np.random.default_rng(9).normal(scale=50.0, size=(4, X.shape[1]))
    pipe_b, proba_b = gm.fit_predict(name, X_train, y_train, X_test_b, level="gene", variance_filter=variance_filter)
    assert fitted_state(pipe_a) == fitted_state(pipe_b)
    assert np.array_equal(proba_a[4:], proba_b[4:])


def fitted_state(pipe) -> dict:
    """Bytes of every learned array of a pipeline (variance support, scaler, PCA, model)."""
    state = {}
    for step_name, step in pipe.named_steps.items():
        for attr in ("support_", "variances_", "mean_", "var_", "scale_", "coef_", "intercept_"):
            if hasattr(step, attr):
                state[f"{step_name}.{attr}"] = np.asarray(getattr(step, attr)).tobytes()
        if hasattr(step, "pca_"):
            state[f"{step_name}.components_"] = step.pca_.components_.tobytes()
            state[f"{step_name}.mean_"] = step.pca_.mean_.tobytes()
        if hasattr(step, "estimators_"):
            state[f"{step_name}.trees"] = b"".join(t.tree_.value.tobytes() + t.tree_.threshold.tobytes()
                                                   for t in step.estimators_)
    assert state, "no fitted parameters found"
    return state


def _sklearn_version() -> tuple[int, int]:
    import sklearn

    return tuple(int(p) for p in sklearn.__version__.split(".")[:2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chunked_scaler_is_bit_identical_to_sklearn(dtype):
    from sklearn.preprocessing import StandardScaler
    rng = np.random.default_rng(3)
    X = (rng.normal(size=(57, 5003)) * rng.uniform(0, 40, 5003) + rng.uniform(-5, 9, 5003)).astype(dtype)
    X[:, 7] = 3.25                                     # a constant column (scale handled as 1)
    ours = gm.ChunkedStandardScaler(block_columns=1000).fit(X)
    ref = StandardScaler().fit(X)
    for attr in ("mean_", "var_", "scale_"):
        assert getattr(ours, attr).tobytes() == getattr(ref, attr).tobytes(), attr
    assert ours.n_samples_seen_ == ref.n_samples_seen_ and ours.n_features_in_ == 5003
    # transform works in X's dtype: (X - mean_.astype(dtype)) / scale_.astype(dtype), as sklearn >= 1.8 does;
    # older sklearn subtracts the float64 mean_ from float32 X (other last bits), so compare with the formula.
    want = (X - ref.mean_.astype(dtype)) / ref.scale_.astype(dtype)
    if _sklearn_version() >= (1, 8):
        assert want.tobytes() == ref.transform(X).tobytes()
    assert ours.transform(X).tobytes() == want.tobytes()
    F = np.asfortranarray(X)                              # column-major input: same numbers, C order out
    out = ours.transform(F)
    assert out.flags["C_CONTIGUOUS"] and out.tobytes() == want.tobytes()
    assert np.shares_memory(out, F) is False
