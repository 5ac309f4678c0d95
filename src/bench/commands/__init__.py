"""Subcommands of the ``bench`` CLI: each module registers the verbs that :data:`bench.cli.VERBS` assigns to it."""
from __future__ import annotations

import argparse
import shlex
import sys

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


def deprecated(old: str, new: list[str]) -> None:
    """Tell the user that ``bench OLD`` is an old spelling and print the new command (stderr)."""
    print(f"bench: note: `bench {old}` is an old spelling kept for one release; use: "
          f"bench {shlex.join(new)}", file=sys.stderr)


def add_hub_target(parser, flag: str, help: str, *, dry_run: str, private: str | None = None) -> None:
    """The options of a verb that writes to the Hub: its target repository (``flag``, required), ``--private``
    when the verb may create that repository (``private`` names its kind), and ``--dry-run``."""
    parser.add_argument(flag, required=True, help=help)
    if private:
        parser.add_argument("--private", action="store_true",
                            help=f"create the {private} as private if it does not exist")
    parser.add_argument("--dry-run", action="store_true", help=f"{dry_run}; no network, no token needed")
