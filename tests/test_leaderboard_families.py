"""`bench leaderboard` on GEOmeta, GenoTEX and single-cell records: every number checked against a plain
brute-force loop written here (draw the units one at a time, recompute the metric with sklearn or by hand
on the drawn units' samples), independently of bench.metrics.leaderboard and bench.results.board_units; the
confound-only controls against hand computations on tiny tables."""
from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score, f1_score, normalized_mutual_info_score, silhouette_samples
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bench.cli import main
from geometa_helpers import has_h5py, needs_h5py
from test_leaderboard import brute_force_board

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::bench.loaders.geometa.GeometaWarning")]


# ------------------------------------------------------------------ the independent truth

def brute_force_unit_draws(units, metric, models, n_bootstrap, seed):
    """``units``: ordered unit ids; ``metric(model, drawn units) -> value or None``. Units with
    replacement, ``rng.integers(0, U, U)`` per draw (the documented order); {model: [value or None]}."""
    rng = np.random.default_rng(seed)
    out = {m: [] for m in models}
    for _ in range(n_bootstrap):
        drawn = [units[i] for i in rng.integers(0, len(units), len(units))]
        values = {m: metric(m, drawn) for m in models}
        if any(v is None for v in values.values()):
            values = {m: None for m in models}
        for m in models:
            out[m].append(values[m])
    return out


def assert_board_matches(got: dict, observed: dict, draws: dict, *, value_tol=1e-12, unit_values=None):
    """Values, 95% CIs, ranks, rank intervals, tie groups, p and Holm p of a task board against the loop."""
    rows, pairs = brute_force_board(observed, draws)
    assert {r["model"] for r in got["rows"]} == set(observed)
    for r in got["rows"]:
        want = rows[r["model"]]
        assert r["value"] == pytest.approx(observed[r["model"]], abs=value_tol), r
        assert (r["ci_lower"], r["ci_upper"]) == pytest.approx((want["ci_lower"], want["ci_upper"]), abs=value_tol)
        assert (r["rank"], r["rank_lower"], r["rank_upper"], r["tie_group"]) == \
            (want["rank"], want["rank_lower"], want["rank_upper"], want["tie_group"]), (r, want)
    for p in got["pairs"]:
        assert (p["p"], p["p_holm"]) == pytest.approx(pairs[(p["a"], p["b"])], abs=1e-12), p
        if unit_values is not None:
            a, b = unit_values[p["a"]], unit_values[p["b"]]
            both = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
            assert (p["wins"], p["n_folds"]) == (sum(1 for x, y in both if x > y), len(both)), p


def board(paths, out, *extra, seed=5, n=200, data_dir=None):
    args = ["leaderboard", *map(str, paths), "--out", str(out), "--n-bootstrap", str(n), "--seed", str(seed), *extra]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    assert main(args) == 0
    return json.loads((out / "leaderboard.json").read_text())


def csv_rows(out: Path) -> list[dict]:
    with open(out / "leaderboard.csv", newline="") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------------ GEOmeta: studies (GSE)



@pytest.fixture(scope="module")
def geometa_runs(tmp_path_factory):
    if not has_h5py():
        pytest.skip("h5py is not installed (pip install 'bench[geometa]')")
    from geometa_helpers import make_human_dir

    root = tmp_path_factory.mktemp("geometa")
    data = make_human_dir(root / "data", n_train=150, n_test=60)
    for model in ("lr", "knn", "confound"):
        assert main(["run", "geometa_human_gender", "--model", model, "--data-dir", str(data),
                     "--out", str(root / "runs" / model)]) == 0
    return root, data


def macro_f1(y, p):
    """GEOmeta's leaderboard convention: macro-F1 over the test labels present (sklearn)."""
    return float(f1_score(y, p, labels=sorted(set(y)), average="macro", zero_division=0))


