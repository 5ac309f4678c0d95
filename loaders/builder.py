"""Every bench config as ONE ``datasets`` builder class (no loading script: scripts are gone since datasets 4).

    from bench.loaders.builder import BenchBuilder
    builder = BenchBuilder(config_name="A5_skin_hallmark", data_dir="../shared/genelab")
    builder.download_and_prepare()          # Arrow files in the datasets cache
    dsd = builder.as_dataset()              # the same rows as bench.loaders.load / bench build

One :class:`BenchConfig` per config a registry task is stored as (GeneLab, GenoTEX, GEOmeta,
single-cell; tasks sharing a config, e.g. the single-cell tasks over ``pbmc68k``, share one builder
config). The rows come from the family table's ``source`` and ``build`` layers — the one reader
behind ``bench build`` and :func:`bench.loaders.load` — and are streamed to ``datasets`` one record
batch at a time, as datasets' own parquet builder streams a file's batches. ``data_dir``: the
family's upstream files, ``"synthetic"``, or None (the family default). The config's
``bench_config.json`` content is the dataset description (``bench.loaders.config_meta`` works on
the result).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

import datasets
import pyarrow as pa

from bench.errors import BenchError
from bench.loaders.families import config_names
from bench.loaders.repo import ShardedSplit, StreamedSplit, stored_meta
from bench.tasks import get_task, list_tasks
from bench.tasks.families import get_family

#: rows per streamed record batch when a split is an in-memory ``datasets.Dataset``
BATCH_ROWS = 1000


@dataclass
class BenchConfig(datasets.BuilderConfig):
    """One stored config: ``task`` is the registry task that builds it, ``family`` that task's family."""

    task: str = ""
    family: str = ""


def builder_configs() -> list[BenchConfig]:
    """One config per distinct stored config name, built by the first registry task (by name) storing it."""
    configs: dict[str, BenchConfig] = {}
    for spec in list_tasks():
        if get_family(spec.family).build is None:
            continue
        for name in config_names(spec):
            configs.setdefault(name, BenchConfig(name=name, description=spec.description, task=spec.name,
                                                 family=spec.family))
    return sorted(configs.values(), key=lambda c: c.name)


class BenchBuilder(datasets.ArrowBasedBuilder):
    """Every buildable bench config (``config_name`` = the stored config name, e.g. ``A5_skin_hallmark``,
    ``genotex_cohorts``, ``geometa_human_gender``, ``pbmc68k``)."""

    BUILDER_CONFIG_CLASS = BenchConfig
    BUILDER_CONFIGS = builder_configs()

    def _info(self) -> datasets.DatasetInfo:
        spec = get_task(self.config.task)
        return datasets.DatasetInfo(description=spec.description, citation=spec.citation or "",
                                    license=spec.license or "", homepage=str((spec.source or {}).get("homepage", "")))

    def _split_generators(self, dl_manager) -> list[datasets.SplitGenerator]:
        built = self._build()
        first = next(iter(built.splits.values()))
        self.info.features = first.features
        self.info.description = json.dumps(stored_meta(self.config.name, built.splits, built.meta), default=str)
        return [datasets.SplitGenerator(name=split, gen_kwargs={"split": data}) for split, data in built.splits.items()]

    def _generate_tables(self, split) -> Iterator[tuple[Any, pa.Table]]:
        # plain integer keys: datasets >= 4.1 also accepts its Key(shard, batch); 4.0 has none
        for index, batch in enumerate(record_batches(split)):
            yield index, pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch

    def _build(self):
        """The family's build of this config's task from ``data_dir``, as one ``BuiltConfig``."""
        spec = get_task(self.config.task)
        family = get_family(spec.family)
        source = family.resolve("source")(spec, self.config.data_dir)
        for built in family.resolve("build")(spec, source):
            if built.name == self.config.name:
                return built
        raise BenchError(f"task {spec.name}: its build gave no config named {self.config.name!r}", field="task")


def record_batches(split) -> Iterator[Any]:
    """The record batches of a built split: a ``StreamedSplit``'s own stream (each shard's in turn for a
    ``ShardedSplit``), or a Dataset's rows (through its indices mapping, if any) as Arrow tables of
    :data:`BATCH_ROWS` rows."""
    if isinstance(split, ShardedSplit):
        for shard in split.shards:
            yield from shard.batches()
    elif isinstance(split, StreamedSplit):
        yield from split.batches()
    else:
        yield from split.with_format("arrow").iter(batch_size=BATCH_ROWS)


#: The GeneLab-only name of earlier releases; the same class.
GeneLabBuilder = BenchBuilder
