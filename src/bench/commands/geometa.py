"""``bench geometa build`` and ``bench geometa synth-archs4``: GEOmeta configs and test files."""
from __future__ import annotations

import warnings

from bench.errors import BenchError
from bench.tasks import get_task, list_tasks


def register(sub) -> None:
    p = sub.add_parser("geometa", help="GEOmeta: build label(+expression) configs, write synthetic ARCHS4 files")
    gsub = p.add_subparsers(dest="geometa_command", metavar="SUBCOMMAND")
    b = gsub.add_parser("build", help="build GEOmeta configs into a local HF dataset repo")
    b.add_argument("tasks", nargs="*", help="task names (default: every geometa task)")
    b.add_argument("--out", required=True, help="dataset repo folder to write (configs are merged into it)")
    b.add_argument("--data-dir", default=None, help="folder with benchmark/data/GEOMeta100K (default: "
                                                    "$BENCH_GEOMETA_DIR or ../shared/geometa)")
    b.add_argument("--expression", default=None, help="ARCHS4 .h5 file, or 'synthetic'; omit for labels only")
    b.add_argument("--seed", type=int, default=0, help="seed of the synthetic expression (default 0)")
    b.set_defaults(handler=cmd_build)
    s = gsub.add_parser("synth-archs4", help="write a seeded synthetic ARCHS4-format .h5 for a label task")
    s.add_argument("task", help="a geometa task whose GSMs (and labels, for signal) go into the file")
    s.add_argument("--out", required=True, help="output .h5 path")
    s.add_argument("--data-dir", default=None)
    s.add_argument("--genes", type=int, default=2000)
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(handler=cmd_synth)
    p.set_defaults(handler=lambda args: (p.print_help(), 2)[1])


def cmd_build(args) -> int:
    from bench.loaders.geometa import build_config

    specs = [get_task(t) for t in args.tasks] if args.tasks else list_tasks("geometa")
    wrong = [s.name for s in specs if s.family != "geometa"]
    if wrong:
        raise BenchError(f"not geometa task(s): {', '.join(wrong)}")
    from bench.commands.data import check_repo_out, staged_repo

    with staged_repo(check_repo_out(args.out)) as repo:  # every config, or none if one fails
        for spec in specs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # everything warned about is in meta["notes"], printed below
                dsd, meta = build_config(spec, data_dir=args.data_dir, expression=args.expression, repo_dir=repo,
                                         seed=args.seed)
            sizes = ", ".join(f"{s}={d.num_rows}" for s, d in dsd.items())
            kind = "labels only" if meta["feature_column"] is None else (
                f"{meta['n_features']} genes ({'SYNTHETIC' if meta['synthetic'] else 'ARCHS4'} expression)")
            print(f"{spec.name}: {sizes}; {kind}")
            for note in meta["notes"]:
                print(f"  - {note}")
    print(f"wrote {len(specs)} config(s) to {args.out}")
    return 0


def cmd_synth(args) -> int:
    from bench.loaders import archs4
    from bench.loaders.geometa import load_label_tables

    spec = get_task(args.task)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables, _ = load_label_tables(spec, data_dir=args.data_dir)
    import pandas as pd

    labels = pd.concat(list(tables.values()), ignore_index=True).drop_duplicates("GSM_ID")
    path = archs4.write_synthetic_archs4(args.out, labels=labels, targets=list(spec.params["targets"].values()),
                                         n_genes=args.genes, species=spec.params["species"], seed=args.seed)
    print(f"wrote {path} ({len(labels)} labelled GSMs, {args.genes} genes, SYNTHETIC)")
    return 0
