"""GenoTEX layout -> Hugging Face configs (the family's ``build``); see :mod:`bench.loaders.genotex`."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

import datasets
import numpy as np
import pandas as pd

from bench.errors import BenchError
from bench.loaders.genotex.synthetic import SYNTHETIC_MARKER
from bench.loaders.repo import write_configs
from bench.tasks import TaskSpec, split_name
from bench.tasks.families import BuiltConfig, Source
from bench.metrics.genotex import gene_columns
from bench.loaders.genotex.layout import CITATION, COHORT_FLAGS, LICENSE_ID, check_known_trait, iter_problems, read_clinical_table, read_cohort_info, read_gene_table, read_linked_table, read_significant_genes, read_task_info, root_paths, trait_dir


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
