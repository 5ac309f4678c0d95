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

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import datasets
import numpy as np
import pandas as pd

from bench.errors import BenchError, close_matches_hint
from bench.io import atomic_path, read_csv_indexed, read_json
from bench.loaders.cache import bench_cache_dir
from bench.loaders.genotex_synthetic import SYNTHETIC_MARKER, build_genotex_root
from bench.loaders.hub_repo import write_configs
from bench.tasks import TaskSpec, split_name
from bench.tasks.families import BuiltConfig, Source
from bench.metrics.genotex import check_trait_name, normalize_trait, problem_category

COVARIATES = ("Age", "Gender")
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


def read_csv_header(path: str | os.PathLike) -> list[str]:
    """Column names of a CSV (first row minus the index column) without reading the body."""
    with open(path, newline="", encoding="utf-8") as fh:
        row = next(csv.reader(fh), [])
    return row[1:]


def gene_columns(columns: Iterable[str], trait: str, condition: str | None = None) -> list[str]:
    drop = {trait, *COVARIATES} | ({condition} if condition else set())
    return [c for c in columns if c not in drop]

# ------------------------------------------------------------------------------------------
# HF configs


UPSTREAM_REPO = "https://github.com/Liu-Hy/GenoTEX"


def _layout_path(path: str) -> str:
    """A local path as its place in the GenoTEX layout (``output/preprocess/T``): no machine paths in cards."""
    parts = Path(path).parts
    for anchor in ("metadata", "output", "input"):
        if anchor in parts:
            return "/".join(parts[len(parts) - 1 - parts[::-1].index(anchor):])
    return Path(path).name


def _meta(task: str, description: str, *, synthetic: bool, source: dict, **extra) -> dict:
    source = {"upstream_repo": UPSTREAM_REPO, **{k: _layout_path(v) for k, v in source.items()}}
    meta = {"task": task, "family": "genotex", "description": description, "source": source,
            "license": "CC BY 4.0 (GenoTEX)", "license_id": LICENSE_ID, "citation": CITATION,
            "synthetic": synthetic}
    meta.update(extra)
    return meta


def problems_rows(task_info: dict, *, regress_dir: str | os.PathLike | None = None) -> list[dict]:
    """One dict per problem: trait, condition (None for unconditional), category,
    related_genes, reference_genes (None when no reference file)."""
    rows = []
    for p in iter_problems(task_info):
        ref = None
        if regress_dir is not None:
            f = trait_dir(regress_dir, p.trait) / p.regress_file
            if f.is_file():
                ref = read_significant_genes(f)
        rows.append({"trait": p.trait, "condition": p.condition, "category": p.category,
                     "related_genes": list(task_info[p.trait]["related_genes"]), "reference_genes": ref})
    return rows


def problems_config(task_info_path: str | os.PathLike, *, regress_dir: str | os.PathLike | None = None,
                    synthetic: bool = False) -> BuiltConfig:
    """Config ``genotex_problems`` (split ``test``) from ``task_info.json`` (+ references)."""
    task_info = read_task_info(task_info_path)
    rows = problems_rows(task_info, regress_dir=regress_dir)
    features = datasets.Features({
        "trait": datasets.Value("string"), "condition": datasets.Value("string"),
        "category": datasets.Value("string"), "related_genes": datasets.List(datasets.Value("string")),
        "reference_genes": datasets.List(datasets.Value("string")),
    })
    ds = datasets.Dataset.from_list(rows, features=features)
    counts = {c: sum(r["category"] == c for r in rows) for c in sorted({r["category"] for r in rows})}
    meta = _meta("genotex_problems", "GenoTEX (trait, condition) problems with related and reference genes.",
                 synthetic=synthetic, source={"task_info": str(task_info_path), "regress_dir": str(regress_dir)},
                 n_traits=len(task_info), n_problems=len(rows), category_counts=counts,
                 n_with_reference=sum(r["reference_genes"] is not None for r in rows))
    return BuiltConfig("genotex_problems", {"test": ds}, meta)


def cohort_rows(preprocess_dir: str | os.PathLike, traits: Iterable[str]) -> list[dict]:
    rows = []
    for trait in traits:
        info_path = trait_dir(preprocess_dir, trait) / "cohort_info.json"
        if not info_path.is_file():
            continue
        for cohort, rec in read_cohort_info(info_path).items():
            row = {"trait": trait, "cohort": cohort}
            row.update({k: rec.get(k) for k in COHORT_FLAGS})
            row["note"] = rec.get("note")
            rows.append(row)
    return rows


