"""The family table: the ONE place bench dispatches on a task's family, and the contracts between layers.

Each :class:`Family` row names its layers as lazy ``"module:attr"`` strings (lm-evaluation-harness
``api/registry.py`` style): nothing is imported until a layer is used, so ``import bench`` and
``bench list`` stay light. Adding a family = one row here (:func:`conventional` when its sub-packages use
the standard module names) + its sub-packages (``tasks/<family>/`` with ``Params`` and YAML,
``loaders/<family>/``, ``metrics/<family>/``, ``baselines/<family>/``).

Contracts:

* ``source(spec, data_dir) -> Source``: where the task's upstream files are.
* ``build(spec, source) -> list[BuiltConfig]``: the config(s) a task is stored as;
  :mod:`bench.loaders.repo` writes them.
* ``run(spec, *, model, data_dir, out, seed)`` and ``evaluate``: return the one result type,
  :class:`bench.baselines.report.Result`, which the one report writer there renders.
* ``records``: ``verify(path, record, *, data_dir) -> bench.record.Verification``, the recomputation of
  the family's result records (``bench verify``).
* ``board``: ``board_entry(task, records, *, data_dir, seed) -> dict``, a task's leaderboard input from
  its ``[(path, record)]`` (``bench leaderboard``; contract in :mod:`bench.board_units`).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from bench.errors import BenchError, close_matches_hint


@dataclass(frozen=True)
class Source:
    """Where a task's upstream files are. ``origin`` is portable text (``local``, ``hub:org/name``,
    ``synthetic:genelab-v2-seed0``, ``embedded:scanpy``), never an absolute path."""

    root: Path | None
    synthetic: bool
    origin: str
    files: tuple[Path, ...] = ()   # every file the build reads (the cache fingerprint)


@dataclass
class BuiltConfig:
    """One config of a built repository: ``{split: datasets.Dataset | StreamedSplit}`` and its
    ``bench_config.json`` metadata (task, family, spec sha256, synthetic, source, license, citation,
    feature column and ids, folds, extra keys of the family)."""

    name: str
    splits: Mapping[str, Any]
    meta: dict


#: What a family without the layer lacks, in the words of the commands that use it.
MISSING_LAYER = {"records": "no `bench verify` support (no recomputation of its result records)",
                 "board": "no leaderboard support (`bench leaderboard` cannot rank its records)"}


@dataclass(frozen=True)
class Family:
    """One family's row: its layers as lazy ``"module:attr"`` strings (None: the family has no such layer)."""

    name: str
    description: str
    data: str                    # where the data comes from, in words (``bench list``)
    params: str
    source: str | None
    build: str | None
    models: str | None
    run: str | None
    evaluate: str | None
    records: str | None
    board: str | None
    expected_input: str

    def resolve(self, layer: str) -> Any:
        """The object behind ``layer`` (``"build"``, ``"run"``, ...), imported on first use."""
        entry = getattr(self, layer)
        if entry is None:
            raise BenchError(f"family {self.name!r} has {MISSING_LAYER.get(layer, f'no {layer!r} layer')}",
                             field="task")
        return resolve_entry(entry)


def resolve_entry(entry: str) -> Any:
    """Import ``"package.module:attr"`` and return the attribute."""
    module, _, attr = entry.partition(":")
    return getattr(importlib.import_module(module), attr)


def conventional(name: str, **fields: Any) -> Family:
    """The row of a family whose sub-packages use the standard names: ``bench.tasks.<name>:Params``,
    ``bench.loaders.<name>.source:source`` and ``.build:build``, ``bench.baselines.<name>:MODELS`` and
    ``:run``, ``bench.baselines.<name>.evaluate:evaluate``, ``bench.baselines.<name>.records:verify``,
    ``bench.baselines.<name>.board:board_entry``; ``fields`` gives the rest."""
    return Family(name=name, params=f"bench.tasks.{name}:Params", source=f"bench.loaders.{name}.source:source",
                  build=f"bench.loaders.{name}.build:build", models=f"bench.baselines.{name}:MODELS",
                  run=f"bench.baselines.{name}:run", evaluate=f"bench.baselines.{name}.evaluate:evaluate",
                  records=f"bench.baselines.{name}.records:verify", board=f"bench.baselines.{name}.board:board_entry",
                  **fields)


FAMILIES: dict[str, Family] = {f.name: f for f in (
    conventional(
        "genelab", description="NASA GeneLab spaceflight transcriptomics: leave-one-mission-out (A), "
                               "mission pairs (B), condition prediction (D)",
        data="real: Hub jang1563/genelab-benchmark or a local checkout; synthetic default offline",
        expected_input="submission JSON {task_id, model_name, predictions: {fold: {sample_id: P(Flight)}}}",
    ),
    Family(
        name="genelab_analysis", description="GeneLab analyses over several configs: cross-tissue transfer (C), "
                                             "negative controls (NC1, NC2)",
        data="the GeneLab configs it names (real or synthetic, as genelab)",
        params="bench.tasks.genelab_analysis:Params", source=None, build=None,
        models="bench.baselines.genelab:MODELS", run="bench.baselines.genelab:run", evaluate=None,
        records=None, board=None,
        expected_input="none: run a baseline with `bench run`",
    ),
    conventional(
        "singlecell", description="cz-benchmarks single-cell tasks: clustering, embedding, label "
                                  "prediction, integration, perturbation",
        data="real: shipped in scanpy's wheel (pbmc68k) or a local .h5ad",
        expected_input="a cell embedding: .npy [n_cells, d] + obs table, or an .h5ad with obsm keys",
    ),
    conventional(
        "geometa", description="GEOmeta sample metadata (gender, organ, disease, age) from GEO series",
        data="real: a local GEO_GPT checkout (labels); ARCHS4 expression local or synthetic",
        expected_input="predictions CSV: GSM_ID and one predicted label per target column",
    ),
    conventional(
        "genotex", description="GenoTEX gene-trait association: dataset selection, preprocessing, "
                               "statistical analysis",
        data="real: a local GenoTEX root; synthetic default",
        expected_input="an agent output folder: preprocess/<trait>/ and regress/<trait>/ as GenoTEX writes",
    ),
)}


def get_family(name: str) -> Family:
    """The row of family ``name``; an unknown name is a BenchError with close matches."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise BenchError(f"unknown family {name!r}.{close_matches_hint(name, FAMILIES)} "
                         f"Available: {', '.join(FAMILIES)}", field="family") from None


def params_class(family: str):
    """The typed ``Params`` dataclass of ``family``."""
    return resolve_entry(get_family(family).params)
