"""Fault injection: SIGKILL a `bench build` subprocess at seeded random points; the existing repo
stays intact (validates, same files), and the next build sweeps the killed builds' staging debris."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.cli import main
from bench.io import sweep_stale_staging

BUILD = [sys.executable, "-c", "import sys; from bench.cli import main; sys.exit(main(sys.argv[1:]))", "build"]
TASK = "A5_skin"


def _files(repo: Path) -> set[str]:
    return {p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file()}


def _build(repo: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([*BUILD, TASK, "--out", str(repo)], cwd=repo.parent, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _validates(repo: Path, capsys) -> bool:
    code = main(["validate", str(repo)])
    capsys.readouterr()
    return code == 0


def test_sweep_removes_dead_staging_restores_a_half_swapped_repo_and_keeps_live_ones(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    dead = 2**22 + 12345  # above the default pid_max (4194304 = 2**22): never a live process
    for name in (f".repo.{dead}.x1.tmp", f".repo.old-{dead}", f".repo.{os.getpid()}.live.tmp", ".other.1.x.tmp"):
        (tmp_path / name).mkdir()
    removed = {p.name for p in sweep_stale_staging(repo)}
    assert removed == {f".repo.{dead}.x1.tmp", f".repo.old-{dead}"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.1.x.tmp", f".repo.{os.getpid()}.live.tmp", "repo"]
    # killed between the two renames of the swap: no repo, only the previous version -> put back
    repo.rmdir()
    (tmp_path / f".repo.old-{dead}").mkdir()
    (tmp_path / f".repo.old-{dead}" / "README.md").write_text("old")
    sweep_stale_staging(repo)
    assert (repo / "README.md").read_text() == "old" and not (tmp_path / f".repo.old-{dead}").exists()


@pytest.mark.slow
def test_sigkill_during_build_leaves_repo_intact_and_rebuild_leaves_no_debris(tmp_path, capsys):
    env = {**os.environ, "PYTHONSAFEPATH": "1"}
    repo = tmp_path / "repo"
    start = time.monotonic()
    assert _build(repo, env).wait(timeout=900) == 0
    duration = time.monotonic() - start
    baseline = _files(repo)
    assert _validates(repo, capsys) and baseline

    rng = random.Random(14)
    for delay in sorted(rng.uniform(0.05, 1.0) * duration for _ in range(4)):
        proc = _build(repo, env)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert repo.is_dir() and _files(repo) == baseline, f"repo changed by a build killed after {delay:.2f} s"
        assert _validates(repo, capsys)

    assert _build(repo, env).wait(timeout=900) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"], "staging debris left beside the repo"
    assert _files(repo) == baseline and _validates(repo, capsys)
