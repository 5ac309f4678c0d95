"""GenoTEX upstream layout → validated Python objects and Hugging Face configs.

Layout (spec §2)::

    <root>/metadata/task_info.json
    <root>/output/preprocess/<Trait>/cohort_info.json
    <root>/output/preprocess/<Trait>/{gene_data,clinical_data}/<cohort>.csv
    <root>/output/preprocess/<Trait>/<cohort>.csv                       (linked)
    <root>/output/regress/<Trait>/significant_genes_condition_<Cond>.json

Configs written by :func:`build_repo` (config naming rule):

* ``genotex_problems``: one row per (trait, condition).
* ``genotex_cohorts``: one row per cohort_info record (every trait).
* ``genotex_<Trait>``: linked samples of the trait, one split per cohort (``split_name``), with
  ``trait``, ``age``, ``gender`` and ``expression`` (float32 list over the union of the trait's
  linked genes, NaN where a cohort lacks a gene; ``feature_ids`` in bench_config.json).
* ``genotex_<Trait>__gene`` / ``genotex_<Trait>__clinical``: the gene and clinical tables.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from bench.errors import BenchError, close_matches_hint
from bench.io import read_json
from bench.loaders.tables import read_csv_indexed
from bench.metrics.genotex import COVARIATES, check_trait_name, normalize_trait, problem_category

COHORT_FLAGS = ("is_usable", "is_gene_available", "is_trait_available", "is_available", "is_biased",
                "has_age", "has_gender", "sample_size")
REGRESS_PREFIX = "significant_genes_condition_"
LICENSE_ID = "cc-by-4.0"
CITATION = ("@article{liu2024genotex, title={GenoTEX: A Benchmark for Automated Gene Expression Data "
            "Analysis in Alignment with Bioinformaticians}, author={Liu, Haoyang and Chen, Shuyu and Zhang, "
            "Ye and Wang, Haohan}, journal={arXiv preprint arXiv:2406.15341}, year={2024}}")


@dataclass(frozen=True)
class Problem:
    """One GTA problem: ``condition`` is None, "Age", "Gender" or another trait key."""

    trait: str
    condition: str | None
    category: str

    @property
    def condition_key(self) -> str:
        return "None" if self.condition is None else self.condition

    @property
    def regress_file(self) -> str:
        return regress_filename(self.condition)

# ------------------------------------------------------------------------------------------
# paths


def root_paths(root: str | os.PathLike) -> dict[str, Path]:
    """The standard sub-paths of a GenoTEX root folder."""
    root = Path(root)
    return {"task_info": root / "metadata" / "task_info.json", "preprocess": root / "output" / "preprocess",
            "regress": root / "output" / "regress", "gene_synonym": root / "metadata" / "gene_synonym.json"}


def trait_dir(base: str | os.PathLike, trait: str, *, field: str = "trait") -> Path:
    """``base/<trait>`` after checking that ``trait`` cannot escape ``base``."""
    check_trait_name(trait, field=field)
    base = Path(base)
    path = base / trait
    if path.resolve().parent != base.resolve():
        raise BenchError(f"{field}: trait name {trait!r} would escape the data folder {base}")
    return path


def regress_filename(condition: str | None) -> str:
    return f"{REGRESS_PREFIX}{'None' if condition is None else condition}.json"


def condition_from_filename(name: str) -> str:
    """Upstream rule: split on '_', join tokens 3.. with '_', drop '.json' (``Type_2_Diabetes`` survives)."""
    return "_".join(Path(name).name.split("_")[3:]).replace(".json", "")

# ------------------------------------------------------------------------------------------
# metadata


def read_task_info(path: str | os.PathLike) -> dict[str, dict]:
    """Read and validate ``task_info.json``: ``{trait: {related_genes: [str], conditions: [str]}}``.

    Every condition must be "Age", "Gender" or another trait key; trait keys must be safe
    folder names.
    """
    path = Path(path)
    data = read_json(path, what="GenoTEX task_info.json")
    if not isinstance(data, dict) or not data:
        raise BenchError(f"{path}: expected a non-empty JSON object {{trait: {{related_genes, conditions}}}}")
    for trait, rec in data.items():
        check_trait_name(trait, field=f"{path}: trait key")
        if not isinstance(rec, dict):
            raise BenchError(f"{path}: field {trait!r} must be an object with related_genes and conditions")
        for key in ("related_genes", "conditions"):
            value = rec.get(key)
            if not isinstance(value, list):
                raise BenchError(f"{path}: field {trait}.{key} must be a list, got {type(value).__name__}")
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise BenchError(f"{path}: field {trait}.{key}[{i}] must be a string, got "
                                     f"{type(item).__name__} {item!r}")
        for cond in rec["conditions"]:
            if cond not in COVARIATES and cond not in data:
                raise BenchError(f"{path}: field {trait}.conditions names unknown condition {cond!r} "
                                 f"(expected Age, Gender or a trait key).{close_matches_hint(cond, data)}")
    return data


def iter_problems(task_info: dict, *, traits: Iterable[str] | None = None) -> list[Problem]:
    """Problems in upstream order: sorted traits; ``(t, None)`` then ``(t, c)`` per condition."""
    chosen = sorted(task_info) if traits is None else [check_known_trait(task_info, t) for t in traits]
    out = []
    for trait in chosen:
        out.append(Problem(trait, None, problem_category(None)))
        out.extend(Problem(trait, c, problem_category(c)) for c in task_info[trait]["conditions"])
    return out


def check_known_trait(task_info: dict, trait: str, *, field: str = "trait") -> str:
    """``trait`` (or its upstream normalisation, e.g. "Crohn's Disease" → Crohns_Disease) if it
    is a key of ``task_info``, else BenchError with close matches."""
    if isinstance(trait, str) and trait not in task_info and normalize_trait(trait) in task_info:
        trait = normalize_trait(trait)
    check_trait_name(trait, field=field)
    if trait not in task_info:
        raise BenchError(f"{field}: unknown trait {trait!r}.{close_matches_hint(trait, task_info)}")
    return trait


def check_known_problem(task_info: dict, trait: str, condition: str | None) -> Problem:
    """The problem ``(trait, condition)``, or a BenchError naming the unknown part."""
    check_known_trait(task_info, trait)
    if condition in (None, "None"):
        return Problem(trait, None, problem_category(None))
    if condition not in task_info[trait]["conditions"]:
        raise BenchError(f"condition: {condition!r} is not a condition of trait {trait!r} "
                         f"(task_info lists {task_info[trait]['conditions']})")
    return Problem(trait, condition, problem_category(condition))


def read_cohort_info(path: str | os.PathLike) -> dict[str, dict]:
    """Read ``cohort_info.json`` (``{cohort: record}``), checking record types."""
    path = Path(path)
    data = read_json(path, what="GenoTEX cohort_info.json")
    if not isinstance(data, dict):
        raise BenchError(f"{path}: expected a JSON object {{cohort_id: record}}")
    for cohort, rec in data.items():
        if not isinstance(rec, dict):
            raise BenchError(f"{path}: field {cohort!r} must be an object of cohort flags")
        for key in ("is_usable", "is_available"):
            if key in rec and not isinstance(rec[key], bool):
                raise BenchError(f"{path}: field {cohort}.{key} must be true/false, got {rec[key]!r}")
        size = rec.get("sample_size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise BenchError(f"{path}: field {cohort}.sample_size must be a non-negative integer or null, "
                             f"got {size!r}")
    return data


def read_significant_genes(path: str | os.PathLike) -> list[str]:
    """The ranked ``significant_genes.Variable`` list of a regress JSON file."""
    path = Path(path)
    data = read_json(path, what="significant genes file")
    genes = data.get("significant_genes", {}).get("Variable") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("significant_genes"), dict) or not isinstance(genes, list):
        raise BenchError(f"{path}: field significant_genes.Variable must be a list of gene symbols")
    for i, g in enumerate(genes):
        if not isinstance(g, str):
            raise BenchError(f"{path}: field significant_genes.Variable[{i}] must be a string, got "
                             f"{type(g).__name__} {g!r}")
    return genes

# ------------------------------------------------------------------------------------------
# tables


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    return read_csv_indexed(path, what=what)


def _numeric(df: pd.DataFrame, path: Path, what: str) -> pd.DataFrame:
    """All columns as float64; a non-numeric cell names its column."""
    try:
        return df.astype(np.float64)
    except (ValueError, TypeError):
        for col in df.columns:
            try:
                pd.to_numeric(df[col], errors="raise")
            except (ValueError, TypeError) as exc:
                raise BenchError(f"{path}: {what} must be numeric: column {col!r}: {exc}") from None
        raise BenchError(f"{path}: {what} must be numeric") from None


def read_gene_table(path: str | os.PathLike) -> pd.DataFrame:
    """``gene_data/<cohort>.csv``: genes × samples floats."""
    path = Path(path)
    return _numeric(_read_csv(path, "gene table"), path, "gene table values")


def read_clinical_table(path: str | os.PathLike, trait: str) -> pd.DataFrame:
    """``clinical_data/<cohort>.csv`` as **samples × features** whatever its orientation.

    GEO files are features × samples (rows ``<Trait>``, ``Age``, ``Gender``); TCGA notebooks
    write samples × features. The orientation is detected by where ``trait`` appears.
    """
    path = Path(path)
    df = _read_csv(path, "clinical table")
    if trait in df.index:
        df = df.T
    elif trait not in df.columns:
        raise BenchError(f"{path}: clinical table has no {trait!r} row or column "
                         f"(rows {list(df.index)[:5]}, columns {list(df.columns)[:5]})")
    return _numeric(df, path, "clinical values")


def read_linked_table(path: str | os.PathLike, trait: str) -> pd.DataFrame:
    """Linked ``<cohort>.csv``: samples × [trait, Age?, Gender?, genes...] floats."""
    path = Path(path)
    df = _read_csv(path, "linked table")
    if trait not in df.columns:
        raise BenchError(f"{path}: linked table has no trait column {trait!r} (columns start "
                         f"{list(df.columns)[:4]})")
    return _numeric(df, path, "linked values")


# ------------------------------------------------------------------------------------------
# HF configs


# ------------------------------------------------------------------------------ family contract


