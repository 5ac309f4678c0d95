"""Docstring examples of the GenoTEX modules run as tests."""
from __future__ import annotations

import doctest

import pytest

import bench.loaders.genotex.geo_soft
import bench.metrics.genotex._problems


@pytest.mark.parametrize("module", [bench.metrics.genotex._problems, bench.loaders.genotex.geo_soft])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
