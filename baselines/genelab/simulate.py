"""Study simulator for the GeneLab GO rule: power and false-GO rate on SYNTHETIC studies.

``bench simulate A5_skin_hallmark --model pca_lr --effect 0 0.2 0.4 --reps 200``: for every setting
(effect x n per arm x batch SD x model) draw ``reps`` independent studies from the synthetic
generator (v3) in the task's layout (its missions and per-mission Flight/Ground counts, or
``n_per_arm`` of each), fit the model per LOMO fold exactly as ``bench run`` does (same pipelines,
train-only variance filter at gene level), score each fold with the lomo core (evaluator rules:
AUROC, 2,000-draw bootstrap CI, 1,000-permutation p with the +1 pseudocount, seed 42) and apply the
GO rule (mean AUROC > 0.70, mean CI lower > 0.50, mean perm p < 0.05).

Per setting: P(GO) with its exact binomial (Clopper-Pearson) 95 % CI -- at effect 0 that is the
false-GO rate, the type I error of the whole rule --, the distribution of the mean AUROC, and how
often each of the three GO conditions fails. Study ``r`` uses the same random numbers in every
setting (common random numbers), so curves differ only by the setting.

``effect`` is the generator's ``flight_effect``: the Flight shift of each responsive module factor
in SD units (times the mission's strength and a per-mission multiplier). ``batch`` is its
``batch_sd`` (per-gene mission shift, log2 units). Everything is synthetic and says so.
"""
from __future__ import annotations

import dataclasses
import functools
import itertools
import json

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from bench.baselines.genelab.models import check_model_name, fit_predict
from bench.baselines.report import Result, provenance, summary
from bench.errors import BenchError
from bench.loaders.genelab import synthetic as gs
from bench.metrics.genelab import lomo
from bench.scheduler import scheduler as use_scheduler
from bench.table import format_table
from bench.tasks import TaskSpec, get_task

CONDITIONS = ("mean_auroc", "mean_ci_lower", "mean_perm_p")
REPS_PER_TASK = 10            # studies per scheduler task (amortises the task overhead)
SYNTHETIC_NOTE = "SYNTHETIC studies (bench's generator v{v}), not real data"


@dataclasses.dataclass(frozen=True)
class Setting:
    effect: float
    n_per_arm: int | None      # None = the task's own per-mission counts
    batch_sd: float | None     # None = the tissue default
    model: str


# --------------------------------------------------------------------------------------------
# one study
# --------------------------------------------------------------------------------------------

def study_layout(spec: TaskSpec, n_per_arm: int | None) -> list[tuple[str, int, int]]:
    """``[(mission, n_flight, n_ground)]`` of the task's regular missions (holdouts are not scored)."""
    missions = spec.params.get("missions") or {}
    if len(missions) < 2:
        raise BenchError(f"task {spec.name}: simulate needs a leave-one-mission-out task with at least 2 missions")
    if n_per_arm is not None and n_per_arm < 2:
        raise BenchError(f"--n-per-arm {n_per_arm}: need at least 2 samples per arm and mission")
    return [(m, n_per_arm or int(c["flight"]), n_per_arm or int(c["ground"])) for m, c in sorted(missions.items())]


def simulation_spec(task: str | TaskSpec) -> TaskSpec:
    spec = task if isinstance(task, TaskSpec) else get_task(task)
    if spec.family != "genelab" or str(spec.params.get("category")) != "A":
        raise BenchError(f"task {spec.name}: simulate works on GeneLab Category A (LOMO, GO rule) tasks, "
                         f"e.g. A5_skin or A5_skin_hallmark")
    return spec


def generator_params(spec: TaskSpec, setting: Setting) -> gs.SyntheticParams:
    return gs.SyntheticParams.for_tissue(spec.params, flight_effect=setting.effect, batch_sd=setting.batch_sd)


def study_seed(seed: int, rep: int) -> int:
    """Seed of study ``rep``: the same in every setting (common random numbers), never the
    embedded default's seed range."""
    return 1_000_003 * (int(seed) + 1) + int(rep)


