"""A tiny hand-made GeneLab upstream layout (3 skin missions x 4 samples x 6 genes) for bad-input tests."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

MISSIONS = ["MHU-2", "RR-6", "RR-7"]
HOLDOUT = "RR-23"
GENES = [f"ENSMUSG{i:011d}" for i in range(1, 7)]


def mission_samples(m: str) -> tuple[list[str], list[float]]:
    return [f"{m}_s{i}" for i in range(4)], [1.0, 0.0, 1.0, 0.0]


def values(sid: str) -> list[float]:
    """Deterministic, hand-checkable log2-like values of sample k of mission index j, gene g."""
    m, k = sid.rsplit("_s", 1)
    j, k = (MISSIONS + [HOLDOUT]).index(m), int(k)
    return [10 * j + k * (1 + g / 7) + ((k * g) % 3) / 10 for g in range(len(GENES))]


def _matrix(ids: list[str], genes: list[str], train_ids: list[str], zscore: bool) -> pd.DataFrame:
    full = pd.DataFrame([values(i) for i in ids], index=ids, columns=GENES)[genes]
    if not zscore:
        return full
    train = pd.DataFrame([values(i) for i in train_ids], index=train_ids, columns=GENES)[genes]
    return (full - train.mean()) / train.std(ddof=0)


def write_mini_layout(root: Path, *, with_matrices: bool = True, holdout: bool = False,
                      zscore: bool = False) -> Path:
    """3 LOMO folds (+ a ``fold_RR-23_holdout`` if ``holdout``); matrices log2-like or, with
    ``zscore``, standardised with each fold's TRAIN mean/std like the upstream generator."""
    task = root / "tasks" / "A5_skin_lomo"
    infos = []
    folds = [(m, f"fold_{m}_test", [t for t in MISSIONS if t != m]) for m in MISSIONS]
    if holdout:
        folds.append((HOLDOUT, f"fold_{HOLDOUT}_holdout", list(MISSIONS)))
    for m, fold_name, train in folds:
        d = task / fold_name
        d.mkdir(parents=True)
        te_ids, te_y = mission_samples(m)
        tr_ids = [i for t in train for i in mission_samples(t)[0]]
        tr_y = [v for t in train for v in mission_samples(t)[1]]
        pd.DataFrame({"0": te_y}, index=te_ids).to_csv(d / "test_y.csv")
        pd.DataFrame({"0": tr_y}, index=tr_ids).to_csv(d / "train_y.csv")
        for name, ids in (("test_meta.csv", te_ids), ("train_meta.csv", tr_ids)):
            pd.DataFrame({"label": ["Flight" if i.endswith(("s0", "s2")) else "GC" for i in ids],
                          "mission": [i.rsplit("_s", 1)[0] for i in ids], "strain": "C57BL/6J"},
                         index=ids).to_csv(d / name)
        genes = {"RR-7": GENES[:5], HOLDOUT: GENES[2:]}.get(m, GENES[1:])   # folds select different genes
        (d / "selected_genes.txt").write_text("\n".join(genes))
        if with_matrices:
            for name, ids in (("test_X.csv", te_ids), ("train_X.csv", tr_ids)):
                _matrix(ids, genes, tr_ids, zscore).to_csv(d / name)
        info = {"test_mission": m, "train_missions": train, "n_train": len(tr_ids), "n_test": len(te_ids)}
        (d / "fold_info.json").write_text(json.dumps(info))
        if m != HOLDOUT:
            infos.append(info)
    (task / "task_info.json").write_text(json.dumps({"task_id": "A5", "folds": infos}))
    pw = root / "processed" / "pathway_scores" / "skin"
    pw.mkdir(parents=True)
    for m in MISSIONS:
        ids, _ = mission_samples(m)
        df = pd.DataFrame(np.arange(len(ids) * 3).reshape(len(ids), 3) / 10, index=ids,
                          columns=["HALLMARK_A", "HALLMARK_B", "HALLMARK_C"])
        if m == "MHU-2":
            df.iloc[:2].to_csv(pw / "MHU-2_dorsal_gsva_hallmark.csv")
            df.iloc[2:].to_csv(pw / "MHU-2_femoral_gsva_hallmark.csv")
        else:
            df.to_csv(pw / f"{m}_gsva_hallmark.csv")
    return root


def write_label_folds(root: Path, folds: dict[str, dict[str, float]], task_dir: str = "A5_skin_lomo") -> Path:
    """Complete upstream LOMO label folds (test_y.csv, test_meta.csv, train_y.csv = the other folds' test
    labels) under ``root/tasks/task_dir``, as the checked GeneLab label reader expects; rewrites in place."""
    for fold, labels in folds.items():
        d = root / "tasks" / task_dir / fold
        d.mkdir(parents=True, exist_ok=True)
        mission = fold.split("_")[1]
        (d / "test_y.csv").write_text(",0\n" + "".join(f"{s},{float(v)}\n" for s, v in labels.items()))
        (d / "test_meta.csv").write_text("sample_id,mission\n" + "".join(f"{s},{mission}\n" for s in labels))
        train = {s: v for other, ls in folds.items() if other != fold for s, v in ls.items()}
        (d / "train_y.csv").write_text(",0\n" + "".join(f"{s},{float(v)}\n" for s, v in train.items()))
    return root
