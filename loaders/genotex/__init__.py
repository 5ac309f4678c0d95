"""GenoTEX loader: ``layout`` (validated readers of the upstream folders), ``build`` (configs),
``source`` (local root or the embedded synthetic one), ``preprocess`` and ``geo_soft`` (raw GEO
inputs), ``synthetic`` (the seeded root generator).
"""
from bench.io import read_csv_header
from bench.metrics.genotex import gene_columns
from bench.tasks.genotex import Params
from bench.loaders.genotex.layout import (
    COVARIATES, COHORT_FLAGS, REGRESS_PREFIX, LICENSE_ID, CITATION, Problem, root_paths, trait_dir,
    regress_filename, condition_from_filename, read_task_info, iter_problems, check_known_trait,
    check_known_problem, read_cohort_info, read_significant_genes, read_gene_table, read_clinical_table,
    read_linked_table,
)
from bench.loaders.genotex.build import (
    UPSTREAM_REPO, problems_rows, problems_config, cohort_rows, cohorts_config, trait_configs, iter_configs,
    build_repo,
)
from bench.loaders.genotex.source import (
    synthetic_root,
)

__all__ = ['Params', 'COVARIATES', 'COHORT_FLAGS', 'REGRESS_PREFIX', 'LICENSE_ID', 'CITATION', 'Problem', 'root_paths',
    'trait_dir', 'regress_filename', 'condition_from_filename', 'read_task_info', 'iter_problems',
    'check_known_trait', 'check_known_problem', 'read_cohort_info', 'read_significant_genes', 'read_gene_table',
    'read_clinical_table', 'read_linked_table', 'read_csv_header', 'gene_columns', 'UPSTREAM_REPO',
    'problems_rows', 'problems_config', 'cohort_rows', 'cohorts_config', 'trait_configs', 'iter_configs',
    'build_repo', 'synthetic_root']
