"""Issue 14, point 6: staging of `bench build` (and every atomic write). A symlinked --out updates the
real repository and keeps the link; built repositories respect the umask; the debris of killed builds
is swept and a repository half-way through its swap is restored by the next build; the staging copy of
an existing repository links its parquet data instead of copying it."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bench.cli import main

DEAD_PID = 2**22 + 12345  # above the default pid_max: never a live process


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("built") / "repo"
    assert main(["build", "A5_skin", "--out", str(out)]) == 0
    return out


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    return Path(shutil.copytree(src, dst))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_out_symlink_updates_the_real_repo_and_keeps_the_link(built, tmp_path):
    from bench.loaders.repo import list_configs

    real = _copy(built, tmp_path / "data" / "real_repo")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert main(["build", "A6_eye", "--out", str(link)]) == 0
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert list_configs(real) == ["A5_skin", "A6_eye"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "link"]  # nothing staged beside the link


def test_file_symlink_is_written_through(tmp_path):
    from bench.io import write_text_atomic

    real = tmp_path / "store" / "results.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "results.json"
    link.symlink_to(real)
    write_text_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_built_repo_respects_the_umask(built, tmp_path, umask):
    previous = os.umask(umask)
    try:
        assert main(["build", "A5_skin", "--out", str(tmp_path / "repo")]) == 0
    finally:
        os.umask(previous)
    repo = tmp_path / "repo"
    folders = [repo, *[p for p in repo.rglob("*") if p.is_dir()]]
    files = [p for p in repo.rglob("*") if p.is_file()]
    assert {_mode(p) for p in folders} == {0o777 & ~umask}
    assert {_mode(p) for p in files} == {0o666 & ~umask}


def test_rebuilding_keeps_the_mode_of_an_existing_repo(built, tmp_path):
    repo = _copy(built, tmp_path / "repo")
    repo.chmod(0o750)
    assert main(["build", "A6_eye", "--out", str(repo)]) == 0
    assert _mode(repo) == 0o750


def test_build_sweeps_dead_debris_and_restores_a_half_swapped_repo(built, tmp_path, capsys):
    """A build SIGKILLed between the two renames of its swap left only `.repo.old-<pid>`; another left its
    staging copy. The next build puts the repository back first, then updates it; no debris remains."""
    from bench.loaders.repo import list_configs

    _copy(built, tmp_path / f".repo.old-{DEAD_PID}")  # the repository, renamed away by the killed build
    _copy(built, tmp_path / f".repo.{DEAD_PID}.abc123.tmp")  # the killed build's staging copy
    assert not (tmp_path / "repo").exists()
    assert main(["build", "A6_eye", "--out", str(tmp_path / "repo")]) == 0
    assert list_configs(tmp_path / "repo") == ["A5_skin", "A6_eye"]  # A5_skin came back from .old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]
    assert main(["validate", str(tmp_path / "repo")]) == 0


def test_staging_links_the_parquet_data_instead_of_copying_it(built, tmp_path):
    from bench.commands.data import staged_repo

    repo = _copy(built, tmp_path / "repo")
    data = sorted(repo.rglob("*.parquet"))
    assert data
    with staged_repo(repo) as stage:
        staged = [stage / p.relative_to(repo) for p in data]
        assert all(s.stat().st_ino == p.stat().st_ino for s, p in zip(staged, data))  # hard links: no bytes copied
        readme = stage / "README.md"
        assert readme.stat().st_ino != (repo / "README.md").stat().st_ino  # small text files are real copies


def test_rebuilding_a_config_never_writes_into_the_linked_files(built, tmp_path):
    """The old parquet files (hard-linked into the staging copy) are replaced, never rewritten in place:
    a reader holding the old file still sees the old bytes and mtime."""
    repo = _copy(built, tmp_path / "repo")
    old = sorted((repo / "A5_skin").glob("*.parquet"))
    keep = tmp_path / "keep"
    keep.mkdir()
    before = {}
    for i, p in enumerate(old):
        os.link(p, keep / f"{i}.parquet")
        before[i] = (p.read_bytes(), p.stat().st_mtime_ns)
    assert main(["build", "A5_skin", "--out", str(repo)]) == 0
    for i in before:
        k = keep / f"{i}.parquet"
        assert (k.read_bytes(), k.stat().st_mtime_ns) == before[i]
        assert k.stat().st_nlink == 1  # the repository's copy is a new file
