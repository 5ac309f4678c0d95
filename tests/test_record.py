"""Result records and `bench verify`: round trip, order-invariant checksums, tampering caught, real
upstream submissions verify as MATCH."""
from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from genelab_helpers import write_label_folds
from bench.cli import main
from bench.errors import BenchError
from bench.results.record import (predictions_sha256, read_record, split_checksum, verify_record)

FOLDS = {
    "fold_MHU-2_test": {"M2_F1": 1, "M2_F2": 1, "M2_G1": 0, "M2_G2": 0, "M2_G3": 0},
    "fold_RR-6_test": {"R6_F1": 1, "R6_F2": 1, "R6_G1": 0, "R6_G2": 0},
    "fold_RR-7_test": {"R7_F1": 1, "R7_F2": 1, "R7_G1": 0, "R7_G2": 0, "R7_G3": 0},
}
UPSTREAM = ["LR_baseline_A2", "PCALR_baseline_A4", "PCALR_baseline_A5", "PCALR_baseline_A6",
            "PCALR_baseline_B2", "PCALR_baseline_B4", "PCALR_baseline_B5", "PCALR_baseline_B6"]


def _layout(root: Path) -> Path:
    return write_label_folds(root, FOLDS)


def _predictions() -> dict:
    """Scores that rank most but not all Flight samples first (AUROCs strictly between 0.5 and 1)."""
    out = {}
    for f, labels in FOLDS.items():
        out[f] = {s: round(0.3 + 0.4 * y + 0.07 * i * (-1) ** i, 4) for i, (s, y) in enumerate(labels.items())}
    return out


@pytest.fixture()
def recorded(tmp_path, capsys):
    """A record written by `bench evaluate --record` on a small upstream-format task."""
    data = _layout(tmp_path / "data")
    sub = tmp_path / "sub.json"
    sub.write_text(json.dumps({"task_id": "A5", "model_name": "m1", "predictions": _predictions()}))
    code = main(["evaluate", "A5_skin", str(sub), "--data-dir", str(data), "--record", str(tmp_path / "rec"),
                 "--n-bootstrap", "60", "--n-permutations", "60", "--model-revision", "abc123",
                 "--pretraining-corpus", "none"])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    return tmp_path / "rec", data


def test_record_holds_every_field_and_round_trips(recorded):
    rec_dir, data = recorded
    record = read_record(rec_dir)
    assert json.loads(json.dumps(record)) == record
    assert record["benchmark"]["task"] == "A5_skin" and record["benchmark"]["task_version"] == 1
    assert record["dataset"]["repo"] == "jang1563/genelab-benchmark" and record["dataset"]["origin"] == "local"
    assert record["metric"]["params"] == {"seed": 42, "n_bootstrap": 60, "n_permutations": 60, "rng": "default",
                                          "thresholds": {"mean_auroc": 0.7, "mean_ci_lower": 0.5, "mean_perm_p": 0.05}}
    assert record["model"] == {"id": "m1", "revision": "abc123", "pretraining_corpus": "none", "description": None}
    assert record["verification"] == {"level": "self-reported"}
    assert record["command"][:2] == ["bench", "evaluate"] and record["runtime_seconds"] >= 0
    assert set(record["software"]) >= {"bench_version", "git_revision", "python", "numpy", "scikit_learn"}
    assert not any(str(tmp).startswith("/") for tmp in record["command"])  # no absolute paths
    # the per-fold values are sklearn's AUROCs of the predictions
    preds = _predictions()
    for row in record["value"]["per_fold"]:
        labels = FOLDS[row["fold"]]
        expected = roc_auc_score(list(labels.values()), [preds[row["fold"]][s] for s in labels])
        assert row["auroc"] == pytest.approx(expected, abs=1e-15)
    # split checksum: sha256 of each fold's sorted ids, computed here by hand
    for fold, ids in FOLDS.items():
        assert record["splits"]["per_fold"][fold] == hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()
    assert record["alarms"] == []


