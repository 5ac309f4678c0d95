"""``bench build TASK... --out DIR``: write registry configs as a Hugging Face dataset repository.

The result loads offline with ``datasets.load_dataset(DIR, "<TASK>")`` (no loading script).
Building into an existing repository adds or replaces only the named configs. The whole build
goes to a temporary copy of the repository that replaces it at the end, so a failure leaves the
repository as it was.
"""
from __future__ import annotations

import contextlib
import fnmatch
import shutil
import sys
import warnings
from pathlib import Path

from tqdm.auto import tqdm

import bench
from bench.commands import add_family_arguments, family_options
from bench.errors import BenchError
from bench.io import atomic_path, link_or_copy
from bench.loaders.families import write_task
from bench.loaders.repo import read_config_meta, read_readme
from bench.scheduler import add_scheduler_argument, parse_scheduler, scheduler
from bench.tasks import get_task, list_tasks
from bench.tasks.families import FAMILIES, get_family


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
    add_scheduler_argument(p)  # e.g. GEOmeta expression: sample chunks and parquet shards as tasks (same bytes)
    options = add_family_arguments(p, "build")   # each family's own options (its build module)
    p.set_defaults(handler=cmd_build, family_options=options,
                   option_defaults={d: p.get_default(d) for dests in options.values() for d in dests})


def expand_tasks(patterns: list[str]) -> list[str]:
    """Registry names for CLI task arguments (names, globs, family names, the families' task groups such
    as GeneLab's 'all', 'A', 'pathway'); order kept."""
    all_names = [s.name for s in list_tasks()]
    out: list[str] = []
    for pat in patterns:
        if pat in FAMILIES:
            if FAMILIES[pat].build is None:
                raise BenchError(f"family {pat!r} has no data configs to build (its tasks run on other configs)")
            hits = [s.name for s in list_tasks(pat) if s.params.buildable_offline]
        elif (group := task_group(pat)) is not None:
            hits = group
        elif any(ch in pat for ch in "*?["):
            hits = fnmatch.filter(all_names, pat)
            if not hits:
                raise BenchError(f"task pattern {pat!r} matches no task; run `bench list`")
        else:
            hits = [get_task(pat).name]
        out += [h for h in hits if h not in out]
    return out


def task_group(word: str) -> list[str] | None:
    """The tasks a family's ``task_groups`` hook says ``word`` stands for, or None."""
    for family in FAMILIES.values():
        hook = family.hook("build", "task_groups")
        group = hook(word) if hook is not None else None
        if group is not None:
            return group
    return None


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
            summary = get_family(spec.family).hook("build", "summary_lines")
            for config in write_task(spec, tmp, data_dir=args.data_dir, **given_options(args, spec.family)):
                meta = read_config_meta(tmp, config)
                print(f"built {config}{' (SYNTHETIC data)' if meta.get('synthetic') else ''} -> {out / config}")
                for line in summary(meta) if summary is not None else []:
                    print(f"  {line}")
                written += [config] if config not in written else []
            _print_warnings(caught)
    print(f"{len(written)} config(s) written to {out}; load with "
          f"datasets.load_dataset({str(out)!r}, {names[0]!r})")
    return 0


def given_options(args, family: str) -> dict:
    """The family's ``bench build`` options the user set (not at their default): a build with none is the
    plain one, identified by its source fingerprint."""
    return {k: v for k, v in family_options(args, family).items() if v != args.option_defaults[k]}


def _print_warnings(caught: list) -> None:
    """Show warnings raised while building as one ``bench: warning: ...`` line each (no source lines)."""
    seen = set()
    for w in caught:
        msg = str(w.message)
        if msg not in seen:
            seen.add(msg)
            print(f"bench: warning: {msg}", file=sys.stderr)
    caught.clear()