def draw(spec: TaskSpec, setting: Setting, rep: int, *, seed: int = 0) -> gs.Study:
    """Study ``rep`` of ``setting``: gene values (gene level) or pathway scores of the task's collection."""
    return gs.draw_study(spec.params["tissue"], study_layout(spec, setting.n_per_arm),
                         generator_params(spec, setting), seed=study_seed(seed, rep),
                         n_genes=int(spec.params["n_genes_before_var_filter"]),
                         collection=spec.params.get("collection") if spec.params.get("level") == "pathway" else None)


def variance_filter(X_train: np.ndarray, cutoff: float = 0.25) -> np.ndarray:
    """Columns kept by the upstream train-only filter (variance >= the ``cutoff`` percentile)."""
    var = X_train.astype(np.float64).var(axis=0, ddof=1)
    return np.flatnonzero(var >= np.percentile(var, cutoff * 100))


def fold_predictions(study: gs.Study, model: str, *, level: str, seed: int = 42) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(fold, y_test, scores)`` per LOMO fold, in evaluator order (sorted fold names)."""
    out = []
    for test in study.missions:
        train = [m for m in study.missions if m != test]
        X_train = np.vstack([study.X[m] for m in train])
        y_train = np.concatenate([study.y[m] for m in train])
        cols = variance_filter(X_train) if level == "gene" else np.arange(X_train.shape[1])
        pipe, proba = fit_predict(model, X_train[:, cols], y_train, study.X[test][:, cols], level=level,
                                  seed=seed, where=f"simulated fold {test}")
        classes = list(pipe.classes_)
        out.append((f"fold_{test}_test", study.y[test], proba[:, classes.index(1)]))
    return out


# --------------------------------------------------------------------------------------------
# statistics: the lomo core's rules with the resample indices drawn once per size
# --------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _bootstrap_indices(n: int, n_bootstrap: int, seed: int) -> np.ndarray:
    return lomo.bootstrap_indices(n, n_bootstrap, seed=seed)


@functools.lru_cache(maxsize=64)
def _permutation_indices(n: int, n_permutations: int, seed: int) -> np.ndarray:
    # Generator.permutation(y) shuffles a copy of y; the swaps do not depend on the values, so
    # permuting positions once gives every permuted label vector of any y of this length.
    return lomo.permuted_labels(np.arange(n), n_permutations, seed=seed)


def fold_statistics(y, scores, *, n_bootstrap: int = 2000, n_permutations: int = 1000, seed: int = 42) -> dict:
    """AUROC, bootstrap CI and permutation p of one fold: the same floats as
    ``bench.metrics.genelab.lomo.fold_statistics`` (evaluator rules; tested), with the random draws cached
    per test-set size instead of redrawn for every study."""
    y = np.asarray(y)
    s = np.asarray(scores, dtype=np.float64)
    auroc = lomo.roc_auc(y, s)
    if auroc is None:
        return {"auroc": None, "ci_lower": None, "ci_upper": None, "perm_p": None}
    idx = _bootstrap_indices(y.size, n_bootstrap, seed)
    yb = y[idx].astype(bool)
    two_class = yb.any(axis=1) & ~yb.all(axis=1)
    values = lomo.roc_auc_rows(yb[two_class], s[idx[two_class]])
    lo, hi = (float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))) if values.size else (None, None)
    null = lomo.roc_auc_rows(y[_permutation_indices(y.size, n_permutations, seed)], s)
    p = (int(np.count_nonzero(null >= auroc)) + 1) / (n_permutations + 1)
    return {"auroc": auroc, "ci_lower": lo, "ci_upper": hi, "perm_p": p}


def go_rule(per_fold: list[dict], thresholds) -> dict:
    """Summary means over defined folds, which conditions fail, and the verdict."""
    defined = [f for f in per_fold if f["auroc"] is not None]
    means = {k: float(np.mean([f[src] for f in defined if f[src] is not None])) if defined else np.nan
             for k, src in zip(CONDITIONS, ("auroc", "ci_lower", "perm_p"))}
    fails = {"fail_auroc": not means["mean_auroc"] > thresholds.mean_auroc,
             "fail_ci_lower": not means["mean_ci_lower"] > thresholds.mean_ci_lower,
             "fail_perm_p": not means["mean_perm_p"] < thresholds.mean_perm_p}
    return {**means, **fails, "go": not any(fails.values())}


def run_study(spec: TaskSpec, setting: Setting, rep: int, *, seed: int = 0) -> dict:
    """One row: the study's mean AUROC, mean CI lower, mean perm p, failed conditions, GO."""
    metric = spec.metric or {}
    thresholds = lomo.Thresholds.from_any(metric.get("thresholds"))
    level = spec.params.get("level", "gene")
    folds = fold_predictions(draw(spec, setting, rep, seed=seed), setting.model, level=level)
    per_fold = [fold_statistics(y, s, n_bootstrap=int(metric.get("n_bootstrap", 2000)),
                                n_permutations=int(metric.get("n_permutations", 1000)),
                                seed=int(metric.get("seed", 42))) for _, y, s in folds]
    row = {**dataclasses.asdict(setting), "rep": rep, **go_rule(per_fold, thresholds)}
    row["fold_aurocs"] = [f["auroc"] for f in per_fold]
    row["fold_perm_p"] = [f["perm_p"] for f in per_fold]
    return row


