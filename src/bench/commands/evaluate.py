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
import importlib
import json
import sys
from pathlib import Path

from bench.commands import seed_type
from bench.baselines.genelab.records import write_record
from bench.baselines.report import Result, check_out, emit
from bench.errors import BenchError
from bench.scheduler import add_scheduler_argument, parse_scheduler, scheduler
from bench.io import write_json_atomic
from bench.family_records import write_record_folder
from bench.metrics.registration import register_evaluate_modules
from bench.record import PREDICTIONS_FILE
from bench.tasks import get_task
from bench.tasks.families import FAMILIES, get_family

GENELAB_OPTIONS = ("include_holdout", "n_bootstrap", "n_permutations", "rng", "model_id", "model_revision",
                   "pretraining_corpus")
GENOTEX_OPTIONS = ("compat", "subtasks", "task_info")
SINGLECELL_OPTIONS = ("obs", "obsm", "label_key", "batch_key", "tasks")


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
    g = p.add_argument_group("GeneLab")
    g.add_argument("--include-holdout", action="store_true", help="also score holdout folds present in the submission")
    g.add_argument("--n-bootstrap", type=int, default=None, help="bootstrap draws (default: task spec, 2000)")
    g.add_argument("--n-permutations", type=int, default=None, help="permutations (default: task spec, 1000)")
    g.add_argument("--rng", choices=("default", "legacy"), default="default",
                   help="'default' = evaluator rules (numpy default_rng); 'legacy' = numpy RandomState as the "
                        "upstream pathway/B/C/D/NC scripts")
    p.add_argument("--record", default=None, metavar="DIR",
                   help="also write the verifiable result record alone: DIR/record.json + the predictions it names "
                        "(GeneLab predictions.json, GenoTEX regress/ or preprocess/, single-cell embedding.npy + "
                        "obs.csv; also in the --out report folder); check it with `bench verify DIR`")
    g.add_argument("--model-id", default=None, help="model id for the record (default: the submission's model_name)")
    g.add_argument("--model-revision", default=None, help="model revision (commit) for the record")
    g.add_argument("--pretraining-corpus", default=None,
                   help="declared pre-training corpus of the model, for the record (e.g. 'CELLxGENE 2023-07')")
    g = p.add_argument_group("GenoTEX")
    g.add_argument("--compat", default="v2", choices=["v2", "legacy", "genomas", "bench"],
                   help="evaluator rules: v2 (GenoTex@1669c87, default), legacy, genomas, bench")
    g.add_argument("--subtasks", nargs="+", default=["gene", "clinical", "linked"],
                   choices=["gene", "clinical", "linked"], help="preprocessing tables (default all)")
    g.add_argument("--task-info", default=None, help="task_info.json for selection (default: from --data-dir)")
    add_scheduler_argument(p)
    g = p.add_argument_group("single-cell")
    g.add_argument("--obs", default=None, metavar="OBS.csv", help="per-cell table, rows aligned with EMB.npy")
    g.add_argument("--obsm", nargs="+", default=None, metavar="KEY", help="embedding(s) of an .h5ad to score")
    g.add_argument("--label-key", default=None, help="obs column with the cell labels (default: the task's)")
    g.add_argument("--batch-key", default=None, help="obs column with batch/species labels (adds integration)")
    g.add_argument("--tasks", nargs="+", default=None, metavar="KIND",
                   help="subset of: clustering embedding label_prediction integration (default: the task's)")
    p.set_defaults(handler=cmd_evaluate, field_options=FIELD_OPTIONS)

    p = sub.add_parser("install-metrics")
    p.add_argument("--modules-cache", default=None, help="HF modules cache (default: $HF_MODULES_CACHE or $HF_HOME/modules)")
    p.set_defaults(handler=cmd_install_metrics)


def evaluator(family: str):
    """The module of ``family``'s ``evaluate`` layer (the family table is the one dispatch point)."""
    entry = get_family(family).evaluate
    if entry is None:
        able = ", ".join(name for name, row in FAMILIES.items() if row.evaluate)
        raise BenchError(f"`bench evaluate` has no input format for family {family!r} yet (families: {able})",
                         field="task")
    return importlib.import_module(entry.partition(":")[0])


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
    if Path(predictions).suffix == ".json":
        name = evaluator("genelab").task_of(predictions)
        if name:
            return get_task(name), predictions
    raise BenchError(f"TASK: which task does {predictions} answer? Use `bench evaluate TASK {predictions}` "
                     "(a GeneLab submission can name it in its task_id)")


def family_options(family: str, args) -> dict:
    names = {"genelab": GENELAB_OPTIONS, "genotex": GENOTEX_OPTIONS, "singlecell": SINGLECELL_OPTIONS,
             "geometa": ()}[family]
    options = {name: getattr(args, name) for name in names}
    if args.seed is not None:
        options["seed"] = args.seed
    return options


def cmd_evaluate(args) -> int:
    spec, predictions = task_and_predictions(args)
    family = "genelab" if spec.family == "genelab_analysis" else spec.family
    module = evaluator(family)
    out = check_out(args.out, spec.name) if args.out else None
    options = family_options(family, args)
    options["data_dir"] = args.data_dir
    options["command"] = getattr(args, "command_line", None)
    parse_scheduler(args.scheduler)  # a bad --scheduler is refused before any work
    with scheduler(args.scheduler):
        result = module.evaluate(spec, predictions, **options)
    for alarm in result.settings.get("alarms") or []:
        print(f"bench: warning: [{alarm['id']}] {alarm['message']}", file=sys.stderr)
    if args.record:
        write_evaluated_record(args.record, result, family)
    code = report(result, json_out=args.json_out, out=out)
    if args.record:
        print(f"record written to {args.record}/record.json (check it with `bench verify {args.record}`)")
    return code


def write_evaluated_record(folder, result: Result, family: str) -> None:
    """``--record DIR``: the record and the predictions it names."""
    if "record.json" not in result.files:
        raise BenchError(f"--record: this evaluation of {result.task} has no result record "
                         f"({'; '.join(result.notes) or 'no single scored input'})")
    if family == "genelab":
        write_record(folder, result.files["record.json"], result.files[PREDICTIONS_FILE]["predictions"],
                     task_id=str(result.settings["task_id"]), model_name=result.settings["model_name"])
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
