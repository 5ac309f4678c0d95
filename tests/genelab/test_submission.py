"""Submission files: read / validate / write, and `bench evaluate` on bad input (exit 2, clear message)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.cli import main
from bench.errors import BenchError
from bench.loaders.genelab.labels import task_labels
from bench.metrics.genelab import submission as sm
from bench.metrics.genelab.lomo import evaluate_folds
from bench.tasks import get_task

FOLDS = {
    "fold_MHU-2_test": {"M2_F1": 1, "M2_F2": 1, "M2_G1": 0, "M2_G2": 0},
    "fold_RR-6_test": {"R6_F1": 1, "R6_G1": 0, "R6_G2": 0},
    "fold_RR-7_test": {"R7_F1": 1, "R7_F2": 1, "R7_G1": 0},
}


def _layout(root: Path, task_dir: str = "A5_skin_lomo", folds=FOLDS, holdout=None) -> Path:
    """A small upstream-format task folder (tasks/<task_dir>/<fold>/test_y.csv)."""
    all_folds = dict(folds)
    if holdout:
        all_folds.update(holdout)
    mission = {fold: fold.split("_")[1] for fold in all_folds}
    for fold, labels in all_folds.items():
        d = root / "tasks" / task_dir / fold
        d.mkdir(parents=True)
        rows = "\n".join(f"{sid},{float(v)}" for sid, v in labels.items())
        (d / "test_y.csv").write_text(f",0\n{rows}\n")
        (d / "test_meta.csv").write_text("sample_id,mission\n" + "".join(f"{sid},{mission[fold]}\n" for sid in labels))
        train = {sid: v for other, ls in folds.items() if other != fold for sid, v in ls.items()}
        (d / "train_y.csv").write_text(",0\n" + "".join(f"{sid},{float(v)}\n" for sid, v in train.items()))
    return root


def _good_predictions(folds=FOLDS) -> dict:
    return {fold: {sid: round(0.2 + 0.6 * y - 0.05 * i, 3) for i, (sid, y) in enumerate(labels.items())}
            for fold, labels in folds.items()}


def _write(path: Path, obj=None, text: str | None = None) -> Path:
    path.write_text(text if text is not None else json.dumps(obj))
    return path


@pytest.fixture()
def data_dir(tmp_path) -> Path:
    return _layout(tmp_path / "data")


def _evaluate(sub_path, data_dir, **kw):
    spec = get_task("A5_skin")
    return sm.evaluate_submission(sub_path, spec, labels=task_labels(spec, data_dir), n_bootstrap=50,
                                  n_permutations=50, **kw)


def _problems(tmp_path, data_dir, obj=None, text=None) -> str:
    path = _write(tmp_path / "sub.json", obj, text)
    with pytest.raises(BenchError) as err:
        _evaluate(path, data_dir)
    return str(err.value)


def _sub(**over):
    body = {"task_id": "A5", "model_name": "MyModel_v1", "model_description": "d", "submission_date": "2026-01-01",
            "predictions": _good_predictions()}
    body.update(over)
    return body


def test_roundtrip_and_scores_match_core(tmp_path, data_dir):
    path = sm.write_submission(tmp_path / "s.json", task_id="A5", model_name="MyModel_v1",
                               predictions=_good_predictions(), submission_date="2026-01-01")
    sub = sm.read_submission(path)
    assert sub.task_id == "A5" and sub.model_name == "MyModel_v1" and sub.problems == []
    out = _evaluate(path, data_dir)
    folds = [(f, np.array(list(l.values())), np.array([_good_predictions()[f][s] for s in l])) for f, l in FOLDS.items()]
    core = evaluate_folds(folds, n_bootstrap=50, n_permutations=50)
    assert out["per_fold"] == core["per_fold"] and out["summary"] == core["summary"]
    assert out["submission"]["sha256"] == sub.sha256 and out["task"] == "A5_skin"


def test_registry_name_accepted_as_task_id(tmp_path, data_dir):
    out = _evaluate(_write(tmp_path / "s.json", _sub(task_id="A5_skin")), data_dir)
    assert out["summary"]["n_folds"] == 3


def test_malformed_json(tmp_path, data_dir):
    msg = _problems(tmp_path, data_dir, text='{"task_id": "A5", "predictions": {')
    assert "malformed JSON at line 1" in msg and "sub.json" in msg


def test_top_level_not_object(tmp_path, data_dir):
    assert "top level must be a JSON object" in _problems(tmp_path, data_dir, obj=[1, 2])


@pytest.mark.parametrize("field", ["task_id", "model_name", "predictions"])
def test_missing_required_field(tmp_path, data_dir, field):
    body = _sub()
    del body[field]
    msg = _problems(tmp_path, data_dir, obj=body)
    assert f"field {field!r} is missing" in msg and "evaluation refused" in msg


def test_task_mismatch(tmp_path, data_dir):
    msg = _problems(tmp_path, data_dir, obj=_sub(task_id="A4"))
    assert "field 'task_id' is 'A4'; expected A5 or A5_skin" in msg


@pytest.mark.parametrize("name,needle", [("", "non-empty string"), ("x" * 51, "at most 50"),
                                         ("my model!", "characters other than")])
def test_model_name_rules(tmp_path, data_dir, name, needle):
    assert needle in _problems(tmp_path, data_dir, obj=_sub(model_name=name))


def test_missing_and_unknown_fold(tmp_path, data_dir):
    preds = _good_predictions()
    preds["fold_RR-99_test"] = preds.pop("fold_RR-6_test")
    msg = _problems(tmp_path, data_dir, obj=_sub(predictions=preds))
    assert "fold 'fold_RR-6_test' is missing from 'predictions' (expected scores for its 3 test samples)" in msg
    assert "fold 'fold_RR-99_test' is not a fold of task A5_skin" in msg
    assert "2 problem(s)" in msg  # all errors listed at once


def test_missing_extra_and_duplicate_samples(tmp_path, data_dir):
    preds = _good_predictions()
    del preds["fold_RR-7_test"]["R7_F2"]
    preds["fold_RR-7_test"]["R6_F1"] = 0.5
    text = json.dumps(_sub(predictions=preds))
    text = text.replace('"M2_G1": ', '"M2_G1": 0.1, "M2_G1": ', 1)  # a duplicate key inside a fold
    msg = _problems(tmp_path, data_dir, text=text)
    assert "fold 'fold_RR-7_test': 1 test sample(s) have no score: 'R7_F2'" in msg
    assert "fold 'fold_RR-7_test': 1 sample id(s) are not test samples of this fold: 'R6_F1'" in msg
    assert "fold 'fold_MHU-2_test', sample 'M2_G1': appears more than once" in msg


def test_duplicate_fold_key(tmp_path, data_dir):
    text = json.dumps(_sub()).replace('"fold_RR-6_test": {', '"fold_RR-6_test": {"R6_F1": 0.5}, "fold_RR-6_test": {', 1)
    assert "fold 'fold_RR-6_test' appears more than once in 'predictions'" in _problems(tmp_path, data_dir, text=text)


@pytest.mark.parametrize("value,needle", [('"high"', "score 'high' is not a number"), ("true", "score True is not a number"),
                                          ("null", "score None is not a number"), ("NaN", "score is NaN"),
                                          ("Infinity", "score is +infinite"), ("-Infinity", "score is -infinite"),
                                          ("1.5", "score 1.5 is outside [0, 1]"), ("-0.1", "score -0.1 is outside [0, 1]")])
def test_bad_scores_name_fold_and_sample(tmp_path, data_dir, value, needle):
    text = json.dumps(_sub()).replace('"R6_G2": 0.1', f'"R6_G2": {value}')
    assert '"R6_G2": 0.1' in json.dumps(_sub())
    msg = _problems(tmp_path, data_dir, text=text)
    assert f"fold 'fold_RR-6_test', sample 'R6_G2': {needle}; expected a Flight probability in [0, 1]" in msg


def test_empty_predictions_and_empty_fold(tmp_path, data_dir):
    assert "field 'predictions' is empty" in _problems(tmp_path, data_dir, obj=_sub(predictions={}))
    preds = _good_predictions()
    preds["fold_RR-6_test"] = {}
    assert "fold 'fold_RR-6_test': no predictions; expected scores for its 3 test samples" in \
        _problems(tmp_path, data_dir, obj=_sub(predictions=preds))


def test_holdout_optional_and_included_on_request(tmp_path):
    data = _layout(tmp_path / "d", holdout={"fold_RR-23_holdout": {"H_F": 1, "H_G": 0}})
    path = _write(tmp_path / "s.json", _sub())
    assert _evaluate(path, data)["folds_evaluated"] == list(FOLDS)  # holdout absent: fine
    preds = _good_predictions()
    preds["fold_RR-23_holdout"] = {"H_F": 0.9, "H_G": 0.2}
    path = _write(tmp_path / "s2.json", _sub(predictions=preds))
    out = _evaluate(path, data)
    assert "fold_RR-23_holdout" not in out["folds_evaluated"] and out["ignored_holdout_folds"] == ["fold_RR-23_holdout"]
    out = _evaluate(path, data, include_holdout=True)
    assert out["folds_evaluated"] == ["fold_MHU-2_test", "fold_RR-23_holdout", "fold_RR-6_test", "fold_RR-7_test"]


def test_single_class_fold_reported_undefined(tmp_path):
    folds = dict(FOLDS)
    folds["fold_RR-6_test"] = {"R6_F1": 1, "R6_F2": 1}
    data = _layout(tmp_path / "d", folds=folds)
    out = _evaluate(_write(tmp_path / "s.json", _sub(predictions=_good_predictions(folds))), data)
    row = next(r for r in out["per_fold"] if r["fold"] == "fold_RR-6_test")
    assert row["auroc"] is None and out["summary"]["undefined_folds"] == ["fold_RR-6_test"]


def test_write_rejects_bad_model_name_and_nan(tmp_path):
    with pytest.raises(BenchError, match="model_name"):
        sm.write_submission(tmp_path / "x.json", task_id="A5", model_name="bad name", predictions={})
    with pytest.raises(BenchError, match="finite"):
        sm.write_submission(tmp_path / "x.json", task_id="A5", model_name="ok", predictions={"f": {"s": float("nan")}})
    assert not (tmp_path / "x.json").exists()


# ---- CLI: exit 2 and one clear line, never a traceback ----

def _cli(capsys, *argv):
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_cli_bad_submission_exit_2(tmp_path, data_dir, capsys):
    path = _write(tmp_path / "s.json", _sub(task_id="B5"))
    out_json = tmp_path / "res.json"
    code, out, err = _cli(capsys, "evaluate", str(path), "--task", "A5_skin", "--data-dir", str(data_dir),
                          "--json", str(out_json))
    assert code == 2 and out == "" and err.startswith("bench: error: ") and "'task_id' is 'B5'" in err
    assert "Traceback" not in err and not out_json.exists()


@pytest.mark.parametrize("argv,needle", [
    (["--task", "A9"], "unknown task 'A9'"),
    (["--task", "A1"], "ambiguous"),
    (["--task", "D3_liver_mission"], "bench evaluate` scores lomo_auroc tasks"),
    (["--task", "A5_skin", "--n-bootstrap", "-1"], "n_bootstrap: expected an integer in [0, 1,000,000], got -1"),
])
def test_cli_bad_arguments_exit_2(tmp_path, data_dir, capsys, argv, needle):
    path = _write(tmp_path / "s.json", _sub())
    code, _, err = _cli(capsys, "evaluate", str(path), "--data-dir", str(data_dir), *argv)
    assert code == 2 and needle in err, err


def test_cli_missing_files_exit_2(tmp_path, data_dir, capsys):
    code, _, err = _cli(capsys, "evaluate", str(tmp_path / "nope.json"), "--task", "A5", "--data-dir", str(data_dir))
    assert code == 2 and "submission file not found" in err
    path = _write(tmp_path / "s.json", _sub())
    code, _, err = _cli(capsys, "evaluate", str(path), "--task", "A5", "--data-dir", str(tmp_path / "empty"))
    assert code == 2 and "data dir not found" in err


@pytest.mark.parametrize("where,needle", [("dir", "is a directory; expected a file path to write"),
                                          ("under_file", "a parent path is a file, not a folder")])
def test_cli_unwritable_json_target_exit_2(tmp_path, data_dir, capsys, where, needle):
    path = _write(tmp_path / "s.json", _sub())
    (tmp_path / "dir").mkdir()
    target = tmp_path / "dir" if where == "dir" else tmp_path / "s.json" / "res.json"
    code, out, err = _cli(capsys, "evaluate", str(path), "--task", "A5", "--data-dir", str(data_dir),
                          "--json", str(target))
    assert code == 2 and out == "" and needle in err and "Traceback" not in err, err
    assert list((tmp_path / "dir").iterdir()) == [] and json.loads(path.read_text()) == _sub()


def test_cli_no_data_dir_is_clear(tmp_path, capsys, monkeypatch):
    import bench.loaders as loaders

    monkeypatch.delattr(loaders, "resolve_data_dir", raising=False)
    path = _write(tmp_path / "s.json", _sub())
    code, _, err = _cli(capsys, "evaluate", str(path), "--task", "A5")
    assert code == 2 and "pass --data-dir" in err


def test_cli_real_submission_writes_self_describing_json(tmp_path, capsys):
    from conftest import shared_path

    root = shared_path("genelab")
    sub = root / "evaluation" / "submission_PCALR_baseline_A5.json"
    out_json = tmp_path / "out" / "a5.json"
    code, out, err = _cli(capsys, "evaluate", str(sub), "--task", "A5", "--data-dir", str(root), "--json", str(out_json),
                          "--n-bootstrap", "100", "--n-permutations", "100")
    assert code == 0, err
    assert "fold_RR-7_test" in out and "verdict" in out and "results written to" in out
    res = json.loads(out_json.read_text())
    spec = get_task("A5_skin")
    from bench import __version__
    from bench.io import sha256_file

    prov, settings = res["provenance"], res["settings"]
    assert prov["bench_version"] == __version__ and res["task"] == "A5_skin" and settings["upstream_id"] == "A5"
    assert prov["spec_sha256"] == spec.spec_hash and prov["inputs_sha256"]["predictions"] == sha256_file(sub)
    assert prov["synthetic"] is False and prov["data_origin"] == "local" and "SYNTHETIC" not in out
    assert (prov["seed"], settings["n_bootstrap"], settings["n_permutations"], settings["rng"]) == (42, 100, 100, "default")
    assert [r["fold"] for r in res["tables"]["per_fold"]] == ["fold_MHU-2_test", "fold_RR-6_test", "fold_RR-7_test"]
    assert set(res["summary"]) >= {"mean_auroc", "std_auroc", "mean_ci_lower", "overall_auroc_pooled",
                                   "overall_ci_lower", "overall_ci_upper", "mean_perm_p", "go_nogo"}
    assert res["summary"]["metric"] == "mean_auroc" and res["summary"]["value"] == res["summary"]["mean_auroc"]
    assert settings["thresholds"] == {"mean_auroc": 0.7, "mean_ci_lower": 0.5, "mean_perm_p": 0.05}
    # same run twice -> the same results (only the provenance's UTC time may differ)
    first = json.loads(out_json.read_text())
    assert main(["evaluate", "A5_skin", str(sub), "--data-dir", str(root), "--json", str(out_json),
                 "--n-bootstrap", "100", "--n-permutations", "100"]) == 0
    again = json.loads(out_json.read_text())
    for doc in (first, again):
        doc["provenance"].pop("created_utc")
    assert again == first


def test_cli_without_data_dir_uses_loaders_resolve_data_dir(tmp_path, data_dir, capsys, monkeypatch):
    import bench.loaders as loaders

    seen = []
    monkeypatch.setattr(loaders, "resolve_data_dir", lambda d=None: seen.append(d) or data_dir, raising=False)
    path = _write(tmp_path / "s.json", _sub())
    code, out, err = _cli(capsys, "evaluate", str(path), "--task", "A5", "--n-bootstrap", "20", "--n-permutations", "20")
    assert code == 0, err
    assert seen == [None] and "fold_RR-7_test" in out