@needs_h5py
def test_geometa_board_resamples_studies_like_a_plain_loop(geometa_runs, tmp_path, capsys):
    root, data = geometa_runs
    got = board([root / "runs"], tmp_path / "b", data_dir=data)
    capsys.readouterr()
    task = got["tasks"]["geometa_human_gender"]
    assert task["unit"] == "studies (GSE)" and task["metric"] == "geometa_f1 macro_f1"
    test = pd.read_csv(data / "benchmark/data/GEOMeta100K/GEO_HUMAN_100K_test.csv", dtype=str).dropna(subset=["Gender"])
    truth = dict(zip(test["GSM_ID"], test["Gender"]))
    study = dict(zip(test["GSM_ID"], test["GSE_ID"]))
    preds = {f"bench/{m}" if m != "confound" else "control:confound":
             json.loads((root / "runs" / m / "predictions.json").read_text())["gender"] for m in ("lr", "knn", "confound")}
    ids = sorted(preds["bench/lr"])
    classes = sorted(set(truth[i] for i in ids))
    picks = np.random.default_rng(5).integers(0, len(classes), len(ids))  # the documented random floor, task seed 5
    preds["control:random"] = {i: classes[k] for i, k in zip(ids, picks)}
    preds["control:perfect"] = {i: truth[i] for i in ids}
    units = sorted(set(study[i] for i in ids))
    members = {u: [i for i in ids if study[i] == u] for u in units}

    def metric(model, drawn):
        samples = [i for u in drawn for i in members[u]]
        return macro_f1([truth[i] for i in samples], [preds[model][i] for i in samples])

    observed = {m: metric(m, units) for m in preds}
    draws = brute_force_unit_draws(units, metric, list(preds), 200, 5)
    per_study = {m: [metric(m, [u]) for u in units] for m in preds}
    assert len(units) == 6 and task["n_units"] == 6
    assert_board_matches(task, observed, draws, unit_values=per_study)
    rows = csv_rows(tmp_path / "b")
    assert {r["resampled"] for r in rows if r["scope"] == "geometa_human_gender"} == {"studies (GSE)"}
    md = (tmp_path / "b" / "leaderboard.md").read_text()
    assert "Resampling unit: **studies (GSE)**" in md and "wins (studies)" in md
    assert (tmp_path / "b" / "ranks.png").read_bytes()[:4] == b"\x89PNG"
    # same seed, same bytes; the generated controls and the draws follow the seed
    board([root / "runs"], tmp_path / "c", data_dir=data)
    assert (tmp_path / "c" / "leaderboard.csv").read_bytes() == (tmp_path / "b" / "leaderboard.csv").read_bytes()
    board([root / "runs"], tmp_path / "d", data_dir=data, seed=6)
    assert (tmp_path / "d" / "leaderboard.csv").read_bytes() != (tmp_path / "b" / "leaderboard.csv").read_bytes()


@needs_h5py
def test_geometa_controls_scale_is_the_share_of_the_floor_to_perfect_gap(geometa_runs, tmp_path, capsys):
    root, data = geometa_runs
    raw = board([root / "runs"], tmp_path / "raw", data_dir=data)["tasks"]["geometa_human_gender"]
    scaled = board([root / "runs"], tmp_path / "s", "--scale", "controls", data_dir=data)["tasks"]["geometa_human_gender"]
    capsys.readouterr()
    value = {r["model"]: r["value"] for r in raw["rows"]}
    floor = max(value["control:random"], value["control:confound"])
    assert raw["floor"] == pytest.approx(floor, abs=1e-12) and raw["ceiling"] == 1.0
    for r in scaled["rows"]:
        assert r["value"] == pytest.approx((value[r["model"]] - floor) / (1.0 - floor), abs=1e-12)


def test_study_majority_by_hand():
    from bench.baselines.geometa.models import study_majority

    pred, from_study = study_majority(["S1", "S1", "S1", "S2", "S2", "S3", "S3"], ["a", "a", "b", "b", "b", "y", "x"],
                                      ["S1", "S2", "S9", "S3"])
    # S1: a (2 of 3); S2: b; S9 unseen: global majority b (3 of 7); S3: tie x/y -> the smaller label, x
    assert pred.tolist() == ["a", "b", "b", "x"] and from_study == 3


@needs_h5py
def test_geometa_confound_run_predicts_each_study_majority(tmp_path, capsys):
    """Train and test share studies: each test sample gets its study's majority training label (hand count)."""
    from geometa_helpers import HUMAN_COLUMNS, human_rows, write_csv

    folder = tmp_path / "data" / "benchmark" / "data" / "GEOMeta100K"
    train, test = human_rows(100, start=100000, n_gse=5, seed=1), human_rows(40, start=100500, n_gse=5, seed=2)
    write_csv(folder / "GEO_HUMAN_100K_training.csv", train, HUMAN_COLUMNS)
    write_csv(folder / "GEO_HUMAN_100K_test.csv", test, HUMAN_COLUMNS)
    assert main(["run", "geometa_human_gender", "--model", "confound", "--data-dir", str(tmp_path / "data"),
                 "--out", str(tmp_path / "run")]) == 0
    counts: dict = {}
    for r in train:
        if r["Gender"] is not None:
            counts.setdefault(r["GSE_ID"], Counter())[r["Gender"]] += 1
    hand = {r["GSM_ID"]: max(sorted(counts[r["GSE_ID"]]), key=lambda k: counts[r["GSE_ID"]][k])
            for r in test if r["Gender"] is not None}
    assert json.loads((tmp_path / "run" / "predictions.json").read_text())["gender"] == hand


# ------------------------------------------------------------------ GenoTEX: problems

@pytest.fixture(scope="module")
def genotex_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("gtx")
    for model in ("lasso", "lasso_predictive"):
        assert main(["run", "genotex_problems", "--model", model, "--out", str(root / "runs" / model)]) == 0
    return root