def test_verify_match(recorded, capsys):
    rec_dir, data = recorded
    assert verify_record(rec_dir, data_dir=data).status == "MATCH"
    assert main(["verify", str(rec_dir), "--data-dir", str(data), "--out", str(rec_dir / "verified.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("MATCH") and "verified copy written" in out
    mean = read_record(rec_dir)["value"]["mean_auroc"]
    assert f"recomputed mean AUROC {mean!r} over {len(FOLDS)} fold(s); predictions, splits and labels match" in out
    verified = json.loads((rec_dir / "verified.json").read_text())
    assert verified["verification"]["level"] == "recomputed"
    assert read_record(rec_dir)["verification"]["level"] == "self-reported"  # the record itself untouched


def test_verify_catches_one_value_tamper(recorded, capsys):
    rec_dir, data = recorded
    path = rec_dir / "record.json"
    record = json.loads(path.read_text())
    record["value"]["per_fold"][1]["auroc"] = 0.875  # one number changed
    path.write_text(json.dumps(record))
    result = verify_record(rec_dir, data_dir=data)
    assert result.status == "MISMATCH"
    assert any(d.startswith("value.per_fold[fold_RR-6_test].auroc: record says 0.875") for d in result.differences)
    assert main(["verify", str(rec_dir), "--data-dir", str(data)]) == 1
    assert "MISMATCH" in capsys.readouterr().out


def test_verify_catches_one_prediction_tamper(recorded):
    rec_dir, data = recorded
    path = rec_dir / "predictions.json"
    sub = json.loads(path.read_text())
    sub["predictions"]["fold_RR-7_test"]["R7_G1"] = 0.99  # one prediction changed
    path.write_text(json.dumps(sub))
    result = verify_record(rec_dir, data_dir=data)
    assert result.status == "MISMATCH"
    assert any(d.startswith("predictions.sha256") for d in result.differences)
    assert any("value.per_fold[fold_RR-7_test].auroc" in d for d in result.differences)


def test_verify_reordered_predictions_still_match(recorded):
    rec_dir, data = recorded
    path = rec_dir / "predictions.json"
    sub = json.loads(path.read_text())
    sub["predictions"] = {f: dict(reversed(list(s.items()))) for f, s in reversed(list(sub["predictions"].items()))}
    path.write_text(json.dumps(sub, indent=4))
    assert verify_record(rec_dir, data_dir=data).status == "MATCH"


def test_verify_names_changed_labels_and_missing_ids(recorded, tmp_path):
    rec_dir, data = recorded
    changed = {f: dict(labels) for f, labels in FOLDS.items()}   # a new data revision: every file agrees
    changed["fold_RR-6_test"]["R6_G2"] = 1
    write_label_folds(data, changed)
    result = verify_record(rec_dir, data_dir=data)
    assert "labels_sha256: the labels under the data dir differ from the record's" in result.differences
    changed["fold_RR-6_test"]["R6_X9"] = 0
    write_label_folds(data, changed)
    result = verify_record(rec_dir, data_dir=data)
    assert any(d.startswith("splits.sha256") and "fold_RR-6_test" in d for d in result.differences)
    assert any(a["id"] == "missing_ids" and "R6_X9" in a["message"] for a in result.alarms)


def test_verify_bad_input_is_clear(tmp_path, capsys):
    (tmp_path / "r.json").write_text(json.dumps({"hello": 1}))
    code = main(["verify", str(tmp_path / "r.json")])
    assert code == 2 and "not a bench result record" in capsys.readouterr().err
    code = main(["verify", str(tmp_path / "nope.json")])
    assert code == 2 and "result record not found" in capsys.readouterr().err


def test_verify_refuses_out_onto_record(recorded, capsys):
    rec_dir, data = recorded
    before = (rec_dir / "record.json").read_bytes()
    code = main(["verify", str(rec_dir), "--data-dir", str(data), "--out", str(rec_dir / "record.json")])
    assert code == 2 and "is the record itself" in capsys.readouterr().err
    assert (rec_dir / "record.json").read_bytes() == before


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=5), st.floats(0, 1), min_size=1, max_size=12), st.randoms())
def test_predictions_sha256_ignores_order(scores, rnd):
    items = list(scores.items())
    rnd.shuffle(items)
    assert predictions_sha256({"f": dict(items)}) == predictions_sha256({"f": scores})
    if len(items) > 0:
        sid, v = items[0]
        changed = dict(items)
        changed[sid] = v + 0.5
        assert predictions_sha256({"f": changed}) != predictions_sha256({"f": scores})


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=15, unique=True), st.randoms())
def test_split_checksum_ignores_order(ids, rnd):
    shuffled = list(ids)
    rnd.shuffle(shuffled)
    assert split_checksum({"f": ids})["sha256"] == split_checksum({"f": shuffled})["sha256"]
    assert split_checksum({"f": ids})["per_fold"]["f"] == hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


