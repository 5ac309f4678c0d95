"""Leakage audit of a built repository (run by ``bench validate`` and before ``bench push``).

Per config, from the parquet files and ``bench_config.json`` only:

- ``shared_ids`` (error): a sample id in two splits (two missions/domains);
- ``duplicates`` (error): samples of two different domains whose feature vectors are identical or
  nearly so (Pearson r > 0.999), computed block by block so memory stays ``block x n``;
- ``fold_selection`` (error): a fold's ``selected_features`` are the top-variance features of its
  train AND test samples, not of its train samples alone (the selection saw the test mission);
- ``label_in_metadata`` (warning): a metadata column that determines the label;
- ``confounding`` (warning): a domain holding one class only, or label and domain strongly
  associated (Cramér's V >= 0.5), so a model can score by recognising the domain.

Error-level findings stop ``bench push`` unless ``--allow-leakage REASON``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bench.errors import BenchError
from bench.loaders.repo import CONFIG_META

NEAR_DUPLICATE_R = 0.999
CRAMERS_V_WARN = 0.5
ID_COLUMNS = ("sample_id", "cell_id", "GSM_ID")
ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Finding:
    level: str      # "error" or "warning"
    check: str
    config: str
    message: str


def audit_repo(repo_dir: str | os.PathLike, *, configs: list[str] | None = None,
               block: int = 512) -> list[Finding]:
    """Every leakage finding of the (structurally valid) built repository, errors first."""
    from bench.loaders.validate import resolve_configs

    repo = Path(repo_dir)
    findings: list[Finding] = []
    for cfg in resolve_configs(repo, only=configs):
        meta = json.loads((repo / cfg.name / CONFIG_META).read_text(encoding="utf-8"))
        findings += audit_config(cfg.name, cfg.splits, meta, block=block)
    return sorted(findings, key=lambda f: (f.level != ERROR, f.config, f.check))


def has_errors(findings: list[Finding]) -> bool:
    return any(f.level == ERROR for f in findings)


def audit_config(name: str, split_files: dict[str, list[Path]], meta: dict, *, block: int = 512) -> list[Finding]:
    """Findings of one config from its ``{split: [parquet files]}`` and metadata."""
    obs, X = _read_config(split_files, meta)
    if obs.empty:
        return []
    id_col = next((c for c in ID_COLUMNS if c in obs.columns), None)
    label_col = _label_column(meta, obs)
    domain = _domain(meta, obs)
    out = []
    if id_col:
        out += _shared_ids(name, obs, id_col)
    if X is not None:
        out += _duplicates(name, X, domain, id_col and obs[id_col].astype(str).to_numpy(), block=block)
        out += _fold_selection(name, meta, X, obs)
    if label_col:
        out += _label_in_metadata(name, obs, label_col, skip={id_col, domain.name, "__split__"})
        out += _confounding(name, obs[label_col], domain)
    return out


# ------------------------------------------------------------------------------------ reading
def _read_config(split_files: dict[str, list[Path]], meta: dict) -> tuple[pd.DataFrame, np.ndarray | None]:
    """(obs with a ``__split__`` column, dense float64 features [n, p] or None) of every split."""
    import pyarrow.parquet as pq

    column = meta.get("feature_column") if meta.get("feature_ids") is not None else None
    index_column = meta.get("feature_index_column")
    n_features = len(meta.get("feature_ids") or [])
    obs_parts, x_parts = [], []
    for split, files in split_files.items():
        for f in files:
            table = pq.read_table(f)
            drop = [c for c in (column, index_column) if c and c in table.column_names]
            frame = table.drop_columns(drop).to_pandas()
            frame["__split__"] = split
            obs_parts.append(frame)
            if column and column in table.column_names:
                x_parts.append(_dense(table, column, index_column, n_features))
    obs = pd.concat(obs_parts, ignore_index=True) if obs_parts else pd.DataFrame()
    X = np.vstack(x_parts) if x_parts and len(x_parts) == len(obs_parts) else None
    return obs, X


def _dense(table, column: str, index_column: str | None, p: int) -> np.ndarray:
    values = table.column(column).combine_chunks()
    n = table.num_rows
    if index_column:
        idx = table.column(index_column).combine_chunks()
        X = np.zeros((n, p))
        rows = np.repeat(np.arange(n), np.diff(idx.offsets.to_numpy()))
        X[rows, idx.flatten().to_numpy(zero_copy_only=False)] = values.flatten().to_numpy(zero_copy_only=False)
        return X
    flat = values.flatten().to_numpy(zero_copy_only=False).astype(np.float64)
    if n and flat.size % n:
        raise BenchError(f"feature column {column!r}: rows of different lengths; run bench validate first")
    return flat.reshape(n, flat.size // n if n else p)


def _label_column(meta: dict, obs: pd.DataFrame) -> str | None:
    for c in (meta.get("target_column"), meta.get("label_column"), meta.get("target"), "label"):
        if isinstance(c, str) and c in obs.columns:
            return c
    return None


def _domain(meta: dict, obs: pd.DataFrame) -> pd.Series:
    """The grouping folds hold out: ``domain_column`` (GeneLab: mission) when present, else the split."""
    col = meta.get("domain_column")
    if isinstance(col, str) and col in obs.columns:
        return obs[col].astype(str).rename(col)
    return obs["__split__"].astype(str).rename("split")


# ------------------------------------------------------------------------------------ checks
def _shared_ids(name: str, obs: pd.DataFrame, id_col: str) -> list[Finding]:
    ids = obs[id_col].astype(str)
    per_id = obs.groupby(ids)["__split__"].nunique()
    shared = per_id[per_id > 1]
    if shared.empty:
        return []
    examples = ", ".join(shared.index[:5])
    return [Finding(ERROR, "shared_ids", name, f"{len(shared)} {id_col} value(s) occur in more than one split "
                                               f"(e.g. {examples}): the same sample is on both sides of a fold")]


def _standardised(X: np.ndarray) -> np.ndarray:
    """Rows centred and scaled to unit norm (NaN -> the column mean), so row dot products are Pearson r."""
    X = np.array(X, dtype=np.float64, copy=True)
    if np.isnan(X).any():
        means = np.nanmean(np.where(np.isnan(X).all(axis=0), 0.0, X), axis=0)
        X = np.where(np.isnan(X), np.nan_to_num(means)[None, :], X)
    X -= X.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return np.divide(X, norms, out=np.zeros_like(X), where=norms > 0)


def near_duplicate_pairs(X: np.ndarray, groups: np.ndarray, *, threshold: float = NEAR_DUPLICATE_R,
                         block: int = 512) -> list[tuple[int, int, float]]:
    """(i, j, r) with i < j, different ``groups`` and Pearson r(X[i], X[j]) > ``threshold``.

    Rows are compared block x all, so memory is ``block * n`` floats whatever n is.
    """
    Z = _standardised(X)
    groups = np.asarray(groups)
    pairs = []
    for start in range(0, len(Z), block):
        r = Z[start:start + block] @ Z.T
        rows, cols = np.nonzero(r > threshold)
        for i, j in zip(rows + start, cols):
            if i < j and groups[i] != groups[j]:
                pairs.append((int(i), int(j), float(r[i - start, j])))
    return pairs


def _duplicates(name: str, X: np.ndarray, domain: pd.Series, ids, *, block: int) -> list[Finding]:
    groups = domain.to_numpy()
    if len(set(groups)) < 2 or X.shape[1] < 2:
        return []
    pairs = near_duplicate_pairs(X, groups, block=block)
    if not pairs:
        return []
    by_domains: dict[tuple[str, str], list] = {}
    for i, j, r in pairs:
        by_domains.setdefault(tuple(sorted((groups[i], groups[j]))), []).append((i, j, r))
    out = []
    for (a, b), found in sorted(by_domains.items()):
        exact = sum(np.array_equal(X[i], X[j], equal_nan=True) for i, j, _ in found)
        i, j, r = found[0]
        example = f"{ids[i]} ~ {ids[j]}" if ids is not None else f"rows {i} ~ {j}"
        out.append(Finding(ERROR, "duplicates", name,
                           f"{len(found)} sample pair(s) across {domain.name} {a} and {b} are duplicates "
                           f"({exact} exact, Pearson r > {NEAR_DUPLICATE_R}; e.g. {example}, r={r:.5f})"))
    return out


def _top_variance(X: np.ndarray, k: int) -> set[int]:
    var = np.nanvar(X, axis=0)
    var = np.where(np.isnan(var), -np.inf, var)
    return set(np.argsort(-var, kind="stable")[:k].tolist())


def _fold_selection(name: str, meta: dict, X: np.ndarray, obs: pd.DataFrame) -> list[Finding]:
    positions = {g: i for i, g in enumerate(meta.get("feature_ids") or [])}
    out = []
    for fold in meta.get("folds") or []:
        selected = fold.get("selected_features")
        if not selected or len(selected) >= len(positions):
            continue
        chosen = {positions[g] for g in selected if g in positions}
        train = obs["__split__"].isin(fold.get("train_splits") or []).to_numpy()
        both = train | (obs["__split__"] == fold.get("test_split")).to_numpy()
        if not train.any() or both.sum() == train.sum():
            continue
        k = len(chosen)
        on_train, on_both = _top_variance(X[train], k), _top_variance(X[both], k)
        if chosen == on_both and chosen != on_train:
            out.append(Finding(ERROR, "fold_selection", name,
                               f"fold {fold.get('name')}: its {k} selected features are the top-variance "
                               "features of train AND test samples, not of the train samples alone"))
    return out


def _label_in_metadata(name: str, obs: pd.DataFrame, label_col: str, *, skip: set) -> list[Finding]:
    label = obs[label_col].astype(str)
    out = []
    for col in obs.columns:
        if col in skip or col == label_col:
            continue
        values = obs[col]
        if values.map(lambda v: isinstance(v, (list, dict, np.ndarray))).any():
            continue
        values = values.astype(str)
        n_values = values.nunique()
        if n_values < 2 or n_values > min(50, len(obs) // 2):   # an id-like column separates anything
            continue
        if (label.groupby(values).nunique() == 1).all() and label.nunique() > 1:
            out.append(Finding(WARNING, "label_in_metadata", name,
                               f"column {col!r} determines the label {label_col!r} ({n_values} values, each "
                               "with one label): never give it to a model"))
    return out


def cramers_v(a: pd.Series, b: pd.Series) -> float:
    """Cramér's V of two categorical series (bias-uncorrected), 0 for a constant one."""
    table = pd.crosstab(a, b).to_numpy(dtype=float)
    n = table.sum()
    if n == 0 or min(table.shape) < 2:
        return 0.0
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (n * (min(table.shape) - 1))))


