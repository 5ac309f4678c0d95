"""Typed ``params`` of the ``genelab_analysis`` family (Category C transfer, negative controls NC1/NC2)."""
from __future__ import annotations

from dataclasses import dataclass

from bench.tasks.params import Params as _Base


@dataclass(frozen=True)
class Params(_Base):
    """What a GeneLab analysis task YAML may set under ``params:``."""

    family = "genelab_analysis"
    category: str | None = None          # C (cross-tissue transfer) | NC
    source_tissue: str | None = None
    target_tissue: str | None = None
    methods: list[str] | None = None
    source_tasks: dict[str, str] | None = None
    target_tasks: dict[str, str] | None = None
    deg: dict | None = None
    base_task: str | None = None         # NC1/NC2: the config the control runs on
    control: str | None = None           # permuted_labels | housekeeping_genes
    n_repeats: int | None = None
    genes: dict | None = None
    gene_list_source: str | None = None
    expected_auroc_range: list[float] | None = None
    synthetic: dict | None = None        # GeneLab generator parameters (from _genelab.yaml)
