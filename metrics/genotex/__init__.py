"""GenoTEX scoring cores (numpy/pandas; parsed objects in, never paths): one private module per
metric (scib-metrics layout); this flat namespace is the public face.

* ``_problems``: compat modes (v2 / legacy / GenoMAS / bench), trait names, problem categories,
  input checks, upstream rounding.
* ``_gene_set``: gene-trait association (``eval.py -t analysis``): P/R/F1, Jaccard,
  precision@k, AUROC and GSEA-like ES per problem, category means; the ``gta_gene_set`` metric.
* ``_selection``: dataset filtering and selection from ``cohort_info`` records; ``gta_selection``.
* ``_preprocessing``: table similarity of preprocessed tables; ``gta_preprocessing``.

Walking an upstream output folder (``preprocess/``, ``regress/``) is
:mod:`bench.baselines.genotex.folders`.
"""
from bench.metrics.genotex._gene_set import (
    aggregate, aggregate_analysis, auroc_approx_genomas, auroc_approx_v2, auroc_full, evaluate_gene_sets, gsea_es,
    gsea_es_approx, gsea_es_full, jaccard, jaccard_top_m, precision_at_k, precision_recall_f1, roc_auc,
    score_analysis_problem, score_problem)
from bench.metrics.genotex._preprocessing import (
    SIMILARITY_KEYS, IncomparableTable, feature_correlation, similarity_means, table_similarity, table_zero)
from bench.metrics.genotex._problems import (
    CATEGORIES, CITATION, COMPAT_MODES, CONDITIONAL, COVARIATES, MAX_N_GENES, N_GENES_APPROX, OVERALL, TWO_STEP,
    UNCONDITIONAL, category_label, check_compat, check_gene_list, check_trait_name, dedupe, nan_to_none,
    normalize_trait, problem_category, round2)
from bench.metrics.genotex._selection import (
    LinkedColumns, filtering_scores, gene_columns, is_one_step, linked_lookup, ranked_cohort_pairs,
    regressor_pair_check, score_selection, select_for_problem, select_one_step, select_two_step)

__all__ = [
    "CATEGORIES", "CITATION", "COMPAT_MODES", "CONDITIONAL", "COVARIATES", "MAX_N_GENES", "N_GENES_APPROX", "OVERALL",
    "SIMILARITY_KEYS", "TWO_STEP", "UNCONDITIONAL", "IncomparableTable", "LinkedColumns", "aggregate",
    "aggregate_analysis", "auroc_approx_genomas", "auroc_approx_v2", "auroc_full", "category_label", "check_compat",
    "check_gene_list", "check_trait_name", "dedupe", "evaluate_gene_sets", "feature_correlation", "filtering_scores",
    "gene_columns", "gsea_es", "gsea_es_approx", "gsea_es_full", "is_one_step", "jaccard", "jaccard_top_m",
    "linked_lookup", "nan_to_none", "normalize_trait", "precision_at_k", "precision_recall_f1", "problem_category",
    "ranked_cohort_pairs", "regressor_pair_check", "roc_auc", "round2", "score_analysis_problem", "score_problem",
    "score_selection", "select_for_problem", "select_one_step", "select_two_step", "similarity_means", "table_similarity",
    "table_zero",
]
