"""The GenoTEX evaluate modules load by path offline and agree with the numpy core."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.metrics import genotex as g

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def gta_gene_set():
    import evaluate
    return evaluate.load(str(REPO / "metrics" / "gta_gene_set"))


def test_gene_set_module_matches_core_in_every_mode(gta_gene_set):
    preds = [["A", "B", "C"], None, ["X", "A"], []]
    refs = [["A", "Z"], ["A"], ["A"], []]
    conds = [None, "Age", "Obesity", "Gender"]
    for compat in g.COMPAT_MODES:
        got = gta_gene_set.compute(predictions=preds, references=refs, conditions=conds, compat=compat)
        want = g.evaluate_gene_sets(preds, refs, conditions=conds, compat=compat)
        assert got.keys() == want.keys()
        for cat in want:
            for key, value in want[cat].items():
                assert got[cat][key] == pytest.approx(value, nan_ok=True), (compat, cat, key)


def test_gene_set_module_rejects_non_string_genes(gta_gene_set):
    with pytest.raises(BenchError, match=r"predictions\[0\]\[1\]: gene symbols must be strings, got int"):
        gta_gene_set.compute(predictions=[["A", 5]], references=[["A"]])
