"""Embedded default: a deterministic synthetic GeneLab benchmark in the EXACT upstream layout.

Used when no data dir is given and the Hub is unreachable. Everything it writes is marked
synthetic (``"synthetic": true`` in every JSON, a warning when a config is built from it, and a
banner on the dataset card). Generator version 3 (``GENERATOR_VERSION``; outputs name it, e.g.
origin ``synthetic:genelab-v3-seed0``). What it models, per tissue (layout numbers from the task
YAML ``params``, generator parameters from ``params.synthetic``, see :class:`SyntheticParams`):

- the real missions with their real per-mission Flight/Ground counts (plus holdout missions);
- ``n_genes_before_var_filter`` Ensembl-like mouse gene ids (``ENSMUSG...``), log2-scale values:
  gene means ~ Gamma, gene-specific noise SD ~ log-normal;
- gene-gene correlation: ``n_modules`` co-expression modules; a module gene follows its module's
  per-sample latent factor (loading ``module_loading`` in units of the gene's noise SD);
- mission batch effects: a per-mission per-gene shift (SD ``batch_sd`` log2 units, plus a
  mission-wide offset), a per-mission shift of every module factor and a per-mission noise scale;
- a Flight effect that varies by tissue and mission: Flight shifts the factor of the tissue's
  Flight-responsive modules (``responsive_modules`` of them, direction and size per module) by
  ``flight_effect`` (SD units of the factor; tissue default in the YAML) x the mission's strength
  (uniform in ``mission_strength``) x a per-mission multiplier (SD ``mission_heterogeneity``), plus
  ``mission_specific_modules`` modules that respond in that mission only. The NC2 housekeeping
  genes belong to no module and so carry no Flight effect;
- each fold's ``selected_genes.txt`` = genes whose TRAIN-only variance is >= the 25th percentile
  (reproduces the real ``n_genes_after_var_filter`` counts), ``train_X.csv``/``test_X.csv`` holding
  those genes (log2 values, not z-scored);
- GSVA-like pathway scores computed from the same genes: each collection (hallmark 50, kegg 230,
  reactome 1110, mitocarta 35 sets) has gene sets built around a home module (share ``pathway_purity``
  of module genes, the rest random genes); a sample's score is the mean of its genes' values
  z-scored within its mission (GSVA is run per mission upstream, which removes batch shifts),
  clipped to [-1, 1]. Upstream file quirks are kept: skin MHU-2 split into ``MHU-2_dorsal``/
  ``MHU-2_femoral`` files, thymus ``MHU-2`` file also holding the MHU-1 samples, gastrocnemius label
  ids ``"<MISSION>.<id>"`` while GSVA files use the bare id, pathway columns differing slightly
  between missions, two extra basal-control rows per file, no file for holdouts.

Variants: ``A1_liver_lomo_combat`` removes each mission's per-gene mean (location-only ComBat);
``A1_liver_lomo_iss_only`` keeps the same missions (the upstream definition is not public).
Task folders are generated lazily, one at a time, atomically, under the bench cache.
:func:`draw_study` draws one study of any layout from the same model (the study simulator uses it,
generating only the genes it needs).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from bench.errors import BenchError
from bench.io import atomic_path
from bench.loaders.cache import bench_cache_dir
from bench.tasks import TaskSpec, list_tasks

log = logging.getLogger("bench.genelab")

GENERATOR_VERSION = 3         # 3: modules, mission-varying Flight effect, pathway scores from genes
DEFAULT_SEED = 0
N_PATHWAYS = {"hallmark": 50, "kegg": 230, "reactome": 1110, "mitocarta": 35}
N_BASAL = 2                   # basal-control rows per pathway file (not in the label files)
_TISSUE_CODE = {"liver": "LVR", "gastrocnemius": "GST", "kidney": "KDN", "thymus": "TMS", "skin": "SKN",
                "eye": "RTN"}


@dataclass(frozen=True)
class SyntheticParams:
    """Generator parameters (defaults here; ``params.synthetic`` of the task YAML overrides them)."""

    flight_effect: float = 0.5            # Flight shift of a responsive module factor (SD units)
    n_modules: int = 80                   # co-expression modules
    module_gene_fraction: float = 0.6     # share of genes in a module
    module_loading: float = 1.0           # mean loading of a module gene (x its noise SD)
    responsive_modules: int = 10          # modules responding to Flight in every mission
    mission_specific_modules: int = 4     # extra modules responding in one mission only
    mission_heterogeneity: float = 0.5    # SD of the per-mission multiplier of a shared module effect
    mission_strength: tuple = (0.6, 1.2)  # uniform range of a mission's overall Flight strength
    batch_sd: float = 1.0                 # per-mission per-gene shift (log2 units)
    module_batch_sd: float = 0.5          # per-mission shift of every module factor (SD units)
    noise_sd_median: float = 0.25         # median gene noise SD (log2 units)
    pathway_purity: tuple = (0.3, 0.8)    # uniform range of a gene set's share of home-module genes
    pathway_size: tuple = (15, 200)       # gene set sizes (log-normal around 50, clipped to this)

    @classmethod
    def for_tissue(cls, params: dict, **overrides) -> "SyntheticParams":
        """Defaults <- the task's ``params.synthetic`` <- ``overrides`` (None values ignored)."""
        given = dict(params.get("synthetic") or {})
        given.update({k: v for k, v in overrides.items() if v is not None})
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(given) - names)
        if unknown:
            raise BenchError(f"params.synthetic: unknown generator parameter(s) {unknown}; known: {sorted(names)}")
        for f in dataclasses.fields(cls):
            value = given.get(f.name)
            if isinstance(f.default, int) and f.name in given and (not isinstance(value, int) or isinstance(value, bool)):
                raise BenchError(f"params.synthetic.{f.name}: expected an integer, got {type(value).__name__} {value!r}")
        for key in ("mission_strength", "pathway_purity", "pathway_size"):
            if key in given:
                given[key] = tuple(given[key])
        return cls(**given)


