"""``bench leaderboard DIR…``: a significance-aware board from result records (``bench run`` report
folders, ``bench evaluate --record`` folders, ``bench sweep`` folders, whose runs keep their record
and submission in ``runs/<stem>/``, or any folder holding them) and from runs of older sweeps
(``runs/*.json`` with per-fold values only: resampled by missions only).

One engine for every family: per task, the records become paired draws over the units the benchmark
really has, then :func:`bench.metrics.leaderboard.board` turns the draws into rank intervals, tie
groups and Holm-adjusted p-values. The units:

* each family's ``board`` entry in the family table (``baselines/<family>/board.py``, contract in
  :mod:`bench.results.board_units`) turns a task's records into folds, labels and scores resampled
  hierarchically (e.g. GeneLab: missions, then samples within missions), or into per-unit sufficient
  statistics with the metric recomputed on each draw (e.g. GEOmeta studies, GenoTEX problems,
  single-cell cells or donors), with the floors and perfect control the family generates.

Across tasks: a weighted mean of the per-task values, raw (tasks of one metric) or scaled as the share
of the gap between the floor (the best of the floors, including the confound-only control when it was
run: ``bench run TASK --model confound``) and the perfect control (or the metric's maximum where no
perfect control is defined), with the rank intervals of the combined draws. Every choice (tasks,
weights, scale, seed, draws, resampling units) is written into the output.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import numpy as np

from bench.errors import BenchError
from bench.io import atomic_path
from bench.metrics import leaderboard as lb
from bench.results.board_units import FLOOR_MODELS, PERFECT, floor_kind, record_ids
from bench.results.record import RECORD_FILE, family_layer, read_record
from bench.table import format_markdown_table

FLOORS = tuple(f"control:{m}" for m in FLOOR_MODELS)
SCALES = ("raw", "controls")
CSV_COLUMNS = ["scope", "model", "value", "ci_lower", "ci_upper", "rank", "rank_lower", "rank_upper", "tie_group",
               "control", "scale", "resampled"]


SWEEP_RUNS = "runs"
#: What a task of sweep runs (per-fold AUROCs, resampled by missions) is on the board.
SWEEP_ENTRY = {"metric": "lomo_auroc", "unit": "missions", "resampled": "missions (per-fold values)"}


def find_inputs(paths: Sequence[str | os.PathLike], *, required: bool = True) -> tuple[list[Path], list[Path]]:
    """``(records, sweep run files)``: every ``record.json`` given or under the given folders, and the
    ``runs/*.json`` of sweep folders (``bench sweep``) that hold per-fold values. ``required``: a
    BenchError when there are neither."""
    records, runs = [], []
    for p in map(Path, paths):
        if p.is_file():
            records.append(p)
        elif p.is_dir():
            records += sorted(p.rglob(RECORD_FILE))
            runs += sorted(f for f in p.rglob("*.json") if f.parent.name == SWEEP_RUNS and _is_sweep_run(f))
        else:
            raise BenchError(f"{p}: no such file or folder (expected result records or folders holding them)")
    records = list(dict.fromkeys(f.resolve() for f in records))
    runs = list(dict.fromkeys(f.resolve() for f in runs))
    if required and not records and not runs:
        raise BenchError(f"no {RECORD_FILE} and no sweep runs found under {', '.join(map(str, paths))} (write records "
                         "with `bench run` or `bench evaluate --record DIR`, or runs with `bench sweep`)")
    return records, runs


def _is_sweep_run(path: Path) -> bool:
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError, RecursionError):
        return False
    return isinstance(run, dict) and isinstance(run.get("key"), dict) and isinstance(run.get("per_fold_auroc"), dict)


def load_sweep_runs(runs: list[Path]) -> dict[str, dict]:
    """Per task (from sweep runs): folds and the per-fold AUROC of each model, averaged over its seeds."""
    tasks: dict[str, dict] = {}
    for path in runs:
        run = json.loads(path.read_text(encoding="utf-8"))
        key = run["key"]
        entry = tasks.setdefault(key["task"], {"kind": "folds", "values": {}, "seeds": {}, **SWEEP_ENTRY})
        model = board_name(str(key["model"]))
        entry["seeds"].setdefault(model, {})[key.get("seed")] = {f: (np.nan if v is None else float(v))
                                                                  for f, v in run["per_fold_auroc"].items()}
    for task, entry in tasks.items():
        folds = sorted({f for per_seed in entry["seeds"].values() for fv in per_seed.values() for f in fv})
        entry["folds"] = folds
        for model, per_seed in entry["seeds"].items():
            grid = np.array([[fv.get(f, np.nan) for f in folds] for fv in per_seed.values()])
            entry["values"][model] = grid.mean(axis=0)
        entry["values"].setdefault("control:constant", np.full(len(folds), 0.5))  # AUROC of ties: 0.5 exactly
        entry["values"].setdefault(PERFECT, np.ones(len(folds)))
        entry["controls"] = [m for m in entry["values"] if m.startswith("control:")]
    return tasks


def board_name(sweep_model: str) -> str:
    """The board's name of a sweep's baseline model: its record's model id (``bench/<model>``), or
    ``control:<kind>`` for the floors and the confound-only control."""
    return floor_kind(sweep_model) or f"bench/{sweep_model}"


def load_task_inputs(records: list[Path], *, data_dir=None, seeds: dict[str, int] | None = None,
                     parsed: dict[Path, dict] | None = None) -> dict[str, dict]:
    """Per task, the board's input from its family's ``board`` entry (:mod:`bench.results.board_units`): folds,
    labels per fold and scores per model (``scores[model][fold]``: seeds x samples), or per-unit
    statistics per model. ``seeds``: per task the seed of its generated controls (default
    ``DEFAULT_SEED`` + the task's index in name order); ``parsed``: records the caller already read."""
    parsed = parsed or {}
    by_task: dict[str, list] = {}
    for path in records:
        record = parsed[path] if path in parsed else read_record(path)
        by_task.setdefault(record["benchmark"]["task"], []).append((path, record))
    tasks = {}
    for i, (task, recs) in enumerate(sorted(by_task.items())):
        families = {str(r["benchmark"].get("family")) for _, r in recs}
        metrics = {metric_name(r) for _, r in recs}
        if len(metrics) > 1 or len(families) > 1:
            raise BenchError(f"records of task {task} mix metrics {sorted(metrics)}: one task's records must be "
                             f"scored with one metric to be ranked together ({', '.join(str(p) for p, _ in recs)})")
        board_entry = family_layer(recs[0][0], recs[0][1], "board")
        entry = board_entry(task, recs, data_dir=data_dir, seed=(seeds or {}).get(task, lb.DEFAULT_SEED + i))
        tasks[task] = unit_inputs(entry) if entry["kind"] == "units" else entry
    return tasks


def metric_name(record: dict) -> str:
    """``<metric id(s)> <primary>`` of a record (``lomo_auroc`` for GeneLab)."""
    ids = "/".join(record_ids(record))
    primary = record["metric"].get("primary")
    return f"{ids} {primary}" if primary and ids != "lomo_auroc" else ids


def unit_inputs(entry: dict) -> dict:
    """A family adapter's entry with its runs as per-model statistics (seeds of a model averaged) and
    the generated controls added unless runs of them are among the records."""
    entry["stats"] = {}
    for _, record, run in entry.pop("runs"):
        model = str(record["model"].get("id") or "unknown")
        entry["stats"].setdefault(floor_kind(model) or model, []).append(run)
    for name, run in entry.pop("generated").items():
        entry["stats"].setdefault(name, [run])
    entry["controls"] = [m for m in entry["stats"] if m.startswith("control:")]
    return entry


def task_draws(entry: dict, *, n_bootstrap: int, seed: int) -> tuple[list[str], np.ndarray, dict, np.ndarray]:
    """``(models, draws, per-unit values, observed)`` of one task: records with predictions are
    resampled hierarchically (GeneLab) or by their family's units; sweep runs (per-fold values) by folds."""
    if entry["kind"] == "samples":
        models, draws = lb.hierarchical_draws(entry["labels"], entry["scores"], n_bootstrap=n_bootstrap, seed=seed)
        per_unit = lb.fold_values(entry["labels"], entry["scores"])
    elif entry["kind"] == "units":
        models, draws = lb.resampled_draws(entry["stats"], n_bootstrap=n_bootstrap, seed=seed)
        per_unit = lb.unit_values(entry["stats"])
        observed = lb.observed_values(entry["stats"])
        return models, draws, per_unit, np.array([observed[m] for m in models])
    else:
        models = list(entry["values"])
        per_unit = entry["values"]
        draws = lb.unit_draws(np.column_stack([per_unit[m] for m in models]), n_bootstrap=n_bootstrap, seed=seed)
    return models, draws, per_unit, np.array([np.nanmean(per_unit[m]) for m in models])


def task_board(task: str, entry: dict, *, n_bootstrap: int, seed: int, alpha: float, scale: str) -> dict:
    """One task's board (raw or scaled) and its draws, for the aggregate."""
    models, draws, per_unit, observed = task_draws(entry, n_bootstrap=n_bootstrap, seed=seed)
    floors = [observed[models.index(m)] for m in FLOORS if m in models]
    floor = max(floors) if floors else None
    ceiling = observed[models.index(PERFECT)] if PERFECT in models else entry.get("ceiling")
    if scale == "controls":
        if floor is None:
            raise BenchError(f"--scale controls: task {task} has no floor: none of its records is of a 'random', "
                             "'constant' or 'confound' model (e.g. `bench run TASK --model random`, where its family has "
                             "such a model) and its family generates none; use --scale raw or add such a record")
        observed, draws = lb.scale_to_controls(observed, floor, ceiling), lb.scale_to_controls(draws, floor, ceiling)
        per_unit = {m: lb.scale_to_controls(v, floor, ceiling) for m, v in per_unit.items()}
    result = lb.board(models, observed, draws, fold_values=per_unit, alpha=alpha, controls=entry["controls"])
    return {"board": result, "models": models, "observed": observed, "draws": draws,
            "floor": None if floor is None else float(floor), "ceiling": float(ceiling),
            "ceiling_note": entry.get("ceiling_note", ""), "folds": entry["folds"], "metric": entry["metric"],
            "unit": entry["unit"], "resampled": entry["resampled"],
            "generated_controls": entry.get("generated_note", "")}


def parse_weights(text: str | None, tasks: Sequence[str]) -> dict[str, float]:
    """``"A5_skin=2,A6_eye=1"`` -> weights (default 1 for every task); BenchError on a bad entry."""
    weights = {t: 1.0 for t in tasks}
    for item in filter(None, (text or "").split(",")):
        name, sep, value = item.partition("=")
        if not sep or name.strip() not in weights:
            raise BenchError(f"--weights: {item!r} is not TASK=WEIGHT for one of the tasks {', '.join(tasks)}")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise BenchError(f"--weights: weight {value!r} of {name} is not a number") from None
        if not weights[name.strip()] >= 0:
            raise BenchError(f"--weights: weight of {name} must be >= 0")
    if sum(weights.values()) <= 0:
        raise BenchError("--weights: at least one weight must be positive")
    return weights


def aggregate(boards: dict[str, dict], weights: dict[str, float], *, alpha: float) -> tuple[lb.Board, list[str]]:
    """Weighted mean over tasks of the models present in every task, with combined draws."""
    tasks = list(boards)
    common = [m for m in boards[tasks[0]]["models"] if all(m in boards[t]["models"] for t in tasks)]
    total = sum(weights[t] for t in tasks)
    observed = sum(weights[t] * np.array([boards[t]["observed"][boards[t]["models"].index(m)] for m in common])
                   for t in tasks) / total
    draws = sum(weights[t] * boards[t]["draws"][:, [boards[t]["models"].index(m) for m in common]]
                for t in tasks) / total
    controls = [m for m in common if m.startswith("control:")]
    excluded = sorted({m for t in tasks for m in boards[t]["models"]} - set(common))
    return lb.board(common, observed, draws, alpha=alpha, controls=controls), excluded


def check_settings(scale: str, n_bootstrap: int) -> None:
    if scale not in SCALES:
        raise BenchError(f"--scale must be one of {', '.join(SCALES)}, got {scale!r}")
    if n_bootstrap < 10:
        raise BenchError(f"--n-bootstrap must be at least 10, got {n_bootstrap}")


def check_one_metric(inputs: dict[str, dict], chosen: Sequence[str], scale: str) -> None:
    """A raw board averages values: its tasks must share one metric (the controls scale is unitless)."""
    metrics = {t: inputs[t]["metric"] for t in chosen}
    if scale == "raw" and len(set(metrics.values())) > 1:
        raise BenchError("these records mix metrics (" + "; ".join(f"{t}: {m}" for t, m in metrics.items()) + "); a raw "
                         "board averages values of one metric: pick tasks of one metric with --tasks, or compare them "
                         "as shares of the floor-to-perfect gap with --scale controls")


def resampling_text(boards: dict[str, dict]) -> str:
    units = "; ".join(f"{t}: {b['resampled']}" for t, b in boards.items())
    return f"paired (every model on the same draws), with replacement; {units}; one default_rng(seed + task index) per task"


def controls_text(boards: dict[str, dict]) -> str:
    generated = "; ".join(f"{t}: {b['generated_controls']}" for t, b in boards.items() if b["generated_controls"])
    return ("floors = runs of the 'constant'/'random' baselines and of the confound-only control ('confound': "
            "batch/mission/study/platform or technical metadata only), plus the floors the task's family generates "
            "(unless runs of them are among the records); the scale's floor is the best of them; perfect = the "
            "perfect control the family generates (the labels as predictions, or the reference scored against "
            "itself), else the ceiling is the metric's maximum, 1" + (f"; generated here: {generated}" if generated else ""))


def build_leaderboard(paths: Sequence[str], *, data_dir=None, tasks: Sequence[str] | None = None,
                      weights: str | None = None, scale: str = "raw", n_bootstrap: int = lb.DEFAULT_N_BOOTSTRAP,
                      seed: int = lb.DEFAULT_SEED, alpha: float = lb.DEFAULT_ALPHA,
                      inputs: tuple[list[Path], list[Path]] | None = None) -> dict:
    """Boards per task and across tasks, with every choice recorded (``inputs``: what
    :func:`find_inputs` found under ``paths``, when the caller already looked)."""
    check_settings(scale, n_bootstrap)
    records, runs = inputs if inputs is not None else find_inputs(paths)
    inputs = load_sweep_runs(runs)
    parsed = {p: read_record(p) for p in records}   # each record read once
    task_of = {p: r["benchmark"]["task"] for p, r in parsed.items()}
    available = sorted(set(inputs) | set(task_of.values()))
    chosen = available if not tasks else list(tasks)
    unknown = [t for t in chosen if t not in available]
    if unknown:
        raise BenchError(f"--tasks: no records for {', '.join(unknown)}; the records cover {', '.join(available)}")
    task_seeds = {t: seed + i for i, t in enumerate(chosen)}
    wanted = [p for p in records if task_of[p] in chosen]
    inputs.update(load_task_inputs(wanted, data_dir=data_dir, seeds=task_seeds, parsed=parsed) if wanted else {})  # predictions win
    check_one_metric(inputs, chosen, scale)
    w = parse_weights(weights, chosen)
    boards = {t: task_board(t, inputs[t], n_bootstrap=n_bootstrap, seed=task_seeds[t], alpha=alpha, scale=scale)
              for t in chosen}
    agg, excluded = aggregate(boards, w, alpha=alpha)
    synthetic = any(bool(parsed[p]["dataset"].get("synthetic")) for p in wanted) or \
        any(json.loads(p.read_text(encoding="utf-8")).get("synthetic") for p in runs)
    return {"settings": {"synthetic": synthetic, "tasks": chosen, "weights": w, "scale": scale, "n_bootstrap": n_bootstrap,
                         "seed": seed, "task_seeds": task_seeds, "alpha": alpha,
                         "resampling": resampling_text(boards),
                         "p_values": "two-sided paired bootstrap, Holm-adjusted over all pairs of a board",
                         "controls": controls_text(boards),
                         "records": [{"task": task_of[p], "model": parsed[p]["model"]["id"],
                                      "predictions_sha256": parsed[p]["predictions"]["sha256"]} for p in wanted],
                         "sweep_runs": len(runs)},
            "tasks": {t: {"folds": b["folds"], "floor": b["floor"], "ceiling": b["ceiling"], "resampled": b["resampled"],
                          "unit": b["unit"], "n_units": len(b["folds"]), "metric": b["metric"],
                          "ceiling_note": b["ceiling_note"], **asdict(b["board"])} for t, b in boards.items()},
            "aggregate": {**asdict(agg), "excluded_models": excluded}}


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def _f(v, digits=3) -> str:
    return "" if v is None else (f"{v:.{digits}f}" if isinstance(v, float) else str(v))


def _table(rows: list[dict]) -> list[str]:
    cells = [{"model": f"*{r['model']}*" if r["control"] else r["model"], "value": _f(r["value"]),
              "95% CI": f"[{_f(r['ci_lower'])}, {_f(r['ci_upper'])}]", "rank": r["rank"],
              "rank 95% interval": f"{r['rank_lower']}–{r['rank_upper']}", "tie group": r["tie_group"]}
             for r in rows]
    return format_markdown_table(cells).split("\n")


def _pairs(pairs: list[dict], unit: str = "folds") -> list[str]:
    wins = f"wins ({unit})"
    cells = [{"A": p["a"], "B": p["b"], "A − B": _f(p["difference"]),
              wins: f"{p['wins']} of {p['n_folds']}" if p.get("n_folds") else "",
              "p": _f(p["p"], 4), "p (Holm)": _f(p["p_holm"], 4)} for p in pairs]
    return format_markdown_table(cells, ["A", "B", "A − B", wins, "p", "p (Holm)"]).split("\n")


def format_markdown(result: dict, *, title: str = "# Leaderboard") -> str:
    s = result["settings"]
    lines = [title, "",
             f"Scale: **{s['scale']}**" + (" (share of the gap from the best floor to the perfect control)"
                                            if s["scale"] == "controls" else " (each task's metric, named in its section)")
             + "; tasks: " + ", ".join(f"{t} (weight {s['weights'][t]:g})" for t in s["tasks"]) + "; "
             + f"{s['n_bootstrap']} paired bootstrap draws, seed {s['seed']}, alpha {s['alpha']}.",
             f"Resampling: {s['resampling']}. p-values: {s['p_values']}. Controls (in italics): {s['controls']}.",
             "Models sharing a tie group are not significantly different from the group's leader.", ""]
    if s.get("synthetic"):
        lines += ["SYNTHETIC data: results marked synthetic used bench's deterministic generator, not real "
                  "measurements; their ranks say nothing about the biology (spaceflight, samples, cells, genes).", ""]
    agg = result["aggregate"]
    n_pairs = len(agg["pairs"])
    smallest = min(1.0, n_pairs * 2 / (s["n_bootstrap"] + 1))
    if smallest >= s["alpha"]:
        lines += [f"**Resolution:** with {s['n_bootstrap']} draws and {n_pairs} pairs the smallest Holm-adjusted p is "
                  f"{smallest:.3f} >= alpha {s['alpha']}: no difference can be significant and every model shares one "
                  "tie group. Raise --n-bootstrap.", ""]
    lines += ["## All tasks (weighted mean)", ""] + _table(agg["rows"])
    if agg["excluded_models"]:
        lines += ["", f"Not in every task, left out of the aggregate: {', '.join(agg['excluded_models'])}"]
    for task, b in result["tasks"].items():
        lines += ["", f"## {task}", "", task_line(b), ""] + _table(b["rows"])
        lines += ["", "Pairwise (paired bootstrap):", ""] + _pairs(b["pairs"], unit_word(b))
    return "\n".join(lines) + "\n"


def unit_word(b: dict) -> str:
    """The plural noun of a task's resampling unit ("missions", "studies", "problems", "cells", "donors")."""
    return str(b.get("unit", "missions")).split(" ")[0]


def task_line(b: dict) -> str:
    """A task section's first line: its units, what is resampled, the floor and the ceiling (raw metric)."""
    units = b["folds"]
    shown = ", ".join(units[:8]) + (f", … ({len(units)} in all)" if len(units) > 8 else "")
    floor = "none run" if b["floor"] is None else f"{b['floor']:.3f}"
    note = b.get("ceiling_note")
    ceiling = f"ceiling {b['ceiling']:.3f} ({note})" if note else f"perfect control {b['ceiling']:.3f}"
    return (f"Resampling unit: **{b.get('unit', 'missions')}** ({shown}); resampled: {b['resampled']}. "
            f"Metric: {b.get('metric', 'lomo_auroc')}; floor {floor}, {ceiling} (raw).")


def plot_ranks(result: dict, path: Path) -> Path:
    """Observed rank (dot) and 95% rank interval (bar) per model, one panel per board."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    boards = [("all tasks", result["aggregate"]["rows"])] + [(f"{t}\nresampled: {unit_word(b)}", b["rows"])
                                                             for t, b in result["tasks"].items()]
    fig, axes = plt.subplots(1, len(boards), figsize=(3.6 * len(boards), 0.9 + 0.45 * max(len(r) for _, r in boards)),
                             squeeze=False)
    for ax, (title, rows) in zip(axes[0], boards):
        for i, r in enumerate(rows):
            colour = "grey" if r["control"] else "tab:blue"
            ax.plot([r["rank_lower"], r["rank_upper"]], [i, i], color=colour, lw=3, solid_capstyle="round")
            ax.plot(r["rank"], i, "o", color="black", ms=5)
        ax.set_yticks(range(len(rows)), [f"{r['model']} (g{r['tie_group']})" for r in rows], fontsize=8)
        ax.invert_yaxis()
        ax.set(xlabel="rank (95% interval)", title=title)
        ax.set_xlim(0.5, len(rows) + 0.5)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path