def cohorts_config(preprocess_dir, traits, *, synthetic: bool = False) -> BuiltConfig | None:
    """Config ``genotex_cohorts``: one row per cohort_info record of every trait (None: no records)."""
    rows = cohort_rows(preprocess_dir, traits)
    if not rows:
        return None
    feats = {"trait": datasets.Value("string"), "cohort": datasets.Value("string")}
    feats.update({k: datasets.Value("bool") for k in COHORT_FLAGS if k != "sample_size"})
    feats["sample_size"] = datasets.Value("int64")
    feats["note"] = datasets.Value("string")
    ds = datasets.Dataset.from_list(rows, features=datasets.Features(feats))
    meta = _meta("genotex_selection", "GenoTEX cohort_info.json records (filtering and preprocessing flags).",
                 synthetic=synthetic, source={"preprocess_dir": str(preprocess_dir)})
    return BuiltConfig("genotex_cohorts", {"test": ds}, meta)


def _sample_rows(cohort: str, frame: pd.DataFrame, genes: list[str], trait: str) -> dict:
    """Columnar dict for one cohort: samples × (trait, Age, Gender, expression over ``genes``)."""
    expr = frame.reindex(columns=genes).to_numpy(dtype=np.float32)
    def col(name):
        return frame[name].astype(float).tolist() if name in frame.columns else [None] * len(frame)
    return {"sample_id": list(frame.index), "cohort": [cohort] * len(frame), "trait": col(trait),
            "age": col("Age"), "gender": col("Gender"), "expression": list(expr)}


def _sample_features(n_genes: int, with_expression: bool = True):
    feats = {"sample_id": datasets.Value("string"), "cohort": datasets.Value("string"),
             "trait": datasets.Value("float32"), "age": datasets.Value("float32"),
             "gender": datasets.Value("float32")}
    if with_expression:
        feats["expression"] = datasets.List(datasets.Value("float32"), length=n_genes)
    return datasets.Features(feats)


def _sample_config(config, frames: dict[str, pd.DataFrame], trait, *, description, meta_extra,
                   synthetic, with_expression=True) -> BuiltConfig:
    genes = sorted(set().union(*(gene_columns(f.columns, trait) for f in frames.values()))) if with_expression else []
    feats = _sample_features(len(genes), with_expression)
    splits, cohorts = {}, {}
    for cohort in sorted(frames):
        data = _sample_rows(cohort, frames[cohort], genes, trait)
        if not with_expression:
            data.pop("expression")
        split = split_name(cohort)
        if split in splits:
            raise BenchError(f"cohorts {cohorts[split]!r} and {cohort!r} of trait {trait} map to the same "
                             f"split name {split!r}")
        cohorts[split] = cohort
        splits[split] = datasets.Dataset.from_dict(data, features=feats)
    meta = _meta(f"genotex_{trait}", description, synthetic=synthetic, source=meta_extra.pop("source"),
                 split_cohorts=cohorts, **meta_extra)
    if with_expression:
        meta.update(feature_column="expression", feature_ids=genes,
                    cohort_n_genes={c: len(gene_columns(frames[c].columns, trait)) for c in frames})
    return BuiltConfig(config, splits, meta)


