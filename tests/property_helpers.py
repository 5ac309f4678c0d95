"""Property-based testing helpers (hypothesis): a fast twin for the default run and a thorough,
``slow``-marked twin with many more examples; both deterministic and writing no example database."""
from __future__ import annotations

import math
import re

import numpy as np

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FAST_EXAMPLES = 25
THOROUGH_EXAMPLES = 400
_COMMON = dict(deadline=None, database=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


def fast_and_thorough(*args, fast: int = FAST_EXAMPLES, thorough: int = THOROUGH_EXAMPLES, **strategies):
    """``test_x, test_x_thorough = fast_and_thorough(a=st...)(_check_x)``: the second is ``@pytest.mark.slow``."""
    def deco(fn):
        quick = settings(max_examples=fast, **_COMMON)(given(*args, **strategies)(fn))
        slow = settings(max_examples=thorough, **_COMMON)(given(*args, **strategies)(fn))
        return quick, pytest.mark.slow(slow)
    return deco


def clear_error_or_result(fn, names):
    """Run ``fn``; a ValueError/TypeError must name one of ``names`` at the start of a message part.

    Returns ``(result, None)`` or ``(None, exc)``; any other exception type fails the test.
    """
    try:
        return fn(), None
    except (ValueError, TypeError) as exc:
        message = str(exc)
        pattern = r"(^|[\s:(])(" + "|".join(re.escape(n) for n in names) + r")(\[|:|\s|$)"
        assert re.search(pattern, message), f"error does not name any of {names}: {message!r}"
        return None, exc


def same_float(a, b, *, rel: float = 0.0, abs_: float = 0.0) -> bool:
    """Equal floats (NaN == NaN, None == NaN), with optional tolerance."""
    a = float("nan") if a is None else float(a)
    b = float("nan") if b is None else float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == pytest.approx(b, rel=rel, abs=abs_) if (rel or abs_) else a == b


#: Real numbers as users send them: ordinary, tied, huge, tiny, negative zero.
finite_scores = st.one_of(
    st.sampled_from([0.0, -0.0, 0.5, 1.0, 1e-300, -1e300, 1e300, 1.7976931348623157e308]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-10**6, 10**6),
)
#: Values a fuzzer sends where a number is expected.
bad_scalars = st.one_of(st.just(float("nan")), st.just(float("inf")), st.just(-float("inf")), st.booleans(),
                        st.none(), st.text(max_size=3), st.just([1.0]), st.just({"a": 1}))


def exact_silhouette_and_tolerance(X, labels) -> tuple[float, float]:
    """sklearn's silhouette over exact (scipy) distances, and the bound of the float64 rounding of a
    silhouette computed from the Gram expansion |x|^2 - 2xy + |y|^2 (bench, like scib-metrics): each
    distance is off by at most delta = sqrt(8 eps max|x|^2), so each s_i by at most 3 delta / max(a_i, b_i)."""
    from scipy.spatial.distance import pdist, squareform
    from sklearn.metrics import silhouette_score

    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    D = squareform(pdist(X))
    exact = silhouette_score(D, labels, metric="precomputed")
    delta = math.sqrt(8 * np.finfo(np.float64).eps * float(np.max(np.sum(X * X, axis=1), initial=0.0)))
    scale = math.inf
    for i in range(len(X)):
        same = labels == labels[i]
        same[i] = False
        a = D[i, same].mean() if same.any() else 0.0
        b = min(D[i, labels == c].mean() for c in set(labels.tolist()) if c != labels[i])
        if max(a, b) > 0:
            scale = min(scale, max(a, b))
    return exact, 1e-9 + (4 * delta / scale if math.isfinite(scale) else 0.0)