@pytest.mark.parametrize("name", UPSTREAM)
def test_upstream_submissions_verify_as_match(name, tmp_path, capsys):
    from conftest import shared_path

    root = shared_path("genelab")
    task = name.rsplit("_", 1)[1]
    code = main(["evaluate", task, str(root / "evaluation" / f"submission_{name}.json"), "--data-dir", str(root),
                 "--record", str(tmp_path / "rec"), "--n-bootstrap", "30", "--n-permutations", "30"])
    err = capsys.readouterr().err
    assert code == 0 and "warning" not in err, err  # and no alarm on an upstream baseline
    result = verify_record(tmp_path / "rec", data_dir=root)
    assert result.status == "MATCH", result.differences
    assert result.alarms == []


def test_record_needs_predictions_file(tmp_path):
    from bench.baselines.genelab.records import write_record

    record = {"predictions": {"file": "submission.json"}, "value": {"per_fold": []}, "model": {}}
    with pytest.raises(BenchError, match="its predictions file"):
        write_record(tmp_path, record)
    assert not (tmp_path / "record.json").exists()


def test_record_predictions_file_must_sit_beside_it(recorded):
    rec_dir, data = recorded
    path = rec_dir / "record.json"
    record = json.loads(path.read_text())
    record["predictions"]["file"] = "../elsewhere.json"
    path.write_text(json.dumps(record))
    with pytest.raises(BenchError, match="must be a file name beside the record"):
        read_record(rec_dir)


def test_evaluate_report_folder_holds_a_verifiable_record(tmp_path, capsys):
    data = _layout(tmp_path / "data")
    sub = tmp_path / "sub.json"
    sub.write_text(json.dumps({"task_id": "A5", "model_name": "m1", "predictions": _predictions()}))
    assert main(["evaluate", "A5_skin", str(sub), "--data-dir", str(data), "--out", str(tmp_path / "report"),
                 "--n-bootstrap", "20", "--n-permutations", "20"]) == 0
    capsys.readouterr()
    assert {"record.json", "predictions.json", "results.json"} <= {p.name for p in (tmp_path / "report").iterdir()}
    assert verify_record(tmp_path / "report", data_dir=data).status == "MATCH"


def _files_text(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.rglob("*"))
                     if p.is_file() and p.suffix in (".json", ".tsv", ".csv", ".md", ".txt"))


def test_evaluate_outputs_hold_no_absolute_path(tmp_path, capsys):
    """results.json, the report folder and the record name the labels' origin as portable text, never tmp paths."""
    from bench.loaders.genelab.labels import task_labels
    from bench.metrics.genelab.submission import evaluate_submission
    from bench.tasks import get_task

    data = _layout(tmp_path / "data")
    sub = tmp_path / "sub.json"
    sub.write_text(json.dumps({"task_id": "A5", "model_name": "m1", "predictions": _predictions()}))
    assert main(["evaluate", "A5_skin", str(sub), "--data-dir", str(data), "--json", str(tmp_path / "results.json"),
                 "--out", str(tmp_path / "report"), "--record", str(tmp_path / "rec"), "--n-bootstrap", "20",
                 "--n-permutations", "20"]) == 0
    assert "statistics   seed 42, 20 bootstrap, 20 permutations, rng default" in capsys.readouterr().out
    written = (tmp_path / "results.json").read_text() + _files_text(tmp_path / "report") + _files_text(tmp_path / "rec")
    assert str(tmp_path) not in written and "/tmp" not in written
    spec = get_task("A5_skin")
    res = evaluate_submission(sub, spec, labels=task_labels(spec, data), n_bootstrap=20, n_permutations=20)
    assert "labels_root" not in res and res["submission"]["path"] == "sub.json"
    assert json.loads((tmp_path / "rec" / "record.json").read_text())["dataset"]["origin"] == "local"
    assert json.loads((tmp_path / "results.json").read_text())["settings"]["labels_origin"] == "local"
    assert str(tmp_path) not in json.dumps(res, default=str)