def trait_configs(preprocess_dir: str | os.PathLike, trait: str, *, synthetic: bool = False) -> list[BuiltConfig]:
    """``genotex_<Trait>`` (linked), ``__gene`` and ``__clinical`` configs for one trait.

    A config is made only when the trait has at least one such table.
    """
    tdir = trait_dir(preprocess_dir, trait)
    if not tdir.is_dir():
        raise BenchError(f"trait {trait!r}: no preprocessed folder {tdir}")
    info = read_cohort_info(tdir / "cohort_info.json") if (tdir / "cohort_info.json").is_file() else {}
    source = {"preprocess_dir": str(tdir)}
    out = []
    linked = {p.stem: read_linked_table(p, trait) for p in sorted(tdir.glob("*.csv"))}
    if linked:
        out.append(_sample_config(f"genotex_{trait}", linked, trait, synthetic=synthetic,
                                  description=f"GenoTEX {trait}: linked samples (trait, Age, Gender, expression), "
                                              "one split per cohort.",
                                  meta_extra={"source": source, "cohort_info": info}))
    genes = {p.stem: read_gene_table(p).T for p in sorted((tdir / "gene_data").glob("*.csv"))}
    if genes:
        out.append(_sample_config(f"genotex_{trait}__gene", genes, trait, synthetic=synthetic,
                                  description=f"GenoTEX {trait}: gene tables (samples × genes after symbol "
                                              "normalisation), one split per cohort.", meta_extra={"source": source}))
    clinical = {p.stem: read_clinical_table(p, trait) for p in sorted((tdir / "clinical_data").glob("*.csv"))}
    if clinical:
        out.append(_sample_config(f"genotex_{trait}__clinical", clinical, trait, synthetic=synthetic,
                                  with_expression=False,
                                  description=f"GenoTEX {trait}: clinical tables (trait, Age, Gender).",
                                  meta_extra={"source": source}))
    return out


def iter_configs(root: str | os.PathLike, *, traits: Iterable[str] | None = None,
                 synthetic: bool = False) -> Iterator[BuiltConfig]:
    """Every GenoTEX config present under a GenoTEX ``root``, one at a time (bounded memory).

    All JSON inputs (task_info, every cohort_info and reference file) are validated before the
    first config is made.
    """
    paths = root_paths(root)
    task_info = read_task_info(paths["task_info"])
    synthetic = synthetic or (Path(root) / SYNTHETIC_MARKER).is_file()
    regress = paths["regress"] if paths["regress"].is_dir() else None
    chosen = sorted(task_info) if traits is None else [check_known_trait(task_info, t) for t in traits]
    problems_rows(task_info, regress_dir=regress)  # validate references
    pre = paths["preprocess"] if paths["preprocess"].is_dir() else None
    if pre is not None:
        cohort_rows(pre, chosen)  # validate every cohort_info.json
    yield problems_config(paths["task_info"], regress_dir=regress, synthetic=synthetic)
    if pre is None:
        return
    cohorts = cohorts_config(pre, chosen, synthetic=synthetic)
    if cohorts is not None:
        yield cohorts
    for trait in chosen:
        if trait_dir(pre, trait).is_dir():
            yield from trait_configs(pre, trait, synthetic=synthetic)


def build_repo(root: str | os.PathLike, repo_dir: str | os.PathLike, *, traits: Iterable[str] | None = None,
               synthetic: bool = False) -> list[str]:
    """Write every GenoTEX config present under ``root`` into ``repo_dir``; returns the config names."""
    return write_configs(repo_dir, iter_configs(root, traits=traits, synthetic=synthetic))


# ------------------------------------------------------------------------------ family contract
def synthetic_root() -> Path:
    """The embedded synthetic GenoTEX root (seeded), generated once under the bench cache."""
    root = bench_cache_dir() / "genotex_synthetic"
    if not (root / "metadata").is_dir():
        with atomic_path(root, directory=True) as tmp:
            build_genotex_root(tmp)
    return root


def source(spec: TaskSpec, data_dir: str | os.PathLike | None) -> Source:
    """A local GenoTEX root (``data_dir``) or the embedded synthetic one."""
    if data_dir:
        root = Path(data_dir)
        synthetic, origin = (root / SYNTHETIC_MARKER).is_file(), "local"
    else:
        root, synthetic, origin = synthetic_root(), True, "synthetic:genotex-seed7"
    return Source(root, synthetic, origin, tuple(sorted(p for p in root.rglob("*") if p.is_file())))


def build(spec: TaskSpec, source: Source) -> list[BuiltConfig]:
    """The configs of ``spec``: ``genotex_problems``, ``genotex_cohorts`` (+ every trait) or one trait's."""
    wanted = spec.params.config or spec.name
    trait = spec.params.trait
    traits = [trait] if trait else (None if wanted == "genotex_cohorts" else [])
    configs = list(iter_configs(source.root, traits=traits, synthetic=source.synthetic))
    if wanted not in [c.name for c in configs]:
        raise BenchError(f"task {spec.name}: the GenoTEX root {source.root} produced "
                         f"{[c.name for c in configs]}, not {wanted!r} (is output/preprocess/<trait>/ present?)",
                         field="data_dir")
    return configs
