"""The work behind the hidden old verbs (see :mod:`bench.commands.aliases`).

Each old verb belonged to one family (``evaluate-gta`` and ``build-genotex`` to GenoTEX, ``evaluate-embedding``
to single-cell, ``geometa build``/``synth-archs4`` to GEOmeta), so this module names them directly: it is
kept for one release and is not a dispatch point (the new verbs go through the family table).
"""
from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from bench.baselines.genotex import evaluate as genotex_evaluate
from bench.baselines.singlecell import evaluate as singlecell_evaluate
from bench.commands import deprecated
from bench.commands.data import check_repo_out, staged_repo
from bench.commands.evaluate import report
from bench.errors import BenchError
from bench.io import atomic_path
from bench.loaders.geometa import archs4
from bench.loaders.genotex import build_repo
from bench.loaders.geometa import build_config as build_geometa_config, load_label_tables
from bench.loaders.geometa.build import contents_line
from bench.tasks import get_task, list_tasks


def cmd_evaluate_gta(args) -> int:
    deprecated("evaluate-gta", ["evaluate", "genotex_problems", args.pred, "--data-dir", "GENOTEX_ROOT"])
    for flag, value in (("--pred", args.pred), ("--ref", args.ref)):
        if not Path(value).is_dir():
            raise BenchError(f"{flag}: folder not found: {value}")
    result = genotex_evaluate.evaluate(None, args.pred, ref=args.ref, parts=args.tasks, subtasks=args.subtasks,
                                       compat=args.compat, task_info=args.task_info)
    if args.plot and "analysis.png" in result.files:
        with atomic_path(args.plot) as tmp:
            result.files["analysis.png"].savefig(tmp, format="png", dpi=120)
    return report(result, json_out=args.json_out)


def cmd_evaluate_embedding(args) -> int:
    deprecated("evaluate-embedding", ["evaluate", "TASK", args.embedding, "--obs", args.obs,
                                      "--label-key", args.label_key]
               + (["--batch-key", args.batch_key] if args.batch_key else []))
    result = singlecell_evaluate.evaluate(None, args.embedding, obs=args.obs, label_key=args.label_key,
                                          batch_key=args.batch_key, tasks=args.tasks, seed=args.seed)
    return report(result, json_out=args.json_out)


def cmd_build_genotex(args) -> int:
    names = [f"genotex_{t}" for t in args.traits] if args.traits else ["genotex"]
    deprecated("build-genotex", ["build", *names, "--data-dir", args.root, "--out", args.out])
    with staged_repo(check_repo_out(args.out)) as tmp:  # nothing half-written if a later table is bad
        written = build_repo(args.root, tmp, traits=args.traits)
    print(f"wrote {len(written)} configs to {args.out}: {', '.join(written)}")
    return 0


def cmd_geometa_build(args) -> int:
    specs = [get_task(t) for t in args.tasks] if args.tasks else list_tasks("geometa")
    new = ["build", *(args.tasks or ["geometa"]), "--out", args.out]
    new += (["--data-dir", args.data_dir] if args.data_dir else []) + (
        ["--expression", args.expression, "--expression-seed", str(args.seed)] if args.expression else [])
    deprecated("geometa build", new)
    wrong = [s.name for s in specs if s.family != "geometa"]
    if wrong:
        raise BenchError(f"not geometa task(s): {', '.join(wrong)}")
    with staged_repo(check_repo_out(args.out)) as repo:  # every config, or none if one fails
        for spec in specs:
            build_geometa(spec, repo, data_dir=args.data_dir, expression=args.expression, seed=args.seed)
    print(f"wrote {len(specs)} config(s) to {args.out}")
    return 0


def cmd_synth(args) -> int:
    spec = get_task(args.task)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables, _ = load_label_tables(spec, data_dir=args.data_dir)
    labels = pd.concat(list(tables.values()), ignore_index=True).drop_duplicates("GSM_ID")
    path = archs4.write_synthetic_archs4(args.out, labels=labels, targets=list(spec.params["targets"].values()),
                                         n_genes=args.genes, species=spec.params["species"], seed=args.seed)
    print(f"wrote {path} ({len(labels)} labelled GSMs, {args.genes} genes, SYNTHETIC)")
    return 0


def build_geometa(spec, repo: Path, *, data_dir, expression, seed: int) -> None:
    """``bench geometa build``: one GEOmeta config written into ``repo``; prints its sizes and notes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # everything warned about is in meta["notes"], printed below
        dsd, meta = build_geometa_config(spec, data_dir=data_dir, expression=expression, repo_dir=repo, seed=seed)
    print(f"{spec.name}: {contents_line({split: d.num_rows for split, d in dsd.items()}, meta)}")
    for note in meta["notes"]:
        print(f"  - {note}")
