"""Typed ``params`` of the ``geometa`` family (GEOmeta sample-metadata prediction)."""
from __future__ import annotations

from dataclasses import dataclass

from bench.tasks.params import Params as _Base


@dataclass(frozen=True)
class Params(_Base):
    """What a GEOmeta task YAML may set under ``params:``."""

    family = "geometa"
    species: str | None = None           # human | mouse
    target: str | None = None            # a key of ``targets`` (None: every target, labels config)
    targets: dict[str, str] | None = None
    classes: dict[str, list] | None = None   # {column: ClassLabel names} where the vocabulary is fixed
    csv: dict[str, str] | None = None    # {split: label CSV file name}
    columns: list[str] | None = None
    id_columns: list[str] | None = None
    archs4_file: str | None = None
    missing_marker: str | None = None
    license_id: str | None = None
    baseline_exclude_values: list | None = None
    seed_table: dict | None = None
    leaderboard: dict | None = None
