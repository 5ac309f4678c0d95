"""Embedded default: a deterministic synthetic GeneLab benchmark in the EXACT upstream layout.

Used when no data dir is given and the Hub is unreachable. Everything it writes is marked
synthetic (``"synthetic": true`` in every JSON, a warning when a config is built from it, and a
banner on the dataset card). What it models, per tissue (numbers from the task YAML ``params``):

- the real missions with their real per-mission Flight/Ground counts (plus holdout missions);
- ``n_genes_before_var_filter`` Ensembl-like mouse gene ids (``ENSMUSG...``), log2-scale values
  (gene means ~ Gamma, gene-specific noise);
- strong mission batch effects (a per-mission, per-gene shift) and a tunable Flight effect
  (``flight_effect``, log2 units) on a random 3% of genes, with a mission-specific strength (never on
  the housekeeping genes of the NC2 control, which by definition carry no Flight signal);
- each fold's ``selected_genes.txt`` = genes whose TRAIN-only variance is >= the 25th percentile
  (reproduces the real ``n_genes_after_var_filter`` counts), ``train_X.csv``/``test_X.csv`` holding
  those genes (log2 values, not z-scored);
- GSVA-like pathway scores for the four collections with the upstream quirks: skin MHU-2 split
  into ``MHU-2_dorsal``/``MHU-2_femoral`` files, thymus ``MHU-2`` file also containing the MHU-1
  samples, gastrocnemius labels ids ``"<MISSION>.<id>"`` while GSVA files use the bare id, pathway
  columns differing slightly between missions, extra basal-control rows, no file for holdouts.

Variants: ``A1_liver_lomo_combat`` removes each mission's per-gene mean (location-only ComBat);
``A1_liver_lomo_iss_only`` keeps the same missions (the upstream definition is not public).
Task folders are generated lazily, one at a time, atomically, under the bench cache.
"""
from __future__ import annotations

import functools
import json
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bench.errors import BenchError
from bench.io import atomic_path
from bench.loaders.cache import bench_cache_dir
from bench.tasks import TaskSpec, list_tasks

log = logging.getLogger("bench.genelab")

GENERATOR_VERSION = 2         # 2: no Flight effect on the NC2 housekeeping genes
DEFAULT_SEED = 0
FLIGHT_EFFECT = 0.5           # log2 fold change scale of the Flight genes (LR AUROC ~0.9 on A2)
FLIGHT_GENE_FRACTION = 0.03
BATCH_SD = 1.0                # per-mission per-gene shift (strong batch effect)
N_PATHWAYS = {"hallmark": 50, "kegg": 230, "reactome": 1110, "mitocarta": 35}
_TISSUE_CODE = {"liver": "LVR", "gastrocnemius": "GST", "kidney": "KDN", "thymus": "TMS", "skin": "SKN",
                "eye": "RTN"}


def synthetic_root(seed: int = DEFAULT_SEED, flight_effect: float = FLIGHT_EFFECT) -> Path:
    """Where the synthetic upstream layout lives: ``<bench cache>/genelab_synthetic/v<N>-seed<S>``
    (``-flight<E>`` appended for a non-default Flight effect)."""
    name = f"v{GENERATOR_VERSION}-seed{int(seed)}"
    if float(flight_effect) != FLIGHT_EFFECT:
        name += f"-flight{float(flight_effect):g}"
    return bench_cache_dir() / "genelab_synthetic" / name


def _rng(seed: int, *keys: str) -> np.random.Generator:
    return np.random.default_rng([int(seed)] + [zlib.crc32(k.encode()) for k in keys])


# --------------------------------------------------------------------------------------------
# tissue model
# --------------------------------------------------------------------------------------------

@dataclass
class Mission:
    name: str
    holdout: bool
    ids: list            # label-file sample ids, test_y order
    gsva_ids: list       # ids as written in the pathway files
    labels: np.ndarray   # 1 Flight / 0 Ground
    meta: pd.DataFrame


@dataclass
class TissueWorld:
    tissue: str
    params: dict
    genes: list
    missions: dict       # name -> Mission (non-holdout first, sorted; then holdouts)
    X: dict              # name -> float32 [n, G] log2 values


