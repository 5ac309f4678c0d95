"""``bench run TASK --model NAME``: train a baseline on a task and score it.

The task's family row (:data:`bench.tasks.families.FAMILIES`) gives its ``models``
(name -> description) and ``run(spec, *, model, data_dir, out, seed)``.
"""
from __future__ import annotations

from pathlib import Path

from bench.errors import BenchError
from bench.tasks import get_task
from bench.tasks.families import get_family


def register(sub) -> None:
    p = sub.add_parser("run", help="train a baseline on a task, score it and write a report")
    p.add_argument("task", help="registry name, e.g. A5_skin (see `bench list`)")
    p.add_argument("--model", required=True, help="baseline model name (the error lists the choices)")
    p.add_argument("--data-dir", default=None, help="local upstream checkout (default: embedded/synthetic or Hub)")
    p.add_argument("--out", default=None, help="report folder (default: ./bench_runs/<task>_<model>)")
    p.add_argument("--seed", type=int, default=42, help="seed for every random step (default 42)")
    p.set_defaults(handler=cmd_run)


def check_out_folder(out: str | None) -> None:
    """Refuse, before any training, an ``--out`` that is a file or lies under a file."""
    if out is None:
        return
    path = Path(out)
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                raise BenchError(f"--out {out}: {p} is a file; expected a report folder (new or existing)")
            return


def cmd_run(args) -> int:
    spec = get_task(args.task)
    family = get_family(spec.family)
    models = family.resolve("models")
    if args.model not in models:
        raise BenchError(f"unknown model {args.model!r} for task {spec.name}; choices: {', '.join(models)}")
    check_out_folder(args.out)
    return family.resolve("run")(spec, model=args.model, data_dir=args.data_dir, out=args.out, seed=args.seed)