def synthetic_root(seed: int = DEFAULT_SEED, flight_effect: float | None = None) -> Path:
    """Where the synthetic upstream layout lives: ``<bench cache>/genelab_synthetic/<source_name>``."""
    return bench_cache_dir() / "genelab_synthetic" / source_name(seed, flight_effect).split("-", 1)[1]


def source_name(seed: int = DEFAULT_SEED, flight_effect: float | None = None) -> str:
    """Portable name of a synthetic source, ``genelab-v3-seed0`` (``-flight<E>`` for a set effect)."""
    name = f"genelab-v{GENERATOR_VERSION}-seed{int(seed)}"
    if flight_effect is not None:
        name += f"-flight{float(flight_effect):g}"
    return name


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
    model: "GeneModel" = None
    basal: dict = None   # name -> float32 [N_BASAL, G] basal-control rows (pathway files only)
    default_effect: bool = True  # False when flight_effect was set explicitly


@dataclass
class GeneModel:
    """Gene-level parameters of one tissue (drawn once per seed)."""

    gene_numbers: np.ndarray  # [G] sorted ENSMUSG numbers
    mu: np.ndarray            # [G] log2 mean
    noise_sd: np.ndarray      # [G]
    module: np.ndarray        # [G] module index (genes outside modules: -1)
    loading: np.ndarray       # [G] factor loading (0 outside modules)
    flight_direction: np.ndarray  # [K] signed size of each module's shared Flight effect (0 = none)
    params: SyntheticParams

    @functools.cached_property
    def genes(self) -> list:
        """Ensembl-like ids ``ENSMUSG<11 digits>`` (built on first use: the simulator never needs them)."""
        return [f"ENSMUSG{n:011d}" for n in self.gene_numbers]


