"""THE report writer: one :class:`Result` from every ``bench run`` and ``bench evaluate`` of every
family, rendered the same way.

- ``<out>/results.json``: ``task``, ``family``, ``summary`` (the primary metric's ``metric`` /
  ``value`` / ``verdict`` / ``per_fold`` first, then the family's summary keys), ``settings``,
  ``tables`` (named lists of rows), ``files`` and one ``provenance`` block (:func:`provenance`);
- ``<out>/<table>.tsv`` for every table, the family's extra files (submission, predictions,
  plots as PNG, a folder tree) and the marker ``.bench-run.json``.

The ``--out`` policy (:func:`check_out`) is the same for every runner: the folder must be new,
empty, or one bench wrote for the same task (it holds the marker). Only files that bench wrote
there (listed in the marker) are replaced or removed; a user's file is never overwritten or
deleted. Everything is written into a staging folder first, so a failure leaves ``out`` as it was.

:func:`format_table` (defined in :mod:`bench.table`, plain Python for the light commands) is bench's one
text-table formatter (``bench list``, every run and evaluate).
"""
from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench import __version__
from bench.errors import BenchError
from bench.io import pid_alive, sha256_file
from bench.table import format_table, format_value  # noqa: F401 (the one table formatter, re-exported)

MARKER = ".bench-run.json"
RESULTS = "results.json"
KEY_DEPENDENCIES = ("numpy", "pandas", "scipy", "scikit-learn", "datasets", "evaluate", "pyarrow",
                    "huggingface_hub", "matplotlib")
OPTIONAL_DEPENDENCIES = ("anndata", "scanpy", "h5py", "xgboost", "igraph", "leidenalg")


@dataclass
class Result:
    """What every run and evaluate returns (task, family, tables, summary, settings, files, provenance).

    ``summary`` starts with ``metric`` (primary metric name), ``value`` (its value, None when
    undefined), ``verdict`` (GO / NO-GO / PASS / FAIL or None) and ``per_fold`` ({fold: value},
    empty when the task has no folds), so a sweep can aggregate any run the same way.
    ``files`` maps a file name in the report folder to its content: a dict/list (JSON), str (text),
    bytes, a ``pandas.DataFrame`` (CSV), a ``numpy`` array (.npy), a matplotlib ``Figure`` (PNG), a
    ``Path`` (a file or folder moved in) or a callable ``write(path)``.
    """

    task: str
    family: str
    summary: dict
    settings: dict = field(default_factory=dict)
    tables: dict[str, list[dict]] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    text: str | None = None   # the printed report, when the family renders more than tables

    @property
    def synthetic(self) -> bool:
        return bool(self.provenance.get("synthetic"))

    def to_json(self) -> dict:
        """The results.json document (JSON-safe: NaN -> null, numpy scalars -> Python)."""
        return json_safe({"task": self.task, "family": self.family, "summary": self.summary,
                          "settings": self.settings, "tables": self.tables,
                          "files": sorted(self.files), "notes": self.notes, "provenance": self.provenance})


def summary(metric: str, value, *, verdict: str | None = None, per_fold: dict | None = None, **extra) -> dict:
    """The summary block: primary metric first, then the family's own keys."""
    return {"metric": metric, "value": value, "verdict": verdict, "per_fold": dict(per_fold or {}), **extra}


# ------------------------------------------------------------------------------------------ provenance