def _run_block(item, *, spec_name: str, seed: int) -> list[dict]:
    setting, reps = item
    spec = simulation_spec(spec_name)
    with threadpool_limits(1):      # tiny matrices: one BLAS thread is several times faster on a busy machine
        return [run_study(spec, setting, r, seed=seed) for r in reps]


# --------------------------------------------------------------------------------------------
# many studies
# --------------------------------------------------------------------------------------------

def _map(fn, items: list, scheduler: str | None, **shared) -> list:
    """``fn(item, **shared)`` for every item, where ``scheduler`` says (serial by default).

    ``scheduler``: serial | local[:N] | tcp://... (:mod:`bench.scheduler`; anything but serial needs the
    Dask extra and says so).
    """
    with use_scheduler(scheduler) as runner:
        return list(runner.map(fn, items, **shared))


def settings_grid(effects, *, models=("pca_lr",), n_per_arm=(None,), batch=(None,)) -> list[Setting]:
    """Every combination, effects innermost (one power curve per model x n x batch)."""
    for m in models:
        check_model_name(m)
    if any(e < 0 for e in effects):
        raise BenchError(f"--effect values must be >= 0 (0 = no Flight effect), got {list(effects)}")
    if any(b is not None and b < 0 for b in batch):
        raise BenchError(f"--batch values must be >= 0, got {list(batch)}")
    return [Setting(float(e), None if n is None else int(n), None if b is None else float(b), m)
            for m, n, b in itertools.product(models, n_per_arm, batch) for e in effects]


def simulate(task: str | TaskSpec, *, effects=(0.0, 0.2, 0.4, 0.6, 0.8), models=("pca_lr",), reps: int = 200,
             n_per_arm=(None,), batch=(None,), seed: int = 0, scheduler: str | None = None,
             progress: bool = False) -> pd.DataFrame:
    """Power of the GO rule per setting (one row each; see :func:`summarise`).

    The per-study rows are in ``result.attrs["studies"]`` (a DataFrame).
    """
    spec = simulation_spec(task)
    if reps < 1:
        raise BenchError(f"--reps {reps}: need at least 1 study per setting")
    settings = settings_grid(list(effects), models=tuple(models), n_per_arm=tuple(n_per_arm), batch=tuple(batch))
    for s in settings:
        study_layout(spec, s.n_per_arm)                                    # bad counts fail before any work
    blocks = [(s, list(range(start, min(start + REPS_PER_TASK, reps))))
              for s in settings for start in range(0, reps, REPS_PER_TASK)]
    items = blocks
    if progress and scheduler in (None, "", "serial"):
        items = tqdm(blocks, desc=f"simulate {spec.name}", unit=f"{REPS_PER_TASK} studies", leave=False)
    rows = [r for block in _map(_run_block, items, scheduler, spec_name=spec.name, seed=seed) for r in block]
    studies = pd.DataFrame(rows)
    table = summarise(studies, spec)
    table.attrs["studies"] = studies
    return table


