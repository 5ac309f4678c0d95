"""``bench new-task`` (a task from your own tables), ``bench validate``, ``bench push`` and ``bench push-metric``:
make, check and publish to the Hub."""
from __future__ import annotations

import sys

from bench.commands import add_hub_target
from bench.hub_space import format_space_plan, push_metric
from bench.loaders.audit import audit_repo, format_findings, has_errors
from bench.loaders.genelab.new_task import Provenance, write_new_task
from bench.loaders.publish import format_plan, push
from bench.loaders.validate import resolve_configs, validate_repo


def register(sub) -> None:
    p = sub.add_parser("new-task")
    p.add_argument("name", help="task (config) name: letters, digits, '_'")
    p.add_argument("--labels", required=True, metavar="TABLE",
                   help="CSV/TSV/parquet, one row per sample: id, domain (e.g. mission), label, other metadata")
    p.add_argument("--features", required=True, metavar="MATRIX",
                   help="CSV/TSV/parquet (samples or features as rows) or .h5ad (obs x var)")
    p.add_argument("--out", required=True, help="folder for tasks/ and data/ (created; never overwritten)")
    p.add_argument("--source", required=True, help="where the data come from (text shown in the card)")
    p.add_argument("--license", required=True, help="licence of the data (e.g. cc-by-4.0)")
    p.add_argument("--citation", required=True, help="how to cite the data (BibTeX or text)")
    p.add_argument("--description", default="", help="one sentence for the card (default: generated)")
    p.add_argument("--id-column", default="sample_id")
    p.add_argument("--domain-column", default="mission", help="the grouping held out by each fold")
    p.add_argument("--label-column", default="label")
    p.add_argument("--positive", default=None, help="the positive class (default: 1, else the last in sort order)")
    p.add_argument("--var-percentile", type=float, default=0.25,
                   help="per fold, keep features whose TRAIN variance is above this quantile (default 0.25)")
    p.set_defaults(handler=cmd_new_task)

    p = sub.add_parser("validate")
    p.add_argument("dir", help="built repository (output of bench build --out DIR)")
    p.add_argument("--config", action="append", default=None, metavar="CFG",
                   help="check only this config (repeatable; default: every config in README.md)")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("push")
    p.add_argument("dir", help="built repository (output of bench build --out DIR)")
    add_hub_target(p, "--repo", "Hub dataset repository ORG/NAME", private="repository",
                   dry_run="print the file plan, the leakage audit and the whole card")
    p.add_argument("--config", action="append", default=None, metavar="CFG",
                   help="push only this config (repeatable; default: every config in README.md)")
    p.add_argument("--revision", default=None, metavar="BRANCH", help="branch to commit to (created if absent)")
    p.add_argument("--allow-synthetic", action="store_true",
                   help="publish configs built from synthetic data (tagged 'synthetic', banner in the card)")
    p.add_argument("--allow-leakage", default=None, metavar="REASON",
                   help="publish despite error-level leakage-audit findings; REASON goes into the commit")
    p.add_argument("--register-benchmark", action="store_true",
                   help="also upload eval.yaml (the Hub's benchmark registration: one task per config) so model "
                        "repos can report results on it with `bench publish-result`")
    p.set_defaults(handler=cmd_push)

    p = sub.add_parser("push-metric")
    p.add_argument("name", help="metric name (a folder of bench.metrics) or a path to a metric folder")
    add_hub_target(p, "--repo", "Hub Space ORG/NAME (the module is uploaded as NAME.py)", private="Space",
                   dry_run="list the files")
    p.set_defaults(handler=cmd_push_metric)


def cmd_validate(args) -> int:
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
    findings = audit_repo(args.dir, configs=args.config)
    print(format_findings(findings))
    if has_errors(findings):
        print(f"{args.dir}: LEAKAGE, the audit found error-level problems (bench push refuses them "
              "unless --allow-leakage REASON)", file=sys.stderr)
        return 2
    print(f"{args.dir}: OK ({len(configs)} config(s))")
    return 0


def cmd_push(args) -> int:
    plan = push(args.dir, args.repo, configs=args.config, revision=args.revision, private=args.private,
                dry_run=args.dry_run, allow_synthetic=args.allow_synthetic, allow_leakage=args.allow_leakage,
                register_benchmark=args.register_benchmark)
    print(format_plan(plan, dry_run=args.dry_run))
    return 0


def cmd_push_metric(args) -> int:
    plan = push_metric(args.name, args.repo, private=args.private, dry_run=args.dry_run)
    print(format_space_plan(plan, dry_run=args.dry_run))
    return 0


def cmd_new_task(args) -> int:
    prov = Provenance(source=args.source, license=args.license, citation=args.citation, description=args.description)
    written = write_new_task(args.name, args.labels, args.features, args.out, provenance=prov,
                             id_column=args.id_column, domain_column=args.domain_column,
                             label_column=args.label_column, positive=args.positive,
                             var_percentile=args.var_percentile)
    tasks = written["task_file"].parent.parent
    print(f"wrote {written['task_file']} and the folds under {written['data_dir']}\nnext:\n"
          f"  export BENCH_TASKS_PATH={tasks}\n"
          f"  bench build {args.name} --data-dir {written['data_dir']} --out bench-data\n"
          f"  bench validate bench-data && bench push bench-data --repo ORG/NAME --config {args.name} --dry-run")
    return 0
