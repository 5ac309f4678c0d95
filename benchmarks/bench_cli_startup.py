"""How long the light commands take to start, and how many imports hide inside functions.

For this checkout and a git revision (default ``main``, extracted to a temporary package tree and put
first on ``sys.path``), prints:

- the wall time of ``bench --help``, ``bench list`` and ``bench info A5_skin`` in fresh interpreters
  (median of ``--repeat`` runs), the number of modules each imports and which heavy libraries;
- the imports inside functions (ast: an ``import`` below a ``def``) per top folder, split into
  optional extras (the rule allows those there) and the rest.

    python benchmarks/bench_cli_startup.py [--ref main] [--repeat 5]
"""
from __future__ import annotations

import argparse
import ast
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: setup.cfg's package_dir: bench = src/bench, and the card's top folders are its sub-packages.
SUBPACKAGES = ("tasks", "loaders", "metrics", "baselines")
FOLDERS = ("src/bench", *SUBPACKAGES)
OPTIONAL_EXTRAS = ("anndata", "scanpy", "h5py", "xgboost", "dask", "distributed", "umap", "igraph", "leidenalg")
HEAVY = ("datasets", "pyarrow", "pandas", "sklearn", "scipy", "matplotlib", "evaluate", "huggingface_hub")
COMMANDS = (["--help"], ["list"], ["info", "A5_skin"])
PROBE = ("import sys, time; t = time.perf_counter(); from bench.cli import main\n"
         "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
         "print(time.perf_counter() - t, len(sys.modules), ' '.join(m for m in {heavy!r} if m in sys.modules),"
         " sys.modules['bench'].__file__, sep='|', file=sys.stderr)")


def package_tree(ref: str, dest: Path) -> tuple[Path, Path]:
    """``ref``'s folders extracted under ``dest/tree`` and laid out as the installed package under
    ``dest/pkg`` (``pkg/bench`` links src/bench's files and the sub-packages): (tree, pkg)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, *FOLDERS], check=True,
                             capture_output=True).stdout
    tree, package = dest / "tree", dest / "pkg" / "bench"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    package.mkdir(parents=True)
    for entry in (tree / "src" / "bench").iterdir():
        (package / entry.name).symlink_to(entry)
    for name in SUBPACKAGES:
        (package / name).symlink_to(tree / name)
    return tree, package.parent


def time_command(argv: list[str], pythonpath: Path | None, repeat: int) -> tuple[float, float, int, str]:
    """(median wall s, median in-process s, modules imported, heavy libraries imported) of ``bench argv``."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(pythonpath) if pythonpath else "")
    walls, inner, out = [], [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv], capture_output=True,
                             text=True, env=env, cwd=tempfile.gettempdir())
        walls.append(time.perf_counter() - start)
        out = res.stderr.strip().splitlines()[-1]
        inner.append(float(out.split("|")[0]))
    _, n_modules, heavy, where = out.split("|")
    if pythonpath and not where.startswith(str(pythonpath)):
        raise SystemExit(f"bench was imported from {where}, not from {pythonpath}")
    return statistics.median(walls), statistics.median(inner), int(n_modules), heavy or "-"


def count_local_imports(tree: Path) -> Counter:
    """Imports inside functions per (folder, 'extra' | 'other') in the repository tree ``tree``; each
    import is counted once, however deeply its function is nested."""
    counts: Counter = Counter()
    for folder in FOLDERS:
        for path in sorted((tree / folder).rglob("*.py")):
            module = ast.parse(path.read_text(encoding="utf-8"))
            counts.update((folder, kind) for kind in _imports_below_defs(module, inside=False))
    return counts


def _imports_below_defs(node: ast.AST, *, inside: bool):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)) and inside:
            names = [a.name for a in child.names] if isinstance(child, ast.Import) else [child.module or ""]
            yield "extra" if all(n.split(".")[0] in OPTIONAL_EXTRAS for n in names) else "other"
        in_def = inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
        yield from _imports_below_defs(child, inside=in_def)


def report(label: str, tree: Path, pythonpath: Path | None, repeat: int) -> dict:
    """Print the timings of :data:`COMMANDS` and the local-import counts of one checkout."""
    print(f"== {label}")
    timings = {}
    for argv in COMMANDS:
        wall, inner, n_modules, heavy = time_command(argv, pythonpath, repeat)
        timings[" ".join(argv)] = wall
        print(f"  bench {' '.join(argv):<14} {wall:6.2f} s wall, {inner:5.2f} s in Python, "
              f"{n_modules:5d} modules; heavy: {heavy}")
    counts = count_local_imports(tree)
    print("  imports inside functions (other + optional extras):")
    for folder in FOLDERS:
        print(f"    {folder:<10} {counts[folder, 'other']:4d} + {counts[folder, 'extra']:3d}")
    other, extra = (sum(counts[f, kind] for f in FOLDERS) for kind in ("other", "extra"))
    print(f"    {'total':<10} {other:4d} + {extra:3d}")
    return {"timings": timings, "other": other}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="main", help="git revision to compare with (default main)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (median; default 5)")
    args = parser.parse_args()
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.ref], check=True,
                         capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="bench-ref-") as tmp:
        tree, pythonpath = package_tree(args.ref, Path(tmp))
        before = report(f"{args.ref} ({rev})", tree, pythonpath, args.repeat)
    after = report("this checkout", ROOT, None, args.repeat)
    print("== ref / this checkout")
    for command, wall in after["timings"].items():
        print(f"  bench {command:<14} {before['timings'][command] / wall:5.2f}x faster")
    print(f"  imports inside functions (not optional extras): {before['other']} -> {after['other']}")


if __name__ == "__main__":
    main()
