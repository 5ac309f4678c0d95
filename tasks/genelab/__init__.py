"""Typed ``params`` of the ``genelab`` family (GeneLab Categories A, B, D; gene and pathway level)."""
from __future__ import annotations

from dataclasses import dataclass

from bench.tasks.params import Params as _Base


@dataclass(frozen=True)
class Params(_Base):
    """What a GeneLab task YAML may set under ``params:``."""

    family = "genelab"
    tissue: str | None = None
    category: str | None = None          # A (LOMO), B (mission pairs), D (condition CV)
    level: str = "gene"                  # gene | pathway
    collection: str | None = None        # pathway level: hallmark | kegg | reactome | mitocarta
    task_dir: str | None = None          # upstream tasks/<TASK_DIR>/
    labels_from: str | None = None       # task dir whose labels/folds a pathway config uses
    variant: str | None = None           # A1 variants: combat | iss_only
    target: str | None = None            # Category D: the metadata column predicted
    missions: dict | None = None
    holdout_missions: dict | None = None
    n_genes_before_var_filter: int | None = None
    n_genes_after_var_filter: int | None = None
    var_percentile_cutoff: float | None = None
    synthetic: dict[str, float | list[float]] | None = None  # generator parameters (bench.loaders.genelab.synthetic.SyntheticParams)
    domain_column: str | None = None     # bench new-task: the user's column each fold holds out (stored as mission)
    license_id: str | None = None        # the card's licence id when the spec's licence text is not one
