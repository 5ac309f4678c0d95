"""The confound-only control sees only batch/technical metadata (an allow-list), encoded on train."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from bench.baselines.genelab.models import CONFOUND_COLUMNS, confound_design, fit_predict


def _obs(n, mission, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"mission": [mission] * n, "label": rng.integers(0, 2, n), "meta_label": ["FLT"] * n,
                         "track": rng.choice(["2a", "2b"], n), "library_size": rng.normal(3e7, 1e6, n),
                         "REMOVE": [False] * n, "tissue": ["skin"] * n})


def test_design_uses_the_allow_list_only_with_train_categories():
    train = pd.concat([_obs(8, "RR-6", 0), _obs(6, "RR-7", 1)])
    test = _obs(5, "MHU-2", 2)
    Xtr, Xte, names = confound_design(train, test)
    assert names == ["mission=RR-6", "mission=RR-7", "track=2a", "track=2b", "library_size"]
    assert all(n.split("=")[0] in CONFOUND_COLUMNS for n in names)  # never label, meta_label, REMOVE, tissue
    np.testing.assert_array_equal(Xte[:, :2], 0)  # the unseen test mission is all zeros
    np.testing.assert_array_equal(Xte[:, 4], test["library_size"].to_numpy())
    assert Xtr.shape == (14, 5)


def test_no_metadata_gives_a_constant_column():
    Xtr, Xte, names = confound_design(pd.DataFrame({"label": [0, 1]}), pd.DataFrame({"label": [1]}))
    assert names == ["(no metadata)"] and Xtr.shape == (2, 1) and Xte.shape == (1, 1)


def test_confound_model_is_sklearn_scaled_logistic_regression():
    rng = np.random.default_rng(3)
    X, y, Xt = rng.normal(size=(30, 3)), np.arange(30) % 2, rng.normal(size=(7, 3))
    _, proba = fit_predict("confound", X, y, Xt, level="gene", seed=42)
    scaler = StandardScaler().fit(X)
    ref = LogisticRegression(class_weight="balanced", solver="lbfgs", max_iter=1000, random_state=42)
    ref.fit(scaler.transform(X), y)
    np.testing.assert_allclose(proba, ref.predict_proba(scaler.transform(Xt)), rtol=0, atol=1e-12)