def binomial_ci(k: int, n: int) -> tuple[float, float]:
    """Exact (Clopper-Pearson) 95 % CI of a proportion (scipy)."""
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="exact")
    return float(ci.low), float(ci.high)


def summarise(studies: pd.DataFrame, spec: TaskSpec) -> pd.DataFrame:
    """One row per setting: P(GO) and its CI, mean-AUROC quantiles, failure rate per GO condition."""
    keys = ["model", "n_per_arm", "batch_sd", "effect"]
    out = []
    for key, g in studies.groupby(keys, dropna=False, sort=False):
        n_go = int(g["go"].sum())
        lo, hi = binomial_ci(n_go, len(g))
        fails = {c: float(g[c].mean()) for c in ("fail_auroc", "fail_ci_lower", "fail_perm_p")}
        q = np.quantile(g["mean_auroc"], [0.05, 0.25, 0.5, 0.75, 0.95])
        out.append({
            "task": spec.name, **dict(zip(keys, key)), "reps": len(g), "n_go": n_go, "p_go": n_go / len(g),
            "p_go_ci_lower": lo, "p_go_ci_upper": hi,
            "mean_auroc_mean": float(g["mean_auroc"].mean()), "mean_auroc_q05": q[0], "mean_auroc_q25": q[1],
            "mean_auroc_median": q[2], "mean_auroc_q75": q[3], "mean_auroc_q95": q[4],
            **fails, "most_failed": most_failed(fails),
            "data": "SYNTHETIC",
        })
    return pd.DataFrame(out)


def most_failed(fails: dict) -> str:
    """The GO condition failing most often ("auroc+ci_lower+perm_p" when tied; "none" if none fails)."""
    top = max(fails.values())
    if top == 0:
        return "none"
    return "+".join(k.removeprefix("fail_") for k, v in fails.items() if v == top)


def effect_for_power(table: pd.DataFrame, power: float = 0.8) -> float | None:
    """Smallest effect whose P(GO) reaches ``power``, linearly interpolated between grid points
    (one curve: rows of a single model x n x batch); None when never reached."""
    t = table.sort_values("effect")
    e, p = t["effect"].to_numpy(float), t["p_go"].to_numpy(float)
    above = np.flatnonzero(p >= power)
    if not above.size:
        return None
    i = above[0]
    if i == 0:
        return float(e[0])
    return float(e[i - 1] + (power - p[i - 1]) * (e[i] - e[i - 1]) / (p[i] - p[i - 1]))


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------

def curve_label(row) -> str:
    n = "task counts" if pd.isna(row["n_per_arm"]) else f"n={int(row['n_per_arm'])}/arm"
    b = "" if pd.isna(row["batch_sd"]) else f", batch {row['batch_sd']:g}"
    return f"{row['model']}, {n}{b}"