def tissue_params(tissue: str) -> dict:
    """Per-tissue params (missions, gene counts) from the registry's gene-level Category A task."""
    for spec in list_tasks("genelab"):
        if spec.params.get("tissue") == tissue and spec.params.get("category") == "A":
            return spec.params
    raise BenchError(f"no GeneLab task in the registry for tissue {tissue!r}")


def gene_model(tissue: str, n_genes: int, sp: SyntheticParams, *, seed: int) -> GeneModel:
    """Gene ids, means, noise, modules and the shared Flight-responsive modules of one tissue."""
    rng = _rng(seed, "genes", tissue)
    gene_nums = np.sort(rng.choice(np.arange(1, 140_000), size=n_genes, replace=False))
    mu = np.minimum(rng.gamma(2.0, 2.5, n_genes), 15.0)
    noise_sd = rng.lognormal(np.log(sp.noise_sd_median), 0.5, n_genes)
    in_module = rng.random(n_genes) < sp.module_gene_fraction
    module = np.where(in_module, rng.integers(0, sp.n_modules, n_genes), -1)
    loading = np.where(in_module, sp.module_loading * rng.uniform(0.5, 1.5, n_genes), 0.0)
    housekeeping = np.isin(gene_nums, housekeeping_gene_numbers())
    module[housekeeping], loading[housekeeping] = -1, 0.0      # NC2: no module, hence no Flight effect
    direction = np.zeros(sp.n_modules)
    responsive = rng.choice(sp.n_modules, size=min(sp.responsive_modules, sp.n_modules), replace=False)
    direction[responsive] = rng.choice([-1.0, 1.0], responsive.size) * rng.uniform(0.5, 1.5, responsive.size)
    return GeneModel(gene_nums, mu, noise_sd, module, loading, direction, sp)


