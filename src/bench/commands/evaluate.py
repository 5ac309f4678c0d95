"""``bench evaluate TASK PREDICTIONS``: score a model's predictions for any task, rendered by the one
report writer (``--json FILE`` for results.json alone, ``--out DIR`` for the whole report folder).

PREDICTIONS by family: GeneLab a submission JSON (``TASK`` optional when the file has task_id);
GenoTEX an output folder (reference from ``--data-dir``); single-cell an ``.npy`` embedding with
``--obs`` or an ``.h5ad`` with one or more ``--obsm`` keys (scored side by side); GEOmeta a CSV of
GSM_ID + one predicted label column per target (reference: the official test CSV under ``--data-dir``).

``bench install-metrics`` makes ``evaluate.load("<name>")`` find bench's metrics by bare name.
"""
from __future__ import annotations

import argparse
import json
import sys

from bench.commands import add_family_arguments, family_options, seed_type
from bench.baselines.report import Result, check_out, emit
from bench.errors import BenchError
from bench.scheduler import add_scheduler_argument, parse_scheduler, scheduler
from bench.io import write_json_atomic
from bench.results.family_records import write_record_folder
from bench.metrics.registration import register_evaluate_modules
from bench.tasks import get_task
from bench.tasks.families import FAMILIES, get_family

# BenchError.field of the cores -> this command's option (printed by the CLI)
FIELD_OPTIONS = {"labels": "--label-key", "batch": "--batch-key", "data_dir": "--data-dir", "obs": "--obs",
                 "obsm": "--obsm", "out": "--out", "task": "TASK", "predictions": "PREDICTIONS"}


def register(sub) -> None:
    p = sub.add_parser("evaluate")
    p.add_argument("inputs", nargs="+", metavar="[TASK] PREDICTIONS",
                   help="task name and the predictions: GeneLab submission.json (TASK optional: its task_id), "
                        "GenoTEX output folder, single-cell EMB.npy (with --obs) or cells.h5ad (with --obsm), "
                        "GEOmeta predictions.csv (GSM_ID + a label column per target)")
    p.add_argument("--task", default=None, help=argparse.SUPPRESS)  # old spelling of the TASK argument
    p.add_argument("--data-dir", default=None, help="data source holding the reference labels (GeneLab checkout or "
                                                    "built repo; GenoTEX root); default as `bench run`")
    p.add_argument("--json", dest="json_out", default=None, metavar="FILE", help="also write results.json here")
    p.add_argument("--out", default=None, metavar="DIR", help="also write the report folder here (--out policy of run)")
    p.add_argument("--seed", type=seed_type, default=None, help="seed (GeneLab: task spec, 42; single-cell: 42)")
    p.add_argument("--record", default=None, metavar="DIR",
                   help="also write the verifiable result record alone: DIR/record.json + the predictions it names "
                        "(GeneLab predictions.json, GenoTEX regress/ or preprocess/, single-cell embedding.npy + "
                        "obs.csv; also in the --out report folder); check it with `bench verify DIR`")
    add_scheduler_argument(p)
    options = add_family_arguments(p, "evaluate")   # each family's own options (its evaluate module)
    p.set_defaults(handler=cmd_evaluate, field_options=FIELD_OPTIONS, family_options=options)

    p = sub.add_parser("install-metrics")
    p.add_argument("--modules-cache", default=None, help="HF modules cache (default: $HF_MODULES_CACHE or $HF_HOME/modules)")
    p.set_defaults(handler=cmd_install_metrics)


def evaluator(family: str):
    """The module of ``family``'s ``evaluate`` layer (the family table is the one dispatch point)."""
    if get_family(family).evaluate is None:
        able = ", ".join(name for name, row in FAMILIES.items() if row.evaluate)
        raise BenchError(f"`bench evaluate` has no input format for family {family!r} yet (families: {able})",
                         field="task")
    return get_family(family).module("evaluate")


def named_task(predictions) -> str | None:
    """The task a predictions file names itself, asked of each family's ``task_of`` hook (a GeneLab
    submission's task_id), or None."""
    hooks = dict.fromkeys(h for f in FAMILIES.values() if (h := f.hook("evaluate", "task_of")) is not None)
    for task_of in hooks:
        name = task_of(predictions)
        if name:
            return name
    return None


def task_and_predictions(args) -> tuple:
    """(spec, predictions path) from ``TASK PREDICTIONS``, ``PREDICTIONS --task TASK`` or a submission alone."""
    if len(args.inputs) > 2:
        raise BenchError(f"expected TASK PREDICTIONS, got {len(args.inputs)} arguments: {' '.join(args.inputs)}")
    if len(args.inputs) == 2:
        if args.task:
            raise BenchError("give the task once: `bench evaluate TASK PREDICTIONS` (without --task)")
        return get_task(args.inputs[0]), args.inputs[1]
    predictions = args.inputs[0]
    if args.task:
        return get_task(args.task), predictions
    name = named_task(predictions)
    if name:
        return get_task(name), predictions
    raise BenchError(f"TASK: which task does {predictions} answer? Use `bench evaluate TASK {predictions}` "
                     "(a GeneLab submission can name it in its task_id)")


def cmd_evaluate(args) -> int:
    spec, predictions = task_and_predictions(args)
    module = evaluator(spec.family)
    out = check_out(args.out, spec.name) if args.out else None
    options = family_options(args, spec.family)
    if args.seed is not None:
        options["seed"] = args.seed
    options["data_dir"] = args.data_dir
    options["command"] = getattr(args, "command_line", None)
    parse_scheduler(args.scheduler)  # a bad --scheduler is refused before any work
    with scheduler(args.scheduler):
        result = module.evaluate(spec, predictions, **options)
    for alarm in result.settings.get("alarms") or []:
        print(f"bench: warning: [{alarm['id']}] {alarm['message']}", file=sys.stderr)
    if args.record:
        write_evaluated_record(args.record, result, get_family(spec.family).hook("evaluate", "write_record"))
    code = report(result, json_out=args.json_out, out=out)
    if args.record:
        print(f"record written to {args.record}/record.json (check it with `bench verify {args.record}`)")
    return code


def write_evaluated_record(folder, result: Result, write_record=None) -> None:
    """``--record DIR``: the record and the predictions it names, by the family's ``write_record`` hook
    (default: every file of ``result.files`` the record names)."""
    if "record.json" not in result.files:
        raise BenchError(f"--record: this evaluation of {result.task} has no result record "
                         f"({'; '.join(result.notes) or 'no single scored input'})")
    if write_record is not None:
        write_record(folder, result)
    else:
        write_record_folder(folder, result.files)


def report(result: Result, *, json_out=None, out=None) -> int:
    """Print the report; write results.json to ``json_out`` and the report folder to ``out`` when given."""
    if json_out:
        write_json_atomic(json_out, result.to_json())
    emit(result, out)
    if json_out:
        print(f"results written to {json_out}")
    return 0


def cmd_install_metrics(args) -> int:
    installed = register_evaluate_modules(modules_cache=args.modules_cache, strict=True)
    if not installed:
        raise BenchError("no metric folders found under bench/metrics/ (expected metrics/<name>/<name>.py)")
    for name, path in installed.items():
        print(f"{name}: {path}")
    print(json.dumps({"registered": sorted(installed)}))
    return 0
