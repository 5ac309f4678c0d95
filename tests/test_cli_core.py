"""`bench list` / `bench info` and the CLI's error contract (exit 2, one line, no traceback)."""
from __future__ import annotations

import subprocess
import sys

from bench.cli import main


def test_list_prints_a_table(capsys):
    assert main(["list", "--family", "genelab"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["task", "family", "upstream"]
    assert "A5_skin_kegg" in out and "44 tasks" in out


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
