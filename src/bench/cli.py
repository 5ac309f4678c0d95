"""The ``bench`` command. ``bench --help`` lists its verbs in four groups (:data:`COMMAND_GROUPS`):

- data: ``list``, ``info``, ``new-task``, ``build``, ``validate``
- models: ``run``, ``evaluate``, ``sweep``, ``simulate``
- results: ``leaderboard``, ``verify``, ``publish-result``
- hub: ``push``, ``push-metric``, ``install-metrics``

:data:`VERBS` is the one table of verbs: the module of :mod:`bench.commands` that defines each one (its
``register(sub)`` adds the verb's arguments and handler) and its one-line help. A command imports only
its own module, so ``bench --help`` imports no command module and ``bench list`` only the registry's
(tests/test_cli.py checks both). Old verbs are hidden: they have no group and no help line, still
work, and print the new form. Every handler (a function or a lazy ``"module:function"``) returns an
exit code.

Bad input raises :class:`bench.BenchError`, printed as one ``bench: error: ...`` line with
exit code 2 (never a traceback).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import shutil
import signal
import sys
import textwrap
import threading
import warnings
from dataclasses import dataclass

from bench import __version__
from bench.errors import BenchError, close_matches_hint


@dataclass(frozen=True)
class Verb:
    """A ``bench`` verb: the :mod:`bench.commands` module that registers it and its one-line help
    (``help=None``: a hidden old spelling, kept for one release)."""

    module: str
    help: str | None = None


VERBS: dict[str, Verb] = {
    "list": Verb("bench.commands.core", "the task registry: task, family, where its data come from, metric, "
                                        "one-line description"),
    "info": Verb("bench.commands.core", "one task's merged spec (YAML) and its sha256"),
    "new-task": Verb("bench.commands.publish", "make a leave-one-domain-out task (spec + folds) from a labels "
                                               "table and a feature matrix"),
    "build": Verb("bench.commands.data", "write tasks of any family as a Hugging Face dataset repository "
                                         "(parquet + card)"),
    "validate": Verb("bench.commands.publish", "check a built repository: files, checksums, card, leakage audit"),
    "run": Verb("bench.commands.run", "train a baseline on a task, score it and write a report"),
    "evaluate": Verb("bench.commands.evaluate", "score predictions for a task: GeneLab submission, GenoTEX "
                                                "output folder, single-cell embedding, GEOmeta predictions CSV"),
    "sweep": Verb("bench.commands.sweep", "every task x model x seed (resumable; Dask with --scheduler), "
                                          "then a leaderboard"),
    "simulate": Verb("bench.commands.simulate", "GeneLab: power and false-GO rate of the GO rule on simulated "
                                                "(SYNTHETIC) studies"),
    "leaderboard": Verb("bench.commands.sweep", "one board from sweep folders and result records: mean ± std, "
                                                "rank intervals, tie groups, paired tests"),
    "verify": Verb("bench.commands.results", "recompute a result record from its predictions and the data: "
                                             "MATCH or what differs"),
    "publish-result": Verb("bench.commands.results", "write a record's score as .eval_results/<task>.yaml into "
                                                     "a Hub model repository"),
    "push": Verb("bench.commands.publish", "publish a built repository to a Hub dataset repo in one commit"),
    "push-metric": Verb("bench.commands.publish", "publish a metric folder as a Hugging Face evaluate Space"),
    "install-metrics": Verb("bench.commands.evaluate", "register bench's metrics in the HF modules cache "
                                                       "(evaluate.load('<name>'))"),
    # hidden old spellings (one release): each prints the new form, then does the same work
    "rank": Verb("bench.commands.sweep"),                   # -> leaderboard
    "evaluate-gta": Verb("bench.commands.aliases"),         # -> evaluate genotex_problems OUTPUT_DIR
    "evaluate-embedding": Verb("bench.commands.aliases"),   # -> evaluate TASK EMB.npy --obs
    "build-genotex": Verb("bench.commands.aliases"),        # -> build genotex
    "geometa": Verb("bench.commands.aliases"),              # geometa build -> build geometa
}

#: ``bench --help``'s groups, in order: (title, verbs). Every verb with a help line is in exactly one.
COMMAND_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("data (tasks and dataset repositories)", ("list", "info", "new-task", "build", "validate")),
    ("models (baselines and predictions)", ("run", "evaluate", "sweep", "simulate")),
    ("results (records and leaderboards)", ("leaderboard", "verify", "publish-result")),
    ("hub (Hugging Face Hub and evaluate)", ("push", "push-metric", "install-metrics")),
)

DESCRIPTION = "Transcriptomics benchmarks as Hugging Face datasets configs, evaluate metrics and baselines."


def help_width() -> int:
    """The text width argparse wraps help to (the terminal's, or $COLUMNS, minus 2)."""
    return max(shutil.get_terminal_size().columns - 2, 40)


def command_listing(width: int | None = None) -> str:
    """The verbs of ``bench --help``, group by group, one help line each (wrapped to ``width``)."""
    width = width or help_width()
    column = max(len(verb) for _, verbs in COMMAND_GROUPS for verb in verbs) + 4
    blocks = []
    for title, verbs in COMMAND_GROUPS:
        lines = [f"{title}:"]
        for verb in verbs:
            text = textwrap.wrap(VERBS[verb].help, max(width - column, 20))
            lines.append(f"  {verb:<{column - 2}}{text[0]}")
            lines += [" " * column + rest for rest in text[1:]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


class _Registrar:
    """The subparsers action as a command module sees it: ``add_parser(verb, ...)`` takes the verb's help
    line from :data:`VERBS` as the description of ``bench VERB --help`` (the module may give a longer one)."""

    def __init__(self, sub):
        self._sub = sub

    def add_parser(self, name: str, **kwargs):
        if name not in VERBS:
            raise LookupError(f"`bench {name}` is not in bench.cli.VERBS (add it there, with its help group)")
        kwargs.setdefault("description", VERBS[name].help)
        return self._sub.add_parser(name, **kwargs)


def command_modules(verbs) -> list[str]:
    """The command modules defining ``verbs``, each once, in table order."""
    wanted = set(verbs)
    return list(dict.fromkeys(VERBS[v].module for v in VERBS if v in wanted))


def build_parser(verbs=None) -> argparse.ArgumentParser:
    """The ``bench`` parser with the arguments of ``verbs`` (default: every verb). ``bench --help`` needs
    none: the grouped listing is text from :data:`VERBS`, so no command module is imported for it."""
    parser = argparse.ArgumentParser(
        prog="bench", usage="bench [-h] [--version] COMMAND ...",
        description=f"{textwrap.fill(DESCRIPTION, help_width())}\n\n{command_listing()}",
        epilog="`bench COMMAND --help` shows a command's arguments.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bench {__version__}")
    # prog: without it argparse would prefix every sub-command's usage with the whole usage line above
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help=argparse.SUPPRESS, prog="bench")
    registrar = _Registrar(sub)
    for module in command_modules(VERBS if verbs is None else verbs):
        importlib.import_module(module).register(registrar)
    return parser


def command_of(argv: list[str]) -> str | None:
    """The verb of a command line: its first word that is not an option (``bench`` has no option
    taking a value). An unknown verb is a BenchError with close matches among the listed verbs."""
    word = next((str(a) for a in argv if not str(a).startswith("-")), None)
    if word is None or word in VERBS:
        return word
    listed = [v for _, verbs in COMMAND_GROUPS for v in verbs]
    raise BenchError(f"unknown command {word!r}.{close_matches_hint(word, listed)} See `bench --help`.")


def resolve(handler):
    """A handler function, or a lazy ``"module:function"`` entry imported only when that command runs."""
    if isinstance(handler, str):
        module, _, attr = handler.partition(":")
        return getattr(importlib.import_module(module), attr)
    return handler


def with_option(exc: BenchError, args) -> str:
    """The error message naming the command's option for ``exc.field`` (a command declares
    ``field_options={field: "--option"}``): ``labels: ...`` from a metric core prints as
    ``--label-key 'cell_type': ...``."""
    msg = str(exc)
    option = (getattr(args, "field_options", None) or {}).get(getattr(exc, "field", None))
    if option is None:
        return msg
    value = getattr(args, option.lstrip("-").replace("-", "_").lower(), None)
    label = f"{option} {value!r}" if isinstance(value, str) and option.startswith("--") else option
    prefix = f"{exc.field}:"
    return f"{label}:{msg[len(prefix):]}" if msg.startswith(prefix) else f"{label}: {msg}"


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    """CLI warnings as ``bench: warning: <message>`` (no source path or code line)."""
    return f"bench: warning: {message}\n"


class _Interrupt:
    """Whether Ctrl-C was pressed during this command."""

    seen = False


def _note_sigint(signum, frame):
    _Interrupt.seen = True
    raise KeyboardInterrupt


@contextlib.contextmanager
def _sigint_noted():
    """Note every Ctrl-C while a command runs: a library that swallows the KeyboardInterrupt (pandas' C
    reader turns it into 'Calling read(nbytes) on source failed') is still reported as interrupted."""
    _Interrupt.seen = False
    own = (threading.current_thread() is threading.main_thread()
           and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
    if own:
        signal.signal(signal.SIGINT, _note_sigint)
    try:
        yield
    finally:
        if own:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def _interrupted() -> int:
    print("bench: interrupted", file=sys.stderr)
    return 130


def main(argv: list[str] | None = None) -> int:
    previous, warnings.formatwarning = warnings.formatwarning, _one_line_warning
    try:
        with _sigint_noted(), warnings.catch_warnings():
            # pandas < 2.1 warns from its own cast while formatting NaN floats in to_csv (output correct)
            warnings.filterwarnings("ignore", "invalid value encountered in cast", RuntimeWarning, r"pandas\.")
            return _run(argv)
    finally:
        warnings.formatwarning = previous


def _run(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        verb = command_of(argv)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return exc.exit_code
    parser = build_parser([verb] if verb else [])
    args = parser.parse_args(argv)
    args.command_line = ["bench", *argv]  # the exact command, for records
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(resolve(args.handler)(args) or 0)
    except BenchError as exc:
        if _Interrupt.seen:  # the error is an interrupted read in disguise
            return _interrupted()
        print(f"bench: error: {with_option(exc, args)}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # e.g. `bench list | head`
        return 0
    except OSError as exc:  # a file system refusal (read-only or virtual folder, permissions, disk full)
        if _Interrupt.seen:
            return _interrupted()
        if exc.filename is None:
            raise
        print(f"bench: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return _interrupted()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
