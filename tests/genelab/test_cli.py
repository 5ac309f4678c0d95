"""GeneLab through the 9-verb CLI: --limit-folds smoke runs and `bench evaluate` with the task taken
from the submission's task_id (the old `--task` spelling still works)."""
from __future__ import annotations

import json

import pytest

from bench.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_limit_folds_scores_only_the_first_folds(tmp_path, capsys):
    assert main(["run", "A6_eye_hallmark", "--model", "constant", "--limit-folds", "1", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "results.json").read_text())
    assert [f["fold"] for f in res["tables"]["per_fold"]] == ["fold_RR-1_test"]
    assert res["summary"]["per_fold"] == {"fold_RR-1_test": 0.5}
    assert list(json.loads((tmp_path / "submission.json").read_text())["predictions"]) == ["fold_RR-1_test"]
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["run", "A6_eye_hallmark", "--model", "constant", "--limit-folds", "0"])
    assert "expected a positive integer, got 0" in capsys.readouterr().err


def test_evaluate_reads_the_task_from_the_submission(tmp_path, capsys):
    from conftest import shared_path

    root = shared_path("genelab")
    sub = root / "evaluation" / "submission_PCALR_baseline_A5.json"
    common = ["--data-dir", str(root), "--n-bootstrap", "20", "--n-permutations", "20"]
    assert main(["evaluate", str(sub), *common, "--json", str(tmp_path / "a.json")]) == 0
    assert main(["evaluate", "A5_skin", str(sub), *common, "--json", str(tmp_path / "b.json")]) == 0
    assert main(["evaluate", str(sub), "--task", "A5", *common, "--json", str(tmp_path / "c.json")]) == 0
    docs = [json.loads((tmp_path / f"{n}.json").read_text()) for n in "abc"]
    assert {d["task"] for d in docs} == {"A5_skin"}
    assert docs[0]["summary"] == docs[1]["summary"] == docs[2]["summary"]
    capsys.readouterr()
    assert main(["evaluate", "A5_skin", str(sub), "--task", "A5"]) == 2
    assert "give the task once" in capsys.readouterr().err


def test_evaluate_out_writes_a_report_folder_under_the_out_policy(tmp_path, capsys):
    from conftest import shared_path

    root = shared_path("genelab")
    sub = root / "evaluation" / "submission_PCALR_baseline_A5.json"
    common = ["A5_skin", str(sub), "--data-dir", str(root), "--n-bootstrap", "20", "--n-permutations", "20"]
    assert main(["evaluate", *common, "--out", str(tmp_path / "rep")]) == 0
    assert sorted(p.name for p in (tmp_path / "rep").iterdir()) == [".bench-run.json", "per_fold.tsv", "predictions.json",
                                                                   "record.json", "results.json"]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "x.txt").write_text("x")
    capsys.readouterr()
    assert main(["evaluate", *common, "--out", str(tmp_path / "mine")]) == 2
    assert "was not written by bench" in capsys.readouterr().err
