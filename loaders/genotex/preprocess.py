"""GenoTEX cohort preprocessing after parsing (spec §5.6–5.9): linking, missing values, bias,
``cohort_info.json`` validation, and writing the ``output/preprocess/<Trait>`` layout.

The curator-specific part (which characteristics row is the trait and how to convert it) stays
with the caller: see :func:`bench.loaders.genotex.geo_soft.geo_clinical` and
:func:`bench.loaders.genotex.geo_soft.read_xena_cohort`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from bench.errors import BenchError
from bench.io import atomic_path, write_text_atomic
from bench.loaders.genotex.layout import read_cohort_info, trait_dir

MAX_GENE_MISSING = 0.20
MAX_SAMPLE_MISSING = 0.05
MIN_PROPORTION = 0.10
MIN_NUM = 5


def link_clinical_genetic(clinical_fs: pd.DataFrame, genes: pd.DataFrame) -> pd.DataFrame:
    """Samples × features: clinical rows (features × samples) stacked on gene rows, transposed.

    As upstream, alignment is by sample column name with no explicit join (a sample present
    on one side only gets NaN for the other side's features).
    """
    return pd.concat([clinical_fs, genes], axis=0).T


def handle_missing_values(linked: pd.DataFrame, trait: str) -> pd.DataFrame:
    """Drop samples without the trait, genes > 20 % missing, samples > 5 % genes missing; fill
    Age (mean), Gender (mode; dropped if all missing) and genes (column mean)."""
    if trait not in linked.columns:
        raise BenchError(f"linked table: no trait column {trait!r}")
    df = linked[linked[trait].notna()].copy()
    covars = [c for c in ("Age", "Gender") if c in df.columns]
    genes = [c for c in df.columns if c not in (trait, *covars)]
    if genes:
        keep = df[genes].isna().mean(axis=0) <= MAX_GENE_MISSING
        genes = [g for g, k in zip(genes, keep) if k]
        df = df[[trait, *covars, *genes]]
        if genes:
            df = df[df[genes].isna().mean(axis=1) <= MAX_SAMPLE_MISSING]
    if "Age" in df.columns:
        df["Age"] = df["Age"].fillna(df["Age"].mean())
    if "Gender" in df.columns:
        if df["Gender"].isna().all():
            df = df.drop(columns="Gender")
        else:
            df["Gender"] = df["Gender"].fillna(df["Gender"].mode().iloc[0])
    if genes:
        df[genes] = df[genes].fillna(df[genes].mean())
    return df


def is_biased(values: pd.Series) -> bool:
    """Binary (exactly 2 values): < 2 labels, or the rarest label < 10 % **and** < 5 samples.
    Otherwise (continuous, incl. 3-level): biased only if min == max."""
    values = values.dropna()
    uniq = values.unique()
    if len(uniq) == 2:
        rarest = values.value_counts().min()
        return bool(rarest < MIN_PROPORTION * len(values) and rarest < MIN_NUM)
    if len(uniq) < 2:
        return True
    return bool(values.min() == values.max())


def judge_and_remove_biased_features(df: pd.DataFrame, trait: str) -> tuple[bool, pd.DataFrame]:
    """(trait is biased, frame without biased Age/Gender columns)."""
    biased = is_biased(df[trait]) if len(df) else True
    drop = [c for c in ("Age", "Gender") if c in df.columns and is_biased(df[c])]
    return biased, df.drop(columns=drop)


def cohort_record(*, is_gene_available: bool, is_trait_available: bool, biased: bool | None = None,
                  df: pd.DataFrame | None = None, note: str = "") -> dict:
    """The cohort_info record of the final validation (or of an initial-filter failure when
    ``df`` is None)."""
    if df is None:
        return {"is_usable": False, "is_gene_available": bool(is_gene_available),
                "is_trait_available": bool(is_trait_available), "is_available": False, "is_biased": None,
                "has_age": None, "has_gender": None, "sample_size": None, "note": note}
    gene_ok = bool(is_gene_available) and len(df) > 0 and df.shape[1] > 4
    trait_ok = bool(is_trait_available) and len(df) > 0
    available = gene_ok and trait_ok
    return {"is_usable": bool(available and biased is False), "is_gene_available": gene_ok,
            "is_trait_available": trait_ok, "is_available": available, "is_biased": biased,
            "has_age": "Age" in df.columns, "has_gender": "Gender" in df.columns, "sample_size": int(len(df)),
            "note": note}


def save_cohort_record(info_path: str | os.PathLike, cohort: str, record: dict) -> None:
    """Load cohort_info.json (if any), set one key, rewrite atomically (upstream semantics)."""
    info_path = Path(info_path)
    info = read_cohort_info(info_path) if info_path.is_file() else {}
    info[cohort] = record
    write_text_atomic(info_path, json.dumps(info, indent=4) + "\n")


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp)


def preprocess_cohort(preprocess_dir: str | os.PathLike, trait: str, cohort: str, *, genes: pd.DataFrame,
                      clinical: pd.DataFrame, clinical_orientation: str = "features_x_samples",
                      note: str = "") -> dict:
    """Link, clean and judge one cohort; write gene_data, clinical_data, (if usable) the linked
    CSV and its cohort_info record under ``preprocess_dir/<trait>``. Returns the record.

    ``genes`` is genes × samples. ``clinical`` is features × samples (GEO; rows ``trait``,
    ``Age``, ``Gender``) or samples × features (TCGA, ``clinical_orientation="samples_x_features"``).
    """
    tdir = trait_dir(preprocess_dir, trait)
    if clinical_orientation not in ("features_x_samples", "samples_x_features"):
        raise BenchError(f"clinical_orientation: expected features_x_samples or samples_x_features, "
                         f"got {clinical_orientation!r}")
    clinical_fs = clinical if clinical_orientation == "features_x_samples" else clinical.T
    if trait not in clinical_fs.index:
        raise BenchError(f"clinical table of {trait}/{cohort}: no {trait!r} row")
    gene_ok, trait_ok = genes.shape[0] > 0, clinical_fs.loc[trait].notna().any()
    if not (gene_ok and trait_ok):
        record = cohort_record(is_gene_available=gene_ok, is_trait_available=trait_ok, note=note)
        save_cohort_record(tdir / "cohort_info.json", cohort, record)
        return record
    if clinical_orientation == "samples_x_features":
        common = [s for s in clinical_fs.columns if s in set(genes.columns)]  # TCGA intersects samples
        clinical_fs, genes = clinical_fs[common], genes[common]
    _write_csv(tdir / "gene_data" / f"{cohort}.csv", genes)
    _write_csv(tdir / "clinical_data" / f"{cohort}.csv", clinical if clinical_orientation == "samples_x_features"
               else clinical_fs)
    linked = handle_missing_values(link_clinical_genetic(clinical_fs, genes).astype(float), trait)
    biased, linked = judge_and_remove_biased_features(linked, trait)
    record = cohort_record(is_gene_available=True, is_trait_available=True, biased=biased, df=linked, note=note)
    if record["is_usable"]:
        _write_csv(tdir / f"{cohort}.csv", linked)
    save_cohort_record(tdir / "cohort_info.json", cohort, record)
    return record
