"""Leaderboards of sweep folders: one table of every task x model (mean ± std over seeds, verdict)
as CSV and Markdown, and a heatmap (PNG) of tasks x models. ``bench leaderboard DIR...`` merges
several sweep folders (runs are keyed by task spec sha256 + model + seed)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from bench.errors import BenchError
from bench.io import atomic_path, write_text_atomic
from bench.sweep import RUNS

COLUMNS = ["task", "model", "metric", "mean", "std", "n_seeds", "seeds", "verdict", "synthetic", "spec_sha256"]


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
        verdicts = [r["verdict"] or "undetermined" for r in group]
        top = max(set(verdicts), key=verdicts.count)
        rows.append({
            "task": task, "model": model, "metric": group[0]["metric"],
            "mean": float(defined.mean()) if len(defined) else math.nan,
            "std": float(defined.std(ddof=1)) if len(defined) > 1 else 0.0 if len(defined) else math.nan,
            "n_seeds": len(group), "seeds": " ".join(str(r["key"]["seed"]) for r in group),
            "verdict": top if verdicts.count(top) == len(verdicts) else f"{top} {verdicts.count(top)}/{len(verdicts)}",
            "synthetic": any(r["synthetic"] for r in group), "spec_sha256": sha[:12],
        })
    return rows


def to_csv(rows: list[dict]) -> str:
    import pandas as pd

    return pd.DataFrame(rows, columns=COLUMNS).to_csv(index=False, float_format="%.6f")


def to_markdown(rows: list[dict]) -> str:
    lines = ["| task | model | mean ± std (mean AUROC) | seeds | verdict |", "|---|---|---|---|---|"]
    for r in rows:
        value = "-" if math.isnan(r["mean"]) else f"{r['mean']:.3f} ± {r['std']:.3f}"
        lines.append(f"| {r['task']} | {r['model']} | {value} | {r['n_seeds']} | {r['verdict']} |")
    if any(r["synthetic"] for r in rows):
        lines += ["", "SYNTHETIC data: runs marked synthetic used bench's deterministic generator, "
                      "not real measurements; their numbers say nothing about spaceflight."]
    return "\n".join(lines) + "\n"


def plot_heatmap(rows: list[dict], path: Path) -> Path:
    """Tasks (rows) x models (columns) heatmap of the mean metric, annotated mean ± std."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(r["task"] for r in rows))
    models = list(dict.fromkeys(r["model"] for r in rows))
    grid = np.full((len(tasks), len(models)), np.nan)
    for r in rows:
        grid[tasks.index(r["task"]), models.index(r["model"])] = r["mean"]
    fig, ax = plt.subplots(figsize=(2.5 + 1.3 * len(models), 1.4 + 0.55 * len(tasks)))
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="lightgrey")
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
    plt.close(fig)
    return path


def write_leaderboard(folders: list[str | Path], out: str | Path) -> dict:
    """leaderboard.csv, leaderboard.md and leaderboard.png of the runs in ``folders`` into ``out``."""
    rows = leaderboard_rows(collect_runs(folders))
    if not rows:
        raise BenchError(f"no finished runs in {', '.join(map(str, folders))}")
    out = Path(out)
    write_text_atomic(out / "leaderboard.csv", to_csv(rows))
    write_text_atomic(out / "leaderboard.md", to_markdown(rows))
    plot_heatmap(rows, out / "leaderboard.png")
    return {"rows": rows, "files": ["leaderboard.csv", "leaderboard.md", "leaderboard.png"]}
