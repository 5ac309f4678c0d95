"""Where bench keeps generated and built data: ``$BENCH_CACHE``, else ``$HF_HOME/bench``."""
from __future__ import annotations

import os
from pathlib import Path


def bench_cache_dir() -> Path:
    """The bench cache root (created on demand by the callers that write into it).

    ``BENCH_CACHE`` wins; otherwise ``$HF_HOME/bench`` (default ``~/.cache/huggingface/bench``),
    following the Hugging Face cache conventions rather than a folder in the working directory.
    """
    if os.environ.get("BENCH_CACHE"):
        return Path(os.environ["BENCH_CACHE"]).expanduser()
    hf_home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "huggingface")
    return Path(hf_home).expanduser() / "bench"
