"""``bench simulate TASK --model M --effect 0 0.2 ... --reps R``: power and false-GO rate of the
GeneLab GO rule on SYNTHETIC studies in the task's layout (see bench.baselines.genelab.simulate)."""
from __future__ import annotations

from bench.baselines.genelab import simulate as sim
from bench.baselines.report import check_out, default_out, emit
from bench.commands import seed_type


def register(sub) -> None:
    p = sub.add_parser("simulate")
    p.add_argument("task", help="GeneLab Category A task whose layout is simulated, e.g. A5_skin or A5_skin_hallmark")
    p.add_argument("--model", nargs="+", default=["pca_lr"], help="baseline model(s), one power curve each (default pca_lr)")
    p.add_argument("--effect", nargs="+", type=float, default=[0.0, 0.2, 0.4, 0.6, 0.8],
                   help="Flight effect sizes (generator flight_effect, SD units of a responsive module; 0 = none)")
    p.add_argument("--reps", type=int, default=200, help="independent studies per setting (default 200)")
    p.add_argument("--n-per-arm", nargs="+", type=int, default=None,
                   help="Flight and Ground samples per mission (one curve each; default: the task's own counts)")
    p.add_argument("--batch", nargs="+", type=float, default=None,
                   help="mission batch SD (generator batch_sd, log2 units; one curve each; default: the tissue's)")
    p.add_argument("--scheduler", default=None,
                   help="where studies run: serial (default), or local[:N] / tcp://host:port when bench.scheduler "
                        "(Dask) is installed; also $BENCH_SCHEDULER")
    p.add_argument("--seed", type=seed_type, default=0, help="seed of the simulated studies (default 0)")
    p.add_argument("--out", default=None, help="report folder (default: ./bench_runs/<task>_simulate)")
    p.set_defaults(handler=cmd_simulate)


def cmd_simulate(args) -> int:
    spec = sim.simulation_spec(args.task)
    out = check_out(args.out if args.out is not None else default_out(spec.name, "simulate"), spec.name)
    table = sim.simulate(spec, effects=args.effect, models=args.model, reps=args.reps,
                         n_per_arm=args.n_per_arm or [None], batch=args.batch or [None], seed=args.seed,
                         scheduler=args.scheduler, progress=True)
    emit(sim.simulation_result(table, spec, reps=args.reps, seed=args.seed, scheduler=args.scheduler), out)
    return 0
