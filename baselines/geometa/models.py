"""GEOmeta baselines: predict sex / organ / disease / age of GEO samples from expression.

``bench run geometa_human_gender --model lr`` (or ``geometa_human`` for all four targets):

1. labels from the GEOMeta100K CSVs (:mod:`bench.loaders.geometa`); the official split is
   train = training CSV, test = test CSV. If only one CSV is available (the training CSVs are
   missing from some copies) a **fallback split** is made instead: that CSV's series (GSE) are
   shuffled with the seed and whole series go to test until it holds >= 20% of the samples.
   It is labelled as such everywhere and is not the leaderboard's split.
2. expression: an ARCHS4 file (``$BENCH_ARCHS4_H5``, or ``<data_dir>/<species>_gene_v2.2.h5``);
   else a seeded synthetic ARCHS4-format file (then every number is about synthetic data).
3. features: log1p(CPM) of genes expressed (> 0) in >= 5% of training samples, the top
   ``N_TOP_GENES`` by training variance, standardised on train.
4. models: ``lr`` logistic regression; ``knn`` k-nearest neighbours on PCA components; ``confound``
   the confound-only control, which sees no expression, only each sample's study (GSE): the
   majority training label of its study, or the global majority training label for a study
   absent from training (with whole-study splits, e.g. the fallback split, that is every sample).
5. scores (run.py): :func:`bench.metrics.geometa.geometa_f1` with ``compat="leaderboard"``, printed
   next to the seed's published rows; per-target predictions and a per-class F1 plot in the report.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bench.errors import BenchError
from bench.loaders.geometa import archs4
from bench.loaders.geometa import resolve_data_dir
from bench.tasks import TaskSpec

MODELS = {
    "lr": "logistic regression (L2, lbfgs) on standardised log1p-CPM of the top-variance genes",
    "knn": "k-nearest neighbours (k=15) on 50 PCA components of the standardised top-variance genes",
    "confound": "confound-only control: no expression, only the sample's study (GSE): the majority training label "
                "of its study, else (study absent from training) the global majority training label",
}
ARCHS4_ENV = "BENCH_ARCHS4_H5"
N_TOP_GENES = 2000
MIN_EXPRESSED_FRACTION = 0.05
FALLBACK_TEST_FRACTION = 0.2
SYNTHETIC_GENES = 2000
SYNTHETIC_SEED = 0  # the synthetic data are fixed (same as `bench build TASK --expression synthetic`)


# ---------------------------------------------------------------------------------------- split
def fallback_split(table: pd.DataFrame, *, seed: int, test_fraction: float = FALLBACK_TEST_FRACTION,
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split one label table by series: shuffled GSEs go to test until >= ``test_fraction`` of rows."""
    sizes = table.groupby("GSE_ID").size().sort_index()
    if len(sizes) < 2:
        raise BenchError(f"cannot make a series-level fallback split: only {len(sizes)} GSE in the table")
    order = sizes.index.to_numpy()[np.random.default_rng(seed).permutation(len(sizes))]
    cumulative = sizes.loc[order].cumsum().to_numpy()
    n_test = int(np.searchsorted(cumulative, test_fraction * len(table)) + 1)
    test_gse = set(order[:min(n_test, len(order) - 1)])
    in_test = table["GSE_ID"].isin(test_gse)
    return table.loc[~in_test].reset_index(drop=True), table.loc[in_test].reset_index(drop=True)


