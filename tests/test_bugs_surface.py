"""A programming error inside bench surfaces as itself, never as a message about the user's file.

Each test makes an internal step (not the parse of the user's input) raise the kind of error a bug
raises, and checks that it is neither turned into a BenchError about the file nor swallowed; the
matching real bad-input case still gives the BenchError.
"""
from __future__ import annotations

import gzip
import shutil

import numpy as np
import pandas as pd
import pytest

from bench.errors import BenchError
from bench.loaders.genotex import geo_soft as gs
from bench.metrics import genotex as g
from bench.baselines.genotex import folders as ev
from bench.metrics import registration
from bench.metrics.genelab import lomo

from genotex_fixtures import build_genotex_root

MATRIX = ('!Sample_geo_accession\t"GSM1"\t"GSM2"\n!series_matrix_table_begin\n"ID_REF"\t"GSM1"\t"GSM2"\n'
          '"p1"\t1.5\t2\n"p2"\tnull\t3\n!series_matrix_table_end\n')


def _matrix(tmp_path, body=MATRIX):
    path = tmp_path / "GSE1_series_matrix.txt.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(body)
    return path


def test_series_matrix_bug_after_parsing_is_not_a_format_error(tmp_path, monkeypatch):
    """The pandas-3 bug (writing into a read-only to_numpy() array) was reported as 'expected a probe ID
    and N numeric values per row'; a ValueError after the parse step must now surface unchanged."""
    path = _matrix(tmp_path)
    assert gs.read_series_matrix(path).expression.shape == (2, 2)
    original = pd.DataFrame.to_numpy

    def broken(self, *args, **kwargs):
        if kwargs.get("dtype") is np.float32:  # the reader's own conversion of a parsed chunk
            raise ValueError("assignment destination is read-only")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_numpy", broken)
    with pytest.raises(ValueError, match="read-only") as info:
        gs.read_series_matrix(path)
    assert not isinstance(info.value, BenchError)


def test_series_matrix_non_numeric_value_is_still_a_format_error(tmp_path):
    with pytest.raises(BenchError, match="expected a probe ID and 2 numeric values per row"):
        gs.read_series_matrix(_matrix(tmp_path, MATRIX.replace("1.5", "abc")))


def test_lomo_auroc_bug_in_the_statistics_is_not_reported_as_bad_input(monkeypatch):
    import evaluate

    from conftest import REPO_ROOT

    metric = evaluate.load(str(REPO_ROOT / "metrics" / "lomo_auroc"))
    args = {"predictions": [0.1, 0.9, 0.2, 0.8], "references": [0, 1, 0, 1], "folds": ["a", "a", "b", "b"],
            "n_bootstrap": 10, "n_permutations": 10}
    with pytest.raises(BenchError, match="category: expected one of 'A', 'B'"):
        metric.compute(**args, category="C")

    def broken(*args, **kwargs):
        raise ValueError("a bug in the AUROC core")

    monkeypatch.setattr(lomo, "roc_auc_rows", broken)
    with pytest.raises(ValueError, match="a bug in the AUROC core") as info:
        metric.compute(**args)
    assert not isinstance(info.value, BenchError)


def test_lomo_thresholds_that_are_not_numbers_are_bad_input():
    with pytest.raises(TypeError, match=r"thresholds\['mean_auroc'\]: expected a real number, got 'high'") as info:
        lomo.Thresholds.from_any({"mean_auroc": "high"})
    assert isinstance(info.value, BenchError)  # bad input (exit 2 at the CLI), not a bug


@pytest.fixture()
def genotex_roots(tmp_path):
    ref = build_genotex_root(tmp_path / "ref")
    pred = tmp_path / "pred"
    shutil.copytree(ref, pred)
    return pred / "output", ref / "output"


def test_preprocessing_bug_in_scoring_is_not_scored_zero(genotex_roots, monkeypatch):
    """A read error scores 0 (upstream); a bug in the similarity must not be hidden as 'unreadable; scored 0'."""
    pred, ref = genotex_roots

    def broken(p, r):
        raise ValueError("a bug in feature_correlation")

    monkeypatch.setattr(g._preprocessing, "feature_correlation", broken)  # where table_similarity looks it up
    with pytest.raises(ValueError, match="a bug in feature_correlation"):
        ev.evaluate_preprocessing(pred, ref, subtasks=["gene"])


def test_preprocessing_non_numeric_prediction_is_scored_zero_with_a_warning(genotex_roots):
    pred, ref = genotex_roots
    gene_file = sorted((pred / "preprocess").glob("*/gene_data/*.csv"))[0]
    lines = gene_file.read_text().splitlines()
    cells = lines[1].split(",")
    lines[1] = ",".join([cells[0], "not-a-number", *cells[2:]])  # one value of the first gene
    gene_file.write_text("\n".join(lines) + "\n")
    out = ev.evaluate_preprocessing(pred, ref, subtasks=["gene"])
    assert any(str(gene_file) in w and "non-numeric" in w and "scored 0" in w for w in out["warnings"])
    row = next(r for r in out["per_file"]["gene"] if gene_file.name in r["file"])
    assert row["composite_similarity_correlation"] == 0.0


def test_labels_are_synthetic_lets_a_bug_surface(monkeypatch, tmp_path):
    from bench.loaders.genelab import labels as genelab
    from bench.loaders.genelab.labels import labels_are_synthetic
    from bench.tasks import get_task

    spec = get_task("A5_skin")
    assert labels_are_synthetic(spec, tmp_path) is False  # no task folder: not marked synthetic

    def broken(spec):
        raise KeyError("task_dir")

    monkeypatch.setattr(genelab, "labels_task_dir", broken)
    with pytest.raises(KeyError, match="task_dir"):
        labels_are_synthetic(spec, tmp_path)


def test_metric_registration_is_explicit_and_names_an_unusable_cache(tmp_path):
    """No import-time registration is left to swallow errors: the explicit path (`bench install-metrics`,
    bench.load_metric) refuses an unusable modules cache with a BenchError naming it."""
    blocker = tmp_path / "modules"
    blocker.write_text("a file where the modules cache should be")
    with pytest.raises(BenchError, match=r"cannot register metric .* in the evaluate modules cache .*modules"):
        registration.ensure_registered(modules_cache=blocker)
