"""Typed ``params`` of the ``singlecell`` family (cz-benchmarks tasks on AnnData)."""
from __future__ import annotations

from dataclasses import dataclass

from bench.tasks.params import Params as _Base


@dataclass(frozen=True)
class Params(_Base):
    """What a single-cell task YAML may set under ``params:``."""

    family = "singlecell"
    kind: str | None = None              # clustering | embedding | label_prediction | integration | perturbation
    tasks: list[str] | None = None       # umbrella task: the tasks one run covers
    layer: str | None = None             # X | raw | <layer name>
    obsm_keys: list[str] | None = None
    embedding_key: str | None = None
    batch_key: str | None = None
    expression_unit: str | None = None
    license_id: str | None = None
    n_cells: int | None = None
    n_genes: int | None = None
    random_state: int | None = None
