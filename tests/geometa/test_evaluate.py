"""`bench evaluate geometa_*  predictions.csv` on the real GEOMeta100K human test CSV, against sklearn."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score

from bench.cli import main

CSV = ("geometa", "benchmark", "data", "GEOMeta100K", "GEO_HUMAN_100K_test.csv")


@pytest.fixture(scope="module")
def upstream():
    from conftest import shared_path

    return shared_path("geometa"), pd.read_csv(shared_path(*CSV), dtype=str)


def _corrupted(truth: pd.Series, every: int, seed: int) -> pd.Series:
    """Every ``every``-th label replaced by another label of the same column (seeded)."""
    rng = np.random.default_rng(seed)
    classes = sorted(truth.dropna().unique())
    out = truth.copy()
    for i in range(0, len(out), every):
        if isinstance(out.iloc[i], str):
            out.iloc[i] = classes[rng.integers(len(classes))]
    return out


def test_gender_predictions_score_as_sklearn(tmp_path, upstream, capsys):
    root, table = upstream
    pred = _corrupted(table["Gender"], 3, seed=0)
    pd.DataFrame({"GSM_ID": table["GSM_ID"], "Gender": pred.fillna("")}).to_csv(tmp_path / "p.csv", index=False)
    code = main(["evaluate", "geometa_human_gender", str(tmp_path / "p.csv"), "--data-dir", str(root),
                 "--json", str(tmp_path / "r.json")])
    assert code == 0, capsys.readouterr().err
    labelled = table["Gender"].notna()
    y_true, y_pred = table.loc[labelled, "Gender"], pred[labelled]
    got = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert got["value"] == pytest.approx(f1_score(y_true, y_pred, average="macro"), abs=1e-12)
    assert got["gender"]["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred), abs=1e-12)
    assert got["gender"]["n_test"] == int(labelled.sum()) > 1000


def test_missing_predictions_and_columns_are_named(tmp_path, upstream, capsys):
    root, table = upstream
    first = table.loc[table["Gender"].notna(), "GSM_ID"].iloc[0]
    pd.DataFrame({"GSM_ID": table["GSM_ID"][table["GSM_ID"] != first], "Gender": "Male"}).to_csv(
        tmp_path / "p.csv", index=False)
    assert main(["evaluate", "geometa_human_gender", str(tmp_path / "p.csv"), "--data-dir", str(root)]) == 2
    err = capsys.readouterr().err
    assert "p.csv: column 'Gender' has no prediction for 1 of" in err and first in err
    pd.DataFrame({"GSM_ID": table["GSM_ID"], "Sex": "Male"}).to_csv(tmp_path / "q.csv", index=False)
    assert main(["evaluate", "geometa_human_gender", str(tmp_path / "q.csv"), "--data-dir", str(root)]) == 2
    assert "q.csv: no column 'Gender' (or 'gender')" in capsys.readouterr().err