def tissue_params(tissue: str) -> dict:
    """Per-tissue params (missions, gene counts) from the registry's gene-level Category A task."""
    for spec in list_tasks("genelab"):
        if spec.params.get("tissue") == tissue and spec.params.get("category") == "A":
            return spec.params
    raise BenchError(f"no GeneLab task in the registry for tissue {tissue!r}")


def _sample_ids(tissue: str, mission: str, labels: np.ndarray, rng) -> tuple[list, list, list]:
    """(label ids, GSVA ids, part) with the upstream naming quirks."""
    code = _TISSUE_CODE[tissue]
    mcode = mission.replace("-", "")
    ids, parts = [], []
    counters = {0: 0, 1: 0}
    for lab in labels:
        counters[lab] += 1
        grp = "FLT" if lab else "GC"
        part = None
        if tissue == "skin" and mission == "MHU-2":
            part = "dorsal" if counters[lab] % 2 else "femoral"
            code_here = "DSKN" if part == "dorsal" else "FSKN"
        else:
            code_here = code
        ids.append(f"Mmus_C57-6J_{code_here}_{mcode}_{grp}_Rep{counters[lab]}")
        parts.append(part)
    if tissue == "liver" and mission == "MHU-2":
        start = int(rng.integers(7_000_000, 7_900_000))
        ids = [f"GSM{start + i}" for i in range(len(ids))]
    gsva_ids = list(ids)
    if tissue == "gastrocnemius":
        ids = [f"{mission}.{i}" for i in ids]
    return ids, gsva_ids, parts


def _meta_frame(tissue: str, mission: str, ids: list, labels: np.ndarray, holdout: bool, rng) -> pd.DataFrame:
    n = len(ids)
    lab = np.where(labels == 1, "Flight", "GC")
    osd = f"OSD-{100 + zlib.crc32(f'{tissue}:{mission}'.encode()) % 600}"
    if holdout:
        df = pd.DataFrame({"label": lab, "mission": mission, "osd_id": osd,
                           "condition": np.where(labels == 1, "Space.Flight", "Ground.Control"),
                           "tissue": tissue, "track": "2a"}, index=pd.Index(ids, name="sample_id"))
        return df
    if tissue == "gastrocnemius":
        return pd.DataFrame({"label": lab, "mission": mission, "REMOVE": False, "tissue": tissue},
                            index=pd.Index(ids))
    strain = np.where((labels == 0) & (mission == "MHU-1"), "C57BL/6CR", "C57BL/6J")
    return pd.DataFrame({
        "library_size": rng.normal(30e6, 5e6, n).round(3),
        "n_detected_genes": rng.integers(21000, 25000, n),
        "pct_top100_genes": rng.uniform(15, 40, n).round(4),
        "remove_low_library": False, "remove_low_genes": False, "remove_pca_outlier": False,
        "remove_duplicate": False, "REMOVE": False,
        "label": lab, "mission": mission, "osd_id": osd, "strain": strain, "track": "2a",
        "duration_days": int(rng.choice([25, 35, 37, 75])), "tissue": tissue,
    }, index=pd.Index(ids))


@functools.lru_cache(maxsize=1)
def housekeeping_gene_ids() -> list:
    """Ensembl ids of the NC2 housekeeping control (registry task ``NC2_skin_housekeeping``)."""
    from bench.tasks import get_task

    genes = get_task("NC2_skin_housekeeping").params.get("genes") or {}
    return sorted(str(g) for g in (genes.values() if isinstance(genes, dict) else genes))