@functools.lru_cache(maxsize=1)
def git_revision() -> str | None:
    """The git commit of bench's source tree when it is a git checkout (editable install), else None."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    rev = out.stdout.strip()
    return rev if out.returncode == 0 and len(rev) == 40 else None


def dependency_versions() -> dict[str, str]:
    """Versions of the key dependencies, plus the optional extras that are installed."""
    versions = {}
    for name in KEY_DEPENDENCIES + OPTIONAL_DEPENDENCIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            if name in KEY_DEPENDENCIES:
                versions[name] = None
    return versions


def portable_origin(origin: str | None, *, synthetic: bool, data_dir=None) -> str:
    """Data origin as portable text (``local``, ``hub:org/name``, ``synthetic:genelab-v2-seed0``,
    ``embedded:scanpy``): a local path after the scheme is dropped; with no origin text it is derived."""
    if origin:
        scheme, sep, rest = str(origin).partition(":")
        if sep and (Path(rest).is_absolute() or ("/" in rest or os.sep in rest) and scheme in ("local", "synthetic")):
            return scheme
        return str(origin)
    if synthetic:
        return "synthetic"
    return "local" if data_dir is not None else "hub"


def provenance(spec=None, *, seed=None, synthetic: bool, origin: str | None = None, data_dir=None,
               inputs: dict[str, Any] | None = None) -> dict:
    """The one provenance block: bench version, git revision, Python and key dependency versions,
    seed, spec sha256, input sha256s ({name: sha256 or path to hash}), data origin, synthetic, UTC time."""
    hashed = {}
    for name, value in (inputs or {}).items():
        hashed[name] = sha256_file(value) if isinstance(value, (str, os.PathLike)) and Path(value).is_file() \
            else value
    return {
        "bench_version": __version__,
        "git_revision": git_revision(),
        "python": platform.python_version(),
        "dependencies": dependency_versions(),
        "seed": seed,
        "task_version": getattr(spec, "version", None),
        "spec_sha256": getattr(spec, "spec_hash", None),
        "inputs_sha256": hashed,
        "data_origin": portable_origin(origin, synthetic=synthetic, data_dir=data_dir),
        "synthetic": bool(synthetic),
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def sha256_tree(folder) -> str:
    """One sha256 of a folder's files (relative paths and contents, sorted): an output folder as an input."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(folder).as_posix()}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def config_provenance(spec, meta: dict, *, seed, data_dir=None, inputs: dict | None = None) -> dict:
    """:func:`provenance` of a run on a built config: origin and content hashes from its bench_config.json."""
    source = meta.get("source") if isinstance(meta.get("source"), dict) else {}
    hashes = {k: meta[k] for k in ("feature_ids_sha256", "split_sample_ids_sha256") if meta.get(k)}
    return provenance(spec, seed=seed, synthetic=bool(meta.get("synthetic")), origin=source.get("origin"),
                      data_dir=data_dir, inputs={**hashes, **(inputs or {})})


# ------------------------------------------------------------------------------------------ tables

def marked_rows(rows: list[dict], synthetic: bool) -> list[dict]:
    """Rows of a table from synthetic inputs carry ``data: SYNTHETIC`` (every row says so)."""
    return [{**r, "data": "SYNTHETIC"} if isinstance(r, dict) else r for r in rows] if synthetic else rows


def json_safe(obj):
    """Plain JSON types: numpy scalars/arrays to Python, NaN/inf to None, Paths to text."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def table_frame(rows: list[dict]) -> pd.DataFrame:
    """A table as a DataFrame for TSV (nested cells as JSON text)."""
    flat = [{k: json.dumps(json_safe(v)) if isinstance(v, (dict, list, tuple)) else v for k, v in r.items()}
            for r in rows]
    return pd.DataFrame(flat)


# ------------------------------------------------------------------------------------------ --out policy

def read_marker(out: Path) -> dict | None:
    path = Path(out) / MARKER
    if not path.is_file():
        return None
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BenchError(f"--out {out}: {MARKER} is not valid JSON; it is not a bench run folder "
                         "(choose a new folder)") from None
    if not isinstance(marker, dict) or not isinstance(marker.get("files"), list):
        raise BenchError(f"--out {out}: {MARKER} has no file list; it is not a bench run folder (choose a new folder)")
    return marker


def check_out(out, task: str) -> Path:
    """``--out`` for a report: a new or empty folder, or one bench wrote for the same ``task``."""
    out = Path(out)
    for p in (out, *out.parents):
        if p.exists():
            if not p.is_dir():
                raise BenchError(f"--out {out}: {p} is a file; expected a report folder (new or existing)")
            break
    if not out.is_dir() or not any(out.iterdir()):
        return out
    marker = read_marker(out)
    if marker is None:
        raise BenchError(f"--out {out}: folder is not empty and was not written by bench (no {MARKER}); "
                         "refusing to write into it: choose a new or empty folder (a report of an older bench "
                         "has no marker: remove it yourself if you no longer need it)")
    if marker.get("task") != task:
        raise BenchError(f"--out {out}: holds a bench run of task {marker.get('task')!r}, not {task!r}; "
                         "choose another folder")
    return out


def default_out(task: str, model: str | None) -> Path:
    return Path("bench_runs") / (f"{task}_{model}" if model else task)


def _write_file(path: Path, content) -> None:
    if isinstance(content, (dict, list)):
        path.write_text(json.dumps(json_safe(content), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, pd.DataFrame):
        content.to_csv(path, sep="\t" if path.suffix == ".tsv" else ",", index=False)
    elif isinstance(content, np.ndarray):
        with open(path, "wb") as fh:
            np.save(fh, content, allow_pickle=False)
    elif isinstance(content, Path):
        shutil.move(str(content), str(path))
    elif hasattr(content, "savefig"):
        content.savefig(path, dpi=110, bbox_inches="tight", format="png")
    elif callable(content):
        content(path)
    else:
        raise TypeError(f"report file {path.name}: cannot write a {type(content).__name__}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def report_files(result: Result) -> dict[str, Any]:
    """Every file of the report: the family's files, one TSV per table, results.json."""
    files = dict(result.files)
    for name, rows in result.tables.items():
        files.setdefault(f"{name}.tsv", table_frame(marked_rows(rows, result.synthetic)))
    result.files = files
    files[RESULTS] = result.to_json()
    return files



