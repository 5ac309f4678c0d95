"""The layout's single points, proved by reading the source (issue 12's "grep proves it").

Each test walks the package sources with :mod:`ast` (docstrings and comments do not count, code does)
and fails naming the file and line that adds a second writer, formatter or dispatch point.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = ("src/bench", "loaders", "metrics", "tasks", "baselines")


def package_files() -> list[Path]:
    return sorted(p for d in PACKAGE_DIRS for p in (ROOT / d).rglob("*.py"))


def docstring_nodes(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (module, class, function)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def code_strings(path: Path):
    """(line, text) of every string constant in ``path`` that is code, not a docstring (f-string parts included)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skip = docstring_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value


def where(predicate) -> set[str]:
    """Package files (repo-relative) holding a code string for which ``predicate(text)`` is true."""
    return {str(p.relative_to(ROOT)) for p in package_files() for _, text in code_strings(p) if predicate(text)}


def calls_to(attribute: str) -> set[str]:
    """Package files that call ``<something>.<attribute>(...)``."""
    hits = set()
    for path in package_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attribute:
                hits.add(str(path.relative_to(ROOT)))
    return hits


def test_the_sources_are_where_the_test_looks():
    names = {str(p.relative_to(ROOT)) for p in package_files()}
    assert {"src/bench/table.py", "baselines/report.py", "loaders/repo.py", "tasks/families.py"} <= names


def test_one_report_writer_names_results_json():
    assert where(lambda s: s == "results.json") == {"baselines/report.py"}


def test_one_repo_writer_and_reader_names_bench_config_json():
    assert where(lambda s: s == "bench_config.json") == {"loaders/repo.py"}


def test_one_table_formatter_pads_columns_and_draws_markdown_rules():
    assert calls_to("ljust") | calls_to("rjust") == {"src/bench/table.py"}
    assert where(lambda s: "|---" in s or s.startswith("---|")) <= {"src/bench/table.py"}


def test_no_hand_aligned_fixed_width_columns_outside_the_formatter():
    """f-string alignment specs such as ``{x:<28}`` / ``{x:>6}`` build tables by hand."""
    offenders = set()
    for path in package_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
                spec = "".join(v.value for v in node.format_spec.values if isinstance(v, ast.Constant))
                if spec[:1] in "<>^" and spec[1:2].isdigit():
                    offenders.add(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"hand-aligned columns (use bench.table): {sorted(offenders)}"


# src/bench/__init__.py: the package's lazy public names (bench.load, ...; PEP 562 __getattr__ over a
# "module:attr" table, the third such table next to the family and verb tables).
@pytest.mark.parametrize("allowed", [{"tasks/families.py", "src/bench/cli.py", "src/bench/__init__.py"}])
def test_modules_are_imported_by_name_only_at_the_dispatch_points(allowed):
    """The family table resolves every family layer; the CLI's verb table resolves commands; bench's
    lazy table its public functions. Nothing else imports a module from a string."""
    extra = calls_to("import_module") - allowed
    assert not extra, f"import by name outside the family/verb tables: {sorted(extra)}"
