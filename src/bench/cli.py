"""The ``bench`` command: ``list | info | build | run | simulate | sweep | leaderboard | evaluate | validate |
push | push-metric | install-metrics``. Each command group lives in one module of :mod:`bench.commands` and adds its
subcommands through ``register(subparsers)``; every handler (a function or a lazy ``"module:function"``)
returns an exit code. Old verbs are hidden aliases (:mod:`bench.commands.aliases`).

Bad input raises :class:`bench.BenchError`, printed as one ``bench: error: ...`` line with
exit code 2 (never a traceback).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
import threading
import warnings

from bench import __version__
from bench.errors import BenchError

# One line per command group; a family adds its module here.
COMMAND_MODULES = (
    "bench.commands.core",        # list, info
    "bench.commands.data",        # build
    "bench.commands.run",         # run
    "bench.commands.simulate",    # simulate (GeneLab GO-rule power on synthetic studies)
    "bench.commands.sweep",       # sweep, leaderboard (hidden alias: rank)
    "bench.commands.evaluate",    # evaluate, install-metrics
    "bench.commands.publish",     # validate, push, push-metric
    "bench.commands.results",     # verify, publish-result
    "bench.commands.aliases",     # hidden old verbs: evaluate-gta, evaluate-embedding, build-genotex, geometa
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench",
        description="Transcriptomics benchmarks as Hugging Face datasets configs, evaluate metrics and baselines.",
    )
    parser.add_argument("--version", action="version", version=f"bench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


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
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = ["bench", *(sys.argv[1:] if argv is None else argv)]  # the exact command, for records
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
