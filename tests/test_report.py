"""The one report writer (bench.baselines.report): the --out policy rule by rule, one provenance block
in every family's results.json, and the one table formatter."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from bench import __version__
from bench.baselines.report import (MARKER, Result, check_out, format_table, portable_origin, provenance, summary,
                                    write_report)
from bench.cli import main
from bench.errors import BenchError
from bench.table import format_value

PROVENANCE_KEYS = {"bench_version", "git_revision", "python", "dependencies", "seed", "task_version", "spec_sha256",
                   "inputs_sha256", "data_origin", "synthetic", "created_utc"}


def result(task="A5_skin", **files) -> Result:
    return Result(task=task, family="genelab", summary=summary("mean_auroc", 0.75, verdict="GO"),
                  tables={"per_fold": [{"fold": "f1", "auroc": 0.75}]}, files=files,
                  provenance=provenance(None, seed=1, synthetic=False))


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_new_folder_gets_the_report_and_a_marker(tmp_path):
    out = write_report(result(**{"submission.json": {"a": 1}}), tmp_path / "new" / "run")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "per_fold.tsv", "results.json", "submission.json"]
    marker = json.loads((out / MARKER).read_text())
    assert marker["task"] == "A5_skin" and marker["bench_version"] == __version__
    assert marker["files"] == ["per_fold.tsv", "results.json", "submission.json"]
    doc = json.loads((out / "results.json").read_text())
    assert list(doc) == ["task", "family", "summary", "settings", "tables", "files", "notes", "provenance"]
    assert doc["summary"] == {"metric": "mean_auroc", "value": 0.75, "verdict": "GO", "per_fold": {}}
    assert (out / "per_fold.tsv").read_text() == "fold\tauroc\nf1\t0.75\n"


def test_an_empty_existing_folder_is_accepted(tmp_path):
    (tmp_path / "empty").mkdir()
    assert (write_report(result(), tmp_path / "empty") / "results.json").is_file()


def test_a_users_folder_is_refused_and_untouched(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "submission.json").write_text("my own")
    with pytest.raises(BenchError, match=r"is not empty and was not written by bench \(no \.bench-run\.json\)"):
        write_report(result(), tmp_path / "mine")
    assert snapshot(tmp_path / "mine") == {"submission.json": b"my own"}


def test_a_bench_run_of_another_task_is_refused(tmp_path):
    write_report(result("A5_skin"), tmp_path / "run")
    before = snapshot(tmp_path / "run")
    with pytest.raises(BenchError, match=r"holds a bench run of task 'A5_skin', not 'A6_eye'"):
        write_report(result("A6_eye"), tmp_path / "run")
    assert snapshot(tmp_path / "run") == before


def test_rerun_replaces_only_benchs_files_and_keeps_the_users(tmp_path):
    out = tmp_path / "run"
    write_report(result(**{"heatmap.png": b"old plot", "submission.json": {"v": 1}}), out)
    (out / "notes.txt").write_text("mine")
    write_report(result(**{"submission.json": {"v": 2}}), out)
    assert json.loads((out / "submission.json").read_text()) == {"v": 2}
    assert not (out / "heatmap.png").exists()            # bench's stale file of the previous run
    assert (out / "notes.txt").read_text() == "mine"     # the user's file stays
    assert "notes.txt" not in json.loads((out / MARKER).read_text())["files"]


def test_a_users_file_with_a_report_name_is_never_overwritten(tmp_path):
    out = tmp_path / "run"
    write_report(result(), out)
    (out / "submission.json").write_text("my own submission")   # not in bench's marker
    before = snapshot(out)
    with pytest.raises(BenchError, match=r"submission.json exist\(s\) and were not written by bench"):
        write_report(result(**{"submission.json": {"v": 1}}), out)
    assert snapshot(out) == before


def test_a_failing_write_leaves_nothing_half_written(tmp_path):
    def broken(path):
        raise OSError(28, "No space left on device", str(path))

    with pytest.raises(OSError):
        write_report(result(**{"big.npy": broken}), tmp_path / "new")
    assert not (tmp_path / "new").exists()
    write_report(result(), tmp_path / "run")
    before = snapshot(tmp_path / "run")
    with pytest.raises(OSError):
        write_report(result(**{"big.npy": broken}), tmp_path / "run")
    assert snapshot(tmp_path / "run") == before
    assert [p.name for p in (tmp_path / "run").iterdir() if p.name.startswith(".bench-staging")] == []


@pytest.mark.parametrize("out", ["afile", "afile/report"])
def test_out_that_is_or_lies_under_a_file_is_refused(tmp_path, out):
    (tmp_path / "afile").write_text("keep me")
    with pytest.raises(BenchError, match="is a file; expected a report folder"):
        check_out(tmp_path / out, "A5_skin")
    assert (tmp_path / "afile").read_text() == "keep me"


def test_a_corrupt_marker_is_not_trusted(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / MARKER).write_text("{not json")
    with pytest.raises(BenchError, match="is not valid JSON; it is not a bench run folder"):
        check_out(tmp_path / "run", "A5_skin")


def test_portable_origin_never_keeps_an_absolute_path(tmp_path):
    assert portable_origin(f"synthetic:{tmp_path}", synthetic=True) == "synthetic"
    assert portable_origin(f"local:{tmp_path}", synthetic=False) == "local"
    assert portable_origin("hub:nasa/genelab-benchmark", synthetic=False) == "hub:nasa/genelab-benchmark"
    assert portable_origin(None, synthetic=False, data_dir=tmp_path) == "local"
    assert portable_origin(None, synthetic=True) == "synthetic"


def test_format_table_is_hand_checked():
    rows = [{"fold": "a", "auroc": 0.91234, "n": 12, "p": None}, {"fold": "bbbb", "auroc": float("nan"), "n": 3}]
    assert format_table(rows, title="T") == "\n".join([
        "T",
        "fold  auroc  n   p",
        "----  -----  --  -",
        "a     0.912  12  -",
        "bbbb  -      3   -"])
    assert format_table(rows, ["n"], rule=False, digits=1) == "n\n12\n3"


def test_table_cells_of_numpy_scalars_read_as_python_values():
    """The formatter is plain Python (no numpy import for `bench list`), numpy scalars still print as numbers."""
    assert [format_value(v) for v in (np.float32(0.91234), np.int64(12), np.bool_(True), np.float64("nan"),
                                      np.array(2.5), np.array([1, 2]), True, None, [1, 2], {"a": 1})] == \
        ["0.912", "12", "True", "-", "2.500", "[1 2]", "True", "-", "1,2", "a=1"]


def _runs(tmp_path):
    from genotex_fixtures import build_genotex_root

    root = build_genotex_root(tmp_path / "gtx")
    yield "genelab", ["run", "A6_eye_hallmark", "--model", "constant", "--limit-folds", "1"]
    yield "genotex", ["run", "genotex_Obesity", "--model", "lasso", "--data-dir", str(root)]
    yield "genotex evaluate", ["evaluate", "genotex_Obesity", str(root / "output"), "--data-dir", str(root)]
    pytest.importorskip("scanpy", reason="the singlecell extra (scanpy) is not installed")
    yield "singlecell", ["run", "pbmc68k", "--model", "random"]
    pytest.importorskip("h5py", reason="h5py is not installed (pip install 'bench[geometa]')")
    from geometa_helpers import make_human_dir

    yield "geometa", ["run", "geometa_human_gender", "--model", "lr", "--data-dir",
                      str(make_human_dir(tmp_path / "geo", n_train=60, n_test=30))]


@pytest.mark.slow
def test_every_family_writes_the_same_provenance_keys_and_no_absolute_path(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("BENCH_ARCHS4_H5", raising=False)
    seen = {}
    try:
        for name, argv in _runs(tmp_path):
            out = tmp_path / f"out_{len(seen)}"
            assert main(argv + ["--out", str(out)]) == 0, (name, capsys.readouterr().err)
            text = (out / "results.json").read_text()
            doc = json.loads(text)
            seen[name] = doc
            assert set(doc["provenance"]) == PROVENANCE_KEYS, name
            assert {"metric", "value", "verdict", "per_fold"} <= set(doc["summary"]), name
            assert str(tmp_path) not in text and os.path.expanduser("~") + "/" not in text, name
    except pytest.skip.Exception:
        pass
    assert {"genelab", "genotex", "genotex evaluate"} <= set(seen)
    assert seen["genelab"]["provenance"]["synthetic"] is True and len(seen["genelab"]["tables"]["per_fold"]) == 1


def test_staging_debris_of_a_killed_run_is_swept_and_a_live_one_kept(tmp_path):
    import subprocess
    import sys

    write_report(result(), tmp_path / "run")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()   # a process that has exited: its pid is free
    stale = tmp_path / "run" / f".bench-staging-{dead}-abc"
    live = tmp_path / "run" / f".bench-staging-{os.getppid()}-xyz"   # the parent of this test: alive
    for folder in (stale, live):
        folder.mkdir()
        (folder / "results.json").write_text("{}")
    write_report(result(), tmp_path / "run")
    assert not stale.exists() and live.exists()
    assert json.loads((tmp_path / "run" / "results.json").read_text())["task"] == "A5_skin"
