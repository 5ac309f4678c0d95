"""A single-cell task as one HF config (split ``test``): the family's ``build``."""
from __future__ import annotations

import os

import datasets

from bench.errors import BenchError
from bench.tasks.families import BuiltConfig, Source
from bench.loaders.singlecell.anndata_io import DEFAULT_SPLIT, from_anndata, to_anndata
from bench.loaders.singlecell.source import read_source_anndata


def config_name(spec) -> str:
    """The HF config a single-cell task reads (``params.config``, default the task name)."""
    return str(spec.params.get("config", spec.name))


def build_config(spec, *, data_dir: str | os.PathLike | None = None):
    """Build the HF config of a single-cell task: ``(DatasetDict({'test': ds}), meta)``.

    ``meta`` is ready for :func:`bench.loaders.repo.write_config` (task, family, source,
    license, citation, feature_ids, label/batch keys ...).
    """
    if spec.family != "singlecell":
        raise BenchError(f"task {spec.name} is in family {spec.family!r}, not 'singlecell'")
    params = spec.params
    adata = read_source_anndata(spec, data_dir=data_dir)
    ds, meta = from_anndata(adata, layer=params.get("layer"), obsm_keys=params.get("obsm_keys", []))
    meta.update({
        "task": config_name(spec), "family": spec.family, "description": spec.description,
        "source": spec.source, "license": spec.license,
        "license_id": params.get("license_id", "other"), "citation": spec.citation, "synthetic": False,
        "label_key": spec.label.get("column"), "batch_key": params.get("batch_key"),
        "expression_unit": params.get("expression_unit"), "spec_hash": spec.spec_hash,
    })
    return datasets.DatasetDict({DEFAULT_SPLIT: ds}), meta


def build(spec, source: Source) -> list[BuiltConfig]:
    """The family contract: the task's one config (split ``test``)."""
    dsd, meta = build_config(spec, data_dir=source.root)
    return [BuiltConfig(config_name(spec), dict(dsd), meta)]


def load_config_anndata(spec, *, data_dir: str | os.PathLike | None = None):
    """The task's data as AnnData, built through its HF config (so the config path is exercised)."""
    dsd, meta = build_config(spec, data_dir=data_dir)
    return to_anndata(dsd, meta=meta), meta
