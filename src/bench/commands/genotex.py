"""GenoTEX commands: ``bench evaluate-gta`` (upstream eval.py on the directory layout) and
``bench build-genotex`` (write the GenoTEX configs of a local GenoTEX root)."""
from __future__ import annotations

import json
from pathlib import Path

from bench.errors import BenchError
from bench.io import write_text_atomic


def register(sub) -> None:
    p = sub.add_parser("evaluate-gta", help="score GenoTEX outputs (selection, preprocessing, analysis)")
    p.add_argument("--pred", required=True, help="predicted output folder (with preprocess/ and regress/)")
    p.add_argument("--ref", required=True, help="reference output folder (with preprocess/ and regress/)")
    p.add_argument("--tasks", nargs="+", default=["selection", "preprocessing", "analysis"],
                   choices=["selection", "preprocessing", "analysis"], help="tasks to evaluate (default all)")
    p.add_argument("--subtasks", nargs="+", default=["gene", "clinical", "linked"],
                   choices=["gene", "clinical", "linked"], help="preprocessing tables (default all)")
    p.add_argument("--compat", default="v2", choices=["v2", "legacy", "genomas", "bench"],
                   help="evaluator rules: v2 (GenoTex@1669c87, default), legacy, genomas, bench")
    p.add_argument("--task-info", default=None,
                   help="task_info.json for selection (default: <ref>/../metadata/task_info.json)")
    p.add_argument("--json", dest="json_out", default=None, help="also write all results as JSON here")
    p.add_argument("--plot", default=None, help="also write a PNG bar chart of the analysis results here")
    p.set_defaults(handler=cmd_evaluate)

    p = sub.add_parser("build-genotex", help="write GenoTEX HF configs from a local GenoTEX root")
    p.add_argument("--root", required=True, help="GenoTEX root with metadata/ and output/")
    p.add_argument("--out", required=True, help="HF dataset repository folder to write into")
    p.add_argument("--traits", nargs="*", default=None, help="only these traits (default all)")
    p.set_defaults(handler=cmd_build)


def _task_info_path(args) -> Path:
    path = Path(args.task_info) if args.task_info else Path(args.ref).resolve().parent / "metadata" / "task_info.json"
    if not path.is_file():
        raise BenchError(f"--task-info: task_info.json not found at {path} (needed for --tasks selection)")
    return path


def cmd_evaluate(args) -> int:
    from bench.loaders.genotex import read_task_info
    from bench.metrics import genotex_eval as ev
    from bench.metrics.genotex import nan_to_none

    for flag, value in (("--pred", args.pred), ("--ref", args.ref)):
        if not Path(value).is_dir():
            raise BenchError(f"{flag}: folder not found: {value}")
    task_info = read_task_info(_task_info_path(args)) if "selection" in args.tasks else None
    out, texts = {}, []
    if "selection" in args.tasks:
        out["selection"] = ev.evaluate_selection(args.pred, args.ref, task_info, compat=args.compat)
        res = out["selection"]["results"]
        texts.append(ev.format_table("Dataset filtering and selection",
                                     {"filtering": res["filtering"], "selection": res["selection"]}))
    if "preprocessing" in args.tasks:
        out["preprocessing"] = ev.evaluate_preprocessing(args.pred, args.ref, subtasks=args.subtasks,
                                                         compat=args.compat)
        texts.append(ev.format_table("Preprocessing", out["preprocessing"]["results"]))
    if "analysis" in args.tasks:
        out["analysis"] = ev.evaluate_analysis(args.pred, args.ref, compat=args.compat)
        texts.append(ev.format_table(f"Statistical analysis (compat={args.compat})", out["analysis"]["results"],
                                     columns=ev.BRIEF_COLUMNS))
    if args.plot and "analysis" in out:
        ev.plot_analysis(out["analysis"]["results"], args.plot)
    if args.json_out:
        write_text_atomic(args.json_out, json.dumps(nan_to_none(out), indent=2) + "\n")
    print("\n\n".join(texts))
    notes = [w for part in out.values() for w in part.get("warnings", [])]
    if notes:
        print(f"\n{len(notes)} warning(s):\n" + "\n".join(f"  - {w}" for w in notes))
    return 0


def cmd_build(args) -> int:
    from bench.loaders.genotex import build_repo

    from bench.commands.data import check_repo_out, staged_repo

    with staged_repo(check_repo_out(args.out)) as tmp:  # nothing half-written if a later table is bad
        written = build_repo(args.root, tmp, traits=args.traits)
    print(f"wrote {len(written)} configs to {args.out}: {', '.join(written)}")
    return 0
