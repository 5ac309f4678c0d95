"""Subcommands of the ``bench`` CLI: each module registers the verbs that :data:`bench.cli.VERBS` assigns to it."""
from __future__ import annotations

import argparse
import shlex
import sys

from bench.tasks.families import FAMILIES

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


class _RecordingParser:
    """What a family's ``add_arguments(parser)`` hook sees: argparse's ``add_argument`` and
    ``add_argument_group``, remembering the ``dest`` of every option it adds."""

    def __init__(self, container, dests: list[str]):
        self._container, self.dests = container, dests

    def add_argument(self, *args, **kwargs):
        action = self._container.add_argument(*args, **kwargs)
        self.dests.append(action.dest)
        return action

    def add_argument_group(self, *args, **kwargs):
        return _RecordingParser(self._container.add_argument_group(*args, **kwargs), self.dests)


def add_family_arguments(parser, layer: str) -> dict[str, tuple[str, ...]]:
    """Add every family's options of a verb (the ``add_arguments`` hook of its ``layer`` module, see
    :mod:`bench.tasks.families`) to ``parser``; return ``{family: option dests}``. A hook shared by two
    families (GeneLab analyses use GeneLab's evaluate) is added once."""
    added: dict = {}
    out = {}
    for name, family in FAMILIES.items():
        hook = family.hook(layer, "add_arguments")
        if hook is None:
            continue
        if hook not in added:
            added[hook] = []
            hook(_RecordingParser(parser, added[hook]))
        out[name] = tuple(added[hook])
    return out


def family_options(args, family: str) -> dict:
    """``{dest: value}`` of ``family``'s options of this verb (see :func:`add_family_arguments`)."""
    return {dest: getattr(args, dest) for dest in args.family_options.get(family, ())}
