"""Fixtures shared by the GeneLab tests."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A private ``BENCH_CACHE`` for one test module (the synthetic default is generated into it)."""
    path = tmp_path_factory.mktemp("bench-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BENCH_CACHE", str(path))
        yield path
