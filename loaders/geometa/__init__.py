"""GEOmeta loader: ``source`` (where the label CSVs are), ``build`` (label tables -> configs,
optionally joined to ARCHS4 expression by ``archs4``).
"""
from bench.tasks.geometa import Params
from bench.loaders.geometa.source import (
    DATA_DIR_ENV, LAYOUT, resolve_data_dir, species_params, csv_paths,
)
from bench.loaders.geometa.build import (
    SPLITS, MISSING_MARKER, EXPRESSION_COLUMN, GeometaWarning, target_column, normalise_whitespace,
    read_label_csv, load_label_tables, target_view, report_lines, label_features, target_classes, encode_targets, build_config, built_config,
)

__all__ = ['Params', 'DATA_DIR_ENV', 'LAYOUT', 'resolve_data_dir', 'species_params', 'csv_paths', 'SPLITS',
    'MISSING_MARKER', 'EXPRESSION_COLUMN', 'GeometaWarning', 'target_column', 'normalise_whitespace',
    'read_label_csv', 'load_label_tables', 'target_view', 'report_lines', 'label_features', 'target_classes', 'encode_targets', 'build_config',
    'built_config']