def hand_f1(pred_file: Path, ref_file: Path):
    """GenoTEX v2 F1 x 100 of one problem (None when no prediction file: a failure, left out of the mean)."""
    if not pred_file.is_file():
        return None
    P = json.loads(pred_file.read_text())["significant_genes"]["Variable"]
    R = json.loads(ref_file.read_text())["significant_genes"]["Variable"]
    # GenoTEX v2: an empty list scores 1 only against an empty one
    precision = sum(g in set(R) for g in P) / len(P) if P else float(not R)
    recall = sum(g in set(P) for g in R) / len(R) if R else float(not P)
    return 100 * (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def hand_random_floor_f1(ref: Path, files: list, seed: int) -> dict:
    """The documented GenoTEX random floor by hand: per problem in path order, as many genes as the reference
    lists, drawn without replacement from the sorted genes of the trait's gene_data tables; its F1 x 100."""
    rng = np.random.default_rng(seed)
    out = {}
    for f in files:
        tables = sorted((ref.parent / "preprocess" / f.parent.name / "gene_data").glob("*.csv"))
        universe = sorted({str(g) for t in tables for g in pd.read_csv(t).iloc[:, 0].dropna()})
        R = json.loads(f.read_text())["significant_genes"]["Variable"]
        P = [universe[k] for k in rng.choice(len(universe), len(R), replace=False)]
        tmp = ref.parent / "random" / f.parent.name / f.name
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"significant_genes": {"Variable": P}}))
        out[f"{f.parent.name}/{f.stem.split('condition_', 1)[1]}"] = hand_f1(tmp, f)
    return out


def test_genotex_board_resamples_problems_like_a_plain_loop(genotex_runs, tmp_path, capsys):
    from bench.loaders.genotex.synthetic import build_genotex_root

    got = board([genotex_runs / "runs"], tmp_path / "b")
    capsys.readouterr()
    task = got["tasks"]["genotex_problems"]
    assert task["unit"] == "problems (trait/condition)"
    ref = build_genotex_root(tmp_path / "root", seed=42) / "output" / "regress"
    files = sorted(ref.glob("*/significant_genes*.json"))
    problems = {f"{f.parent.name}/{f.stem.split('condition_', 1)[1]}": f for f in files}
    units = sorted(problems)
    scores = {f"bench/{m}": {u: hand_f1(genotex_runs / "runs" / m / "regress" / f.parent.name / f.name, f)
                             for u, f in problems.items()} for m in ("lasso", "lasso_predictive")}
    scores["control:perfect"] = {u: 100.0 for u in units}
    scores["control:random"] = hand_random_floor_f1(ref, files, seed=5)

    def metric(model, drawn):
        vals = [scores[model][u] for u in drawn if scores[model][u] is not None]
        return float(np.mean(vals)) if vals else None

    observed = {m: metric(m, units) for m in scores}
    draws = brute_force_unit_draws(units, metric, list(scores), 200, 5)
    assert task["n_units"] == len(units) >= 4
    assert_board_matches(task, observed, draws, unit_values={m: [scores[m][u] for u in units] for m in scores})
    assert "wins (problems)" in (tmp_path / "b" / "leaderboard.md").read_text()
    # the record's Overall F1 is the evaluator's rounded NaN-skipping mean of the same per-problem values
    record = json.loads((genotex_runs / "runs" / "lasso" / "record.json").read_text())
    assert abs(record["value"]["value"] - observed["bench/lasso"]) <= 0.005 + 1e-12


# ------------------------------------------------------------------ single-cell: cells or donors

@pytest.fixture(scope="module")
def pbmc_runs(tmp_path_factory):
    pytest.importorskip("scanpy", reason="the singlecell extra (scanpy ships pbmc68k) is not installed "
                                         "(pip install 'bench[singlecell]')")
    root = tmp_path_factory.mktemp("pbmc")
    for model in ("pca", "random", "confound"):
        assert main(["run", "pbmc68k_embedding", "--model", model, "--out", str(root / "runs" / model)]) == 0
    return root


def test_singlecell_silhouette_board_resamples_cells(pbmc_runs, tmp_path, capsys):
    """Per-cell rescaled silhouettes from sklearn (float64); bench's are scib's float32 ones (~1e-7 apart), so
    values and CIs agree to 1e-6 and every rank, interval, tie group and p-value exactly."""
    got = board([pbmc_runs / "runs"], tmp_path / "b")
    capsys.readouterr()
    task = got["tasks"]["pbmc68k_embedding"]
    assert task["unit"] == "cells" and task["n_units"] == 700 and "per-cell rescaled silhouettes" in task["resampled"]
    names = {"pca": "bench/pca", "random": "control:random", "confound": "control:confound"}
    per_cell = {}
    for model, name in names.items():
        X = np.load(pbmc_runs / "runs" / model / "embedding.npy").astype(np.float64)
        obs = pd.read_csv(pbmc_runs / "runs" / model / "obs.csv", dtype=str)
        s = (silhouette_samples(X, obs["bulk_labels"]) + 1) / 2
        per_cell[name] = dict(zip(obs["cell_id"], s))
    units = sorted(per_cell["bench/pca"])

    def metric(model, drawn):
        return float(np.mean([per_cell[model][u] for u in drawn]))

    observed = {m: metric(m, units) for m in per_cell}
    draws = brute_force_unit_draws(units, metric, list(per_cell), 200, 5)
    assert_board_matches(task, observed, draws, value_tol=1e-6)
    assert task["rows"][0]["model"] == "bench/pca" and task["floor"] is not None and task["ceiling"] == 1.0
    assert "cells" in {r["resampled"] for r in csv_rows(tmp_path / "b")}


