"""``bench verify RECORD`` (recompute a result record) and ``bench publish-result RECORD --model ORG/MODEL``
(write its ``.eval_results/<task>.yaml`` into a Hub model repository)."""
from __future__ import annotations

from bench.commands import seed_type
from bench.errors import BenchError


def register(sub) -> None:
    p = sub.add_parser("verify", help="recompute a result record from its predictions and the data: MATCH or what differs")
    p.add_argument("record", help="record.json, or the folder holding it (written by `bench evaluate --record` / `bench run`)")
    p.add_argument("--data-dir", default=None,
                   help="GeneLab_benchmark checkout or repo built by `bench build` holding the labels (default: as `bench run`)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="on MATCH, write a copy of the record with verification level 'recomputed' here "
                        "(never over the record itself)")
    p.set_defaults(handler=cmd_verify)

    p = sub.add_parser("publish-result",
                       help="write a record's score as .eval_results/<task>.yaml into a Hub model repo (the Hub's format)")
    p.add_argument("record", help="record.json or its folder")
    p.add_argument("--model", required=True, help="Hub model repository ORG/MODEL that receives the result")
    p.add_argument("--benchmark", default=None, metavar="ORG/DATASET",
                   help="Hub benchmark dataset (its eval.yaml registers the tasks; default: the record's dataset repo)")
    p.add_argument("--variant", default=None,
                   help="variant of the evaluation (written to <task>_<variant>.yaml with notes; one file per variant)")
    p.add_argument("--source-url", default=None, help="link to the evaluation source (e.g. the record on the Hub)")
    p.add_argument("--create-pr", action="store_true", help="open a pull request instead of committing to main")
    p.add_argument("--dry-run", action="store_true", help="print the YAML and its path; no network, no token needed")
    p.set_defaults(handler=cmd_publish_result)

    p = sub.add_parser("rank",
                       help="rank models from result records with rank intervals, tie groups and pairwise tests")
    p.add_argument("paths", nargs="+", metavar="DIR",
                   help="record.json files, run/report folders, or folders holding them (e.g. a sweep)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for leaderboard.md, leaderboard.csv, leaderboard.json and ranks.png")
    p.add_argument("--data-dir", default=None, help="where the tasks' labels are (default: as `bench run`)")
    p.add_argument("--tasks", default=None, help="comma-separated tasks to rank and aggregate (default: every task)")
    p.add_argument("--weights", default=None, metavar="TASK=W,...", help="task weights of the aggregate (default 1 each)")
    p.add_argument("--scale", choices=("raw", "controls"), default="raw",
                   help="raw mean AUROC, or the share of the gap from the best floor to the perfect control")
    p.add_argument("--n-bootstrap", type=int, default=1000, help="paired bootstrap draws (default 1000)")
    p.add_argument("--seed", type=seed_type, default=0, help="seed of the resampling (default 0)")
    p.add_argument("--alpha", type=float, default=0.05, help="family-wise level of the tie groups (default 0.05)")
    p.set_defaults(handler=cmd_leaderboard)


def cmd_verify(args) -> int:
    from bench.io import write_json_atomic
    from bench.record import format_verification, read_record, record_path, verified_copy, verify_record

    verification = verify_record(args.record, data_dir=args.data_dir)
    print(format_verification(verification))
    if args.out and verification.status == "MATCH":
        from pathlib import Path

        if Path(args.out).resolve() == record_path(args.record).resolve():
            raise BenchError(f"--out {args.out} is the record itself; write the verified copy to another file")
        write_json_atomic(args.out, verified_copy(read_record(args.record), verification))
        print(f"verified copy written to {args.out}")
    return 0 if verification.status == "MATCH" else 1


def cmd_publish_result(args) -> int:
    from bench.eval_results import format_publication, publish_result

    plan = publish_result(args.record, args.model, benchmark=args.benchmark, variant=args.variant,
                          source_url=args.source_url, create_pr=args.create_pr, dry_run=args.dry_run)
    print(format_publication(plan, dry_run=args.dry_run))
    return 0


def cmd_leaderboard(args) -> int:
    from bench.ranking import build_leaderboard, format_markdown, write_leaderboard

    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()] if args.tasks else None
    result = build_leaderboard(args.paths, data_dir=args.data_dir, tasks=tasks, weights=args.weights, scale=args.scale,
                               n_bootstrap=args.n_bootstrap, seed=args.seed, alpha=args.alpha)
    files = write_leaderboard(result, args.out)
    print(format_markdown(result))
    print("written: " + ", ".join(str(f) for f in files))
    return 0
