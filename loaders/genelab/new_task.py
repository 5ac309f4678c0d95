"""``bench new-task``: a leave-one-domain-out task from one labels table and one feature matrix.

Input: a labels/metadata table (CSV/TSV/parquet; one row per sample: id, domain such as the
mission, the label, any other metadata) and a feature matrix (CSV/TSV/parquet with samples as
rows, or features as rows, detected from the ids; or ``.h5ad``: ``obs_names`` x ``var_names``).

Output, under ``out``::

    tasks/genelab/<name>.yaml                     the task spec (BENCH_TASKS_PATH=<out>/tasks)
    data/tasks/<name>_lomo/task_info.json         the GeneLab upstream layout (--data-dir <out>/data)
    data/tasks/<name>_lomo/fold_<DOMAIN>_test/    {train,test}_{y,meta,X}.csv, selected_genes.txt,
                                                  fold_info.json

Each fold's selected features are the train-only variance filter of the upstream benchmark
(features whose variance over the fold's TRAIN samples is above the ``var_percentile`` quantile),
so no fold's selection sees its test samples. Nothing is inherited from a built-in task: the spec
carries the user's own source, licence and citation.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from bench.errors import BenchError
from bench.io import atomic_path

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
DEFAULT_VAR_PERCENTILE = 0.25


@dataclass(frozen=True)
class Provenance:
    """What the card says about the data: it is the user's, never an upstream's."""

    source: str
    license: str
    citation: str
    description: str = ""


def read_table(path: str | os.PathLike, *, what: str) -> pd.DataFrame:
    """A CSV/TSV/parquet table as read (no index)."""
    path = Path(path)
    if not path.is_file():
        raise BenchError(f"{what} not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in (".tsv", ".txt"):
            return pd.read_csv(path, sep="\t")
        if suffix == ".csv":
            return pd.read_csv(path)
    except Exception as exc:  # pandas/pyarrow raise many types for a bad file
        raise BenchError(f"{path}: cannot read the {what}: {exc}") from None
    raise BenchError(f"{path}: {what} must be .csv, .tsv, .txt or .parquet (got {suffix or 'no suffix'})")


def read_matrix(path: str | os.PathLike, sample_ids: list[str]) -> pd.DataFrame:
    """Samples x features float64 frame (index = sample id) from CSV/TSV/parquet or ``.h5ad``."""
    path = Path(path)
    if path.suffix.lower() == ".h5ad":
        import anndata

        adata = anndata.read_h5ad(path)
        X = adata.X.toarray() if hasattr(adata.X, "toarray") else np.asarray(adata.X)
        frame = pd.DataFrame(X, index=adata.obs_names.astype(str), columns=adata.var_names.astype(str))
    else:
        raw = read_table(path, what="feature matrix")
        frame = raw.set_index(raw.columns[0])
        frame.index = frame.index.astype(str)
        frame.columns = frame.columns.astype(str)
        wanted = set(sample_ids)
        if len(wanted & set(frame.columns)) > len(wanted & set(frame.index)):   # features as rows
            frame = frame.T
    missing = [s for s in sample_ids if s not in frame.index]
    if missing:
        raise BenchError(f"{path}: feature matrix has no row (or column) for {len(missing)} sample(s) of the "
                         f"labels table, e.g. {missing[:5]}")
    try:
        return frame.loc[sample_ids].apply(pd.to_numeric, errors="raise").astype(np.float64)
    except (ValueError, TypeError) as exc:
        raise BenchError(f"{path}: feature values must be numbers: {exc}") from None


def _labels(table: pd.DataFrame, *, id_column: str, domain_column: str, label_column: str,
            positive: str | None, where: str) -> tuple[pd.DataFrame, str, str]:
    """(table indexed by id, positive name, negative name) with a 0/1 ``label``; checked."""
    for col, opt in ((id_column, "--id-column"), (domain_column, "--domain-column"), (label_column, "--label-column")):
        if col not in table.columns:
            raise BenchError(f"{where}: no column {col!r} ({opt}); columns are {list(table.columns)}")
    table = table.copy()
    table[id_column] = table[id_column].astype(str)
    dup = table[id_column][table[id_column].duplicated()].unique().tolist()
    if dup:
        raise BenchError(f"{where}: column {id_column!r}: duplicate sample id(s) {dup[:5]}")
    if table[label_column].isna().any() or table[domain_column].isna().any():
        raise BenchError(f"{where}: columns {label_column!r} and {domain_column!r} must have a value in every row")
    classes = sorted(table[label_column].astype(str).unique())
    if len(classes) != 2:
        raise BenchError(f"{where}: column {label_column!r} must hold exactly two classes, got {classes}")
    if positive is None:
        positive = "1" if classes == ["0", "1"] else classes[-1]
    if positive not in classes:
        raise BenchError(f"{where}: --positive {positive!r} is not a value of column {label_column!r} ({classes})")
    negative = next(c for c in classes if c != positive)
    table["__y__"] = (table[label_column].astype(str) == positive).astype(int)
    domains = table[domain_column].astype(str)
    if domains.nunique() < 3:
        raise BenchError(f"{where}: column {domain_column!r} has {domains.nunique()} value(s); leave-one-out "
                         "needs at least 3 domains (2 to train on)")
    bad = [d for d in domains.unique() if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*", d)]
    if bad:
        raise BenchError(f"{where}: column {domain_column!r}: domain names {bad[:5]} must be letters, digits, "
                         "'-' or '.' (they name the fold folders fold_<DOMAIN>_test)")
    return table.set_index(id_column), positive, negative


def train_variance_selection(X: pd.DataFrame, train_ids: list[str], percentile: float) -> list[str]:
    """Features whose variance over the train samples is above the ``percentile`` quantile (upstream's filter)."""
    var = X.loc[train_ids].var(axis=0, ddof=1)
    return [str(g) for g in X.columns[(var > var.quantile(percentile)).to_numpy()]]


def write_new_task(name: str, labels: str | os.PathLike, features: str | os.PathLike, out: str | os.PathLike, *,
                   provenance: Provenance, id_column: str = "sample_id", domain_column: str = "mission",
                   label_column: str = "label", positive: str | None = None,
                   var_percentile: float = DEFAULT_VAR_PERCENTILE) -> dict[str, Path]:
    """Write the task spec and its folds (see the module docstring); returns {"task_file", "data_dir"}."""
    if not _NAME_RE.match(name):
        raise BenchError(f"task name {name!r}: use letters, digits and '_' (it is the config name)")
    for key in ("source", "license", "citation"):
        if not str(getattr(provenance, key) or "").strip():
            raise BenchError(f"new task {name}: --{key} is required: a task that is not a built-in one declares "
                             f"its own {key} (nothing is inherited from the upstream benchmarks)")
    if not 0 <= var_percentile < 1:
        raise BenchError(f"--var-percentile must be in [0, 1), got {var_percentile}")
    out = Path(out)
    task_file = out / "tasks" / "genelab" / f"{name}.yaml"
    data_dir = out / "data"
    task_dir = f"{name}_lomo"
    for existing in (task_file, data_dir / "tasks" / task_dir):
        if existing.exists():
            raise BenchError(f"{existing} exists; refusing to overwrite it (choose another --out or task name)")
    table, pos, neg = _labels(read_table(labels, what="labels table"), id_column=id_column,
                              domain_column=domain_column, label_column=label_column, positive=positive,
                              where=str(labels))
    X = read_matrix(features, list(table.index))
    meta_columns = [c for c in table.columns if c not in ("__y__", label_column)]
    meta = table[meta_columns].rename(columns={domain_column: "mission"})
    domains = list(dict.fromkeys(table[domain_column].astype(str)))
    with atomic_path(data_dir / "tasks" / task_dir, directory=True) as tmp:
        folds = [_write_fold(tmp, d, table, X, meta, domain_column, var_percentile) for d in sorted(domains)]
        (tmp / "task_info.json").write_text(json.dumps({"task_id": name, "split": "LOMO", "folds": folds,
                                                        "synthetic": False}, indent=2))
    spec = _spec(name, task_dir, provenance, pos, neg, domain_column, table, var_percentile)
    task_file.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(task_file) as tmp:
        tmp.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    return {"task_file": task_file, "data_dir": data_dir}


def _write_fold(root: Path, domain: str, table: pd.DataFrame, X: pd.DataFrame, meta: pd.DataFrame,
                domain_column: str, var_percentile: float) -> dict:
    in_test = table[domain_column].astype(str) == domain
    test_ids, train_ids = list(table.index[in_test]), list(table.index[~in_test])
    train_domains = sorted(set(table.loc[train_ids, domain_column].astype(str)))
    selected = train_variance_selection(X, train_ids, var_percentile)
    fold = root / f"fold_{domain}_test"
    fold.mkdir(parents=True)
    for side, ids in (("train", train_ids), ("test", test_ids)):
        table.loc[ids, ["__y__"]].rename(columns={"__y__": "0"}).rename_axis("").to_csv(fold / f"{side}_y.csv")
        meta.loc[ids].rename_axis("").to_csv(fold / f"{side}_meta.csv")
        X.loc[ids, selected].rename_axis("").to_csv(fold / f"{side}_X.csv")
    (fold / "selected_genes.txt").write_text("\n".join(selected))
    info = {"test_mission": domain, "train_missions": train_domains, "n_train": len(train_ids),
            "n_test": len(test_ids), "n_features_selected": len(selected),
            "selection": f"train-only variance above the {var_percentile:g} quantile"}
    (fold / "fold_info.json").write_text(json.dumps(info, indent=2))
    return info


def _spec(name: str, task_dir: str, prov: Provenance, positive: str, negative: str, domain_column: str,
          table: pd.DataFrame, var_percentile: float) -> dict:
    counts = table.groupby(table[domain_column].astype(str))["__y__"].agg(["size", "sum"])
    missions = {d: {"n": int(r["size"]), "positive": int(r["sum"]), "negative": int(r["size"] - r["sum"])}
                for d, r in counts.iterrows()}
    return {
        "task": name, "family": "genelab", "version": 1,
        "description": prov.description or (f"{positive} vs {negative}, leave-one-{domain_column}-out, features "
                                            "as given (train-only variance filter per fold)."),
        "source": {"provided_by": prov.source, "local_layout": f"tasks/{task_dir}", "created_by": "bench new-task"},
        "license": prov.license, "citation": prov.citation,
        "label": {"column": "label", "positive": positive, "negative": negative,
                  "encoding": {1: positive, 0: negative}},
        "domain": "mission",
        "split": {"scheme": "leave_one_mission_out", "fold_pattern": "fold_<MISSION>_test"},
        "metric": {"name": "lomo_auroc", "primary": "mean_auroc", "higher_is_better": True, "n_bootstrap": 2000,
                   "n_permutations": 1000, "seed": 42,
                   "thresholds": {"mean_auroc": 0.70, "mean_ci_lower": 0.50, "mean_perm_p": 0.05}},
        "params": {"category": "A", "level": "gene", "task_dir": task_dir, "missions": missions,
                   "var_percentile_cutoff": var_percentile, "domain_column": domain_column},
    }
