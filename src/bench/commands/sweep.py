"""``bench sweep`` (every task x model x seed, one scheduler task per run) and ``bench leaderboard`` (sweep
folders and result records; ``bench rank`` is its hidden alias)."""
from __future__ import annotations

from pathlib import Path

from bench.commands import deprecated, seed_type
from bench.commands.data import expand_tasks
from bench.errors import BenchError
from bench.results.leaderboard import board_markdown, build_board, write_board
from bench.scheduler import add_scheduler_argument, parse_scheduler, scheduler
from bench.sweep import plan_cells, run_sweep


def register(sub) -> None:
    p = sub.add_parser("sweep")
    p.add_argument("tasks", nargs="+", metavar="TASK", help="GeneLab Category A/B tasks or globs (A5_skin, 'A*')")
    p.add_argument("--models", nargs="+", required=True, metavar="MODEL", help="baseline models (pca_lr rf random ...)")
    p.add_argument("--seeds", nargs="+", type=seed_type, required=True, metavar="SEED", help="seeds, e.g. 0 1 2")
    p.add_argument("--out", required=True, help="sweep folder: runs/ (one JSON per finished run) and the "
                                                "leaderboard; rerunning into it skips finished runs")
    p.add_argument("--data-dir", default=None, help="local upstream checkout (default: embedded synthetic or Hub)")
    add_scheduler_argument(p)
    p.set_defaults(handler=cmd_sweep)

    p = sub.add_parser("leaderboard")
    add_leaderboard_arguments(p)
    p = sub.add_parser("rank")  # hidden alias (issue 17's first name of the significance board)
    add_leaderboard_arguments(p)
    p.set_defaults(handler=cmd_rank)


def add_leaderboard_arguments(p) -> None:
    p.add_argument("paths", nargs="+", metavar="DIR",
                   help="sweep folders (`bench sweep`), record.json files, run/report folders, or folders holding them")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="folder for leaderboard.md/.csv/.json, leaderboard.png (sweep heatmap) and ranks.png "
                        "(default: the first DIR when it is a folder)")
    p.add_argument("--data-dir", default=None, help="where the records' task labels are (default: as `bench run`)")
    p.add_argument("--tasks", default=None, help="comma-separated tasks to rank and aggregate (default: every task)")
    p.add_argument("--weights", default=None, metavar="TASK=W,...", help="task weights of the aggregate (default 1 each)")
    p.add_argument("--scale", choices=("raw", "controls"), default="raw",
                   help="raw mean AUROC, or the share of the gap from the best floor to the perfect control")
    p.add_argument("--n-bootstrap", type=int, default=1000, help="paired bootstrap draws (default 1000)")
    p.add_argument("--seed", type=seed_type, default=0, help="seed of the resampling (default 0)")
    p.add_argument("--alpha", type=float, default=0.05, help="family-wise level of the tie groups (default 0.05)")
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
    parse_scheduler(args.scheduler)
    out = check_sweep_out(args.out)
    cells = plan_cells(expand_tasks(args.tasks), args.models, args.seeds)
    with scheduler(args.scheduler):
        report = run_sweep(cells, out, data_dir=args.data_dir, command=getattr(args, "command_line", None))
    board = build_board([out], data_dir=args.data_dir)
    files = write_board(board, out)
    print(board_markdown(board), end="")
    print(f"leaderboard: {out}/ ({', '.join(f.name for f in files)})")
    if report["failed"]:
        print(f"sweep: {len(report['failed'])} run(s) failed (listed above); rerun the same command to retry them")
        return 1
    return 0


def leaderboard_out(args) -> Path:
    if args.out:
        return Path(args.out)
    first = Path(args.paths[0])
    if not first.is_dir():
        raise BenchError(f"--out DIR is needed: the first input {first} is not a folder to write the board into")
    return first


def cmd_leaderboard(args) -> int:
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()] if args.tasks else None
    out = leaderboard_out(args)
    board = build_board(args.paths, data_dir=args.data_dir, tasks=tasks, weights=args.weights, scale=args.scale,
                        n_bootstrap=args.n_bootstrap, seed=args.seed, alpha=args.alpha)
    files = write_board(board, out)
    print(board_markdown(board), end="")
    print(f"leaderboard: {out}/ ({', '.join(f.name for f in files)})")
    return 0


def cmd_rank(args) -> int:
    """``bench rank``: the old name of ``bench leaderboard`` (same output; the new form on stderr)."""
    argv = [str(a) for a in (getattr(args, "command_line", None) or ["bench", "rank", *args.paths])]
    deprecated("rank", ["leaderboard", *argv[2:]])
    return cmd_leaderboard(args)
