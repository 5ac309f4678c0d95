"""Shared test setup: offline Hugging Face, a private HF cache, and the real upstream files."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Offline and isolated before any HF library is imported by a test module.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="bench-test-hf-"))
os.environ.setdefault("MPLBACKEND", "Agg")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BENCH_SHARED_DIR", REPO_ROOT.parent / "shared")).resolve()


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
