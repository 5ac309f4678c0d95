"""Shared test setup: offline Hugging Face, a private HF cache, and the real upstream files."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

# A data repo written by `bench build --out ./bench` in the working directory would shadow the
# editable `bench` package: the cwd is first on sys.path and a folder without __init__.py is a
# namespace package, found before setuptools' editable finder. Drop the cwd from sys.path then.
# (A regular, non-editable install is not affected; neither is the `bench` console command.)
_cwd_bench = Path.cwd() / "bench"
if _cwd_bench.is_dir() and not (_cwd_bench / "__init__.py").exists() and "bench" not in sys.modules:
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path.cwd().resolve()]
    os.environ.setdefault("PYTHONSAFEPATH", "1")  # same for `python -m/-c` subprocesses (Python >= 3.11)

# Offline and isolated before any HF library is imported by a test module.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="bench-test-hf-"))
os.environ.setdefault("MPLBACKEND", "Agg")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BENCH_SHARED_DIR", REPO_ROOT.parent / "shared")).resolve()
os.environ.setdefault("BENCH_SHARED_DIR", str(SHARED))  # library code never guesses ../shared itself


def shared_path(*parts: str) -> Path:
    """Path under ../shared, or skip the test with a clear reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real upstream data not available: {path} is absent "
                    "(CI provides ../shared; set BENCH_SHARED_DIR to point elsewhere)")
    return path


@pytest.fixture(scope="session")
def genelab_dir() -> Path:
    """Root of the real GeneLab upstream checkout (tasks/, processed/, evaluation/)."""
    return shared_path("genelab")
