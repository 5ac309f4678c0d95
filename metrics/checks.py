"""Argument checks shared by the metric cores and the evaluate modules: checked, never coerced.

Every check returns the value unchanged (as a plain Python type) or raises a :class:`BenchError`
(a ``ValueError``) / :class:`BenchTypeError` (also a ``TypeError``) whose message starts with the
argument's name. ``bool`` is never accepted as a number, a float never as an integer, NaN/inf
never as a real. The ``check_*_column`` functions check the RAW inputs of an evaluate module
before ``datasets`` casts them to Arrow (which would truncate a label 0.5 to 0, or turn 3 into
"3"); :class:`RawInputChecks` applies them in ``add``/``add_batch`` (and so in ``compute``).
"""
from __future__ import annotations

import inspect
import math
import numbers
from typing import Callable, Iterable, Mapping

import numpy as np

from bench.errors import BenchError, BenchTypeError

class InvalidInput(ValueError):
    """Arguments a statistic cannot use (shapes, thresholds, rng, category); any other error is a bug."""


#: Largest seed numpy's legacy RandomState and most sklearn estimators accept (exclusive).
SEED_LIMIT = 2 ** 32


def _describe(value) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _is_integer(value) -> bool:
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value) -> bool:
    return isinstance(value, (numbers.Real, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None,
              hint: str = "") -> int:
    """An integer (not bool, not float) within ``[minimum, maximum]``."""
    if not _is_integer(value):
        raise BenchTypeError(f"{name}: expected an integer, got {_describe(value)}{hint}")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        lo = "-inf" if minimum is None else f"{minimum:,}"
        hi = "inf" if maximum is None else f"{maximum:,}"
        raise BenchError(f"{name}: expected an integer in [{lo}, {hi}], got {value:,}{hint}")
    return value


def check_real(value, name: str, *, minimum: float | None = None, maximum: float | None = None,
               exclusive_minimum: bool = False, hint: str = "") -> float:
    """A finite real number (not bool, not str) within the bounds."""
    if not _is_real(value):
        raise BenchTypeError(f"{name}: expected a real number, got {_describe(value)}{hint}")
    value = float(value)
    if not math.isfinite(value):
        raise BenchError(f"{name}: expected a finite number, got {value}{hint}")
    too_low = minimum is not None and (value <= minimum if exclusive_minimum else value < minimum)
    if too_low or (maximum is not None and value > maximum):
        lo = "-inf" if minimum is None else repr(minimum)
        bracket = "(" if exclusive_minimum else "["
        hi = "inf" if maximum is None else repr(maximum)
        raise BenchError(f"{name}: expected a number in {bracket}{lo}, {hi}], got {value!r}{hint}")
    return value


def check_bool(value, name: str) -> bool:
    """``True`` or ``False`` (numpy bools accepted; 0/1 and strings are not)."""
    if not isinstance(value, (bool, np.bool_)):
        raise BenchTypeError(f"{name}: expected True or False, got {_describe(value)}")
    return bool(value)


def check_choice(value, name: str, choices: Iterable) -> object:
    """One of ``choices`` (compared with ``==``; None allowed only if listed)."""
    choices = tuple(choices)
    if isinstance(value, (list, dict, set)) or value not in choices:
        raise BenchError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {_describe(value)}")
    return value


def check_seed(value, name: str = "seed") -> int:
    """A seed in ``[0, 2**32)`` (numpy RandomState / sklearn's range)."""
    return check_int(value, name, minimum=0, maximum=SEED_LIMIT - 1)


def check_sequence(values, name: str) -> list:
    """A list/tuple/array/Series as a list; a string, mapping or scalar is refused."""
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__len__") or not hasattr(values, "__iter__"):
        raise BenchTypeError(f"{name}: expected a list, got {_describe(values)}")
    if isinstance(values, np.ndarray) and values.ndim == 0:
        raise BenchTypeError(f"{name}: expected a list, got a 0-d array")
    return list(values)


def check_strings(values, name: str, *, allow_none: bool = False, non_empty: bool = False) -> list:
    """A list of strings (``None`` entries only if ``allow_none``)."""
    values = check_sequence(values, name)
    if non_empty and not values:
        raise BenchError(f"{name}: is empty; expected at least one value")
    for i, v in enumerate(values):
        if v is None and allow_none:
            continue
        if not isinstance(v, str):
            extra = " or None" if allow_none else ""
            raise BenchTypeError(f"{name}[{i}]: expected a string{extra}, got {_describe(v)}")
    return values


# --------------------------------------------------------------------------------------------
# raw evaluate-module columns (checked before Arrow casting)
# --------------------------------------------------------------------------------------------

_PLAIN_REALS = frozenset({int, float, np.float64, np.float32, np.float16, np.int64, np.int32, np.int16, np.int8,
                          np.uint64, np.uint32, np.uint16, np.uint8})


def _plain_reals(values: list) -> bool:
    return set(map(type, values)) <= _PLAIN_REALS


def check_number_column(values, name: str) -> None:
    """Finite real numbers (no bool, no strings, no None/NaN/inf)."""
    if not (isinstance(values, np.ndarray) and values.dtype.kind in "iuf" and values.ndim == 1):
        values = check_sequence(values, name)
        if not _plain_reals(values):
            for i, v in enumerate(values):
                check_real(v, f"{name}[{i}]")
        values = np.asarray(values, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise BenchError(f"{name}[{bad[0]}]: expected a finite number, got {float(values[bad[0]])!r} "
                         f"({bad.size} non-finite value(s))")


def check_binary_column(values, name: str) -> None:
    """0/1 labels: integers or bools, or floats exactly 0.0/1.0 (a 0.5 is an error, never truncated)."""
    for i, v in enumerate(check_sequence(values, name)):
        ok = isinstance(v, (bool, np.bool_)) or (_is_real(v) and float(v) in (0.0, 1.0))
        if not ok:
            raise BenchError(f"{name}[{i}]: expected a 0/1 label, got {_describe(v)}")


def check_string_column(values, name: str) -> None:
    """Strings only (Arrow would otherwise turn 3 into "3" or reject None late)."""
    check_strings(values, name)


def check_vector_column(values, name: str) -> None:
    """Rows of finite real numbers, all of one length >= 1 (an (n, d) matrix)."""
    if not (isinstance(values, np.ndarray) and values.dtype.kind in "iuf" and values.ndim == 2):
        rows = check_sequence(values, name)
        for i, row in enumerate(rows):
            row = check_sequence(row, f"{name}[{i}]")
            if len(row) != len(rows[0]):
                raise BenchError(f"{name}[{i}]: has {len(row)} values but {name}[0] has {len(rows[0])}; "
                                 "every row must have the same length")
            if not _plain_reals(row):
                for j, v in enumerate(row):
                    check_real(v, f"{name}[{i}][{j}]")
        values = np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)
    if values.shape[0] and values.shape[1] == 0:
        raise BenchError(f"{name}: rows are empty; expected vectors of length >= 1")
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        i, j = bad[0]
        raise BenchError(f"{name}[{i}][{j}]: expected a finite number, got {float(values[i, j])!r}")


def check_lengths(columns: Mapping[str, list]) -> None:
    """Every column has the same length."""
    lengths = {k: len(v) for k, v in columns.items()}
    if len(set(lengths.values())) > 1:
        raise BenchError("inputs differ in length: " + ", ".join(f"{k} {n}" for k, n in lengths.items())
                         + "; expected one value per example in each")


class RawInputChecks:
    """Mixin for an ``evaluate.Metric``: check raw inputs before ``datasets`` casts them.

    Set ``raw_checks = {feature name: check(values, name)}``. ``compute(...)`` calls ``add_batch``,
    so one override covers ``compute``, ``add_batch`` and ``add``. ``compute`` first refuses unknown
    keyword arguments and runs :meth:`check_options` (override it), before any data is stored.
    """

    raw_checks: Mapping[str, Callable[[object, str], None]] = {}

    def check_options(self, **options) -> None:
        """Check the keyword arguments of ``compute`` (override; default: nothing)."""

    def compute(self, *, predictions=None, references=None, **kwargs):
        """Check keyword arguments and raw inputs, then score (``evaluate.Metric.compute``).
        """
        features = set(self._feature_names())
        options = {k: v for k, v in kwargs.items() if k not in features}
        known = [p for p in inspect.signature(self._compute).parameters if p not in features]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise BenchTypeError(f"{unknown[0]}: unknown keyword argument of {self.name}; "
                                 f"expected one of {', '.join(known)}")
        self.check_options(**options)
        return super().compute(predictions=predictions, references=references, **kwargs)

    def _check_raw_batch(self, batch: dict, *, single: bool = False) -> None:
        names = self._feature_names()
        columns = {}
        for name in names:
            value = batch.get(name)
            if value is None:
                raise BenchError(f"{name}: missing; this metric needs {', '.join(names)}")
            columns[name] = [value] if single else check_sequence(value, name)
        if not single:
            check_lengths(columns)
        for name, check in self.raw_checks.items():
            check(batch[name] if not single else columns[name], name)

    def add_batch(self, *, predictions=None, references=None, **kwargs):
        """Check the raw batch, then add it (``evaluate.Metric.add_batch``)."""
        self._check_raw_batch({"predictions": predictions, "references": references, **kwargs})
        return super().add_batch(predictions=predictions, references=references, **kwargs)

    def add(self, *, prediction=None, reference=None, **kwargs):
        """Check the raw example, then add it (``evaluate.Metric.add``)."""
        self._check_raw_batch({"predictions": prediction, "references": reference, **kwargs}, single=True)
        return super().add(prediction=prediction, reference=reference, **kwargs)