STAGING_PREFIX = ".bench-staging-"   # + <pid>-<random>: where a report is staged inside --out


def sweep_dead_report_staging(out: Path) -> list[Path]:
    """Remove report staging folders in ``out`` left by killed bench processes (live ones are left)."""
    removed = []
    for entry in sorted(out.glob(f"{STAGING_PREFIX}*")):
        pid = entry.name[len(STAGING_PREFIX):].split("-", 1)[0]
        if entry.is_dir() and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def write_report(result: Result, out) -> Path:
    """Write ``result`` into ``out`` under the --out policy (see the module docstring)."""
    out = check_out(out, result.task)
    marker = read_marker(out) if out.is_dir() else None
    previous = set(marker["files"]) if marker else set()
    files = report_files(result)
    bad = [n for n in files if Path(n).name != n or n in (MARKER, "", ".", "..")]
    if bad:
        raise BenchError(f"report file names must be plain names: {bad}")
    clash = sorted(n for n in files if (out / n).exists() and n not in previous)
    if clash:
        raise BenchError(f"--out {out}: {', '.join(clash)} exist(s) and were not written by bench; refusing to "
                         "overwrite a user's file (choose a new folder)")
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    sweep_dead_report_staging(out)
    stage = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out))
    try:
        for name, content in files.items():
            _write_file(stage / name, content)
        for name in files:
            target = out / name
            if target.exists():
                os.replace(target, stage / f".old-{name}")
            os.replace(stage / name, target)
        for name in sorted(previous - set(files)):   # stale files of bench's previous run here
            _remove(out / name)
        _write_file(stage / MARKER, {"task": result.task, "family": result.family, "bench_version": __version__,
                                     "files": sorted(files),
                                     "created_utc": result.provenance.get("created_utc")})
        os.replace(stage / MARKER, out / MARKER)
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out


# ------------------------------------------------------------------------------------------ printing

SYNTHETIC_NOTE = ("NOTE: SYNTHETIC data (bench's embedded generator, no real measurements): these numbers "
                  "say nothing about the biology; give --data-dir with the upstream files for real numbers.")


def render(result: Result) -> str:
    """The printed report: the family's text (or its tables), then notes."""
    parts = [SYNTHETIC_NOTE] if result.synthetic else []
    if result.text is not None:
        parts.append(result.text)
    else:
        parts += [format_table(marked_rows(rows, result.synthetic), title=name) for name, rows in result.tables.items()]
        s = result.summary
        if s.get("value") is not None or s.get("verdict"):
            verdict = f" -> {s['verdict']}" if s.get("verdict") else ""
            parts.append(f"{s['metric']}: {format_value(s.get('value'))}{verdict}")
    if result.notes:
        parts.append("notes:\n" + "\n".join(f"- {n}" for n in result.notes))
    return "\n\n".join(parts)


def emit(result: Result, out=None, *, stream=None) -> Result:
    """Write the report folder (when ``out`` is given) and print the report."""
    stream = stream or sys.stdout
    if out is not None:
        out = write_report(result, out)
    print(render(result), file=stream)
    if out is not None:
        print(f"\nreport: {out}/ ({', '.join(sorted(result.files))})", file=stream)
    return result

