"""``bench build TASK... --out DIR``: write GeneLab configs as a Hugging Face dataset repository.

The result loads offline with ``datasets.load_dataset(DIR, "<TASK>")`` (no loading script).
Building into an existing repository adds or replaces only the named configs. The whole build
goes to a temporary copy of the repository that replaces it at the end, so a failure leaves the
repository as it was.
"""
from __future__ import annotations

import fnmatch
import shutil
import sys
import warnings
from pathlib import Path

from bench.errors import BenchError, close_matches_hint
from bench.io import atomic_path
from bench.tasks import get_task, list_tasks


def register(sub) -> None:
    p = sub.add_parser("build", help="write GeneLab configs as a Hugging Face dataset repo (parquet + README)")
    p.add_argument("tasks", nargs="+", metavar="TASK",
                   help="registry names (A5_skin), globs ('A5_*'), a category (A, B, D), 'pathway', 'gene' or 'all'")
    p.add_argument("--out", required=True, help="repository folder to create or update (e.g. ./bench)")
    p.add_argument("--data-dir", default=None,
                   help="local upstream checkout (e.g. ../shared/genelab); default: the Hub when online, "
                        "else the embedded synthetic data; 'synthetic' forces the embedded data")
    p.set_defaults(handler=cmd_build)


def expand_tasks(patterns: list[str]) -> list[str]:
    """Registry names for CLI task arguments (names, globs, categories, levels, 'all'); order kept."""
    specs = list_tasks("genelab")
    names = [s.name for s in specs]
    out: list[str] = []
    for pat in patterns:
        if pat == "all":
            hits = names
        elif pat in ("A", "B", "D"):
            hits = [s.name for s in specs if s.params.get("category") == pat]
        elif pat in ("gene", "pathway"):
            hits = [s.name for s in specs if s.params.get("level") == pat]
        elif any(ch in pat for ch in "*?["):
            hits = fnmatch.filter(names, pat)
            if not hits:
                raise BenchError(f"task pattern {pat!r} matches no GeneLab task; run `bench list`")
        else:
            spec = get_task(pat)
            if spec.family != "genelab":
                raise BenchError(f"bench build handles GeneLab tasks; {spec.name!r} is family {spec.family!r}."
                                 f"{close_matches_hint(pat, names)}")
            hits = [spec.name]
        out += [h for h in hits if h not in out]
    return out


def cmd_build(args) -> int:
    from tqdm.auto import tqdm

    from bench.loaders.genelab_api import _source, write_built
    from bench.tasks import get_task as spec_of

    names = expand_tasks(args.tasks)
    out = Path(args.out)
    if Path.cwd().resolve().is_relative_to(out.resolve()):
        raise BenchError(f"--out {out}: is the current folder or one of its parents; the repository is "
                         "replaced atomically, so give a subfolder (e.g. --out ./bench)")
    if out.exists() and not out.is_dir():
        raise BenchError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "README.md").is_file():
        raise BenchError(f"--out {out}: folder exists, is not empty and has no README.md; refusing to "
                         "write a dataset repository into it (choose a new or an existing bench repo folder)")
    with atomic_path(out, directory=True) as tmp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if out.is_dir():
            shutil.copytree(out, tmp, dirs_exist_ok=True)
        for name in tqdm(names, desc="bench build", unit="config", disable=len(names) < 2):
            spec = spec_of(name)
            root, synthetic, origin = _source(spec, args.data_dir)
            write_built(spec, root, tmp, synthetic=synthetic, origin=origin)
            tag = " (SYNTHETIC data)" if synthetic else ""
            print(f"built {name}{tag} -> {out / name}")
            _print_warnings(caught)
    print(f"{len(names)} config(s) in {out}; load with datasets.load_dataset({str(out)!r}, {names[0]!r})")
    return 0


def _print_warnings(caught: list) -> None:
    """Show warnings raised while building as one ``bench: warning: ...`` line each (no source lines)."""
    seen = set()
    for w in caught:
        msg = str(w.message)
        if msg not in seen:
            seen.add(msg)
            print(f"bench: warning: {msg}", file=sys.stderr)
    caught.clear()