def draw_mission(model: GeneModel, labels: np.ndarray, rng: np.random.Generator, *,
                 columns: np.ndarray | None = None, batch_scale: float = 1.0,
                 extra_ground: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(X [n, C], X_extra [extra_ground, C]) log2 values of one mission's samples (``labels``) and of
    ``extra_ground`` Ground-like extra rows, for gene ``columns`` (all genes when None).

    Every random draw of the mission comes from ``rng``; the set of draws does not depend on
    ``columns`` except the per-gene ones, which are drawn for the requested columns only.
    """
    sp = model.params
    cols = np.arange(model.gene_numbers.size) if columns is None else np.asarray(columns)
    y = np.concatenate([np.asarray(labels, dtype=np.float64), np.zeros(extra_ground)])
    n, k = y.size, sp.n_modules
    strength = rng.uniform(*sp.mission_strength)
    multiplier = 1.0 + sp.mission_heterogeneity * rng.normal(0.0, 1.0, k)
    specific = np.zeros(k)
    own = rng.choice(k, size=min(sp.mission_specific_modules, k), replace=False)
    specific[own] = rng.choice([-1.0, 1.0], own.size) * rng.uniform(0.5, 1.5, own.size)
    effect = sp.flight_effect * strength * (model.flight_direction * multiplier + specific)
    factors = (rng.normal(0.0, 1.0, (n, k)) + sp.module_batch_sd * batch_scale * rng.normal(0.0, 1.0, k)
               + y[:, None] * effect)
    noise_scale = rng.lognormal(0.0, 0.15)
    offset = rng.normal(0.0, 0.5)
    batch = rng.normal(0.0, sp.batch_sd * batch_scale, cols.size) + offset
    mod, load, sd = model.module[cols], model.loading[cols], model.noise_sd[cols]
    signal = np.where(mod >= 0, factors[:, np.maximum(mod, 0)] * load, 0.0)
    values = model.mu[cols] + batch + sd * (signal + noise_scale * rng.normal(0.0, 1.0, (n, cols.size)))
    values = np.round(np.clip(values, 0.0, None), 3).astype(np.float32)
    return values[:labels.size], values[labels.size:]


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


def world_params(tissue: str, extra_missions: tuple = ()) -> dict:
    """The tissue's params with ``extra_missions`` ``((name, n_flight, n_ground), ...)`` added."""
    params = tissue_params(tissue)
    if extra_missions:
        added = {m: {"n": f + g, "flight": f, "ground": g} for m, f, g in extra_missions}
        params = {**params, "missions": {**params["missions"], **added}}
    return params


def mission_entries(params: dict) -> list[tuple[str, dict, bool]]:
    """(mission, counts, holdout?) in generation order: regular missions sorted, then holdouts."""
    entries = [(m, c, False) for m, c in sorted(params["missions"].items())]
    return entries + [(m, c, True) for m, c in sorted((params.get("holdout_missions") or {}).items())]


def mission_labels(counts: dict, rng: np.random.Generator) -> np.ndarray:
    """The mission's Flight (1) / Ground (0) labels in a seeded random sample order."""
    labels = np.array([1] * int(counts["flight"]) + [0] * int(counts["ground"]), dtype=np.int64)
    return labels[rng.permutation(labels.size)]


@functools.lru_cache(maxsize=1)
def housekeeping_gene_numbers() -> np.ndarray:
    """The NC2 housekeeping ids as ENSMUSG numbers."""
    return np.array([int(g.removeprefix("ENSMUSG")) for g in housekeeping_gene_ids()], dtype=np.int64)


@functools.lru_cache(maxsize=4)
def tissue_world(tissue: str, *, seed: int = DEFAULT_SEED, variant: str | None = None,
                 flight_effect: float | None = None, extra_missions: tuple = ()) -> TissueWorld:
    """All samples and log2 expression of one tissue (deterministic in ``seed``).

    ``flight_effect``: None = the tissue's default (``params.synthetic.flight_effect``).
    ``extra_missions``: ``((name, n_flight, n_ground), ...)`` beyond the built-in ones, e.g. a
    lab's new mission declared in a user task file (each mission has its own random stream, so
    adding one leaves the others' samples unchanged).
    """
    params = world_params(tissue, extra_missions)
    sp = SyntheticParams.for_tissue(params, flight_effect=flight_effect)
    model = gene_model(tissue, int(params["n_genes_before_var_filter"]), sp, seed=seed)
    missions, X, basal = {}, {}, {}
    for name, counts, holdout in mission_entries(params):
        mrng = _rng(seed, "mission", tissue, name)
        labels = mission_labels(counts, mrng)
        ids, gsva_ids, _ = _sample_ids(tissue, name, labels, mrng)
        meta = _meta_frame(tissue, name, ids, labels, holdout, mrng)
        X[name], basal[name] = draw_mission(model, labels, mrng, batch_scale=1.5 if holdout else 1.0,
                                            extra_ground=N_BASAL)
        missions[name] = Mission(name, holdout, ids, gsva_ids, labels, meta)
    if variant == "combat":
        grand = np.mean(np.vstack([X[m] for m in X if not missions[m].holdout]), axis=0)
        X = {m: np.round(np.clip(v - v.mean(axis=0) + grand, 0.0, None), 3).astype(np.float32) for m, v in X.items()}
    return TissueWorld(tissue, params, model.genes, missions, X, model, basal, flight_effect is None)


@dataclass
class Study:
    """One synthetic study in a task's layout: per mission the features and the labels."""

    missions: list          # regular missions, sorted (the LOMO fold order)
    X: dict                 # mission -> float [n, p]: log2 gene values, or pathway scores
    y: dict                 # mission -> int labels (1 Flight / 0 Ground)


def draw_study(tissue: str, layout: list[tuple[str, int, int]], sp: SyntheticParams, *, seed: int,
               n_genes: int, collection: str | None = None) -> Study:
    """Draw one study from the generator: ``layout`` = ``[(mission, n_flight, n_ground), ...]``.

    Gene level (``collection`` None): exactly the values :func:`tissue_world` gives for the same
    seed, parameters and counts. Pathway level: only the genes of the collection's gene sets are
    drawn (same distribution, fewer draws) and scored per mission like the pathway files.
    """
    model = gene_model(tissue, n_genes, sp, seed=seed)
    sets = gene_sets(model, tissue, collection, seed=seed) if collection else None
    columns = np.unique(np.concatenate(sets)) if sets else None
    X, y = {}, {}
    for name, n_flight, n_ground in sorted(layout):
        rng = _rng(seed, "mission", tissue, name)
        labels = mission_labels({"flight": n_flight, "ground": n_ground}, rng)
        ids, _, _ = _sample_ids(tissue, name, labels, rng)
        _meta_frame(tissue, name, ids, labels, False, rng)          # same draws as the file layout
        values, _ = draw_mission(model, labels, rng, columns=columns, extra_ground=N_BASAL)
        X[name] = gsva_like_scores(values, sets, columns=columns) if sets else values
        y[name] = labels
    return Study(sorted(X), X, y)


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
                   flight_effect: float | None = None) -> Path:
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
            _write_lomo_dir(tmp, world, task_dir, seed=seed)
    log.warning("generated SYNTHETIC GeneLab task folder %s (seed %d)", target, seed)
    return target


