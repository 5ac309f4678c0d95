"""GeneLab (NASA OSDR spaceflight) loader: upstream layout -> HF configs.

``source`` (local checkout, Hub snapshot or embedded synthetic data), ``layout`` (the upstream
folder readers), ``build`` (configs; the one checked label reader :func:`read_rows_and_folds`),
``synthetic`` (the seeded generator). The family contract is ``source.source`` / ``build.build``.
"""
from bench.tasks.genelab import Params
from bench.loaders.genelab.layout import (
    read_labels, read_meta, Fold, TaskLayout, task_dir_for, read_task_layout,
)
from bench.loaders.genelab.build import (
    HUB_REPO, PATHWAY_DBS, FEATURE_COLUMN, RESERVED_COLUMNS, LOADER_VERSION, GeneLabJoinWarning, MissionRows,
    BuildResult, genelab_spec, labels_task_dir, needed_task_dirs, is_pathway, read_matrix_csv,
    detect_value_transform, map_to_reference, pathway_files, read_mission_pathways, read_rows_and_folds,
    build_config, source_files,
)
from bench.loaders.genelab.source import (
    hub_offline, hub_patterns, download_from_hub, synthetic_origin, resolve_data_dir,
)

__all__ = ['Params', 'read_labels', 'read_meta', 'Fold', 'TaskLayout', 'task_dir_for', 'read_task_layout', 'HUB_REPO',
    'PATHWAY_DBS', 'FEATURE_COLUMN', 'RESERVED_COLUMNS', 'LOADER_VERSION', 'GeneLabJoinWarning', 'MissionRows',
    'BuildResult', 'genelab_spec', 'labels_task_dir', 'needed_task_dirs', 'is_pathway', 'read_matrix_csv',
    'detect_value_transform', 'map_to_reference', 'pathway_files', 'read_mission_pathways',
    'read_rows_and_folds', 'build_config', 'source_files', 'hub_offline', 'hub_patterns', 'download_from_hub',
    'synthetic_origin', 'resolve_data_dir']
