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
