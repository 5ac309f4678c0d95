"""``bench build TASK... --out DIR``: write registry configs as a Hugging Face dataset repository.

The result loads offline with ``datasets.load_dataset(DIR, "<TASK>")`` (no loading script).
Building into an existing repository adds or replaces only the named configs. The whole build
goes to a temporary copy of the repository that replaces it at the end, so a failure leaves the
repository as it was.
"""
from __future__ import annotations

import argparse
import contextlib
import fnmatch
import shutil
import sys
import warnings
from pathlib import Path

from datasets.utils.py_utils import convert_file_size_to_int
from tqdm.auto import tqdm

import bench
from bench.commands import seed_type
from bench.errors import BenchError
from bench.io import atomic_path, link_or_copy
from bench.loaders.families import write_task
from bench.loaders.geometa import archs4
from bench.loaders.geometa import build_config as build_geometa_config
from bench.loaders.repo import read_config_meta, read_readme
from bench.scheduler import add_scheduler_argument, parse_scheduler, scheduler
from bench.tasks import get_task, list_tasks
from bench.tasks.families import FAMILIES


def register(sub) -> None:
    p = sub.add_parser("build")
    p.add_argument("tasks", nargs="+", metavar="TASK",
                   help="registry names (A5_skin, pbmc68k, geometa_human), globs ('A5_*'), a GeneLab category "
                        "(A, B, D), 'pathway', 'gene', 'all' (every GeneLab task) or a family name "
                        "(singlecell, geometa, genotex)")
    p.add_argument("--out", required=True, help="repository folder to create or update (e.g. bench-data)")
    p.add_argument("--data-dir", default=None,
                   help="local upstream checkout (e.g. ../shared/genelab, a GenoTEX root, a GEOmeta folder); "
                        "default: the Hub when online, else the embedded synthetic data; 'synthetic' forces the "
                        "embedded data")
    g = p.add_argument_group("GEOmeta")
    g.add_argument("--expression", default=None, metavar="FILE|synthetic",
                   help="add ARCHS4 expression to geometa configs: an ARCHS4 .h5 file or 'synthetic' (default: labels only)")
    g.add_argument("--expression-seed", type=seed_type, default=0, help="seed of the synthetic expression (default 0)")
    g.add_argument("--max-shard-size", type=shard_size_type, default=archs4.DEFAULT_MAX_SHARD_BYTES, metavar="SIZE",
                   help="largest parquet shard of an expression split, as datasets' max_shard_size: bytes or "
                        "'500MB', '2GB' (default 500MB); each shard is one task under --scheduler")
    add_scheduler_argument(p)  # GEOmeta expression: sample chunks and parquet shards as tasks (same bytes)
    p.set_defaults(handler=cmd_build)


def expand_tasks(patterns: list[str]) -> list[str]:
    """Registry names for CLI task arguments (names, globs, categories, levels, 'all'); order kept."""
    specs = list_tasks("genelab")
    names = [s.name for s in specs]
    all_names = [s.name for s in list_tasks()]
    out: list[str] = []
    for pat in patterns:
        if pat == "all":
            hits = names
        elif pat in FAMILIES:
            if FAMILIES[pat].build is None:
                raise BenchError(f"family {pat!r} has no data configs to build (its tasks run on other configs)")
            hits = [s.name for s in list_tasks(pat) if s.params.buildable_offline]
        elif pat in ("A", "B", "D"):
            hits = [s.name for s in specs if s.params.get("category") == pat]
        elif pat in ("gene", "pathway"):
            hits = [s.name for s in specs if s.params.get("level") == pat]
        elif any(ch in pat for ch in "*?["):
            hits = fnmatch.filter(all_names, pat)
            if not hits:
                raise BenchError(f"task pattern {pat!r} matches no task; run `bench list`")
        else:
            hits = [get_task(pat).name]
        out += [h for h in hits if h not in out]
    return out


def is_editable_install() -> bool:
    """True unless ``bench`` was imported as a regular package from a ``sys.path`` folder (pip install .)."""
    here = Path(bench.__file__).resolve()
    return not any((Path(p or ".").resolve() / "bench" / "__init__.py") == here for p in sys.path)


def shadows_package(out: Path) -> bool:
    """A data folder ``bench`` in the working folder hides an editable ``bench`` from Python run there
    (the working folder comes first on sys.path; a folder without __init__.py is a namespace package,
    found before the editable finder). Measured: a regular install is not affected."""
    out = Path(out)
    return out.name == "bench" and out.resolve().parent == Path.cwd().resolve() and is_editable_install()