def test_singlecell_confound_embedding_by_hand(pbmc_runs):
    """The confound control of pbmc68k (no batch): standardised log1p n_counts, log1p n_genes, percent_mito."""
    from bench.baselines.singlecell.models import confound_embedding
    from bench.loaders.singlecell.source import read_source_anndata
    from bench.tasks import get_task

    tiny = pd.DataFrame({"batch": ["b1", "b2", "b1"], "n_counts": [100.0, 1000.0, 10.0], "percent_mito": [1.0, 2.0, 6.0]})
    X, names = confound_embedding(tiny, batch_key="batch")
    lc = np.log1p([100.0, 1000.0, 10.0])
    hand = np.column_stack([[1, 0, 1], [0, 1, 0], lc, [1.0, 2.0, 6.0]]).astype(float)
    hand = (hand - hand.mean(axis=0)) / np.sqrt(((hand - hand.mean(axis=0)) ** 2).mean(axis=0))
    np.testing.assert_allclose(X, hand, atol=1e-6)
    assert names == ["batch=b1", "batch=b2", "log1p_library_size (n_counts)", "percent_mito (percent_mito)"]
    obs = read_source_anndata(get_task("pbmc68k")).obs
    cols = np.column_stack([np.log1p(obs["n_counts"].astype(float)), np.log1p(obs["n_genes"].astype(float)),
                            obs["percent_mito"].astype(float)])
    run = np.load(pbmc_runs / "runs" / "confound" / "embedding.npy")
    np.testing.assert_allclose(run, (cols - cols.mean(axis=0)) / cols.std(axis=0), atol=1e-5)


