"""Rule (issue 12): imports sit at the top of bench's modules; an import inside a function is allowed
only for an optional extra (setup.cfg's extras_require), or for a bench module that imports one at its top.

An ast walk over the package sources; nothing is imported.
"""
from __future__ import annotations

import ast
import configparser
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT

#: setup.cfg's package_dir: folder -> the dotted package it installs as
PACKAGE_FOLDERS = {"src/bench": "bench", "loaders": "bench.loaders", "metrics": "bench.metrics",
                   "tasks": "bench.tasks", "baselines": "bench.baselines"}
#: installed with bench, but only plots need it and importing it takes ~0.4 s: the project rule lists it
#: with the extras
HEAVY_PLOTTING = {"matplotlib"}



def optional_extras(setup_cfg: Path = REPO_ROOT / "setup.cfg") -> set[str]:
    """Import names of every distribution in setup.cfg's extras_require except ``test``
    (for these distributions the import name is the distribution name)."""
    cfg = configparser.ConfigParser()
    cfg.read(setup_cfg, encoding="utf-8")
    names = set()
    for extra, text in cfg["options.extras_require"].items():
        if extra == "test":
            continue
        for line in text.splitlines():
            line = line.split("#")[0].strip()
            if line:
                names.add(re.match(r"[A-Za-z0-9_.-]+", line).group(0).replace("-", "_").lower())
    return names


def package_files() -> dict[str, Path]:
    """``{dotted module name: path}`` of every package source file."""
    out = {}
    for folder, package in PACKAGE_FOLDERS.items():
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            parts = path.relative_to(REPO_ROOT / folder).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            out[".".join((package, *parts))] = path
    return out


def imported_modules(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """Absolute names of what an import statement in ``module`` imports (relative imports resolved)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - node.level + 1] if node.level else []
    return [".".join([*base, *filter(None, [node.module])])]


def top_level_imports(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    return {name for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
            for name in imported_modules(node, module, is_package)}


def local_imports(tree: ast.Module, module: str, is_package: bool) -> list[tuple[int, str, str]]:
    """``(line, function, imported module)`` of every import below a ``def`` (each counted once)."""
    found = {}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for name in imported_modules(node, module, is_package):
                        found.setdefault((node.lineno, name), fn.name)
    return [(line, fn, name) for (line, name), fn in sorted(found.items())]


def allowed_locally(name: str, extras: set[str], optional_modules: set[str]) -> bool:
    return name.split(".")[0] in extras | HEAVY_PLOTTING or name in optional_modules


def violations(files: dict[str, Path], extras: set[str]) -> list[str]:
    trees = {m: (ast.parse(p.read_text(encoding="utf-8"), str(p)), p.name == "__init__.py") for m, p in files.items()}
    # a bench module that imports an optional extra at its top is itself optional (bench._dask_memory)
    optional_modules = {m for m, (tree, pkg) in trees.items()
                        if any(n.split(".")[0] in extras for n in top_level_imports(tree, m, pkg))}
    out = []
    for module, (tree, pkg) in trees.items():
        rel = files[module].relative_to(REPO_ROOT).as_posix()
        out += [f"{rel}:{line} in {fn}(): import {name}" for line, fn, name in local_imports(tree, module, pkg)
                if not allowed_locally(name, extras, optional_modules)]
    return out


def test_extras_are_read_from_setup_cfg():
    assert {"anndata", "scanpy", "h5py", "xgboost", "dask", "distributed", "igraph", "leidenalg"} <= optional_extras()
    assert not optional_extras() & {"pytest", "hypothesis", "duckdb"}  # the test extra is no runtime extra


def test_no_function_local_import_except_optional_extras():
    found = violations(package_files(), optional_extras())
    assert found == [], ("imports inside functions that are not optional extras; move them to the module top "
                         "(or, for a new optional extra, add it to setup.cfg's extras_require):\n  "
                         + "\n  ".join(found))


def test_the_walk_flags_a_local_import_and_spares_extras(tmp_path):
    """The checker itself: a local sklearn import (also nested, also relative) is flagged, an extra is not."""
    (tmp_path / "mod.py").write_text(
        "import numpy\n"
        "def f():\n    import anndata\n    from dask import array\n    from sklearn.metrics import f1_score\n"
        "def g():\n    def inner():\n        from . import sibling\n    return inner\n", encoding="utf-8")
    tree = ast.parse((tmp_path / "mod.py").read_text(encoding="utf-8"))
    found = [(fn, name) for _, fn, name in local_imports(tree, "bench.pkg.mod", False)
             if not allowed_locally(name, optional_extras(), set())]
    assert found == [("f", "sklearn.metrics"), ("g", "bench.pkg")]
    assert package_files()["bench.metrics.singlecell._silhouette"].name == "_silhouette.py"


LAZY_PROBE = """
import sys, bench
heavy = [m for m in ("bench.loaders", "bench.tasks", "bench.metrics", "evaluate", "datasets", "pandas") if m in sys.modules]
assert heavy == [], heavy
assert {"get_task", "list_tasks", "load", "load_metric", "push"} <= set(dir(bench)) and set(bench.__all__) <= set(dir(bench))
from bench import load
import bench.loaders
assert load is bench.load is bench.loaders.load
assert bench.get_task("A5_skin").family == "genelab"
try:
    bench.no_such_name
except AttributeError as exc:
    assert "no_such_name" in str(exc)
else:
    raise AssertionError("bench.no_such_name did not raise AttributeError")
"""


def test_bench_public_functions_are_imported_on_first_use():
    """``import bench`` imports none of its layers; ``bench.load`` / ``from bench import load`` reach them."""
    proc = subprocess.run([sys.executable, "-c", LAZY_PROBE], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
