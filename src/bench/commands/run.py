"""``bench run TASK --model NAME``: train a baseline on a task, score it, write one report.

The task's family row (:data:`bench.tasks.families.FAMILIES`) gives ``models`` and ``run(spec, ...) -> Result``; the
report goes through :mod:`bench.baselines.report` (one --out policy, one results.json format).
"""
from __future__ import annotations

import argparse

from bench.commands import seed_type
from bench.baselines.report import check_out, default_out, emit
from bench.errors import BenchError
from bench.results.record import portable_command
from bench.scheduler import add_scheduler_argument, parse_scheduler, scheduler
from bench.tasks import get_task
from bench.tasks.families import FAMILIES, get_family

def model_choices_help() -> str:
    """One line per family with its model names (for `bench run --help`)."""
    lines = ["models by family:"]
    for name, family in FAMILIES.items():
        if family.models is not None:
            lines.append(f"  {name}: {', '.join(family.resolve('models'))}")
    return "\n".join(lines)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


class HelpWithModels(argparse._HelpAction):
    """``bench run --help`` lists every family's models (imported only when help is asked for)."""

    def __call__(self, parser, namespace, values, option_string=None):
        parser.epilog = model_choices_help()
        super().__call__(parser, namespace, values, option_string)


def register(sub) -> None:
    p = sub.add_parser("run", add_help=False,
                       description="Train a baseline on a task, score it and write a report folder "
                                   "(results.json with provenance, tables, plots).",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-h", "--help", action=HelpWithModels, help="show this help (with each family's models) and exit")
    p.add_argument("task", help="registry name, e.g. A5_skin (see `bench list`)")
    p.add_argument("--model", required=True, help="baseline model name (choices per family below)")
    p.add_argument("--data-dir", default=None, help="local upstream checkout (default: embedded/synthetic or Hub)")
    p.add_argument("--out", default=None, help="report folder: new, empty, or a previous bench run of the same "
                                               "task (default: ./bench_runs/<task>_<model>)")
    p.add_argument("--seed", type=seed_type, default=42, help="seed for every random step (default 42)")
    p.add_argument("--limit-folds", type=positive_int, default=None, metavar="N",
                   help="quick smoke run: only the first N folds (GenoTEX: problems; GEOmeta: targets)")
    add_scheduler_argument(p)
    p.set_defaults(handler=cmd_run)


def cmd_run(args) -> int:
    spec = get_task(args.task)
    family = get_family(spec.family)
    models = family.resolve("models")
    if args.model not in models:
        raise BenchError(f"unknown model {args.model!r} for task {spec.name}; choices: {', '.join(models)}")
    parse_scheduler(args.scheduler)  # a bad --scheduler is refused before any work
    out = check_out(args.out if args.out is not None else default_out(spec.name, args.model), spec.name)
    with scheduler(args.scheduler):
        result = family.resolve("run")(spec, model=args.model, data_dir=args.data_dir, seed=args.seed,
                                       limit_folds=args.limit_folds)
    if isinstance(result.files.get("record.json"), dict):  # the record names this exact command
        result.files["record.json"]["command"] = portable_command(getattr(args, "command_line", None))
    emit(result, out)
    return 0
