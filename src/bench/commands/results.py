"""``bench verify RECORD`` (recompute a result record) and ``bench publish-result RECORD --model ORG/MODEL``
(write its ``.eval_results/<task>.yaml`` into a Hub model repository). The board of records is
``bench leaderboard`` (:mod:`bench.commands.sweep`)."""
from __future__ import annotations

from pathlib import Path

from bench.commands import add_hub_target
from bench.errors import BenchError
from bench.results.eval_results import format_publication, publish_result
from bench.io import write_json_atomic
from bench.results.record import format_verification, read_record, record_path, verified_copy, verify_record


def register(sub) -> None:
    p = sub.add_parser("verify")
    p.add_argument("record", help="record.json, or the folder holding it (written by `bench evaluate --record` / `bench run`)")
    p.add_argument("--data-dir", default=None,
                   help="GeneLab_benchmark checkout or repo built by `bench build` holding the labels (default: as `bench run`)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="on MATCH, write a copy of the record with verification level 'recomputed' here "
                        "(never over the record itself)")
    p.set_defaults(handler=cmd_verify)

    p = sub.add_parser("publish-result")
    p.add_argument("record", help="record.json or its folder")
    add_hub_target(p, "--model", "Hub model repository ORG/MODEL that receives the result",
                   dry_run="print the YAML and its path")
    p.add_argument("--benchmark", default=None, metavar="ORG/DATASET",
                   help="Hub benchmark dataset (its eval.yaml registers the tasks; default: the record's dataset repo)")
    p.add_argument("--variant", default=None,
                   help="variant of the evaluation (written to <task>_<variant>.yaml with notes; one file per variant)")
    p.add_argument("--source-url", default=None, help="link to the evaluation source (e.g. the record on the Hub)")
    p.add_argument("--create-pr", action="store_true", help="open a pull request instead of committing to main")
    p.set_defaults(handler=cmd_publish_result)


def cmd_verify(args) -> int:
    verification = verify_record(args.record, data_dir=args.data_dir)
    print(format_verification(verification))
    if args.out and verification.status == "MATCH":
        if Path(args.out).resolve() == record_path(args.record).resolve():
            raise BenchError(f"--out {args.out} is the record itself; write the verified copy to another file")
        write_json_atomic(args.out, verified_copy(read_record(args.record), verification))
        print(f"verified copy written to {args.out}")
    return 0 if verification.status == "MATCH" else 1


def cmd_publish_result(args) -> int:
    plan = publish_result(args.record, args.model, benchmark=args.benchmark, variant=args.variant,
                          source_url=args.source_url, create_pr=args.create_pr, dry_run=args.dry_run)
    print(format_publication(plan, dry_run=args.dry_run))
    return 0
