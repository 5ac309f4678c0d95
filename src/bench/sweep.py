"""``bench sweep``: every (task, model, seed) baseline run as one task of the active scheduler.

A sweep folder holds ``runs/<task>__<model>__seed<S>.json`` (one finished run each, keyed by
the task spec's sha256, the model and the seed), beside it the run's folder
``runs/<task>__<model>__seed<S>/`` with its verifiable ``record.json`` and its predictions
``submission.json`` (keyed by fold and sample id: ``bench leaderboard`` resamples samples within
missions, ``bench verify`` recomputes the value), and the leaderboard built from them
(:mod:`bench.results.leaderboard`). Rerunning a sweep into the same folder skips every finished run
whose key still matches (a changed spec is rerun); a run that fails is reported and leaves no
file, so the next sweep retries it; the other runs go on. On a Dask cluster a run whose worker
dies is rescheduled by Dask on another worker.

Runs reuse the GeneLab runner (``bench.baselines.genelab.run_category_a``: leave-one-mission-out
fits, lomo statistics, GO/NO-GO); GeneLab Category A and B tasks are supported.
"""
from __future__ import annotations

import json
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from threadpoolctl import threadpool_limits

from bench import __version__
from bench.baselines.genelab import MODELS
from bench.baselines.genelab.records import write_record
from bench.baselines.genelab.run import run_category_a, run_record, submission_from
from bench.errors import BenchError
from bench.io import write_json_atomic
from bench.metrics.genelab.submission import write_submission
from bench.results.record import portable_command
from bench.scheduler import active_runner
from bench.tasks import get_task

RUNS = "runs"
#: What each run's folder ``runs/<stem>/`` holds (written before the run file that marks it finished).
CELL_FILES = ("submission.json", "record.json")
SWEEP_CATEGORIES = ("A", "B")


@dataclass(frozen=True)
class Cell:
    """One run of a sweep: a task (with its spec hash), a model and a seed."""

    task: str
    spec_sha256: str
    model: str
    seed: int

    @property
    def stem(self) -> str:
        return f"{self.task}__{self.model}__seed{self.seed}"

    @property
    def file_name(self) -> str:
        return f"{self.stem}.json"

    def key(self) -> dict:
        return {"task": self.task, "spec_sha256": self.spec_sha256, "model": self.model, "seed": self.seed}


def plan_cells(task_names: list[str], models: list[str], seeds: list[int]) -> list[Cell]:
    """Every (task, model, seed), checked before anything runs (unknown task/model, wrong family)."""
    if not models or not seeds:
        raise BenchError("sweep: give at least one --models and one --seeds value")
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise BenchError(f"--models: unknown {unknown}; choices: {', '.join(MODELS)}")
    cells = []
    for name in dict.fromkeys(task_names):
        spec = get_task(name)
        category = str(spec.params.get("category", ""))
        if spec.family != "genelab" or category not in SWEEP_CATEGORIES:
            raise BenchError(f"sweep: task {spec.name} ({spec.family}, category {category or '-'}) is not "
                             f"supported yet; sweeps run GeneLab Category {'/'.join(SWEEP_CATEGORIES)} tasks")
        cells += [Cell(spec.name, spec.spec_hash, m, int(s)) for m in dict.fromkeys(models)
                  for s in dict.fromkeys(seeds)]
    return cells


def finished(out: Path, cell: Cell) -> dict | None:
    """The stored run of ``cell`` if its key matches (same spec sha256, model, seed) and its record and
    predictions are beside it (a run of an older sweep without them is rerun), else None."""
    path = out / RUNS / cell.file_name
    if not path.is_file() or not all((out / RUNS / cell.stem / f).is_file() for f in CELL_FILES):
        return None
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return None  # unreadable: rerun it (the new result replaces it atomically)
    return stored if stored.get("key") == cell.key() else None


def run_cell(cell: Cell, *, data_dir: str | None = None) -> dict:
    """One baseline run (runs on a worker): its result summary, JSON-ready and path-free, with
    ``files``: the run's upstream-format submission and its result record (written by the client)."""
    spec = get_task(cell.task)
    if spec.spec_hash != cell.spec_sha256:
        raise BenchError(f"{cell.task}: the worker's task spec differs from the client's "
                         f"(sha256 {spec.spec_hash[:12]} vs {cell.spec_sha256[:12]}); install the same bench")
    start = time.perf_counter()
    # one BLAS/OpenMP thread wherever the run happens (Dask workers start with one): same floats serial and on a cluster
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")  # synthetic data is recorded in the result ("synthetic")
        res = run_category_a(spec, model=cell.model, data_dir=data_dir, seed=cell.seed, progress=False)
    res["_runtime_seconds"] = time.perf_counter() - start
    summary = res["summary"]
    submission = submission_from(spec, cell.model, res["_rows"])
    record = run_record(spec, res, submission)
    return {
        "key": cell.key(), "bench_version": __version__, "category": res["category"],
        "metric": "mean_auroc", "value": summary.get("mean_auroc"),
        "verdict": summary.get("go_nogo"),
        "synthetic": res["synthetic"], "feature_level": res["feature_level"], "summary": summary,
        "per_fold_auroc": {f["fold"]: f.get("auroc") for f in res["per_fold"]},
        "seconds": round(time.perf_counter() - start, 3),
        "files": {"submission.json": submission, "record.json": record},
    }


def write_cell(out: Path, cell: Cell, result: dict, *, command: list[str]) -> None:
    """The run's folder (submission, then the record naming it), then the run file that marks it finished."""
    result = dict(result)
    files = result.pop("files")
    folder = out / RUNS / cell.stem
    write_submission(folder / "submission.json", **files["submission.json"])
    record = {**files["record.json"], "command": command}
    write_record(folder, record)
    write_json_atomic(out / RUNS / cell.file_name, result)


def run_sweep(cells: list[Cell], out: Path, *, data_dir: str | None = None, stream=None,
              command: list[str] | None = None) -> dict:
    """Run every unfinished cell where the active scheduler says; write each result as it arrives
    (``command``: the command line recorded in each record; default this process's, path-free).

    Returns ``{"done": [...], "skipped": [...], "failed": [(cell, error)]}``.
    """
    command = portable_command(command)
    stream = stream or sys.stdout
    out = Path(out)
    (out / RUNS).mkdir(parents=True, exist_ok=True)
    todo = [c for c in cells if finished(out, c) is None]
    skipped = [c for c in cells if c not in todo]
    if skipped:
        print(f"sweep: {len(skipped)} of {len(cells)} run(s) already finished in {out} (skipped)", file=stream)
    runner = active_runner()
    print(f"sweep: {len(todo)} run(s) on {runner.name}", file=stream)
    done, failed = [], []
    for outcome in runner.each(run_cell, todo, data_dir=data_dir):
        cell = outcome.item
        label = f"{cell.task} · {cell.model} · seed {cell.seed}"
        if outcome.error is not None:
            failed.append((cell, outcome.error))
            print(f"  FAILED {label}: {outcome.error}", file=stream)
            continue
        write_cell(out, cell, outcome.result, command=command)
        done.append(cell)
        value = outcome.result["value"]
        print(f"  done   {label}: mean AUROC {'-' if value is None else f'{value:.3f}'} "
              f"{outcome.result['verdict'] or ''} ({len(done)}/{len(todo)})", file=stream)
    return {"done": done, "skipped": skipped, "failed": failed}
