"""bench's one table formatter: fixed-width text (``bench list``, every run, evaluate and board print
through it) and the same rows as a Markdown table (leaderboards, dataset cards).

Plain Python, so the light commands (``bench list``) print tables without importing numpy or pandas;
:mod:`bench.baselines.report` re-exports both functions.
"""
from __future__ import annotations

import math


def plain(value):
    """A numpy scalar (or 0-d array) as the Python scalar it holds; anything else unchanged."""
    return value.item() if getattr(value, "ndim", None) == 0 and hasattr(value, "item") else value


def format_value(value, digits: int = 3) -> str:
    """One table cell: None/NaN as '-', floats with ``digits`` decimals, lists/dicts compact."""
    value = plain(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def format_table(rows: list[dict], columns: list[str] | None = None, *, title: str | None = None,
                 digits: int = 3, rule: bool = True) -> str:
    """bench's one fixed-width text table: header, a rule, one line per row (``columns`` default:
    every key in first-seen order; cells via :func:`format_value`)."""
    columns = list(columns) if columns is not None else list(dict.fromkeys(k for r in rows for k in r))
    cells = [[format_value(r.get(c), digits) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = [title] if title else []
    lines.append("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
    if rule:
        lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def format_markdown_table(rows: list[dict], columns: list[str] | None = None, *, digits: int = 3) -> str:
    """The rows as a Markdown table (``| a | b |``, a ``|---|`` rule, one line per row; cells via
    :func:`format_value`, so pre-formatted strings pass through unchanged)."""
    columns = list(columns) if columns is not None else list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(format_value(r.get(c), digits) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
