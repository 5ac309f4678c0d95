"""``bench validate``, ``bench push`` and ``bench push-metric``: check and publish to the Hub."""
from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("validate", help="check a built dataset repository before publishing it")
    p.add_argument("dir", help="built repository (output of bench build --out DIR)")
    p.add_argument("--config", action="append", default=None, metavar="CFG",
                   help="check only this config (repeatable; default: every config in README.md)")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("push", help="publish a built repository to a Hub dataset repo in one commit")
    p.add_argument("dir", help="built repository (output of bench build --out DIR)")
    p.add_argument("--repo", required=True, help="Hub dataset repository ORG/NAME")
    p.add_argument("--config", action="append", default=None, metavar="CFG",
                   help="push only this config (repeatable; default: every config in README.md)")
    p.add_argument("--revision", default=None, metavar="BRANCH", help="branch to commit to (created if absent)")
    p.add_argument("--private", action="store_true", help="create the repository as private if it does not exist")
    p.add_argument("--dry-run", action="store_true", help="print the operations; no network, no token needed")
    p.add_argument("--register-benchmark", action="store_true",
                   help="also upload eval.yaml (the Hub's benchmark registration: one task per config) so model "
                        "repos can report results on it with `bench publish-result`")
    p.set_defaults(handler=cmd_push)

    p = sub.add_parser("push-metric", help="publish a metric folder as a Hugging Face evaluate Space")
    p.add_argument("name", help="metric name (a folder of bench.metrics) or a path to a metric folder")
    p.add_argument("--repo", required=True, help="Hub Space ORG/NAME (the module is uploaded as NAME.py)")
    p.add_argument("--private", action="store_true", help="create the Space as private if it does not exist")
    p.add_argument("--dry-run", action="store_true", help="list the files; no network, no token needed")
    p.set_defaults(handler=cmd_push_metric)


def cmd_validate(args) -> int:
    from bench.loaders.validate import resolve_configs, validate_repo

    problems = validate_repo(args.dir, configs=args.config)
    if problems:
        print(f"{args.dir}: INVALID, {len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 2
    configs = resolve_configs(args.dir, only=args.config)
    for c in configs:
        print(f"  {c.name}: {len(c.splits)} split(s) ({', '.join(c.splits)}), "
              f"{sum(len(f) for f in c.splits.values())} parquet file(s)")
    print(f"{args.dir}: OK ({len(configs)} config(s))")
    return 0


def cmd_push(args) -> int:
    from bench.loaders.publish import format_plan, push

    plan = push(args.dir, args.repo, configs=args.config, revision=args.revision,
                private=args.private, dry_run=args.dry_run, register_benchmark=args.register_benchmark)
    print(format_plan(plan, dry_run=args.dry_run))
    return 0


def cmd_push_metric(args) -> int:
    from bench.metrics.hub_space import format_space_plan, push_metric

    plan = push_metric(args.name, args.repo, private=args.private, dry_run=args.dry_run)
    print(format_space_plan(plan, dry_run=args.dry_run))
    return 0
