"""GenoTEX problems: compat modes, trait names, categories, input checks and upstream rounding."""
from __future__ import annotations

import math
import re
from typing import Iterable

import numpy as np

from bench.errors import BenchError, BenchTypeError

COMPAT_MODES = ("v2", "legacy", "genomas", "bench")
#: The GenoTEX paper, cited by every gta_* evaluate module.
CITATION = """\
@article{liu2024genotex,
  title={GenoTEX: A Benchmark for Automated Gene Expression Data Analysis in Alignment with Bioinformaticians},
  author={Liu, Haoyang and Chen, Shuyu and Zhang, Ye and Wang, Haohan},
  journal={arXiv preprint arXiv:2406.15341}, year={2024}
}
"""
N_GENES_APPROX = 20000
#: Resource bound of ``n_genes`` (arrays of this length are built per problem; ~20k human genes).
MAX_N_GENES = 1_000_000
UNCONDITIONAL, CONDITIONAL, TWO_STEP, OVERALL = ("unconditional one-step", "conditional one-step",
                                                 "two-step", "overall")
CATEGORIES = (UNCONDITIONAL, CONDITIONAL, TWO_STEP)
#: Covariate conditions of one-step conditional problems (upstream ``task_info.json`` names).
COVARIATES = ("Age", "Gender")


def normalize_trait(name: str) -> str:
    """Upstream trait-name normalisation: whitespace runs → ``_``, apostrophes deleted.

    >>> normalize_trait("Crohn's Disease"), normalize_trait("Large B-cell Lymphoma")
    ('Crohns_Disease', 'Large_B-cell_Lymphoma')
    """
    if not isinstance(name, str):
        raise BenchError(f"trait name must be a string, got {type(name).__name__}: {name!r}")
    return "_".join(name.split()).replace("'", "")


_UNSAFE_RE = re.compile(r"[/\\\x00]")


def check_trait_name(name: str, *, field: str = "trait") -> str:
    """Return ``name`` if it is a safe single path component, else raise naming ``field``."""
    if not isinstance(name, str) or not name:
        raise BenchError(f"{field}: expected a non-empty trait name string, got {name!r}")
    if _UNSAFE_RE.search(name) or name in (".", "..") or ".." in name or name.startswith("."):
        raise BenchError(f"{field}: trait name {name!r} would escape the data folder "
                         "(no path separators, no '..', no leading '.')")
    return name


def problem_category(condition: str | None) -> str:
    """Category of a condition (case-insensitive): None/'none' → unconditional one-step,
    'age'/'gender' → conditional one-step, anything else → two-step."""
    if condition is None or str(condition).lower() == "none":
        return UNCONDITIONAL
    if str(condition).lower() in ("age", "gender"):
        return CONDITIONAL
    return TWO_STEP


def category_label(category: str, compat: str) -> str:
    """Legacy labels are lower-case; v2/GenoMAS/bench capitalise the first letter."""
    return category if compat == "legacy" else category[:1].upper() + category[1:]


def check_compat(compat: str) -> str:
    if compat not in COMPAT_MODES:
        raise BenchError(f"compat: expected one of {', '.join(COMPAT_MODES)}, got {compat!r}")
    return compat


def check_gene_list(genes, *, field: str) -> list[str]:
    """A list of gene symbol strings (tuples/arrays accepted), else BenchError naming ``field``."""
    if isinstance(genes, (str, bytes)) or not isinstance(genes, (list, tuple, np.ndarray)):
        raise BenchTypeError(f"{field}: expected a list of gene symbols, got {type(genes).__name__}")
    out = list(genes)
    for i, g in enumerate(out):
        if not isinstance(g, str):
            raise BenchTypeError(f"{field}[{i}]: gene symbols must be strings, got {type(g).__name__} {g!r}")
    return out


def dedupe(genes: Iterable[str]) -> list[str]:
    """Drop repeated genes, keeping the first occurrence (rank order preserved)."""
    return list(dict.fromkeys(genes))

def round2(x: float) -> float:
    """``float(round(np.float64(x), 2))`` as upstream (numpy rounding, NaN stays NaN)."""
    return float(np.round(np.float64(x), 2))



def nan_to_none(obj):
    """Recursively replace NaN floats by None (for strict JSON output)."""
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [nan_to_none(v) for v in obj]
    return obj