def _write_lomo_dir(tmp: Path, world: TissueWorld, task_dir: str, *, seed: int) -> None:
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
                 "generated_by": f"bench.loaders.genelab.synthetic v{GENERATOR_VERSION}",
                 "generator": {"name": "genelab", "version": GENERATOR_VERSION, "seed": int(seed),
                               "default_effect": world.default_effect,
                               "params": dataclasses.asdict(world.model.params)}}
    (tmp / "task_info.json").write_text(json.dumps(task_info, indent=2))


def write_fold_matrices(root: Path, task_dir: str, *, seed: int = DEFAULT_SEED,
                        flight_effect: float | None = None, progress: bool = True) -> None:
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


def gene_sets(model: GeneModel, tissue: str, db: str, *, seed: int) -> list[np.ndarray]:
    """The collection's gene sets (gene positions), each built around a home module."""
    sp = model.params
    rng = _rng(seed, "gene_sets", tissue, db)
    members = [np.flatnonzero(model.module == k) for k in range(sp.n_modules)]
    n_genes = model.gene_numbers.size
    out = []
    for _ in range(N_PATHWAYS[db]):
        size = int(np.clip(round(rng.lognormal(np.log(50), 0.6)), *sp.pathway_size))
        home = members[int(rng.integers(sp.n_modules))]
        n_home = min(int(round(rng.uniform(*sp.pathway_purity) * size)), home.size)
        chosen = set(rng.choice(home, n_home, replace=False).tolist())
        while len(chosen) < size:
            chosen.update(rng.choice(n_genes, size - len(chosen), replace=False).tolist())
        out.append(np.array(sorted(chosen)))
    return out


def pathway_names(db: str) -> list[str]:
    return [f"{db.upper()}_SYNTHETIC_PATHWAY_{i:04d}" for i in range(N_PATHWAYS[db])]


def gsva_like_scores(X: np.ndarray, sets: list[np.ndarray], *, reference: np.ndarray | None = None,
                     columns: np.ndarray | None = None) -> np.ndarray:
    """[n, P] scores: per gene set, the mean of its genes' values z-scored with ``reference`` rows
    (default ``X``: the mission's own samples), clipped to [-1, 1].

    ``columns``: gene positions of ``X``'s columns when ``X`` holds a subset of the genes.
    """
    ref = (X if reference is None else reference).astype(np.float64)
    mean, sd = ref.mean(axis=0), ref.std(axis=0)
    z = (X.astype(np.float64) - mean) / np.where(sd > 1e-6, sd, 1.0)
    rows = [np.asarray(s) if columns is None else np.searchsorted(columns, s) for s in sets]   # columns sorted
    member = sparse.csr_matrix((np.concatenate([np.full(r.size, 1.0 / r.size) for r in rows]),
                                (np.concatenate(rows), np.repeat(np.arange(len(rows)), [r.size for r in rows]))),
                               shape=(z.shape[1], len(rows)))
    return np.clip(np.asarray(z @ member), -1.0, 1.0)


