"""`bench list` / `bench info` and the CLI's error contract (exit 2, one line, no traceback)."""
from __future__ import annotations

import subprocess
import sys

from bench.cli import main


def test_list_prints_a_table(capsys):
    assert main(["list", "--family", "genelab"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["task", "family", "data", "metric", "description"]
    assert "A5_skin_kegg" in out and "44 tasks" in out
    a5 = next(line for line in out.splitlines() if line.startswith("A5_skin "))
    assert "real: Hub or local; synthetic offline" in a5 and "Spaceflight detection in skin" in a5


def test_list_says_where_each_familys_data_come_from(capsys):
    assert main(["list", "--json"]) == 0
    rows = {r["task"]: r for r in __import__("json").loads(capsys.readouterr().out)}
    assert rows["pbmc68k"]["data"] == "real: shipped (scanpy)"
    assert rows["adamson_perturbation"]["data"] == "real: local (--data-dir)"
    assert rows["genotex_problems"]["data"] == "real: local; synthetic default"
    assert rows["geometa_human"]["data"] == "real labels: local; synthetic expression"
    assert all(len(r["description"]) <= 60 and "\n" not in r["description"] for r in rows.values())


def test_help_lists_the_verbs_and_hides_the_old_ones(capsys):
    """The nine verbs of the redesign plus `simulate` (issue 16), `new-task` (issue 13) and the results
    verbs (issue 17)."""
    import pytest

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    listed = [line.split()[0] for line in out.split("COMMAND\n", 1)[1].split("\noptions:")[0].splitlines()
              if line.startswith("    ") and not line.startswith("     ")]
    assert listed == ["list", "info", "build", "run", "simulate", "sweep", "leaderboard", "evaluate", "install-metrics",
                      "new-task", "validate", "push", "push-metric", "verify", "publish-result"]
    # sweep/leaderboard: issue 15; leaderboard with the significance columns: issue 17
    for old in ("evaluate-gta", "evaluate-embedding", "build-genotex", "geometa"):
        assert old not in out
    assert "rank" not in listed  # a hidden alias of leaderboard


def test_run_help_lists_each_familys_models(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "genelab: lr, pca_lr, rf, xgboost, constant, random" in out and "geometa: lr, knn, confound" in out
    assert "genotex: lasso, lasso_predictive" in out and "singlecell: pca, random, confound, control_median" in out
    assert "--limit-folds N" in out


def test_unknown_task_exits_2_with_one_clear_line(capsys):
    assert main(["info", "A7_brain"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bench: error: unknown task 'A7_brain'") and "Traceback" not in err


def test_console_script_runs():
    res = subprocess.run([sys.executable, "-m", "bench.cli", "info", "A5"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "task: A5_skin" in res.stdout


def test_cli_warnings_are_one_line(tmp_path):
    """A warning raised during a command prints as `bench: warning: ...`, without source lines."""
    import os

    env = dict(os.environ, BENCH_CACHE=str(tmp_path / "cache"), HF_HUB_OFFLINE="1")
    res = subprocess.run([sys.executable, "-m", "bench.cli", "run", "A2_gastrocnemius_hallmark", "--model", "pca_lr",
                          "--out", str(tmp_path / "report")], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "bench: warning: A2_gastrocnemius_hallmark: SYNTHETIC data" in res.stderr
    assert "Warning:" not in res.stderr and ".py:" not in res.stderr


def test_bench_error_field_is_printed_as_the_commands_option():
    """A core names what was wrong by BenchError.field; the CLI prints the command's option instead."""
    import argparse

    from bench.cli import with_option
    from bench.errors import BenchError

    args = argparse.Namespace(field_options={"labels": "--label-key", "data_dir": "--data-dir"},
                              label_key="cell_type", data_dir=None)
    assert with_option(BenchError("labels: 1 cell(s) have no value", field="labels"), args) == \
        "--label-key 'cell_type': 1 cell(s) have no value"
    assert with_option(BenchError("folder not found: x", field="data_dir"), args) == "--data-dir: folder not found: x"
    assert with_option(BenchError("plain", field="other"), args) == "plain"
    assert with_option(BenchError("plain"), argparse.Namespace()) == "plain"
