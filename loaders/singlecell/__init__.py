"""Single-cell loader: ``anndata_io`` (AnnData <-> HF config), ``source`` (embedded or local
.h5ad), ``build`` (the task's config).
"""
from bench.tasks.singlecell import Params
from bench.loaders.singlecell.anndata_io import (
    CELL_ID, GENE_INDEX, EXPRESSION, OBSM_PREFIX, DEFAULT_SPLIT, RESERVED, from_anndata, to_anndata,
)
from bench.loaders.singlecell.source import (
    embedded_h5ad, read_source_anndata,
)
from bench.loaders.singlecell.build import (
    config_name, build_config, load_config_anndata,
)

__all__ = ['Params', 'CELL_ID', 'GENE_INDEX', 'EXPRESSION', 'OBSM_PREFIX', 'DEFAULT_SPLIT', 'RESERVED', 'from_anndata',
    'to_anndata', 'embedded_h5ad', 'read_source_anndata', 'config_name', 'build_config', 'load_config_anndata']