def write_pathway_scores(root: Path, tissue: str, *, seed: int = DEFAULT_SEED,
                         flight_effect: float | None = None) -> Path:
    """Generate ``<root>/processed/pathway_scores/<tissue>/<mission>_gsva_<db>.csv`` for the 4 collections."""
    target = Path(root) / "processed" / "pathway_scores" / tissue
    if target.is_dir():
        return target
    world = tissue_world(tissue, seed=seed, flight_effect=flight_effect)
    regular = [m for m, v in world.missions.items() if not v.holdout]
    with atomic_path(target, directory=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        for db in N_PATHWAYS:
            rng = _rng(seed, "gsva", tissue, db)
            sets = gene_sets(world.model, tissue, db, seed=seed)
            scores = {m: gsva_like_scores(np.vstack([world.X[m], world.basal[m]]), sets, reference=world.X[m])
                      for m in regular}
            for m in regular:
                for fname, df in _gsva_tables(world, m, pathway_names(db), scores, rng, db).items():
                    df.to_csv(tmp / f"{fname}_gsva_{db}.csv")
    log.warning("generated SYNTHETIC GeneLab pathway scores %s (seed %d)", target, seed)
    return target


def _gsva_tables(world: TissueWorld, m: str, names: list, scores: dict, rng, db: str) -> dict:
    """{file stem: DataFrame} for one mission, with the upstream quirks."""
    mission = world.missions[m]
    n_drop = 0 if db == "hallmark" else max(1, len(names) // 100)
    keep = sorted(set(range(len(names))) - set(rng.choice(len(names), n_drop, replace=False).tolist()))
    cols = [names[i] for i in keep]
    code = _TISSUE_CODE[world.tissue]
    basal = [f"Mmus_C57-6J_{code}_{m.replace('-', '')}_BSL_Rep{k}" for k in range(1, N_BASAL + 1)]
    df = pd.DataFrame(scores[m][:, keep], index=pd.Index(list(mission.gsva_ids) + basal), columns=cols)
    if world.tissue == "thymus" and m == "MHU-2" and "MHU-1" in scores:
        other = world.missions["MHU-1"]
        extra = pd.DataFrame(scores["MHU-1"][:len(other.ids), keep], index=pd.Index(other.gsva_ids), columns=cols)
        df = pd.concat([extra, df])
    if world.tissue == "skin" and m == "MHU-2":
        dorsal = [("DSKN" in i) or (i in basal[:1]) for i in df.index]
        return {f"{m}_dorsal": df[np.array(dorsal)], f"{m}_femoral": df[~np.array(dorsal)]}
    return {m: df}


# --------------------------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------------------------

def ensure_synthetic(spec: TaskSpec, *, root: Path | None = None, seed: int = DEFAULT_SEED,
                     flight_effect: float | None = None, matrices: bool | None = None,
                     progress: bool = True) -> Path:
    """Generate (once) what ``spec`` needs in the synthetic root and return the root.

    ``flight_effect``: the Flight shift of the responsive module factors (SD units; 0 = no
    signal) for every tissue; None = each tissue's default (``params.synthetic.flight_effect``)."""
    from bench.loaders.genelab.build import is_pathway, labels_task_dir, needed_task_dirs

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
                      flight_effect: float | None = None) -> Path:
    """Generate every task folder's labels/metadata (no matrices) and all pathway scores."""
    root = Path(root) if root else synthetic_root(seed, flight_effect)
    dirs = sorted({d for s in list_tasks("genelab")
                   for d in (s.params.get("task_dir"), s.params.get("labels_from")) if d})
    for d in dirs:
        write_task_dir(root, d, seed=seed, flight_effect=flight_effect)
    for tissue in sorted({s.params["tissue"] for s in list_tasks("genelab")}):
        write_pathway_scores(root, tissue, seed=seed, flight_effect=flight_effect)
    return root