def check_repo_out(out) -> Path:
    """``--out`` for a dataset repository: a new folder or an existing bench repo, not the cwd."""
    out = Path(out)
    if Path.cwd().resolve().is_relative_to(out.resolve()):
        raise BenchError(f"--out {out}: is the current folder or one of its parents; the repository is "
                         "replaced atomically, so give a subfolder (e.g. --out bench-data)")
    if out.exists() and not out.is_dir():
        raise BenchError(f"--out {out}: exists and is not a folder")
    if shadows_package(out):
        warnings.warn(f"--out {out}: a data folder named 'bench' here shadows the editable bench install for "
                      "Python run in this folder (`import bench` finds the folder); prefer --out bench-data and "
                      "load_dataset('bench-data', CONFIG), or install bench regularly (pip install .)", stacklevel=2)
    if out.is_dir() and any(out.iterdir()) and not (out / "README.md").is_file():
        raise BenchError(f"--out {out}: folder exists, is not empty and has no README.md; refusing to "
                         "write a dataset repository into it (choose a new or an existing bench repo folder)")
    if (out / "README.md").is_file():
        read_readme(out)  # a broken card is reported now, under the user's path, not after the whole build
    return out


@contextlib.contextmanager
def staged_repo(out: Path):
    """A copy of the repository at ``out`` to write into; it replaces ``out`` only if no error occurs.

    The copy hard-links the parquet data (no bytes copied: O(files), not O(repository size)); every
    config written replaces its folder, so a linked file is never written into.
    """
    with atomic_path(out, directory=True) as tmp:
        if out.is_dir():
            shutil.copytree(out, tmp, dirs_exist_ok=True, copy_function=link_or_copy)
        yield tmp


def cmd_build(args) -> int:
    names = expand_tasks(args.tasks)
    out = check_repo_out(args.out)
    parse_scheduler(args.scheduler)  # a bad --scheduler is refused before any work
    with scheduler(args.scheduler), staged_repo(out) as tmp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = []
        for name in tqdm(names, desc="bench build", unit="config", disable=len(names) < 2):
            spec = get_task(name)
            if spec.family == "geometa" and args.expression:
                build_geometa(spec, tmp, data_dir=args.data_dir, expression=args.expression, seed=args.expression_seed,
                              max_shard_bytes=args.max_shard_size)
                written.append(spec.name)
                continue
            for config in write_task(spec, tmp, data_dir=args.data_dir):
                tag = " (SYNTHETIC data)" if read_config_meta(tmp, config).get("synthetic") else ""
                print(f"built {config}{tag} -> {out / config}")
                written += [config] if config not in written else []
            _print_warnings(caught)
    print(f"{len(written)} config(s) written to {out}; load with "
          f"datasets.load_dataset({str(out)!r}, {names[0]!r})")
    return 0


def shard_size_type(text: str) -> int:
    """``--max-shard-size``: bytes as an integer or with a unit ('500MB', '2GB'), as datasets reads it."""
    try:
        size = int(text) if text.strip().isdigit() else convert_file_size_to_int(text.strip())
    except ValueError:
        size = None
    if not isinstance(size, int) or size < 1:
        raise argparse.ArgumentTypeError(f"expected a size in bytes such as 500MB or 2GB, got {text!r}")
    return size


def build_geometa(spec, repo: Path, *, data_dir, expression, seed: int,
                  max_shard_bytes: int = archs4.DEFAULT_MAX_SHARD_BYTES) -> None:
    """A GEOmeta config with ARCHS4 (or synthetic) expression; prints its sizes and notes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # everything warned about is in meta["notes"], printed below
        dsd, meta = build_geometa_config(spec, data_dir=data_dir, expression=expression, repo_dir=repo, seed=seed,
                                         max_shard_bytes=max_shard_bytes)
    sizes = ", ".join(f"{s}={d.num_rows}" for s, d in dsd.items())
    kind = "labels only" if meta["feature_column"] is None else (
        f"{meta['n_features']} genes ({'SYNTHETIC' if meta['synthetic'] else 'ARCHS4'} expression)")
    print(f"{spec.name}: {sizes}; {kind}")
    for note in meta["notes"]:
        print(f"  - {note}")


def _print_warnings(caught: list) -> None:
    """Show warnings raised while building as one ``bench: warning: ...`` line each (no source lines)."""
    seen = set()
    for w in caught:
        msg = str(w.message)
        if msg not in seen:
            seen.add(msg)
            print(f"bench: warning: {msg}", file=sys.stderr)
    caught.clear()
