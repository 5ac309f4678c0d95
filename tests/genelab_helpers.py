"""A tiny hand-made GeneLab upstream layout (3 skin missions x 4 samples x 6 genes) for bad-input tests."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

MISSIONS = ["MHU-2", "RR-6", "RR-7"]
GENES = [f"ENSMUSG{i:011d}" for i in range(1, 7)]


def mission_samples(m: str) -> tuple[list[str], list[float]]:
    return [f"{m}_s{i}" for i in range(4)], [1.0, 0.0, 1.0, 0.0]


def values(sid: str) -> list[float]:
    """Deterministic, hand-checkable values: sample k of mission index j -> 10*j + k + gene/10."""
    m, k = sid.rsplit("_s", 1)
    j = MISSIONS.index(m)
    return [10 * j + int(k) + g / 10 for g in range(len(GENES))]


def write_mini_layout(root: Path, *, with_matrices: bool = True) -> Path:
    task = root / "tasks" / "A5_skin_lomo"
    infos = []
    for m in MISSIONS:
        d = task / f"fold_{m}_test"
        d.mkdir(parents=True)
        train = [t for t in MISSIONS if t != m]
        te_ids, te_y = mission_samples(m)
        tr_ids = [i for t in train for i in mission_samples(t)[0]]
        tr_y = [v for t in train for v in mission_samples(t)[1]]
        pd.DataFrame({"0": te_y}, index=te_ids).to_csv(d / "test_y.csv")
        pd.DataFrame({"0": tr_y}, index=tr_ids).to_csv(d / "train_y.csv")
        for name, ids in (("test_meta.csv", te_ids), ("train_meta.csv", tr_ids)):
            pd.DataFrame({"label": ["Flight" if i.endswith(("s0", "s2")) else "GC" for i in ids],
                          "mission": [i.rsplit("_s", 1)[0] for i in ids], "strain": "C57BL/6J"},
                         index=ids).to_csv(d / name)
        genes = GENES[:5] if m == "RR-7" else GENES[1:]          # folds select different genes
        (d / "selected_genes.txt").write_text("\n".join(genes))
        if with_matrices:
            for name, ids in (("test_X.csv", te_ids), ("train_X.csv", tr_ids)):
                full = pd.DataFrame([values(i) for i in ids], index=ids, columns=GENES)
                full[genes].to_csv(d / name)
        info = {"test_mission": m, "train_missions": train, "n_train": len(tr_ids), "n_test": len(te_ids)}
        (d / "fold_info.json").write_text(json.dumps(info))
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
