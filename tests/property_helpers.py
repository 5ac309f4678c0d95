"""Property-based testing helpers (hypothesis): a fast twin for the default run and a thorough,
``slow``-marked twin with many more examples; both deterministic and writing no example database."""
from __future__ import annotations

import math
import re

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
