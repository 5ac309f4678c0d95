"""Subcommands of the ``bench`` CLI, one module per command group (see :mod:`bench.cli`)."""
from __future__ import annotations

import argparse

#: Seeds numpy's RandomState and sklearn accept: [0, 2**32).
SEED_LIMIT = 2 ** 32


def seed_type(text: str) -> int:
    """argparse type of every ``--seed``: an integer in [0, 2**32), refused before any work."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, {SEED_LIMIT - 1}], got {text!r}") from None
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, {SEED_LIMIT - 1}], got {value}")
    return value
