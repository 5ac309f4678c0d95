"""Seeded builder of a small **synthetic** GenoTEX root in the exact upstream layout (spec §2).

Used by the tests and as the default data of ``bench run genotex_* --model lasso`` when no
``--data-dir`` is given (the real data set is 82 GB). Three traits, GEO cohorts named like the real manifests (``GSE…``), one ``TCGA`` cohort, a
biased cohort, an unavailable cohort, planted trait-associated genes (the independent truth the
baseline must recover) and reference ``significant_genes_condition_*.json`` files listing them.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

SYNTHETIC_MARKER = "SYNTHETIC_BENCH_DATA.txt"
GENES = [f"GENE{i:03d}" for i in range(1, 121)]
PLANTED = {"Breast_Cancer": ["GENE007", "GENE015", "GENE023", "GENE031", "GENE042"],
           "Obesity": ["GENE050", "GENE061", "GENE072", "GENE083"],
           "Hypertension": ["GENE090", "GENE095", "GENE101"]}
TASK_INFO = {
    "Breast_Cancer": {"related_genes": ["GENE007", "GENE015", "GENE023", "GENE099", "GENE110", "GENE031"],
                      "conditions": ["Age", "Gender", "Obesity"]},
    "Hypertension": {"related_genes": ["GENE090", "GENE095", "GENE050"], "conditions": ["Age"]},
    "Obesity": {"related_genes": ["GENE050", "GENE061", "GENE072", "GENE007", "GENE015"],
                "conditions": ["Gender", "Hypertension"]},
}
# trait -> cohort -> (n samples, has_age, has_gender, n genes kept, biased, available)
COHORTS = {
    "Breast_Cancer": {"GSE101001": (60, True, True, 110, False, True),
                      "GSE101002": (40, False, True, 100, False, True),
                      "TCGA": (80, True, True, 120, False, True),
                      "GSE101003": (0, False, False, 0, None, False)},
    "Obesity": {"GSE202001": (50, True, True, 115, False, True),
                "GSE202002": (30, False, False, 105, False, True)},
    "Hypertension": {"GSE303001": (36, True, False, 118, True, True)},
}


def _cohort_frame(rng, trait, cohort, n, has_age, has_gender, n_genes):
    genes = GENES[:n_genes] if cohort != "TCGA" else GENES
    genes = sorted(set(genes) | set(PLANTED[trait]) | {"GENE050", "GENE061", "GENE072"})
    samples = [f"TCGA-A{i % 7}-{1000 + i:04d}-01" if cohort == "TCGA" else f"GSM{cohort[3:]}{i:03d}"
               for i in range(n)]
    y = np.zeros(n)
    y[rng.permutation(n)[: n // 2]] = 1.0
    x = rng.normal(8.0, 1.0, size=(n, len(genes)))
    for rank, g in enumerate(PLANTED[trait]):
        x[:, genes.index(g)] += (2.5 - 0.3 * rank) * y
    frame = pd.DataFrame(x.round(4), index=samples, columns=genes)
    clinical = pd.DataFrame({trait: y}, index=samples)
    if has_age:
        clinical["Age"] = rng.integers(25, 80, n).astype(float)
    if has_gender:
        clinical["Gender"] = rng.integers(0, 2, n).astype(float)
    return clinical, frame


def build_genotex_root(root: str | Path, *, seed: int = 7, with_reference: bool = True) -> Path:
    """Write ``root/metadata``, ``root/output/preprocess`` and (optionally) ``root/output/regress``."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    (root / "metadata").mkdir(parents=True, exist_ok=True)
    (root / SYNTHETIC_MARKER).write_text(f"Synthetic GenoTEX root written by bench (seed {seed}); not real data.\n")
    (root / "metadata" / "task_info.json").write_text(json.dumps(TASK_INFO, indent=2))
    for trait, cohorts in COHORTS.items():
        tdir = root / "output" / "preprocess" / trait
        (tdir / "gene_data").mkdir(parents=True, exist_ok=True)
        (tdir / "clinical_data").mkdir(parents=True, exist_ok=True)
        info = {}
        for cohort, (n, has_age, has_gender, n_genes, biased, available) in cohorts.items():
            if not available:
                info[cohort] = {"is_usable": False, "is_gene_available": True, "is_trait_available": False,
                                "is_available": False, "is_biased": None, "has_age": None, "has_gender": None,
                                "sample_size": None, "note": "trait not recorded"}
                continue
            clinical, frame = _cohort_frame(rng, trait, cohort, n, has_age, has_gender, n_genes)
            frame.T.to_csv(tdir / "gene_data" / f"{cohort}.csv")
            if cohort == "TCGA":
                clinical.to_csv(tdir / "clinical_data" / f"{cohort}.csv")  # TCGA: samples x features
            else:
                clinical.T.to_csv(tdir / "clinical_data" / f"{cohort}.csv")  # GEO: features x samples
            if biased:
                clinical[trait] = 1.0
            else:
                pd.concat([clinical, frame], axis=1).to_csv(tdir / f"{cohort}.csv")
            info[cohort] = {"is_usable": not biased, "is_gene_available": True, "is_trait_available": True,
                            "is_available": True, "is_biased": bool(biased), "has_age": has_age,
                            "has_gender": has_gender, "sample_size": n, "note": ""}
        (tdir / "cohort_info.json").write_text(json.dumps(info, indent=4))
    if with_reference:
        write_reference(root)
    return root


def write_reference(root: Path) -> None:
    """Reference answers: the planted genes, for every problem with a usable cohort."""
    for trait, info in TASK_INFO.items():
        rdir = root / "output" / "regress" / trait
        rdir.mkdir(parents=True, exist_ok=True)
        usable = any(not c[4] and c[5] for c in COHORTS[trait].values())
        if not usable:
            continue
        for cond in ["None"] + info["conditions"]:
            genes = PLANTED[trait]
            coef = [round(2.5 - 0.3 * r, 4) for r in range(len(genes))]
            doc = {"significant_genes": {"Variable": genes, "Coefficient": coef,
                                         "Absolute Coefficient": [abs(c) for c in coef]},
                   "cv_performance": {"prediction": {"accuracy": 90.0, "precision": 90.0, "recall": 90.0, "f1": 90.0},
                                      "selection": {"precision": 50.0, "recall": 50.0, "f1": 50.0, "jaccard": 30.0}}}
            (rdir / f"significant_genes_condition_{cond}.json").write_text(json.dumps(doc, indent=4))
