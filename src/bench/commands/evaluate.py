"""``bench evaluate SUBMISSION.json --task TASK``: score a GeneLab submission with the evaluator's rules;
``bench install-metrics``: make ``evaluate.load("<name>")`` find bench's metrics by bare name."""
from __future__ import annotations

import json
import sys
import time

from bench.errors import BenchError
from bench.tasks import get_task


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="score a submission JSON (upstream GeneLab format) and print the verdict")
    p.add_argument("submission", help="submission JSON: {task_id, model_name, predictions{fold: {sample_id: score}}}")
    p.add_argument("--task", required=True, help="registry name (A5_skin) or unambiguous upstream id (A5)")
    p.add_argument("--data-dir", default=None,
                   help="GeneLab_benchmark checkout holding tasks/<TASK_DIR>/ labels, or a repo built by `bench build` "
                        "(default: bench's data dir, as `bench run`)")
    p.add_argument("--json", dest="json_out", default=None, help="also write the results JSON here (atomically)")
    p.add_argument("--record", default=None, metavar="DIR",
                   help="also write a verifiable result record: DIR/record.json + DIR/predictions.json "
                        "(check it with `bench verify DIR`)")
    p.add_argument("--model-id", default=None, help="model id for the record (default: the submission's model_name)")
    p.add_argument("--model-revision", default=None, help="model revision (commit) for the record")
    p.add_argument("--pretraining-corpus", default=None,
                   help="declared pre-training corpus of the model, for the record (e.g. 'CELLxGENE 2023-07')")
    p.add_argument("--include-holdout", action="store_true", help="also score holdout folds present in the submission")
    p.add_argument("--n-bootstrap", type=int, default=None, help="bootstrap draws (default: task spec, 2000)")
    p.add_argument("--n-permutations", type=int, default=None, help="permutations (default: task spec, 1000)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: task spec, 42)")
    p.add_argument("--rng", choices=("default", "legacy"), default="default",
                   help="'default' = evaluator rules (numpy default_rng); 'legacy' = numpy RandomState as the "
                        "upstream pathway/B/C/D/NC scripts")
    p.set_defaults(handler=cmd_evaluate)

    p = sub.add_parser("install-metrics",
                       help="register bench's evaluate metrics in the HF modules cache so evaluate.load('<name>') works")
    p.add_argument("--modules-cache", default=None, help="HF modules cache (default: $HF_MODULES_CACHE or $HF_HOME/modules)")
    p.set_defaults(handler=cmd_install_metrics)


def cmd_evaluate(args) -> int:
    from bench.io import write_json_atomic
    from bench.metrics.lomo import format_results
    from bench.loaders.genelab_api import is_built_repo
    from bench.metrics.submission import evaluate_submission, read_submission
    from bench.record import dataset_info, evaluated_labels, evaluation_alarms, genelab_record, write_record

    spec = get_task(args.task)
    started = time.perf_counter()
    results = evaluate_submission(args.submission, spec, data_dir=args.data_dir, include_holdout=args.include_holdout,
                                  n_bootstrap=args.n_bootstrap, n_permutations=args.n_permutations,
                                  seed=args.seed, rng=args.rng)
    stats = {"per_fold": results["per_fold"], "summary": results["summary"], "thresholds": results["thresholds"],
             "transfer_pattern": results.get("transfer_pattern"),
             "settings": {"seed": results["seed"], "n_bootstrap": results["n_bootstrap"],
                          "n_permutations": results["n_permutations"], "rng": results["rng"],
                          "category": "B" if results["category"] == "B" else "A"}}
    sub = results["submission"]
    submission = read_submission(args.submission)
    labels = evaluated_labels(spec, results["folds_evaluated"], args.data_dir)
    alarms = evaluation_alarms(results, labels, submission.predictions)
    results["alarms"] = [a.to_dict() for a in alarms]
    record = None
    if args.record:
        model = {"id": args.model_id or sub["model_name"], "revision": args.model_revision,
                 "pretraining_corpus": args.pretraining_corpus, "description": sub["model_description"] or None}
        built = results["labels_root"] and is_built_repo(results["labels_root"])
        record = genelab_record(spec, results, predictions=submission.predictions, labels=labels, model=model,
                                dataset=dataset_info(spec, synthetic=results["synthetic"], built_repo=built),
                                alarms=results["alarms"], runtime_seconds=time.perf_counter() - started,
                                command=args.command_line)
    title = f"{spec.name} ({spec.upstream_id or '-'}): {sub['model_name']}  [{sub['path']}]"
    if args.json_out:
        write_json_atomic(args.json_out, results)
    if record is not None:
        write_record(args.record, record, submission.predictions, task_id=str(sub["task_id"]),
                     model_name=str(sub["model_name"]))
    for alarm in alarms:
        print(f"bench: warning: {alarm}", file=sys.stderr)
    if results["synthetic"]:
        print(f"NOTE: the labels in {results['labels_root']} are bench's embedded SYNTHETIC GeneLab data, not real "
              "measurements: these numbers say nothing about spaceflight (real labels: --data-dir <GeneLab checkout>).")
    print(format_results(stats, title=title))
    if results["ignored_holdout_folds"]:
        print(f"holdout folds present but not scored (use --include-holdout): {', '.join(results['ignored_holdout_folds'])}")
    if args.json_out:
        print(f"results written to {args.json_out}")
    if record is not None:
        print(f"record written to {args.record}/record.json (check it with `bench verify {args.record}`)")
    return 0


def cmd_install_metrics(args) -> int:
    from bench.metrics.registration import register_evaluate_modules

    installed = register_evaluate_modules(modules_cache=args.modules_cache, strict=True)
    if not installed:
        raise BenchError("no metric folders found under bench/metrics/ (expected metrics/<name>/<name>.py)")
    for name, path in installed.items():
        print(f"{name}: {path}")
    print(json.dumps({"registered": sorted(installed)}))
    return 0
