"""Typed ``params`` of the ``genotex`` family (GenoTEX gene-trait association)."""
from __future__ import annotations

from dataclasses import dataclass

from bench.tasks.params import Params as _Base


@dataclass(frozen=True)
class Params(_Base):
    """What a GenoTEX task YAML may set under ``params:`` (``trait`` comes from the task name pattern)."""

    family = "genotex"
    trait: str | None = None
    configs: list[str] | None = None
    categories: list[str] | None = None
    subtasks: list[str] | None = None
    task_info: str | None = None
    preprocess_dir: str | None = None
    regress_dir: str | None = None
    n_traits: int | None = None
    n_problems_official: int | None = None
    n_problems_variant: int | None = None
