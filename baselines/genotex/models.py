"""GenoTEX GTA baseline models: the reference ``code/regress.py`` logic (spec §4) over preprocessed cohorts.

For each problem (trait, condition):

1. **Cohort selection** from ``cohort_info.json``: the usable cohort with the largest
   ``sample_size`` (first in JSON order on ties — upstream's pandas sort was unstable); for
   Age/Gender it must have ``has_age``/``has_gender``; for a two-step problem the usable
   (trait, condition) pair with the largest size product whose linked tables share at least one
   of the condition's related genes (the *gene regressors*). No cohorts are pooled.
2. **Two-step**: on the condition cohort, z-score the regressors and fit condition ~ regressors
   (binary: LogisticRegression, L1/liblinear when p > n; continuous: Lasso(α=1) when p > n,
   else OLS); predict the condition in the trait cohort from its own z-scored regressors.
3. **Model**: residualise Y on [1, Z] by OLS (Z = Age, Gender or the predicted condition; none
   for unconditional problems) and fit ``sklearn.linear_model.Lasso`` X → residual.
   *The LMM branch is not used*: upstream switches to ``sparse_lmm.LMM`` when the eigenvalue gap
   test on X Xᵀ flags a batch effect; we always fit Lasso and only record whether the test fired
   (``lmm_indicated`` in the run report).
4. **Tuning**: 5-fold CV (``RandomState(seed)`` shuffle, ``n // 5`` per fold, leftovers always
   train), α ∈ {1e-6 … 1}. Model ``lasso`` (upstream): α maximising CV selection precision against
   the trait's related genes present in X (first wins ties; 0.1 if the best is ≤ 0). Model
   ``lasso_predictive``: α maximising CV F1 (binary) or R² (continuous), i.e. no prior-knowledge
   leakage into the choice.
5. **Output**: non-zero gene coefficients ranked by |coef| (stable), written as
   ``regress/<trait>/significant_genes_condition_<Cond>.json`` with ``cv_performance``.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from tqdm.auto import tqdm

from bench.errors import BenchError
from bench.io import atomic_path
from bench.loaders import genotex as gl
from bench.metrics import genotex as core

MODELS = {
    "lasso": "GenoTEX regress.py: Lasso, alpha tuned by CV selection precision vs related genes (upstream)",
    "lasso_predictive": "same pipeline, alpha tuned by CV prediction (F1 or R²), no prior-knowledge leakage",
}
ALPHAS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
N_FOLDS = 5

# ------------------------------------------------------------------------------------------
# numerics


def standardize(x: np.ndarray, *, ref: np.ndarray | None = None) -> np.ndarray:
    """Z-score columns with the mean and population std of ``ref`` (default ``x``); columns
    with zero std are centred but not scaled."""
    ref = x if ref is None else ref
    mean = ref.mean(axis=0)
    std = ref.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (x - mean) / std


def batch_effect_indicated(x: np.ndarray) -> bool:
    """Upstream model-choice test: eigenvalue gaps of centred X Xᵀ (top 10, scaled by the largest)
    larger than 200 / n_samples."""
    n = x.shape[0]
    if n < 2:
        return False
    xc = x - x.mean(axis=0)
    eig = np.sort(np.linalg.eigvalsh(xc @ xc.T))[::-1][:10]
    if eig[0] <= 0:
        return False
    eig = eig / eig[0]
    return bool(np.any(-np.diff(eig) > 200.0 / n))


def _design(z: np.ndarray | None, n: int) -> np.ndarray:
    ones = np.ones((n, 1))
    return ones if z is None else np.hstack([ones, z.reshape(n, -1)])


def fit_residualised(x, y, z, alpha):
    """OLS of y on [1, z] (pseudo-inverse), then Lasso(alpha) of x on the residual."""
    d = _design(z, len(y))
    beta = np.linalg.pinv(d) @ y
    resid = y - d @ beta
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings at tiny alphas, as upstream
        lasso = Lasso(alpha=alpha).fit(x, resid)
    return beta, lasso


def predict_residualised(beta, lasso, x, z):
    return _design(z, x.shape[0]) @ beta + lasso.predict(x)


def is_binary(y: np.ndarray) -> bool:
    return len(np.unique(y)) == 2


def prediction_scores(y_true: np.ndarray, y_pred: np.ndarray, *, binary: bool) -> dict:
    if binary:
        labels = (y_pred > 0.5).astype(float)
        return {"accuracy": 100 * accuracy_score(y_true, labels),
                "precision": 100 * precision_score(y_true, labels, zero_division=0),
                "recall": 100 * recall_score(y_true, labels, zero_division=0),
                "f1": 100 * f1_score(y_true, labels, zero_division=0)}
    sse = float(((y_true - y_pred) ** 2).sum())
    sst = float(((y_true - y_true.mean()) ** 2).sum())
    nmse = sse / sst if sst > 0 else float("nan")
    return {"nmse": nmse, "r_squared": 1.0 - nmse}


def selection_scores(selected: list[str], related: list[str]) -> dict:
    """``tools/statistics.py`` metric set (every empty case → 0), ×100."""
    p, r, f = core.precision_recall_f1(selected, related, empty_is_perfect=False)
    return {"precision": 100 * p, "recall": 100 * r, "f1": 100 * f, "jaccard": 100 * core.jaccard(selected, related)}


def cross_validate(x, y, z, genes, related, alpha, *, seed: int = 42) -> dict:
    """Mean CV prediction and selection scores of one alpha (upstream fold scheme)."""
    n = len(y)
    idx = np.arange(n)
    np.random.RandomState(seed).shuffle(idx)  # legacy stream = np.random.seed(42); np.random.shuffle
    fold = n // N_FOLDS
    binary = is_binary(y)
    present = [g for g in related if g in set(genes)]
    preds, sels = [], []
    for i in range(N_FOLDS):
        test = idx[i * fold:(i + 1) * fold]
        train = np.setdiff1d(idx, test, assume_unique=True)
        if len(test) == 0:
            continue
        xtr, xte = standardize(x[train]), standardize(x[test], ref=x[train])
        ztr = zte = None
        if z is not None:
            ztr, zte = standardize(z[train]), standardize(z[test], ref=z[train])
        beta, lasso = fit_residualised(xtr, y[train], ztr, alpha)
        preds.append(prediction_scores(y[test], predict_residualised(beta, lasso, xte, zte), binary=binary))
        chosen = [genes[j] for j in np.flatnonzero(lasso.coef_ != 0)]
        sels.append(selection_scores(chosen, present))
    mean = lambda rows: {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]} if rows else {}
    return {"prediction": mean(preds), "selection": mean(sels)}


def tune_alpha(x, y, z, genes, related, *, model: str, seed: int = 42) -> tuple[float, dict]:
    """(alpha, cv_performance) following the chosen model's criterion."""
    results = [(a, cross_validate(x, y, z, genes, related, a, seed=seed)) for a in ALPHAS]
    pred_key = "f1" if is_binary(y) else "r_squared"
    best_pred = _argmax([r["prediction"].get(pred_key, float("nan")) for _, r in results])
    if model == "lasso_predictive":
        alpha = results[best_pred][0]
        best_sel = best_pred
    else:
        best_sel = _argmax([r["selection"].get("precision", float("nan")) for _, r in results])
        best_precision = results[best_sel][1]["selection"].get("precision", 0.0)
        alpha = results[best_sel][0] if best_precision > 0 else 0.1
    cv = {"prediction": results[best_pred][1]["prediction"], "selection": results[best_sel][1]["selection"]}
    return alpha, cv


