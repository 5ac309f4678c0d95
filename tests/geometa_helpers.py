"""Small GEOMeta100K-format label folders for tests (written with the csv module, seeded)."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

HUMAN_COLUMNS = ["GSM_ID", "GSE_ID", "RNA_Library", "Experimental_Setting", "Specimen_Type", "Organ",
                 "Disease", "Age_Group", "Gender"]
VOCAB = {"Gender": ["Female", "Male"], "Organ": ["Blood", "Brain", "Lungs"],
         "Disease": ["Normal", "Sclerosis", "Breast Neoplasms"], "Age_Group": ["Adult", "Elderly"],
         "RNA_Library": ["mRNA-based"], "Experimental_Setting": ["In Vivo"], "Specimen_Type": ["Primary Tissue"]}


def human_rows(n: int, *, start: int, n_gse: int, seed: int, na_rate: float = 0.1) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        row = {"GSM_ID": f"GSM{start + i}", "GSE_ID": f"GSE{start // 1000 + i % n_gse}"}
        for col, vocab in VOCAB.items():
            row[col] = None if (col in ("Gender", "Age_Group") and rng.random() < na_rate) else str(rng.choice(vocab))
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> Path:
    """Quote every value, write missing ones as the bare NA (as upstream)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(f'"{c}"' for c in columns) + "\n")
        for r in rows:
            fh.write(",".join("NA" if r[c] is None else '"' + r[c].replace('"', '""') + '"' for c in columns) + "\n")
    return path


def make_human_dir(root: Path, *, n_train: int = 120, n_test: int = 60, seed: int = 0, train: bool = True) -> Path:
    """``root/benchmark/data/GEOMeta100K/GEO_HUMAN_100K_{training,test}.csv`` (train GSE != test GSE)."""
    folder = root / "benchmark" / "data" / "GEOMeta100K"
    if train:
        write_csv(folder / "GEO_HUMAN_100K_training.csv",
                  human_rows(n_train, start=100000, n_gse=12, seed=seed), HUMAN_COLUMNS[::-1])
    write_csv(folder / "GEO_HUMAN_100K_test.csv", human_rows(n_test, start=200000, n_gse=6, seed=seed + 1),
              HUMAN_COLUMNS)
    return root


def has_h5py() -> bool:
    """Whether the geometa extra's h5py is importable (ARCHS4 expression tests need it)."""
    try:
        import h5py  # noqa: F401
    except ImportError:
        return False
    return True


needs_h5py = pytest.mark.skipif(not has_h5py(), reason="h5py is not installed (pip install 'bench[geometa]')")
