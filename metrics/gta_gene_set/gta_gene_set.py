"""GenoTEX GTA gene-set scoring as a Hugging Face ``evaluate`` metric (thin wrapper over
:mod:`bench.metrics.genotex`)."""
from __future__ import annotations

import datasets
import evaluate

from bench.metrics.checks import RawInputChecks, check_bool, check_choice, check_int, check_sequence, check_strings
from bench.metrics.genotex import (
    CITATION, COMPAT_MODES, MAX_N_GENES, N_GENES_APPROX, check_gene_list, evaluate_gene_sets)

_DESCRIPTION = """\
Scores ranked gene lists predicted for GenoTEX gene-trait association problems against the
reference significant genes: precision, recall, F1 (x100), Jaccard, precision@50, AUROC,
GSEA-like ES and success, averaged per problem category (unconditional one-step, conditional
one-step, two-step) and overall. `compat` reproduces an upstream evaluator exactly: "v2"
(default, GenoTex@1669c87), "legacy" (GenoTEX@d8547df), "genomas" (GenoMAS@30a7216), or
"bench" (duplicates removed, failures count as 0, both means reported, no rounding).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `list` of `str`): ranked predicted genes per problem; `None` = no
        prediction (a failed problem).
    references (`list` of `list` of `str`): reference significant genes per problem.
    conditions (`list` of `str` or `None`, optional): the condition of each problem (None,
        "Age", "Gender" or a trait) used for the categories; default all unconditional.
    all_genes (`list` of `list` of `str`, optional): gene universe per problem; switches AUROC
        and ES to the exact path.
    compat (`str`, optional): "v2" (default), "legacy", "genomas" or "bench".
    n_genes (`int`, optional): universe size of the approximate AUROC/ES path (default 20000).
    return_per_problem (`bool`, optional): also return the per-problem scores.
Returns:
    dict: {category label: {metric: mean}} plus "Overall" ("overall" in legacy mode).
Examples:
    >>> m = evaluate.load("metrics/gta_gene_set")  # doctest: +SKIP
    >>> m.compute(predictions=[["A", "B"]], references=[["A"]])["Overall"]["precision"]  # doctest: +SKIP
    50.0
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class GtaGeneSet(RawInputChecks, evaluate.Metric):
    """GenoTEX gene-set scoring (per category and overall)."""

    raw_checks = {"predictions": lambda lists, name: _check_gene_lists(lists, name, allow_none=True),
                  "references": lambda lists, name: _check_gene_lists(lists, name)}

    def check_options(self, conditions=None, all_genes=None, compat="v2", n_genes=N_GENES_APPROX,
                      return_per_problem=False) -> None:
        if conditions is not None:
            check_strings(conditions, "conditions", allow_none=True)
        if all_genes is not None:
            _check_gene_lists(all_genes, "all_genes", allow_none=True)
        check_choice(compat, "compat", COMPAT_MODES)
        check_int(n_genes, "n_genes", minimum=1, maximum=MAX_N_GENES, hint=" (size of the approximate gene universe)")
        check_bool(return_per_problem, "return_per_problem")

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({
                "predictions": datasets.List(datasets.Value("string")),
                "references": datasets.List(datasets.Value("string")),
            }),
            reference_urls=["https://github.com/Liu-Hy/GenoTEX", "https://arxiv.org/abs/2406.15341"],
        )

    def _compute(self, predictions, references, conditions=None, all_genes=None, compat="v2",
                 n_genes=N_GENES_APPROX, return_per_problem=False):
        return evaluate_gene_sets(predictions, references, conditions=conditions, all_genes=all_genes,
                                  compat=compat, n_genes=n_genes, return_per_problem=return_per_problem)


def _check_gene_lists(lists, name: str, *, allow_none: bool = False) -> None:
    """Lists of gene-symbol strings (``None`` = no prediction where allowed), before Arrow casts them."""
    for i, genes in enumerate(check_sequence(lists, name)):
        if genes is not None or not allow_none:
            check_gene_list(genes, field=f"{name}[{i}]")


__all__ = ["GtaGeneSet", "COMPAT_MODES"]
