"""The family table: the ONE place bench dispatches on a task's family, and the contracts between layers.

Each :class:`Family` row names its layers as lazy ``"module:attr"`` strings (lm-evaluation-harness
``api/registry.py`` style): nothing is imported until a layer is used, so ``import bench`` and
``bench list`` stay light. Adding a family = one row here (:func:`conventional` when its sub-packages use
the standard module names) + its sub-packages (``tasks/<family>/`` with ``Params`` and YAML,
``loaders/<family>/``, ``metrics/<family>/``, ``baselines/<family>/``).

Contracts:

* ``source(spec, data_dir) -> Source``: where the task's upstream files are.
* ``build(spec, source, **options) -> list[BuiltConfig]``: the config(s) a task is stored as;
  :mod:`bench.loaders.repo` writes them. ``options``: the family's ``bench build`` options the user gave.
* ``run(spec, *, model, data_dir, seed, limit_folds)`` and ``evaluate(spec, predictions, **options)``:
  return the one result type, :class:`bench.baselines.report.Result`, which the one report writer there renders.
* ``records``: ``verify(path, record, *, data_dir) -> bench.results.record.Verification``, the recomputation of
  the family's result records (``bench verify``).
* ``board``: ``board_entry(task, records, *, data_dir, seed) -> dict``, a task's leaderboard input from
  its ``[(path, record)]`` (``bench leaderboard``; contract in :mod:`bench.results.board_units`).

Optional hooks: functions a layer's module may define next to its entry (:meth:`Family.hook`); generic
code calls them through the row, never by family name:

* ``add_arguments(parser)`` in the ``build`` or ``evaluate`` module: the family's options of
  ``bench build`` / ``bench evaluate`` (plain argparse calls, e.g. in an ``add_argument_group``); their
  values reach ``build(..., **options)`` / ``evaluate(..., **options)`` under their ``dest`` names.
* ``task_groups(word) -> list[str] | None`` in the ``build`` module: task names a ``bench build`` word
  stands for (GeneLab: ``all``, ``A``, ``pathway``, ...), None when the word is not one of the family's.
* ``card_notes(meta) -> (lines, description)`` in the ``build`` module: what the dataset card shows above
  a config's description, and the description to show.
* ``task_of(predictions) -> str | None`` in the ``evaluate`` module: the task a predictions file names
  itself (``bench evaluate PREDICTIONS`` without TASK).
* ``write_record(folder, result)`` in the ``evaluate`` module: how ``bench evaluate --record DIR`` writes
  the family's record (default :func:`bench.results.family_records.write_record_folder`).
* ``resolve_data_dir(data_dir, *, task)`` in the ``source`` module: the folder
  :func:`bench.loaders.resolve_data_dir` returns.

Tasks: the registry scans the built-in ``tasks/`` folder and, for a family defined outside bench, the
folder of the package holding its ``Params`` (``mylab_bench/tasks/*.yaml`` next to
``mylab_bench/tasks/__init__.py``): see :func:`family_task_dirs`.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
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
    records: str | None = field(default=None, kw_only=True)   # None: no `bench verify` for the family
    board: str | None = field(default=None, kw_only=True)     # None: no `bench leaderboard` for the family
    expected_input: str
    hub_category: str = "tabular-classification"   # the Hub's task_categories of its built configs

    def resolve(self, layer: str) -> Any:
        """The object behind ``layer`` (``"build"``, ``"run"``, ...), imported on first use."""
        entry = getattr(self, layer)
        if entry is None:
            raise BenchError(f"family {self.name!r} has {MISSING_LAYER.get(layer, f'no {layer!r} layer')}",
                             field="task")
        return resolve_entry(entry)

    def module(self, layer: str) -> ModuleType:
        """The module that defines ``layer`` (where its optional hooks live), imported on first use."""
        entry = getattr(self, layer)
        if entry is None:
            raise BenchError(f"family {self.name!r} has no {layer!r} layer", field="task")
        return importlib.import_module(entry.partition(":")[0])

    def hook(self, layer: str, name: str) -> Any:
        """The optional hook ``name`` of ``layer``'s module (see the module docstring), or None."""
        return getattr(self.module(layer), name, None) if getattr(self, layer) is not None else None


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
        models="bench.baselines.genelab:MODELS", run="bench.baselines.genelab:run",
        evaluate="bench.baselines.genelab.evaluate:evaluate",   # refuses its tasks with a clear message
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
        hub_category="other",
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


#: The family :func:`bench.loaders.resolve_data_dir` answers for when no task is named (its labels root).
DEFAULT_FAMILY = "genelab"


def family_task_dirs() -> tuple[Path, ...]:
    """Each family's task folder: the folder of the package (or module) holding its ``Params``, found
    without importing it. A family defined outside bench keeps its task YAML files there."""
    dirs = []
    for family in FAMILIES.values():
        module = family.params.partition(":")[0]
        try:
            found = importlib.util.find_spec(module)
        except ModuleNotFoundError:
            found = None
        if found is None or found.origin is None:
            raise BenchError(f"family {family.name!r}: its Params module {module!r} is not importable "
                             "(is its package on sys.path?)", field="family")
        dirs += [Path(p) for p in found.submodule_search_locations or [Path(found.origin).parent]]
    return tuple(dirs)
