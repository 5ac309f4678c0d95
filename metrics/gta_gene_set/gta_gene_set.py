"""GenoTEX GTA gene-set scoring as a Hugging Face ``evaluate`` metric (thin wrapper over
:mod:`bench.metrics.genotex`)."""
from __future__ import annotations

import datasets
import evaluate

from bench.metrics.genotex import COMPAT_MODES, N_GENES_APPROX, check_gene_list, evaluate_gene_sets

_CITATION = """\
@article{liu2024genotex,
  title={GenoTEX: A Benchmark for Automated Gene Expression Data Analysis in Alignment with Bioinformaticians},
  author={Liu, Haoyang and Chen, Shuyu and Zhang, Ye and Wang, Haohan},
  journal={arXiv preprint arXiv:2406.15341},
  year={2024}
}
"""

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
class GtaGeneSet(evaluate.Metric):
    """GenoTEX gene-set scoring (per category and overall)."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({
                "predictions": datasets.List(datasets.Value("string")),
                "references": datasets.List(datasets.Value("string")),
            }),
            reference_urls=["https://github.com/Liu-Hy/GenoTEX", "https://arxiv.org/abs/2406.15341"],
        )

    def add_batch(self, *, predictions=None, references=None, **kwargs):
        """Add a batch after checking that every gene is a string."""
        _check_raw(predictions, references)
        return super().add_batch(predictions=predictions, references=references, **kwargs)

    def compute(self, *, predictions=None, references=None, **kwargs):
        """Score after checking that every gene is a string (Arrow would cast silently)."""
        _check_raw(predictions, references)
        return super().compute(predictions=predictions, references=references, **kwargs)

    def _compute(self, predictions, references, conditions=None, all_genes=None, compat="v2",
                 n_genes=N_GENES_APPROX, return_per_problem=False):
        return evaluate_gene_sets(predictions, references, conditions=conditions, all_genes=all_genes,
                                  compat=compat, n_genes=n_genes, return_per_problem=return_per_problem)


def _check_raw(predictions, references) -> None:
    """Reject non-string genes before Arrow silently casts them to strings."""
    for name, lists in (("predictions", predictions), ("references", references)):
        for i, genes in enumerate(lists or []):
            if genes is not None or name == "references":
                check_gene_list(genes, field=f"{name}[{i}]")


__all__ = ["GtaGeneSet", "COMPAT_MODES"]
