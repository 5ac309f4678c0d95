"""GeneLab configs as a ``datasets`` builder class (no loading script: scripts are gone since datasets 4).

    from bench.loaders.builder import GeneLabBuilder
    builder = GeneLabBuilder(config_name="A5_skin_hallmark", data_dir="../shared/genelab")
    builder.download_and_prepare()          # Arrow files in the datasets cache
    dsd = builder.as_dataset()              # DatasetDict, one split per mission (same rows as bench.loaders.load)

``data_dir``: a local upstream checkout, ``"synthetic"``, or None (the Hub dataset when online, else the
embedded synthetic default). The rows come from :func:`bench.loaders.genelab.build_config`, so the
builder, ``bench.loaders.load`` and ``bench build`` share one reader; the config's ``bench_config.json``
content is the dataset description (``bench.loaders.config_meta`` works on the result).
"""
from __future__ import annotations

import json

import datasets

from bench.tasks import list_tasks


class GeneLabBuilder(datasets.ArrowBasedBuilder):
    """Every GeneLab registry task is one builder config (``config_name`` = registry name)."""

    BUILDER_CONFIGS = [datasets.BuilderConfig(name=spec.name, description=spec.description)
                       for spec in list_tasks("genelab")]

    def _info(self) -> datasets.DatasetInfo:
        from bench.loaders.genelab import genelab_spec

        spec = genelab_spec(self.config.name)
        return datasets.DatasetInfo(description=spec.description, citation=spec.citation,
                                    license=spec.license, homepage=str(spec.source.get("homepage", "")))

    def _split_generators(self, dl_manager):
        from bench.loaders.genelab import build_config, genelab_spec
        from bench.loaders.genelab.source import _source

        spec = genelab_spec(self.config.name)
        root, synthetic, origin = _source(spec, self.config.data_dir)
        result = build_config(spec, root, synthetic=synthetic, origin=origin)
        first = next(iter(result.splits.values()))
        self.info.features = first.features
        self.info.description = json.dumps(result.meta, default=str)
        return [datasets.SplitGenerator(name=split, gen_kwargs={"dataset": ds})
                for split, ds in result.splits.items()]

    def _generate_tables(self, dataset):
        yield 0, dataset.data.table  # a plain key: datasets >= 4.1 also accepts its Key(shard, batch), 4.0 has none
