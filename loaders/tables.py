"""Upstream CSV tables read with pandas, each failure one :class:`BenchError` naming the file.

(Here, not in :mod:`bench.io`: ``bench.io`` serves the task registry, which ``bench list`` reads
without pandas.)
"""
from __future__ import annotations

import os

import pandas as pd

from bench.errors import BenchError
from bench.io import existing_file


def read_csv_indexed(path: str | os.PathLike, *, what: str = "CSV file") -> pd.DataFrame:
    """``pandas.read_csv(path, index_col=0)`` with a string index; :class:`BenchError` naming the
    file when it is missing or cannot be parsed (``what`` says which file the caller expected)."""
    path = existing_file(path, what)
    try:
        df = pd.read_csv(path, index_col=0)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise BenchError(f"{path}: cannot parse {what} as CSV: {exc}") from None
    df.index = df.index.astype(str)
    return df