def make_split(tables: dict[str, pd.DataFrame], *, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(train, test, info): the official CSV split when both exist, else the labelled fallback."""
    if "train" in tables and "test" in tables:
        train, test = tables["train"], tables["test"]
        shared = train["GSM_ID"].isin(set(test["GSM_ID"]))
        info = {"kind": "official", "description": "official GEOMeta100K split (training CSV -> train, test CSV -> test)"}
        if shared.any():
            info["description"] += f"; {int(shared.sum())} GSM(s) listed in both CSVs removed from train"
            train = train.loc[~shared].reset_index(drop=True)
        return train, test, info
    (source, table), = tables.items()
    train, test = fallback_split(table, seed=seed)
    return train, test, {
        "kind": "fallback_gse_split", "source_split": source, "seed": seed, "test_fraction": FALLBACK_TEST_FRACTION,
        "description": (f"FALLBACK split, NOT the official one: the {source} CSV alone was split by series "
                        f"(GSE, seed {seed}, >= {FALLBACK_TEST_FRACTION:.0%} of samples to test) because the "
                        f"other CSV is absent; numbers are not comparable with the leaderboard"),
        "train_gse": int(train["GSE_ID"].nunique()), "test_gse": int(test["GSE_ID"].nunique()),
    }


# ----------------------------------------------------------------------------------- expression
def find_expression(spec: TaskSpec, data_dir) -> Path | None:
    """The real ARCHS4 file if one is configured or sits in the data folder, else None."""
    if os.environ.get(ARCHS4_ENV):
        path = Path(os.environ[ARCHS4_ENV])
        if not path.is_file():
            raise BenchError(f"${ARCHS4_ENV} points to {path}, which does not exist (expected an ARCHS4 .h5)")
        return path
    candidate = resolve_data_dir(data_dir) / spec.params["archs4_file"]
    return candidate if candidate.is_file() else None


def synthetic_expression(spec: TaskSpec, labels: pd.DataFrame, *, seed: int = SYNTHETIC_SEED,
                         n_genes: int = SYNTHETIC_GENES) -> Path:
    """The seeded synthetic ARCHS4-format file for these labels (cached)."""
    return archs4.cached_synthetic_archs4(labels.drop_duplicates("GSM_ID"), species=spec.params["species"],
                                          targets=list(spec.params["targets"].values()), seed=seed, n_genes=n_genes)


def top_variance_genes(h5_path: Path, train_gsms: list[str], *, n_top: int = N_TOP_GENES,
                       min_fraction: float = MIN_EXPRESSED_FRACTION) -> np.ndarray:
    """Genes expressed in >= ``min_fraction`` of the training samples, the ``n_top`` most variable
    (log1p-CPM, training samples only), in file order. One streamed pass over the columns."""
    layout = archs4.read_layout(h5_path)
    cols, _ = layout.column_positions(train_gsms)
    cols = cols[cols >= 0]
    n, total, total_sq = 0, np.zeros(layout.n_genes), np.zeros(layout.n_genes)
    nonzero = np.zeros(layout.n_genes, dtype=np.int64)
    for _, block in archs4.iter_log_cpm(h5_path, cols, desc="gene statistics (train)"):
        n += len(block)
        total += block.sum(axis=0, dtype=np.float64)
        total_sq += np.square(block, dtype=np.float64).sum(axis=0)
        nonzero += (block > 0).sum(axis=0)
    variance = total_sq / n - (total / n) ** 2
    expressed = np.flatnonzero(nonzero >= max(1, min_fraction * n))
    if len(expressed) == 0:
        raise BenchError(f"{h5_path}: no gene is expressed in >= {min_fraction:.0%} of the training samples")
    keep = expressed[np.argsort(-variance[expressed], kind="stable")[:n_top]]
    return np.sort(keep)


# --------------------------------------------------------------------------------------- models
def majority(labels) -> str:
    """The most frequent label (ties: the smallest label, so the choice never depends on row order)."""
    counts = pd.Series(list(labels), dtype=object).value_counts()
    return str(min(counts.index[counts == counts.max()]))


def study_majority(train_studies, y_train, test_studies) -> tuple[np.ndarray, int]:
    """The confound-only control: each test sample gets the majority training label of its study, or
    the global majority for a study without training samples. Returns (predictions, number of test
    samples predicted from their own study)."""
    train = pd.DataFrame({"study": list(train_studies), "label": [str(v) for v in y_train]})
    overall = majority(train["label"])
    by_study = {s: majority(g["label"]) for s, g in train.groupby("study", sort=True)}
    studies = list(test_studies)
    return np.array([by_study.get(s, overall) for s in studies], dtype=object), sum(s in by_study for s in studies)


def make_model(model: str, *, seed: int, n_train: int, n_features: int):
    if model == "lr":
        return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000, random_state=seed))
    if model == "knn":
        n_comp = max(1, min(50, n_train - 1, n_features))
        return make_pipeline(StandardScaler(), PCA(n_components=n_comp, random_state=seed),
                             KNeighborsClassifier(n_neighbors=min(15, n_train)))
    raise BenchError(f"unknown model {model!r}; choices: {', '.join(MODELS)}")


def fit_predict(model: str, x_train, y_train, x_test, *, seed: int) -> np.ndarray:
    est = make_model(model, seed=seed, n_train=len(x_train), n_features=x_train.shape[1])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*lbfgs failed to converge.*")
        est.fit(x_train, y_train)
    return est.predict(x_test)