@functools.lru_cache(maxsize=4)
def tissue_world(tissue: str, *, seed: int = DEFAULT_SEED, variant: str | None = None,
                 flight_effect: float = FLIGHT_EFFECT, extra_missions: tuple = ()) -> TissueWorld:
    """All samples and log2 expression of one tissue (deterministic in ``seed``).

    ``extra_missions``: ``((name, n_flight, n_ground), ...)`` beyond the built-in ones, e.g. a
    lab's new mission declared in a user task file (each mission has its own random stream, so
    adding one leaves the others' samples unchanged).
    """
    params = tissue_params(tissue)
    if extra_missions:
        added = {m: {"n": f + g, "flight": f, "ground": g} for m, f, g in extra_missions}
        params = {**params, "missions": {**params["missions"], **added}}
    rng = _rng(seed, "genes", tissue)
    n_genes = int(params["n_genes_before_var_filter"])
    gene_nums = np.sort(rng.choice(np.arange(1, 140_000), size=n_genes, replace=False))
    genes = [f"ENSMUSG{n:011d}" for n in gene_nums]
    mu = np.minimum(rng.gamma(2.0, 2.5, n_genes), 15.0)
    noise_sd = rng.lognormal(np.log(0.25), 0.7, n_genes)
    flight_genes = rng.choice(n_genes, size=max(1, int(FLIGHT_GENE_FRACTION * n_genes)), replace=False)
    effect = np.zeros(n_genes)
    signs = rng.choice([-1.0, 1.0], flight_genes.size)
    effect[flight_genes] = flight_effect * signs * rng.uniform(0.5, 1.5, flight_genes.size)
    effect[np.isin(genes, housekeeping_gene_ids())] = 0.0     # after the draws: other genes unchanged
    missions, X = {}, {}
    entries = [(m, c, False) for m, c in sorted(params["missions"].items())]
    entries += [(m, c, True) for m, c in sorted((params.get("holdout_missions") or {}).items())]
    for name, counts, holdout in entries:
        mrng = _rng(seed, "mission", tissue, name)
        labels = np.array([1] * int(counts["flight"]) + [0] * int(counts["ground"]), dtype=np.int64)
        labels = labels[mrng.permutation(labels.size)]
        ids, gsva_ids, _ = _sample_ids(tissue, name, labels, mrng)
        meta = _meta_frame(tissue, name, ids, labels, holdout, mrng)
        batch = mrng.normal(0.0, BATCH_SD * (1.5 if holdout else 1.0), n_genes) + mrng.normal(0, 0.5)
        strength = mrng.uniform(0.4, 1.2)
        values = (mu + batch + labels[:, None] * effect * strength
                  + mrng.normal(0.0, 1.0, (labels.size, n_genes)) * noise_sd)
        missions[name] = Mission(name, holdout, ids, gsva_ids, labels, meta)
        X[name] = values
    if variant == "combat":
        grand = np.mean(np.vstack([X[m] for m in X if not missions[m].holdout]), axis=0)
        X = {m: v - v.mean(axis=0) + grand for m, v in X.items()}
    X = {m: np.round(np.clip(v, 0.0, None), 3).astype(np.float32) for m, v in X.items()}
    return TissueWorld(tissue, params, genes, missions, X)


def select_genes(train: np.ndarray, genes: list, cutoff: float = 0.25) -> list:
    """Train-only variance filter: genes with variance >= the ``cutoff`` percentile (upstream rule)."""
    var = train.astype(np.float64).var(axis=0, ddof=1)
    keep = var >= np.percentile(var, cutoff * 100)
    return [g for g, k in zip(genes, keep) if k]


# --------------------------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------------------------

def _write_y(path: Path, ids: list, labels: np.ndarray, *, column: str = "0", as_int: bool = False) -> None:
    values = labels.astype(np.int64) if as_int else labels.astype(np.float64)
    pd.DataFrame({column: values}, index=pd.Index(ids)).to_csv(path)


