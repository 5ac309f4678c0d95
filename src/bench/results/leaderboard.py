"""``bench leaderboard DIR...``: one board from sweep folders and result records.

Two parts, one verb:

* the sweep table: every task x model of the sweep folders (mean ± std over seeds, GO/NO-GO
  verdict) and its heatmap (``leaderboard.png``); several sweep folders merge (runs are keyed by
  task spec sha256 + model + seed);
* the significance columns (:mod:`bench.results.ranking`), whenever the inputs can be resampled: result
  records with their predictions (every ``bench sweep`` run keeps one; ``bench run``,
  ``bench evaluate --record``) or runs of older sweeps with per-fold values: value and rank 95%
  intervals, tie groups, Holm-adjusted paired p-values, the controls and ``ranks.png``.

``leaderboard.md`` holds both; ``leaderboard.csv`` is one row per (scope, model) of the
significance board with the sweep's mean ± std columns joined in (or the sweep table alone when
nothing can be resampled); ``leaderboard.json`` holds every number and choice.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from bench.results import ranking
from bench.errors import BenchError
from bench.io import atomic_path, write_json_atomic, write_text_atomic
from bench.metrics import leaderboard as lb
from bench.sweep import RUNS
from bench.table import format_markdown_table

COLUMNS = ["task", "model", "metric", "mean", "std", "n_seeds", "seeds", "verdict", "synthetic", "spec_sha256"]
SEED_COLUMNS = ["mean", "std", "n_seeds", "seeds", "verdict"]


def collect_runs(folders: list[str | Path]) -> list[dict]:
    """Every finished run in the sweep folders; the same key twice must hold the same result."""
    runs: dict[tuple, dict] = {}
    for folder in folders:
        folder = Path(folder)
        if not (folder / RUNS).is_dir():
            raise BenchError(f"{folder}: not a sweep folder (no {RUNS}/ inside); run `bench sweep ... --out {folder}`")
        for path in sorted((folder / RUNS).glob("*.json")):
            try:
                run = json.loads(path.read_text(encoding="utf-8"))
                key = tuple(run["key"][k] for k in ("task", "spec_sha256", "model", "seed"))
            except (ValueError, KeyError, TypeError) as exc:
                raise BenchError(f"{path}: not a sweep run file ({exc})") from None
            if key in runs and runs[key]["value"] != run["value"]:
                raise BenchError(f"{path}: {key[0]} · {key[2]} · seed {key[3]} has a different value in another "
                                 "folder for the same spec sha256; runs should be deterministic")
            runs.setdefault(key, run)
    return list(runs.values())


def leaderboard_rows(runs: list[dict]) -> list[dict]:
    """One row per (task, spec sha256, model): mean ± std (ddof=1; 0 for one seed) and the verdict
    ('GO' / 'NO-GO' when every seed agrees, else e.g. 'GO 2/3')."""
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        k = run["key"]
        groups.setdefault((k["task"], k["spec_sha256"], k["model"]), []).append(run)
    rows = []
    for (task, sha, model), group in sorted(groups.items()):
        group.sort(key=lambda r: r["key"]["seed"])
        values = np.array([np.nan if r["value"] is None else r["value"] for r in group], dtype=float)
        defined = values[~np.isnan(values)]
        verdicts = [r.get("verdict") or "undetermined" for r in group]
        top = max(set(verdicts), key=verdicts.count)
        rows.append({
            "task": task, "model": model, "metric": group[0].get("metric", "mean_auroc"),
            "mean": float(defined.mean()) if len(defined) else math.nan,
            "std": float(defined.std(ddof=1)) if len(defined) > 1 else 0.0 if len(defined) else math.nan,
            "n_seeds": len(group), "seeds": " ".join(str(r["key"]["seed"]) for r in group),
            "verdict": top if verdicts.count(top) == len(verdicts) else f"{top} {verdicts.count(top)}/{len(verdicts)}",
            "synthetic": any(r.get("synthetic") for r in group), "spec_sha256": sha[:12],
        })
    return rows


def to_csv(rows: list[dict]) -> str:
    return pd.DataFrame(rows, columns=COLUMNS).to_csv(index=False, float_format="%.6f")


def to_markdown(rows: list[dict]) -> str:
    cells = [{"task": r["task"], "model": r["model"],
              "mean ± std (mean AUROC)": "-" if math.isnan(r["mean"]) else f"{r['mean']:.3f} ± {r['std']:.3f}",
              "seeds": r["n_seeds"], "verdict": r["verdict"]} for r in rows]
    lines = [format_markdown_table(cells)]
    if any(r["synthetic"] for r in rows):
        lines += ["", "SYNTHETIC data: runs marked synthetic used bench's deterministic generator, "
                      "not real measurements; their numbers say nothing about spaceflight."]
    return "\n".join(lines) + "\n"


def plot_heatmap(rows: list[dict], path: Path) -> Path:
    """Tasks (rows) x models (columns) heatmap of the mean metric, annotated mean ± std."""
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    models = list(dict.fromkeys(r["model"] for r in rows))
    grid = np.full((len(tasks), len(models)), np.nan)
    for r in rows:
        grid[tasks.index(r["task"]), models.index(r["model"])] = r["mean"]
    fig = Figure(figsize=(2.5 + 1.3 * len(models), 1.4 + 0.55 * len(tasks)))
    ax = fig.subplots()
    cmap = colormaps["RdBu_r"].with_extremes(bad="lightgrey")
    im = ax.imshow(np.ma.masked_invalid(grid), vmin=0, vmax=1, cmap=cmap, aspect="auto")
    for r in rows:
        if not math.isnan(r["mean"]):
            colour = "white" if abs(r["mean"] - 0.5) > 0.3 else "black"
            ax.text(models.index(r["model"]), tasks.index(r["task"]), f"{r['mean']:.2f}\n±{r['std']:.2f}",
                    ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(range(len(models)), models)
    ax.set_yticks(range(len(tasks)), tasks)
    synthetic = " · SYNTHETIC data" if any(r["synthetic"] for r in rows) else ""
    ax.set(title=f"mean AUROC over seeds{synthetic}")
    fig.colorbar(im, ax=ax, label="mean AUROC")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    return path


def sweep_folders(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """The given folders that are sweep folders (hold ``runs/``)."""
    return [Path(p) for p in paths if (Path(p) / RUNS).is_dir()]


def build_board(paths: Sequence[str | os.PathLike], *, data_dir=None, tasks: Sequence[str] | None = None,
                weights: str | None = None, scale: str = "raw", n_bootstrap: int = lb.DEFAULT_N_BOOTSTRAP,
                seed: int = lb.DEFAULT_SEED, alpha: float = lb.DEFAULT_ALPHA) -> dict:
    """``{"sweep": rows, "significance": board or None, "why_not": reason}`` for ``paths``."""
    ranking.check_settings(scale, n_bootstrap)
    rows = leaderboard_rows(collect_runs(sweep_folders(paths)))
    if tasks:
        rows = [r for r in rows if r["task"] in tasks]
    records, runs = ranking.find_inputs(paths, required=False)
    if not records and not runs:
        if not rows:
            raise BenchError(f"no finished sweep runs and no result records under {', '.join(map(str, paths))} "
                             "(write them with `bench sweep`, `bench run` or `bench evaluate --record DIR`)")
        return {"sweep": rows, "significance": None,
                "why_not": "no significance columns: these sweep runs keep neither predictions nor per-fold values "
                           "(rerun the sweep with this bench to add them)"}
    board = ranking.build_leaderboard(paths, data_dir=data_dir, tasks=tasks, weights=weights, scale=scale,
                                      n_bootstrap=n_bootstrap, seed=seed, alpha=alpha, inputs=(records, runs))
    return {"sweep": rows, "significance": board, "why_not": None}


def board_markdown(board: dict) -> str:
    """The sweep table (when there are sweep runs), then the significance board (when there is one)."""
    parts = ["# Leaderboard\n"]
    if board["sweep"]:
        parts.append("## Sweep: mean ± std over seeds\n\n" + to_markdown(board["sweep"]))
    if board["significance"] is None:
        parts.append(board["why_not"] + ".\n")
    else:
        parts.append(ranking.format_markdown(board["significance"], title="## Significance"))
    return "\n".join(parts)


def board_csv(board: dict) -> str:
    """One row per (scope, model) of the significance board, with the sweep's mean ± std over seeds
    joined in for task scopes; the sweep table alone when there is no significance board."""
    if board["significance"] is None:
        return to_csv(board["sweep"])
    seeds = {(r["task"], ranking.board_name(r["model"])): r for r in board["sweep"]}
    sig = board["significance"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=ranking.CSV_COLUMNS + SEED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    scopes = [("all", sig["aggregate"]["rows"], "per task (see the task rows)")] + \
        [(t, b["rows"], b.get("unit", "missions")) for t, b in sig["tasks"].items()]
    for scope, rows, unit in scopes:
        for r in rows:
            joined = seeds.get((scope, r["model"]), {})
            writer.writerow({**{k: r[k] for k in ranking.CSV_COLUMNS if k in r}, "scope": scope,
                             "scale": sig["settings"]["scale"], "resampled": unit,
                             **{k: joined.get(k, "") for k in SEED_COLUMNS}})
    return buf.getvalue()


def json_rows(rows: list[dict]) -> list[dict]:
    """Rows with NaN (no defined value) as null, for strict JSON."""
    return [{k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()} for r in rows]


def write_board(board: dict, out: str | os.PathLike) -> list[Path]:
    """leaderboard.md/.csv/.json, leaderboard.png (sweep heatmap) and ranks.png (rank intervals), as
    there is content for them; each written atomically."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BenchError(f"--out {out} is a file; expected a folder for the leaderboard files")
    files = [write_text_atomic(out / "leaderboard.md", board_markdown(board)),
             write_text_atomic(out / "leaderboard.csv", board_csv(board)),
             write_json_atomic(out / "leaderboard.json", {"sweep": json_rows(board["sweep"]), **(board["significance"] or
                                                          {"significance": None, "why_not": board["why_not"]})})]
    if board["sweep"]:
        files.append(plot_heatmap(board["sweep"], out / "leaderboard.png"))
    if board["significance"] is not None:
        files.append(ranking.plot_ranks(board["significance"], out / "ranks.png"))
    return files