def _confounding(name: str, label: pd.Series, domain: pd.Series) -> list[Finding]:
    label = label.astype(str)
    if label.nunique() < 2 or domain.nunique() < 2:
        return []
    out = []
    per_domain = label.groupby(domain.to_numpy()).nunique()
    single = sorted(per_domain[per_domain == 1].index)
    if single:
        out.append(Finding(WARNING, "confounding", name,
                           f"{domain.name} {', '.join(map(str, single))}: one label class only (a fold testing "
                           "it has no AUROC; a model can score by recognising the domain)"))
    v = cramers_v(label, domain)
    if v >= CRAMERS_V_WARN:
        out.append(Finding(WARNING, "confounding", name,
                           f"label and {domain.name} are associated (Cramér's V = {v:.2f} >= {CRAMERS_V_WARN})"))
    return out


def format_findings(findings: list[Finding]) -> str:
    """The audit table (one row per finding) or a one-line all-clear."""
    if not findings:
        return "leakage audit: no finding (shared ids, duplicates across domains, fold selection, " \
               "label in metadata, label/domain confounding)"
    rows = [(f.level.upper(), f.check, f.config, f.message) for f in findings]
    widths = [max(len(r[i]) for r in rows + [("level", "check", "config", "")]) for i in range(3)]
    head = f"{'level':<{widths[0]}}  {'check':<{widths[1]}}  {'config':<{widths[2]}}  finding"
    lines = ["leakage audit:", head, "  ".join("=" * w for w in widths) + "  ======="]
    lines += [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}" for a, b, c, d in rows]
    n_err = sum(f.level == ERROR for f in findings)
    lines.append(f"{n_err} error(s), {len(findings) - n_err} warning(s)")
    return "\n".join(lines)