def write_matrix_csv(path: Path, ids: list, columns: list, values: np.ndarray) -> None:
    """Fast CSV writer for wide matrices, pandas ``to_csv`` layout: header ``,<col>...``, one row per
    sample. Values are formatted by Arrow's float->string cast (shortest round-trip repr)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    flat = pc.cast(pa.array(np.ascontiguousarray(values, dtype=np.float32).ravel()), pa.string())
    cells = np.asarray(flat.to_numpy(zero_copy_only=False), dtype=object).reshape(values.shape)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(["", *columns]) + "\n")
        for sid, row in zip(ids, cells):
            fh.write(sid + "," + ",".join(row) + "\n")


def _task_dir_kind(task_dir: str) -> tuple[str, str | None, str]:
    """(tissue, variant, 'A'|'B') of an upstream task folder name, from the registry."""
    spec = _task_dir_spec(task_dir)
    kind = "B" if spec.params.get("category") == "B" else "A"
    return spec.params["tissue"], spec.params.get("variant"), kind


def _task_dir_spec(task_dir: str) -> TaskSpec:
    for spec in list_tasks("genelab"):
        if spec.params.get("task_dir") == task_dir:
            return spec
    raise BenchError(f"no registry task uses the upstream folder {task_dir!r}")


def _extra_missions(task_dir: str) -> tuple:
    """Missions a (user) task declares beyond its tissue's built-in ones, as (name, flight, ground)."""
    spec = _task_dir_spec(task_dir)
    builtin = tissue_params(spec.params["tissue"])["missions"]
    return tuple((m, int(c["flight"]), int(c["ground"]))
                 for m, c in sorted(spec.params.get("missions", {}).items()) if m not in builtin)


def _fold_plan(world: TissueWorld) -> list[tuple[str, str, list]]:
    """(fold name, test mission, train missions) for every fold, sorted by name."""
    regular = [m for m, v in world.missions.items() if not v.holdout]
    plan = [(f"fold_{m}_test", m, [t for t in regular if t != m]) for m in regular]
    plan += [(f"fold_{m}_holdout", m, list(regular)) for m, v in world.missions.items() if v.holdout]
    return sorted(plan)


def _concat(world: TissueWorld, missions: list) -> tuple[list, np.ndarray, pd.DataFrame, np.ndarray]:
    ids = [i for m in missions for i in world.missions[m].ids]
    labels = np.concatenate([world.missions[m].labels for m in missions])
    meta = pd.concat([world.missions[m].meta for m in missions])
    X = np.vstack([world.X[m] for m in missions])
    return ids, labels, meta, X


def _label_distribution(labels: np.ndarray) -> dict:
    return {"Flight": int((labels == 1).sum()), "Ground": int((labels == 0).sum())}