def blobs(n, d, k, seed, spread=1.0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    centers = rng.normal(0, 3, (k, d))
    return (centers[labels] + spread * rng.normal(size=(n, d))).astype(np.float32), np.array([f"t{i}" for i in labels])


def write_sc_record(folder: Path, task: str, X, labels, model: str, order=None, *, primary=None, batches=None) -> None:
    """A single-cell record of ``task`` for a synthetic embedding (cells c000..; rows in ``order``), scored
    with ``primary`` (default: the task's) and ``batches`` (under the task's batch_key)."""
    from bench.baselines.singlecell.records import cells_table, singlecell_record
    from bench.results.family_records import bench_model, write_record_folder
    from bench.metrics.singlecell import score_embedding
    from bench.tasks import get_task

    spec = get_task(task)
    ids = np.array([f"c{i:03d}" for i in range(len(X))])
    order = np.arange(len(X)) if order is None else order
    X, labels, ids = X[order], labels[order], ids[order]
    batches = None if batches is None else batches[order]
    batch_key = spec.params.get("batch_key") if batches is not None else None
    kinds = [spec.params["kind"]]
    rows = score_embedding(X, labels, batches=batches, tasks=kinds, random_state=42)
    cells = cells_table(ids, labels, batches, spec.label["column"], batch_key)
    record = singlecell_record(spec, X=X, cells=cells, rows=rows, tasks=kinds, seed=42, label_key=spec.label["column"],
                               batch_key=batch_key, metric=primary or spec.metric["primary"],
                               model=bench_model(model, "test", 42), synthetic=True, origin="synthetic:test-blobs")
    write_record_folder(folder, {"record.json": record, "embedding.npy": X, "obs.csv": cells})


@pytest.mark.parametrize("n_classes", [2, 4])
def test_fold_f1_draws_equal_sklearn_on_the_drawn_cells(n_classes):
    """The engine's mean_fold_f1 draws (fixed out-of-fold predictions) against sklearn's f1_score on each
    fold's drawn cells (binary for 2 classes, else macro over the labels present), one draw at a time."""
    from bench.metrics import leaderboard as lb

    rng = np.random.default_rng(n_classes)
    n, n_folds, n_clf = 90, 3, 2
    y, fold = rng.integers(0, n_classes, n), rng.integers(0, n_folds, n)
    models = {m: [np.where(rng.random(n) < acc, y, rng.integers(0, n_classes, n)) for _ in range(n_clf)]
              for m, acc in (("sharp", 0.8), ("vague", 0.3))}
    runs = {}
    for m, preds in models.items():
        codes = np.concatenate([((c * n_folds + fold) * n_classes + y) * n_classes + p for c, p in enumerate(preds)])
        rows = np.tile(np.arange(n), n_clf)
        stats = sparse.csr_matrix((np.ones(len(codes)), (rows, codes)), shape=(n, n_clf * n_folds * n_classes ** 2))
        runs[m] = [(stats, lb.fold_f1_finish(n_clf, n_folds, n_classes))]
    average = "binary" if n_classes == 2 else "macro"

    def metric(model, drawn):
        vals = [f1_score(y[[u for u in drawn if fold[u] == f]], models[model][c][[u for u in drawn if fold[u] == f]],
                         average=average, zero_division=0)
                for c in range(n_clf) for f in range(n_folds) if any(fold[u] == f for u in drawn)]
        return float(np.mean(vals))

    names, draws = lb.resampled_draws(runs, n_bootstrap=40, seed=2)
    truth = brute_force_unit_draws(list(range(n)), metric, names, 40, 2)
    for m, model in enumerate(names):
        np.testing.assert_allclose(draws[:, m], truth[model], rtol=0, atol=1e-12)
        assert lb.observed_values(runs)[model] == pytest.approx(metric(model, list(range(n))), abs=1e-12)


@pytest.mark.slow
def test_singlecell_label_prediction_board_resamples_cells_with_their_out_of_fold_predictions(tmp_path, capsys):
    """mean_fold_f1: the cells' out-of-fold predictions from sklearn's own loop (cz-benchmarks' pipelines),
    each fold's F1 recomputed on its drawn cells with sklearn's f1_score; to 1e-12. Slow (~40 s: 90 random
    forests); tests/test_leaderboard_families.py::test_fold_f1_draws_equal_sklearn_on_the_drawn_cells is its
    fast half."""
    X, labels = blobs(150, 5, 3, seed=1, spread=2.5)
    noise = np.random.default_rng(9).standard_normal((150, 5)).astype(np.float32)
    models = {"good": X, "random": noise}
    for name, emb in models.items():
        order = np.random.default_rng(3).permutation(150) if name == "random" else None  # stored in another order
        write_sc_record(tmp_path / "recs" / name, "pbmc68k_label_prediction", emb, labels, name, order=order)
    got = board([tmp_path / "recs"], tmp_path / "b", n=60)
    capsys.readouterr()
    task = got["tasks"]["pbmc68k_label_prediction"]
    assert task["unit"] == "cells" and "out-of-fold" in task["resampled"]
    clfs = [make_pipeline(StandardScaler(with_mean=False), LogisticRegression()),
            make_pipeline(StandardScaler(with_mean=False), KNeighborsClassifier()), RandomForestClassifier(random_state=42)]
    oof = {}
    for name in models:
        folder = tmp_path / "recs" / name
        emb, obs = np.load(folder / "embedding.npy"), pd.read_csv(folder / "obs.csv", dtype=str)
        y = np.unique(obs["bulk_labels"], return_inverse=True)[1]
        fold, preds = np.zeros(len(y), int), []
        splits = list(StratifiedKFold(5, shuffle=True, random_state=42).split(emb, y))
        for f, (_, te) in enumerate(splits):
            fold[te] = f
        for clf in clfs:
            p = np.zeros(len(y), int)
            for tr, te in splits:
                p[te] = clone(clf).fit(emb[tr], y[tr]).predict(emb[te])
            preds.append(p)
        oof[f"bench/{name}" if name == "good" else "control:random"] = \
            {c: (fold[i], y[i], [p[i] for p in preds]) for i, c in enumerate(obs["cell_id"])}
    units = sorted(oof["bench/good"])

    def metric(model, drawn):
        vals = []
        for c in range(3):
            for f in range(5):
                cells = [oof[model][u] for u in drawn if oof[model][u][0] == f]
                if cells:
                    vals.append(f1_score([t for _, t, _ in cells], [p[c] for _, _, p in cells], average="macro",
                                         zero_division=0))
        return float(np.mean(vals))

    observed = {m: metric(m, units) for m in oof}
    draws = brute_force_unit_draws(units, metric, list(oof), 60, 5)
    assert_board_matches(task, observed, draws)
    record = json.loads((tmp_path / "recs" / "good" / "record.json").read_text())
    assert record["value"]["value"] == pytest.approx(observed["bench/good"], abs=1e-12)


def test_singlecell_clustering_board_resamples_donors(tmp_path, capsys):
    """adjusted_rand_index with a donor column in obs.csv: donors drawn with all their cells, each cell keeping
    its Leiden cluster (computed once by the metric), ARI recomputed by sklearn on the drawn cells; to 1e-12."""
    pytest.importorskip("igraph", reason="the singlecell extra (igraph for Leiden) is not installed "
                                         "(pip install 'bench[singlecell]')")
    from bench.metrics.singlecell import clustering_scores

    X, labels = blobs(160, 4, 4, seed=2)
    embeddings = {"sharp": X, "blurred": X + np.random.default_rng(5).normal(0, 3, X.shape).astype(np.float32),
                  "random": np.random.default_rng(6).standard_normal(X.shape).astype(np.float32)}
    donors = np.array([f"d{i % 7}" for i in range(160)])
    clusters = {}
    for name, emb in embeddings.items():
        folder = tmp_path / "recs" / name
        write_sc_record(folder, "pbmc68k_clustering", emb, labels, name)
        obs = pd.read_csv(folder / "obs.csv", dtype=str)
        obs["donor_id"] = donors
        obs.to_csv(folder / "obs.csv", index=False)
        model = "control:random" if name == "random" else f"bench/{name}"
        clusters[model] = clustering_scores(emb, labels, random_state=42, return_clusters=True)["clusters"]
    got = board([tmp_path / "recs"], tmp_path / "b", n=150)
    capsys.readouterr()
    task = got["tasks"]["pbmc68k_clustering"]
    assert task["unit"] == "donors (obs.csv column donor_id)" and task["n_units"] == 7
    units = sorted(set(donors))
    members = {u: np.flatnonzero(donors == u) for u in units}

    def metric(model, drawn):
        idx = np.concatenate([members[u] for u in drawn])
        return float(adjusted_rand_score(labels[idx], clusters[model][idx]))

    observed = {m: metric(m, units) for m in clusters}
    draws = brute_force_unit_draws(units, metric, list(clusters), 150, 5)
    per_donor = {m: [metric(m, [u]) for u in units] for m in clusters}
    assert_board_matches(task, observed, draws, unit_values=per_donor)
    assert "donors" in (tmp_path / "b" / "leaderboard.md").read_text()


# ------------------------------------------------------------------ bad input

def test_mixed_metrics_are_a_clear_error(tmp_path, capsys):
    X, labels = blobs(80, 4, 3, seed=4)
    write_sc_record(tmp_path / "a", "pbmc68k_embedding", X, labels, "a")
    write_sc_record(tmp_path / "b", "pbmc68k_embedding", X * 2, labels, "b")
    shutil.copytree(tmp_path / "b", tmp_path / "c")
    edit = json.loads((tmp_path / "c" / "record.json").read_text())
    edit["metric"]["primary"] = "normalized_mutual_info"
    (tmp_path / "c" / "record.json").write_text(json.dumps(edit))
    code = main(["leaderboard", str(tmp_path / "a"), str(tmp_path / "c"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "records of task pbmc68k_embedding mix metrics" in err and "normalized_mutual_info" in err
    # two tasks of two metrics: a raw board refuses to average them and says what to do
    write_sc_record(tmp_path / "d", "pbmc68k_label_prediction", X, labels, "a")
    code = main(["leaderboard", str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "d"), "--out", str(tmp_path / "o"),
                 "--n-bootstrap", "20"])
    err = capsys.readouterr().err
    assert code == 2 and "these records mix metrics" in err and "pbmc68k_label_prediction: sc_label_prediction" in err
    assert "--scale controls" in err and "--tasks" in err


def test_records_on_other_cells_are_a_clear_error(tmp_path, capsys):
    X, labels = blobs(80, 4, 3, seed=4)
    write_sc_record(tmp_path / "a", "pbmc68k_embedding", X, labels, "a")
    write_sc_record(tmp_path / "b", "pbmc68k_embedding", X[:70], labels[:70], "b")
    code = main(["leaderboard", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "cells and labels (labels_sha256)" in err and "differs" in err


# ------------------------------------------------------------------ single-cell: generated random floors

def test_singlecell_silhouette_random_floor_is_a_seeded_gaussian_embedding(tmp_path, capsys):
    """No random run among the records: the board generates the floor, a standard gaussian embedding of the
    same cells (sorted by id) and width from default_rng(seed); its per-cell rescaled silhouettes from sklearn
    (float64 vs scib's float32: 1e-6) resampled like the runs; same seed, same floor; another seed, another."""
    X, labels = blobs(90, 4, 3, seed=7)
    write_sc_record(tmp_path / "recs" / "a", "pbmc68k_embedding", X, labels, "a")
    write_sc_record(tmp_path / "recs" / "b", "pbmc68k_embedding", X + np.random.default_rng(1).normal(0, 2, X.shape)
                    .astype(np.float32), labels, "b", order=np.random.default_rng(2).permutation(90))
    got = board([tmp_path / "recs"], tmp_path / "o", n=100)
    capsys.readouterr()
    task = got["tasks"]["pbmc68k_embedding"]
    assert "standard gaussian embedding" in got["settings"]["controls"]
    per_cell = {}
    for name in ("a", "b"):
        emb = np.load(tmp_path / "recs" / name / "embedding.npy").astype(np.float64)
        obs = pd.read_csv(tmp_path / "recs" / name / "obs.csv", dtype=str)
        per_cell[f"bench/{name}"] = dict(zip(obs["cell_id"], (silhouette_samples(emb, obs["bulk_labels"]) + 1) / 2))
    units = sorted(per_cell["bench/a"])
    gauss = np.random.default_rng(5).standard_normal((90, 4))
    per_cell["control:random"] = dict(zip(units, (silhouette_samples(gauss, labels) + 1) / 2))  # c000.. in order

    def metric(model, drawn):
        return float(np.mean([per_cell[model][u] for u in drawn]))

    observed = {m: metric(m, units) for m in per_cell}
    assert_board_matches(task, observed, brute_force_unit_draws(units, metric, list(per_cell), 100, 5), value_tol=1e-6)
    assert task["floor"] == pytest.approx(observed["control:random"], abs=1e-6)
    again = board([tmp_path / "recs"], tmp_path / "o2", n=100)["tasks"]["pbmc68k_embedding"]
    other = board([tmp_path / "recs"], tmp_path / "o3", n=100, seed=6)["tasks"]["pbmc68k_embedding"]
    capsys.readouterr()
    floor = {b: next(r["value"] for r in t["rows"] if r["model"] == "control:random") for b, t in
             (("again", again), ("other", other))}
    assert floor["again"] == next(r["value"] for r in task["rows"] if r["model"] == "control:random")
    assert floor["other"] != floor["again"]


def test_singlecell_ari_random_floor_permutes_the_label_classes(tmp_path, capsys):
    """adjusted_rand_index: the generated floor's clusters are the label codes (classes sorted) of the cells
    sorted by id, permuted by default_rng(seed) (random clusters of the classes' sizes); ARI by sklearn."""
    pytest.importorskip("igraph", reason="the singlecell extra (igraph for Leiden) is not installed "
                                         "(pip install 'bench[singlecell]')")
    from bench.metrics.singlecell import clustering_scores

    X, labels = blobs(120, 4, 3, seed=3)
    write_sc_record(tmp_path / "recs" / "a", "pbmc68k_clustering", X, labels, "a")
    got = board([tmp_path / "recs"], tmp_path / "o", n=80)
    capsys.readouterr()
    task = got["tasks"]["pbmc68k_clustering"]
    codes = np.unique(labels, return_inverse=True)[1]
    clusters = {"bench/a": clustering_scores(X, labels, random_state=42, return_clusters=True)["clusters"],
                "control:random": np.random.default_rng(5).permutation(codes)}
    units = list(range(120))

    def metric(model, drawn):
        return float(adjusted_rand_score(labels[drawn], clusters[model][drawn]))

    observed = {m: metric(m, units) for m in clusters}
    assert_board_matches(task, observed, brute_force_unit_draws(units, metric, list(clusters), 80, 5))
    assert abs(observed["control:random"]) < 0.1 and "permuted" in got["settings"]["controls"]


def test_fold_f1_random_floor_draws_from_the_training_label_frequencies():
    """mean_fold_f1's floor by hand: classes of >= 10 cells, sklearn's StratifiedKFold(5, shuffle, 42) on the
    cells sorted by id, per fold labels drawn from its training cells' label frequencies (default_rng(seed)),
    each fold's macro F1 by sklearn, mean over folds; observed value and draws of cells to 1e-12."""
    from bench.baselines.singlecell.board import sc_random_floor
    from bench.metrics import leaderboard as lb

    rng = np.random.default_rng(4)
    labels = np.array([f"t{i}" for i in rng.choice(4, 130, p=[0.45, 0.3, 0.2, 0.05])])
    cells = pd.DataFrame({"cell_id": [f"c{i:03d}" for i in range(130)], "cell_type": labels})
    stats, finish, rule = sc_random_floor("mean_fold_f1", cells, {"label_key": "cell_type", "random_state": 42}, 3, 8)
    assert "training label frequencies" in rule
    codes, counts = np.unique(labels, return_inverse=True)[1], np.bincount(np.unique(labels, return_inverse=True)[1])
    kept = np.flatnonzero(counts[codes] >= 10)
    y = np.searchsorted(np.unique(codes[kept]), codes[kept])
    pick = np.random.default_rng(8)
    fold, pred = np.zeros(len(y), int), np.zeros(len(y), int)
    for f, (train, test) in enumerate(StratifiedKFold(5, shuffle=True, random_state=42).split(np.zeros(len(y)), y)):
        freq = [np.mean(y[train] == c) for c in range(y.max() + 1)]
        fold[test], pred[test] = f, pick.choice(len(freq), len(test), p=freq)
    where = {cell: i for i, cell in enumerate(kept)}

    def metric(model, drawn):
        idx = [where[u] for u in drawn if u in where]
        vals = [f1_score(y[[i for i in idx if fold[i] == f]], pred[[i for i in idx if fold[i] == f]], average="macro",
                         zero_division=0) for f in range(5) if any(fold[i] == f for i in idx)]
        return float(np.mean(vals))

    runs = {"control:random": [(stats, finish)]}
    assert lb.observed_values(runs)["control:random"] == pytest.approx(metric(None, list(range(130))), abs=1e-12)
    _, draws = lb.resampled_draws(runs, n_bootstrap=30, seed=3)
    truth = brute_force_unit_draws(list(range(130)), metric, ["control:random"], 30, 3)
    np.testing.assert_allclose(draws[:, 0], truth["control:random"], rtol=0, atol=1e-12)
    again, _, _ = sc_random_floor("mean_fold_f1", cells, {"label_key": "cell_type", "random_state": 42}, 3, 8)
    assert (again != stats).nnz == 0


# ------------------------------------------------------------------ single-cell: NMI and batch silhouette units

def test_singlecell_nmi_board_recomputes_sklearn_nmi_on_the_drawn_cells(tmp_path, capsys):
    """normalized_mutual_info: cells drawn with their Leiden cluster (computed once by the metric), sklearn's
    normalized_mutual_info_score on the drawn cells; the generated floor = the label classes permuted by
    default_rng(seed); to 1e-12."""
    pytest.importorskip("igraph", reason="the singlecell extra (igraph for Leiden) is not installed "
                                         "(pip install 'bench[singlecell]')")
    from bench.metrics.singlecell import clustering_scores

    X, labels = blobs(120, 4, 4, seed=8)
    blurred = X + np.random.default_rng(2).normal(0, 3, X.shape).astype(np.float32)
    clusters = {}
    for name, emb in (("sharp", X), ("blurred", blurred)):
        write_sc_record(tmp_path / "recs" / name, "pbmc68k_clustering", emb, labels, name,
                        primary="normalized_mutual_info")
        clusters[f"bench/{name}"] = clustering_scores(emb, labels, random_state=42, return_clusters=True)["clusters"]
    clusters["control:random"] = np.random.default_rng(5).permutation(np.unique(labels, return_inverse=True)[1])
    got = board([tmp_path / "recs"], tmp_path / "o", n=120)
    capsys.readouterr()
    task = got["tasks"]["pbmc68k_clustering"]
    assert task["metric"] == "sc_clustering normalized_mutual_info" and "NMI recomputed" in task["resampled"]
    units = list(range(120))

    def metric(model, drawn):
        return float(normalized_mutual_info_score(labels[drawn], clusters[model][drawn]))

    observed = {m: metric(m, units) for m in clusters}
    assert_board_matches(task, observed, brute_force_unit_draws(units, metric, list(clusters), 120, 5))
    record = json.loads((tmp_path / "recs" / "sharp" / "record.json").read_text())
    assert record["value"]["value"] == pytest.approx(observed["bench/sharp"], abs=1e-12)


def test_nmi_finish_equals_sklearn_on_edge_cases():
    """One class, one cluster, both, all singletons, a single cell: sklearn's special cases, to 1e-12."""
    from bench.metrics import leaderboard as lb

    cases = [([0, 0, 0], [0, 1, 2]), ([0, 1, 2], [1, 1, 1]), ([2, 2], [1, 1]), ([0, 1, 2, 3], [0, 1, 2, 3]),
             ([1], [2]), ([0, 0, 1, 1, 2], [1, 1, 0, 0, 0]), ([0, 1, 0, 1], [0, 0, 1, 1])]
    for y, c in cases:
        y, c = np.array(y), np.array(c)
        stats = lb.onehot_stats(y * 4 + c, 16)
        got = lb.nmi_finish(4, 4)(np.asarray(stats.sum(axis=0)).reshape(1, -1))[0]
        assert got == pytest.approx(normalized_mutual_info_score(y, c), abs=1e-12), (y, c)


def test_singlecell_batch_silhouette_board_recomputes_per_label_means(tmp_path, capsys):
    """batch_silhouette (scib silhouette_batch): per cell 1 - |sklearn silhouette w.r.t. batch among the cells
    of its label| (labels with one batch left out), once on all cells; per draw the mean over labels present
    of the mean over their drawn cells. sklearn is float64, bench's silhouettes scib's float32 (~1e-7 apart):
    values and CIs to 1e-6, ranks, tie groups and p-values exactly. The generated floor: a gaussian embedding
    of the same cells (sorted by id) and width from default_rng(seed)."""
    X, labels = blobs(150, 4, 3, seed=11)
    batches = np.array([f"s{i % 3}" for i in range(150)], dtype=object)
    batches[labels == "t0"] = "s0"  # t0 lies in one batch: scib leaves it out
    rng = np.random.default_rng(12)
    mixed = X + rng.normal(0, 0.5, X.shape).astype(np.float32)
    split = X + np.where(batches[:, None] == "s1", 4.0, 0.0).astype(np.float32)
    for name, emb in (("mixed", mixed), ("split", split)):
        order = rng.permutation(150) if name == "split" else None
        write_sc_record(tmp_path / "recs" / name, "spermatogenesis_integration", emb, labels, name, order=order,
                        primary="batch_silhouette", batches=batches)
    got = board([tmp_path / "recs"], tmp_path / "o", n=100)
    capsys.readouterr()
    task = got["tasks"]["spermatogenesis_integration"]
    assert task["metric"] == "sc_integration batch_silhouette" and "per label the mean" in task["resampled"]
    gauss = np.random.default_rng(5).standard_normal((150, 4))
    per_cell = {}
    for model, emb in (("bench/mixed", mixed), ("bench/split", split), ("control:random", gauss)):
        values = {}
        for label in ("t1", "t2"):
            idx = np.flatnonzero(labels == label)
            s = silhouette_samples(np.asarray(emb, dtype=np.float64)[idx], batches[idx])
            values.update({int(i): (label, 1 - abs(v)) for i, v in zip(idx, s)})
        per_cell[model] = values

    def metric(model, drawn):
        by_label = {}
        for u in drawn:
            if u in per_cell[model]:
                label, v = per_cell[model][u]
                by_label.setdefault(label, []).append(v)
        return float(np.mean([np.mean(v) for v in by_label.values()]))

    units = list(range(150))
    observed = {m: metric(m, units) for m in per_cell}
    assert_board_matches(task, observed, brute_force_unit_draws(units, metric, list(per_cell), 100, 5), value_tol=1e-6)
    assert observed["bench/mixed"] > observed["bench/split"]


def test_batch_silhouette_without_a_batch_key_is_a_clear_error(tmp_path, capsys):
    X, labels = blobs(60, 4, 3, seed=4)
    write_sc_record(tmp_path / "a", "pbmc68k_embedding", X, labels, "a")
    edit = json.loads((tmp_path / "a" / "record.json").read_text())
    edit["metric"]["primary"] = "batch_silhouette"
    (tmp_path / "a" / "record.json").write_text(json.dumps(edit))
    code = main(["leaderboard", str(tmp_path / "a"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "metric.params.batch_key" in err and "record.json" in err
