"""One exception type for every user-facing error: the CLI turns it into exit code 2."""
from __future__ import annotations

import difflib


class BenchError(ValueError):
    """Bad input or configuration. The message names the file/field and what was expected.

    ``field`` names what was wrong in the terms of the core that raised it (``"params.tissue"``,
    ``"data_dir"``, ``"predictions"``, ``"out"``); the CLI maps it to its option name.
    """

    exit_code = 2

    def __init__(self, message: str = "", *, field: str | None = None):
        super().__init__(message)
        self.field = field


def close_matches_hint(name: str, choices, *, n: int = 5) -> str:
    """' Did you mean: a, b?' for the closest ``choices`` to ``name`` ('' if none are close)."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    hits += [c for c in choices if name.lower() in c.lower() and c.lower() not in hits]
    hits = [lowered.get(h, h) for h in hits][:n]
    return f" Did you mean: {', '.join(hits)}?" if hits else ""


class BenchTypeError(BenchError, TypeError):
    """A :class:`BenchError` for a value of the wrong type (also a ``TypeError``)."""