def _argmax(values: list[float]) -> int:
    """First index of the maximum under strict '>' (NaN never wins)."""
    best, best_v = 0, None
    for i, v in enumerate(values):
        if v is not None and not np.isnan(v) and (best_v is None or v > best_v):
            best, best_v = i, v
    return best

# ------------------------------------------------------------------------------------------
# problems


@dataclass
class ProblemData:
    """What one problem's regression needs: X (genes), y, optional z and the chosen cohorts."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray | None
    genes: list[str]
    cohorts: tuple


def _linked(pre: Path, trait: str, cohort: str) -> pd.DataFrame:
    return gl.read_linked_table(gl.trait_dir(pre, trait) / f"{cohort}.csv", trait)


def _regressors(trait_cols, cond_cols, trait, condition, related) -> list[str]:
    common = set(gl.gene_columns(trait_cols, trait, condition)) & set(gl.gene_columns(cond_cols, condition, trait))
    return [g for g in related if g in common]


def predict_condition(cond_frame: pd.DataFrame, trait_frame: pd.DataFrame, condition: str,
                      regressors: list[str]) -> np.ndarray:
    """Two-step stage 1: model the condition on its cohort, predict it in the trait cohort."""
    xc = standardize(cond_frame[regressors].to_numpy(dtype=float))
    yc = cond_frame[condition].to_numpy(dtype=float)
    xt = standardize(trait_frame[regressors].to_numpy(dtype=float))  # the trait cohort's own statistics
    p, n = xc.shape[1], xc.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if is_binary(yc):
            clf = (LogisticRegression(penalty="l1", solver="liblinear", random_state=42) if p > n
                   else LogisticRegression()).fit(xc, yc)
            return clf.predict_proba(xt)[:, list(clf.classes_).index(max(clf.classes_))]
        reg = (Lasso() if p > n else LinearRegression()).fit(xc, yc)
        return reg.predict(xt)


def problem_data(pre: Path, task_info: dict, problem: gl.Problem, infos: dict) -> ProblemData | None:
    """Select cohorts and build X, y, z; None when no cohort (pair) qualifies."""
    trait, cond = problem.trait, problem.condition
    if core.is_one_step(cond):
        cohort = core.select_one_step(infos.get(trait) or {}, cond)
        if cohort is None:
            return None
        frame = _linked(pre, trait, cohort)
        if cond in ("Age", "Gender") and cond not in frame.columns:
            raise BenchError(f"{gl.trait_dir(pre, trait) / (cohort + '.csv')}: cohort_info says has_"
                             f"{cond.lower()} but the linked table has no {cond!r} column")
        genes = gl.gene_columns(frame.columns, trait)
        z = frame[cond].to_numpy(dtype=float) if cond in ("Age", "Gender") else None
        return ProblemData(frame[genes].to_numpy(dtype=float), frame[trait].to_numpy(dtype=float), z, genes, (cohort,))
    cond_info = infos.get(cond)
    if cond_info is None:
        return None
    related = task_info[cond]["related_genes"]
    for tc, cc in core.ranked_cohort_pairs(infos.get(trait) or {}, cond_info):
        tf, cf = gl.trait_dir(pre, trait) / f"{tc}.csv", gl.trait_dir(pre, cond) / f"{cc}.csv"
        if not (tf.is_file() and cf.is_file()):
            continue
        regs = _regressors(gl.read_csv_header(tf), gl.read_csv_header(cf), trait, cond, related)
        if not regs:
            continue
        tframe, cframe = _linked(pre, trait, tc), _linked(pre, cond, cc)
        z = predict_condition(cframe, tframe, cond, regs)
        genes = gl.gene_columns(tframe.columns, trait, cond)
        return ProblemData(tframe[genes].to_numpy(dtype=float), tframe[trait].to_numpy(dtype=float), z, genes, (tc, cc))
    return None


def solve_problem(data: ProblemData, related: list[str], *, model: str = "lasso", seed: int = 42) -> tuple[dict, dict]:
    """(significant-genes document in the upstream format, diagnostics)."""
    alpha, cv = tune_alpha(data.x, data.y, data.z, data.genes, related, model=model, seed=seed)
    x = standardize(data.x)
    z = None if data.z is None else standardize(data.z.reshape(len(data.y), -1))
    _, lasso = fit_residualised(x, data.y, z, alpha)
    coef = lasso.coef_
    nz = np.flatnonzero(coef != 0)
    order = nz[np.argsort(-np.abs(coef[nz]), kind="stable")]
    doc = {"significant_genes": {"Variable": [data.genes[i] for i in order],
                                 "Coefficient": [float(coef[i]) for i in order],
                                 "Absolute Coefficient": [float(abs(coef[i])) for i in order]},
           "cv_performance": cv}
    diag = {"alpha": alpha, "cohorts": list(data.cohorts), "n_samples": int(len(data.y)),
            "n_genes": len(data.genes), "n_significant": int(len(order)),
            "lmm_indicated": batch_effect_indicated(data.x)}
    return doc, diag


def solve_problems(root: str | Path, *, traits=None, model: str = "lasso", seed: int = 42, progress: bool = True,
                   limit: int | None = None) -> tuple[dict, dict]:
    """Solve every problem of ``traits`` (default all; the first ``limit`` only) under a GenoTEX
    ``root``: (run log, {(trait, file name): significant-genes document})."""
    if model not in MODELS:
        raise BenchError(f"model: unknown {model!r}; choices: {', '.join(MODELS)}")
    paths = gl.root_paths(root)
    task_info = gl.read_task_info(paths["task_info"])
    if not paths["preprocess"].is_dir():
        raise BenchError(f"{paths['preprocess']}: preprocessed cohorts folder not found (output/preprocess)")
    problems = gl.iter_problems(task_info, traits=traits)[:limit]
    needed = {p.trait for p in problems} | {p.condition for p in problems if problem_is_two_step(p)}
    infos = {}
    for t in sorted(needed):
        f = gl.trait_dir(paths["preprocess"], t) / "cohort_info.json"
        if f.is_file():
            infos[t] = gl.read_cohort_info(f)
    log = {"model": model, "seed": seed, "solved": [], "skipped": []}
    docs = {}
    for p in tqdm(problems, desc="GenoTEX problems", disable=not progress):
        data = problem_data(paths["preprocess"], task_info, p, infos)
        if data is None:
            log["skipped"].append({"trait": p.trait, "condition": p.condition_key, "reason": "no usable cohort"
                                   if core.is_one_step(p.condition) else "no cohort pair with gene regressors"})
            continue
        doc, diag = solve_problem(data, task_info[p.trait]["related_genes"], model=model, seed=seed)
        docs[(p.trait, p.regress_file)] = doc
        log["solved"].append({"trait": p.trait, "condition": p.condition_key, **diag})
    return log, docs


def write_regress(docs: dict, folder: str | Path) -> Path:
    """The upstream ``regress/<trait>/significant_genes_condition_<Cond>.json`` tree, atomically."""
    with atomic_path(folder, directory=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        for (trait, name), doc in docs.items():
            (tmp / trait).mkdir(parents=True, exist_ok=True)
            (tmp / trait / name).write_text(json.dumps(core.nan_to_none(doc), indent=4), encoding="utf-8")
    return Path(folder)


def run_problems(root: str | Path, out_dir: str | Path, *, traits=None, model: str = "lasso", seed: int = 42,
                 progress: bool = True) -> dict:
    """Solve the problems and write ``out_dir/regress`` (all files or none); returns the run log."""
    log, docs = solve_problems(root, traits=traits, model=model, seed=seed, progress=progress)
    write_regress(docs, Path(out_dir) / "regress")
    return log


def problem_is_two_step(p: gl.Problem) -> bool:
    return not core.is_one_step(p.condition)
