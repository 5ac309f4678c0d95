"""``bench sweep`` (every task x model x seed, one scheduler task per run) and ``bench leaderboard``."""
from __future__ import annotations

from pathlib import Path

from bench.errors import BenchError
from bench.scheduler import add_scheduler_argument, parse_scheduler, scheduler


def register(sub) -> None:
    p = sub.add_parser("sweep", help="run every task x model x seed (resumable; Dask with --scheduler) "
                                     "and write a leaderboard")
    p.add_argument("tasks", nargs="+", metavar="TASK", help="GeneLab Category A/B tasks or globs (A5_skin, 'A*')")
    p.add_argument("--models", nargs="+", required=True, metavar="MODEL", help="baseline models (pca_lr rf random ...)")
    p.add_argument("--seeds", nargs="+", type=int, required=True, metavar="SEED", help="seeds, e.g. 0 1 2")
    p.add_argument("--out", required=True, help="sweep folder: runs/ (one JSON per finished run) and the "
                                                "leaderboard; rerunning into it skips finished runs")
    p.add_argument("--data-dir", default=None, help="local upstream checkout (default: embedded synthetic or Hub)")
    add_scheduler_argument(p)
    p.set_defaults(handler=cmd_sweep)

    p = sub.add_parser("leaderboard", help="merge sweep folders into one leaderboard (CSV, Markdown, heatmap)")
    p.add_argument("folders", nargs="+", metavar="DIR", help="sweep folders written by `bench sweep`")
    p.add_argument("--out", default=None, help="folder for leaderboard.csv/.md/.png (default: the first DIR)")
    p.set_defaults(handler=cmd_leaderboard)


def check_sweep_out(out: str) -> Path:
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise BenchError(f"--out {out}: exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not (path / "runs").is_dir():
        raise BenchError(f"--out {out}: folder exists, is not empty and is not a sweep folder (no runs/); "
                         "choose a new folder or a previous sweep's")
    return path


def cmd_sweep(args) -> int:
    from bench.commands.data import expand_tasks
    from bench.leaderboard import to_markdown, write_leaderboard
    from bench.sweep import plan_cells, run_sweep

    parse_scheduler(args.scheduler)
    out = check_sweep_out(args.out)
    cells = plan_cells(expand_tasks(args.tasks), args.models, args.seeds)
    with scheduler(args.scheduler):
        report = run_sweep(cells, out, data_dir=args.data_dir, command=getattr(args, "command_line", None))
    board = write_leaderboard([out], out)
    print(to_markdown(board["rows"]), end="")
    print(f"leaderboard: {out}/ ({', '.join(board['files'])})")
    if report["failed"]:
        print(f"sweep: {len(report['failed'])} run(s) failed (listed above); rerun the same command to retry them")
        return 1
    return 0


def cmd_leaderboard(args) -> int:
    from bench.leaderboard import to_markdown, write_leaderboard

    out = Path(args.out or args.folders[0])
    board = write_leaderboard(args.folders, out)
    print(to_markdown(board["rows"]), end="")
    print(f"leaderboard: {out}/ ({', '.join(board['files'])})")
    return 0