def plot_power(table: pd.DataFrame, *, title: str):
    """P(GO) with 95 % CIs against the effect, one line per model x n x batch; marked SYNTHETIC."""
    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.subplots()
    labels = table.apply(curve_label, axis=1)
    for label in dict.fromkeys(labels):
        t = table[labels == label].sort_values("effect")
        err = [t["p_go"] - t["p_go_ci_lower"], t["p_go_ci_upper"] - t["p_go"]]
        ax.errorbar(t["effect"], t["p_go"], yerr=err, marker="o", capsize=3, label=label)
    ax.axhline(0.8, color="grey", ls=":", lw=1)
    ax.axhline(0.05, color="grey", ls="--", lw=1)
    ax.set_xlabel("Flight effect (generator flight_effect, SD units of a responsive module)")
    ax.set_ylabel("P(GO) with exact 95% CI")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{title}\nSYNTHETIC studies", fontsize=9)
    ax.text(0.99, 0.01, "SYNTHETIC", transform=ax.transAxes, ha="right", va="bottom", color="red", fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def curves(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """{curve label: its rows} (one model x n x batch each)."""
    return {label: t for label, t in table.groupby(table.apply(curve_label, axis=1), sort=False)}


def power_table_text(table: pd.DataFrame) -> str:
    """Readable per-setting table (bench's one text table); every row says SYNTHETIC."""
    rows = [{"curve": curve_label(r), "effect": f"{r['effect']:g}", "reps": int(r["reps"]), "P(GO)": f"{r['p_go']:.3f}",
             "95% CI": f"[{r['p_go_ci_lower']:.3f}, {r['p_go_ci_upper']:.3f}]",
             "mean AUROC [5%,95%]": f"{r['mean_auroc_median']:.3f} [{r['mean_auroc_q05']:.3f}, {r['mean_auroc_q95']:.3f}]",
             "most failed": r["most_failed"], "data": "SYNTHETIC"} for _, r in table.iterrows()]
    return format_table(rows)


def summary_lines(table: pd.DataFrame) -> list[str]:
    """Per curve: the false-GO rate at effect 0 with its CI, and the effect reaching 80 % power."""
    lines = []
    for label, t in curves(table).items():
        zero = t[t["effect"] == 0]
        if len(zero):
            z = zero.iloc[0]
            lines.append(f"{label}: false-GO rate at effect 0: {z['p_go']:.3f} [{z['p_go_ci_lower']:.3f}, "
                         f"{z['p_go_ci_upper']:.3f}] ({int(z['n_go'])}/{int(z['reps'])}; SYNTHETIC)")
        e80 = effect_for_power(t)
        lines.append(f"{label}: effect for 80% power: {'not reached' if e80 is None else format(e80, '.3f')} "
                     "(SYNTHETIC)")
    return lines


def simulation_result(table: pd.DataFrame, spec: TaskSpec, *, reps: int, seed: int, scheduler=None) -> Result:
    """The report (bench's one Result): tables power/studies, power.png, SYNTHETIC provenance."""
    zero = table[table["effect"] == 0]
    studies = table.attrs.get("studies")
    note = SYNTHETIC_NOTE.format(v=gs.GENERATOR_VERSION)
    return Result(
        task=spec.name, family=spec.family,
        summary=summary("false_go_rate", float(zero.iloc[0]["p_go"]) if len(zero) else None,
                        false_go_ci=[float(zero.iloc[0]["p_go_ci_lower"]), float(zero.iloc[0]["p_go_ci_upper"])]
                        if len(zero) else None,
                        effect_for_80pct_power={k: effect_for_power(t) for k, t in curves(table).items()}),
        settings={"what": "P(GO) of the GO rule on simulated studies", "generator": f"genelab-v{gs.GENERATOR_VERSION}",
                  "reps": reps, "scheduler": scheduler or "serial", "effect_unit": "flight_effect (SD units of a "
                  "responsive module factor)", "study_seed": "1000003 * (seed + 1) + rep, the same in every setting"},
        tables={"power": json.loads(table.to_json(orient="records")),
                **({"studies": json.loads(studies.to_json(orient="records"))} if studies is not None else {})},
        files={"power.png": plot_power(table, title=f"{spec.name} · GO-rule power · {reps} studies/point")},
        notes=[f"{note}: P(GO) of the GO rule on simulated studies"],
        text="\n".join([power_table_text(table), *summary_lines(table)]),
        provenance=provenance(spec, seed=seed, synthetic=True, origin=f"synthetic:genelab-v{gs.GENERATOR_VERSION}"),
    )