def write_task_dir(root: Path, task_dir: str, *, seed: int = DEFAULT_SEED,
                   flight_effect: float = FLIGHT_EFFECT) -> Path:
    """Generate ``<root>/tasks/<task_dir>`` (labels, metadata, fold info, selected genes; no matrices)."""
    tissue, variant, kind = _task_dir_kind(task_dir)
    target = Path(root) / "tasks" / task_dir
    if target.is_dir():
        return target
    world = tissue_world(tissue, seed=seed, variant=variant, flight_effect=flight_effect,
                         extra_missions=_extra_missions(task_dir))
    with atomic_path(target, directory=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        if kind == "B":
            regular = [m for m, v in world.missions.items() if not v.holdout]
            for i in regular:
                for j in regular:
                    if i != j:
                        (tmp / f"pair_{i}_{j}").mkdir()
                        mj = world.missions[j]
                        _write_y(tmp / f"pair_{i}_{j}" / "test_y.csv", mj.ids, mj.labels, column="label", as_int=True)
        else:
            _write_lomo_dir(tmp, world, task_dir)
    log.warning("generated SYNTHETIC GeneLab task folder %s (seed %d)", target, seed)
    return target


def _write_lomo_dir(tmp: Path, world: TissueWorld, task_dir: str) -> None:
    p = world.params
    fold_infos = []
    for fold, test_m, train_ms in _fold_plan(world):
        d = tmp / fold
        d.mkdir()
        mt = world.missions[test_m]
        tr_ids, tr_labels, tr_meta, tr_X = _concat(world, train_ms)
        selected = select_genes(tr_X, world.genes, float(p.get("var_percentile_cutoff", 0.25)))
        info = {"test_mission": test_m, "train_missions": train_ms, "n_train": len(tr_ids), "n_test": len(mt.ids),
                "n_genes_before_var_filter": len(world.genes), "n_genes_after_var_filter": len(selected),
                "var_percentile_cutoff": float(p.get("var_percentile_cutoff", 0.25)),
                "train_label_distribution": _label_distribution(tr_labels),
                "test_label_distribution": _label_distribution(mt.labels),
                "excluded_bc_ag_samples": 0, "synthetic": True}
        if mt.holdout:
            info = {"fold_type": "held_out", **info, "label_public": True}
        (d / "fold_info.json").write_text(json.dumps(info, indent=2))
        column = "label" if mt.holdout else "0"
        _write_y(d / "train_y.csv", tr_ids, tr_labels, column=column)
        _write_y(d / "test_y.csv", mt.ids, mt.labels, column=column)
        tr_meta.to_csv(d / "train_meta.csv")
        mt.meta.to_csv(d / "test_meta.csv")
        (d / "selected_genes.txt").write_text("\n".join(selected))
        if not mt.holdout:
            fold_infos.append({k: v for k, v in info.items() if k != "synthetic"})
    task_info = {"task": f"Spaceflight detection — {world.tissue} (SYNTHETIC)", "tissue": world.tissue,
                 "split": "LOMO", "n_missions": len(fold_infos), "n_folds_generated": len(fold_infos),
                 "folds": fold_infos, "task_id": task_dir.split("_")[0], "synthetic": True,
                 "generated_by": f"bench.loaders.genelab_synthetic v{GENERATOR_VERSION}"}
    (tmp / "task_info.json").write_text(json.dumps(task_info, indent=2))


def write_fold_matrices(root: Path, task_dir: str, *, seed: int = DEFAULT_SEED,
                        flight_effect: float = FLIGHT_EFFECT, progress: bool = True) -> None:
    """Write ``train_X.csv``/``test_X.csv`` (selected genes, log2 values) into every fold, atomically."""
    from tqdm.auto import tqdm

    tissue, variant, kind = _task_dir_kind(task_dir)
    if kind == "B":
        return
    base = Path(root) / "tasks" / task_dir
    world = None
    plan = None
    todo = []
    for fold in sorted(p for p in base.iterdir() if p.is_dir()):
        for name in ("test_X.csv", "train_X.csv"):
            if not (fold / name).is_file():
                todo.append((fold, name))
    if not todo:
        return
    world = tissue_world(tissue, seed=seed, variant=variant, flight_effect=flight_effect,
                         extra_missions=_extra_missions(task_dir))
    plan = {f: (t, tr) for f, t, tr in _fold_plan(world)}
    gene_pos = {g: i for i, g in enumerate(world.genes)}
    for fold, name in tqdm(todo, desc=f"synthetic {task_dir} matrices", unit="file", disable=not progress,
                           leave=False):
        test_m, train_ms = plan[fold.name]
        missions = [test_m] if name == "test_X.csv" else train_ms
        ids, _, _, X = _concat(world, missions)
        selected = (fold / "selected_genes.txt").read_text().split()
        cols = np.array([gene_pos[g] for g in selected])
        with atomic_path(fold / name) as tmp:
            write_matrix_csv(tmp, ids, selected, X[:, cols])


def write_pathway_scores(root: Path, tissue: str, *, seed: int = DEFAULT_SEED,
                         flight_effect: float = FLIGHT_EFFECT) -> Path:
    """Generate ``<root>/processed/pathway_scores/<tissue>/<mission>_gsva_<db>.csv`` for the 4 collections."""
    target = Path(root) / "processed" / "pathway_scores" / tissue
    if target.is_dir():
        return target
    world = tissue_world(tissue, seed=seed, flight_effect=flight_effect)
    with atomic_path(target, directory=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        for db, n_path in N_PATHWAYS.items():
            rng = _rng(seed, "gsva", tissue, db)
            names = [f"{db.upper()}_SYNTHETIC_PATHWAY_{i:04d}" for i in range(n_path)]
            effect = np.where(rng.random(n_path) < 0.15, rng.choice([-0.3, 0.3], n_path), 0.0)
            effect = effect * (flight_effect / FLIGHT_EFFECT)
            regular = [m for m, v in world.missions.items() if not v.holdout]
            for m in regular:
                tables = _gsva_tables(world, m, names, effect, rng, db)
                for fname, df in tables.items():
                    df.to_csv(tmp / f"{fname}_gsva_{db}.csv")
    log.warning("generated SYNTHETIC GeneLab pathway scores %s (seed %d)", target, seed)
    return target


def _gsva_scores(labels: np.ndarray, effect: np.ndarray, rng) -> np.ndarray:
    shift = rng.normal(0.0, 0.05, effect.size)
    scores = shift + labels[:, None] * effect + rng.normal(0.0, 0.2, (labels.size, effect.size))
    return np.clip(scores, -1.0, 1.0)


def _gsva_tables(world: TissueWorld, m: str, names: list, effect: np.ndarray, rng, db: str) -> dict:
    """{file stem: DataFrame} for one mission, with the upstream quirks."""
    mission = world.missions[m]
    n_drop = 0 if db == "hallmark" else max(1, len(names) // 100)
    keep = sorted(set(range(len(names))) - set(rng.choice(len(names), n_drop, replace=False).tolist()))
    cols = [names[i] for i in keep]
    code = _TISSUE_CODE[world.tissue]
    basal = [f"Mmus_C57-6J_{code}_{m.replace('-', '')}_BSL_Rep{k}" for k in (1, 2)]
    ids = list(mission.gsva_ids) + basal
    labels = np.concatenate([mission.labels, [0, 0]])
    scores = _gsva_scores(labels, effect, rng)[:, keep]
    df = pd.DataFrame(scores, index=pd.Index(ids), columns=cols)
    if world.tissue == "thymus" and m == "MHU-2" and "MHU-1" in world.missions:
        other = world.missions["MHU-1"]
        extra = pd.DataFrame(_gsva_scores(other.labels, effect, rng)[:, keep], index=pd.Index(other.gsva_ids),
                             columns=cols)
        df = pd.concat([extra, df])
    if world.tissue == "skin" and m == "MHU-2":
        dorsal = [("DSKN" in i) or (i in basal[:1]) for i in df.index]
        return {f"{m}_dorsal": df[np.array(dorsal)], f"{m}_femoral": df[~np.array(dorsal)]}
    return {m: df}


# --------------------------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------------------------

def ensure_synthetic(spec: TaskSpec, *, root: Path | None = None, seed: int = DEFAULT_SEED,
                     flight_effect: float = FLIGHT_EFFECT, matrices: bool | None = None,
                     progress: bool = True) -> Path:
    """Generate (once) what ``spec`` needs in the synthetic root and return the root.

    ``flight_effect`` scales the Flight signal (log2 units on 3 % of genes; 0 = no signal)."""
    from bench.loaders.genelab import is_pathway, labels_task_dir, needed_task_dirs

    root = Path(root) if root else synthetic_root(seed, flight_effect)
    fx = {"seed": seed, "flight_effect": flight_effect}
    for d in needed_task_dirs(spec):
        write_task_dir(root, d, **fx)
    if matrices if matrices is not None else not is_pathway(spec):
        write_fold_matrices(root, labels_task_dir(spec), progress=progress, **fx)
    if is_pathway(spec):
        write_pathway_scores(root, spec.params["tissue"], **fx)
    return root


def ensure_all_labels(*, root: Path | None = None, seed: int = DEFAULT_SEED,
                      flight_effect: float = FLIGHT_EFFECT) -> Path:
    """Generate every task folder's labels/metadata (no matrices) and all pathway scores."""
    root = Path(root) if root else synthetic_root(seed, flight_effect)
    dirs = sorted({d for s in list_tasks("genelab")
                   for d in (s.params.get("task_dir"), s.params.get("labels_from")) if d})
    for d in dirs:
        write_task_dir(root, d, seed=seed, flight_effect=flight_effect)
    for tissue in sorted({s.params["tissue"] for s in list_tasks("genelab")}):
        write_pathway_scores(root, tissue, seed=seed, flight_effect=flight_effect)
    return root
