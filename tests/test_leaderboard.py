"""Significance-aware leaderboard: every number checked against a plain brute-force resampling loop
(sklearn AUROC, one draw at a time) written here, independently of bench.metrics.leaderboard."""
from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from genelab_helpers import write_label_folds
from bench.cli import main
from bench.metrics import leaderboard as lb

# ------------------------------------------------------------------ the independent truth


def brute_force_draws(labels, scores, n_bootstrap, seed):
    """Missions with replacement, then samples within each drawn mission; sklearn AUROC; mean over
    the drawn missions with two classes (and over a model's seeds). Returns {model: [value or None]}."""
    rng = np.random.default_rng(seed)
    out = {m: [] for m in scores}
    for _ in range(n_bootstrap):
        drawn = rng.integers(0, len(labels), len(labels))
        per_model = {m: [] for m in scores}
        for f in drawn:
            idx = rng.integers(0, len(labels[f]), len(labels[f]))
            y = labels[f][idx]
            if len(set(y.tolist())) < 2:
                continue
            for m in scores:
                seeds = np.atleast_2d(scores[m][f])
                per_model[m].append(np.mean([roc_auc_score(y, s[idx]) for s in seeds]))
        for m in scores:
            out[m].append(np.mean(per_model[m]) if per_model[m] else None)
    return out


TOL = 1e-12  # values closer than this are ties (floating-point noise), as documented in the module


def brute_force_board(observed, draws, alpha=0.05):
    """Ranks, rank intervals, paired p-values, Holm and tie groups with plain loops."""
    models = list(observed)
    keep = [b for b in range(len(draws[models[0]])) if draws[models[0]][b] is not None]
    rank_samples = {m: [] for m in models}
    for b in keep:
        for m in models:
            rank_samples[m].append(1 + sum(1 for o in models if draws[o][b] > draws[m][b] + TOL))
    order = sorted(models, key=lambda m: (-observed[m], m))
    pairs = []
    for i, a in enumerate(order):
        for c in order[i + 1:]:
            d = [draws[a][b] - draws[c][b] for b in keep]
            below = (sum(1 for x in d if x <= TOL) + 1) / (len(d) + 1)
            above = (sum(1 for x in d if x >= -TOL) + 1) / (len(d) + 1)
            pairs.append([a, c, min(1.0, 2 * min(below, above))])
    # Holm, textbook: sort, multiply by (m - i), running maximum, cap at 1
    ranked = sorted(range(len(pairs)), key=lambda k: pairs[k][2])
    best = 0.0
    for i, k in enumerate(ranked):
        best = max(best, min(1.0, (len(pairs) - i) * pairs[k][2]))
        pairs[k].append(best)
    sig = {(a, c) for a, c, _, h in pairs if h < alpha}
    groups, group, leader = {}, 1, order[0]
    for m in order:
        if (leader, m) in sig:
            group, leader = group + 1, m
        groups[m] = group
    rows = {m: {"rank": 1 + sum(1 for o in models if observed[o] > observed[m] + TOL),
                "rank_lower": int(np.percentile(rank_samples[m], 2.5, method="lower")),
                "rank_upper": int(np.percentile(rank_samples[m], 97.5, method="higher")),
                "tie_group": groups[m],
                "ci_lower": np.percentile([draws[m][b] for b in keep], 2.5),
                "ci_upper": np.percentile([draws[m][b] for b in keep], 97.5)} for m in models}
    return rows, {(a, c): (p, h) for a, c, p, h in pairs}


RANK_KEYS = ("rank", "rank_lower", "rank_upper", "tie_group")


def assert_board_is_brute_force(got: dict, observed: dict, draws: dict) -> None:
    """A board as leaderboard.json holds it (rows, pairs) equals :func:`brute_force_board`: the same models
    and values, ranks, rank intervals and tie groups, p-values and Holm p-values."""
    rows, pairs = brute_force_board(observed, draws)
    assert {r["model"] for r in got["rows"]} == set(observed)
    for r in got["rows"]:
        assert r["value"] == pytest.approx(observed[r["model"]], abs=1e-12)
        assert tuple(r[k] for k in RANK_KEYS) == tuple(rows[r["model"]][k] for k in RANK_KEYS), (r, rows[r["model"]])
    for p in got["pairs"]:
        assert (p["p"], p["p_holm"]) == pytest.approx(pairs[(p["a"], p["b"])], abs=1e-12)


def _data(seed=1, sizes=(9, 12, 7, 10)):
    rng = np.random.default_rng(seed)
    labels = [np.array([1, 0] + rng.integers(0, 2, n - 2).tolist(), dtype=float) for n in sizes]
    signal = {"strong": 1.5, "weak": 0.6, "none": 0.0}
    scores = {m: [y * k + rng.normal(size=y.size) for y in labels] for m, k in signal.items()}
    scores["seeds"] = [np.stack([y * 0.9 + rng.normal(size=y.size) for _ in range(3)]) for y in labels]
    return labels, scores


# ------------------------------------------------------------------ the module against the truth


def test_hierarchical_draws_equal_brute_force():
    labels, scores = _data()
    models, draws = lb.hierarchical_draws(labels, scores, n_bootstrap=30, seed=7)
    truth = brute_force_draws(labels, scores, 30, 7)
    for m, model in enumerate(models):
        expected = np.array([np.nan if v is None else v for v in truth[model]])
        np.testing.assert_allclose(draws[:, m], expected, rtol=0, atol=1e-12)


def test_draws_skip_single_class_folds_like_the_truth():
    labels = [np.array([1.0, 0.0]), np.array([1.0, 0.0, 0.0])]  # tiny folds: many one-class draws
    scores = {"a": [np.array([0.9, 0.1]), np.array([0.3, 0.2, 0.1])], "b": [np.array([0.1, 0.9]), np.array([0.5, 0.6, 0.1])]}
    models, draws = lb.hierarchical_draws(labels, scores, n_bootstrap=60, seed=3)
    truth = brute_force_draws(labels, scores, 60, 3)
    assert any(v is None for v in truth["a"])
    for m, model in enumerate(models):
        np.testing.assert_allclose(draws[:, m], [np.nan if v is None else v for v in truth[model]], atol=1e-12)


def test_board_equals_brute_force():
    labels, scores = _data(seed=4)
    models, draws = lb.hierarchical_draws(labels, scores, n_bootstrap=50, seed=11)
    per_fold = lb.fold_values(labels, scores)
    observed = {m: float(np.mean(per_fold[m])) for m in models}
    result = lb.board(models, [observed[m] for m in models], draws, fold_values=per_fold)
    rows, pairs = brute_force_board(observed, brute_force_draws(labels, scores, 50, 11))
    for row in result.rows:
        want = rows[row["model"]]
        assert (row["rank"], row["rank_lower"], row["rank_upper"], row["tie_group"]) == \
            (want["rank"], want["rank_lower"], want["rank_upper"], want["tie_group"]), row
        assert row["ci_lower"] == pytest.approx(want["ci_lower"], abs=1e-12)
    for p in result.pairs:
        assert (p["p"], p["p_holm"]) == pytest.approx(pairs[(p["a"], p["b"])], abs=1e-12)
        fa, fb = per_fold[p["a"]], per_fold[p["b"]]
        assert p["wins"] == sum(1 for x, y in zip(fa, fb) if x > y) and p["n_folds"] == len(labels)
    assert result.rows[0]["model"] == "strong" and result.rows[-1]["model"] == "none"
    groups = [r["tie_group"] for r in result.rows]
    assert groups == sorted(groups) and groups[0] == 1


def test_holm_hand_computed():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 -> max(0.06, 0.04) = 0.06
    np.testing.assert_allclose(lb.holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(lb.holm([0.5, 0.9]), [1.0, 1.0])


def test_unit_draws_equal_plain_loop():
    values = np.array([[0.7, 0.6], [0.9, 0.5], [0.4, 0.45], [0.8, 0.7]])
    draws = lb.unit_draws(values, n_bootstrap=50, seed=2)
    rng = np.random.default_rng(2)
    for b in range(50):
        idx = rng.integers(0, 4, 4)
        np.testing.assert_allclose(draws[b], [np.mean([values[i, m] for i in idx]) for m in range(2)], atol=1e-15)


def test_same_seed_same_board_other_seed_other_draws():
    labels, scores = _data()
    a = lb.hierarchical_draws(labels, scores, n_bootstrap=80, seed=5)[1]
    b = lb.hierarchical_draws(labels, scores, n_bootstrap=80, seed=5)[1]
    c = lb.hierarchical_draws(labels, scores, n_bootstrap=80, seed=6)[1]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_scale_to_controls():
    np.testing.assert_allclose(lb.scale_to_controls([0.5, 0.75, 1.0], 0.5, 1.0), [0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="not above the floor"):
        lb.scale_to_controls([0.5], 0.6, 0.6)


# ------------------------------------------------------------------ bench leaderboard end to end

TASKS = {"A5_skin": "A5_skin_lomo", "A6_eye": "A6_eye_lomo"}
MODELS = {"strong": 1.2, "medium": 0.7, "weak": 0.15}


def _write_task(root: Path, task_dir: str, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    labels = {}
    for k, mission in enumerate(["MHU-2", "RR-6", "RR-7", "RR-9"]):
        n = 8 + 2 * k
        y = np.array([1, 0] + rng.integers(0, 2, n - 2).tolist(), dtype=float)
        fold = f"fold_{mission}_test"
        labels[fold] = {f"{mission}_{i}": v for i, v in enumerate(y)}
    write_label_folds(root, labels, task_dir)
    return labels


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """Three models x two GeneLab tasks, each scored by `bench evaluate --record` into a sweep folder."""
    root = tmp_path_factory.mktemp("sweep")
    data = root / "data"
    rng = np.random.default_rng(0)
    all_labels = {}
    for t, (task, task_dir) in enumerate(TASKS.items()):
        labels = _write_task(data, task_dir, seed=10 + t)
        all_labels[task] = labels
        for model, k in MODELS.items():
            preds = {f: {s: float(1 / (1 + np.exp(-(k * 2 * (y - 0.5) + rng.normal())))) for s, y in lab.items()}
                     for f, lab in labels.items()}
            sub = root / f"{task}_{model}.json"
            sub.write_text(json.dumps({"task_id": task, "model_name": model, "predictions": preds}))
            assert main(["evaluate", task, str(sub), "--data-dir", str(data), "--n-bootstrap", "10",
                         "--n-permutations", "10", "--record", str(root / "runs" / f"{task}__{model}")]) == 0
    return root, data, all_labels


def _truth_for_task(labels: dict, preds_dir: Path, task: str, n_bootstrap: int, seed: int, scale: str):
    folds = sorted(labels)
    ys = [np.array(list(labels[f].values())) for f in folds]
    scores = {}
    for model in MODELS:
        sub = json.loads((preds_dir / f"{task}__{model}" / "predictions.json").read_text())["predictions"]
        scores[f"{model}"] = [np.array([sub[f][s] for s in labels[f]]) for f in folds]
    rng = np.random.default_rng(seed)  # the floors and perfect control, generated as documented
    scores["control:constant"] = [np.full(y.size, 0.5) for y in ys]
    scores["control:random"] = [rng.random(y.size) for y in ys]
    scores["control:perfect"] = [y.copy() for y in ys]
    draws = brute_force_draws(ys, scores, n_bootstrap, seed)
    observed = {m: np.mean([roc_auc_score(y, s) for y, s in zip(ys, scores[m])]) for m in scores}
    if scale == "controls":
        floor = max(observed["control:constant"], observed["control:random"])
        ceil = observed["control:perfect"]
        observed = {m: (v - floor) / (ceil - floor) for m, v in observed.items()}
        draws = {m: [None if v is None else (v - floor) / (ceil - floor) for v in d] for m, d in draws.items()}
    return observed, draws


@pytest.mark.parametrize("scale", ["raw", "controls"])
def test_leaderboard_of_a_sweep_equals_brute_force(sweep, tmp_path, capsys, scale):
    root, data, all_labels = sweep
    out = tmp_path / "board"
    code = main(["leaderboard", str(root / "runs"), "--data-dir", str(data), "--out", str(out), "--n-bootstrap", "40",
                 "--seed", "3", "--scale", scale, "--weights", "A5_skin=2,A6_eye=1"])
    assert code == 0, capsys.readouterr().err
    result = json.loads((out / "leaderboard.json").read_text())
    assert result["settings"]["scale"] == scale and result["settings"]["weights"] == {"A5_skin": 2.0, "A6_eye": 1.0}
    truths = {}
    for i, task in enumerate(TASKS):
        observed, draws = _truth_for_task(all_labels[task], root / "runs", task, 40, 3 + i, scale)
        truths[task] = (observed, draws)
        assert_board_is_brute_force(result["tasks"][task], observed, draws)
    # the aggregate: weighted mean of the per-task draws (2:1), ranked the same plain way
    models = list(truths["A5_skin"][0])
    agg_obs = {m: (2 * truths["A5_skin"][0][m] + truths["A6_eye"][0][m]) / 3 for m in models}
    agg_draws = {m: [None if a is None or b is None else (2 * a + b) / 3
                     for a, b in zip(truths["A5_skin"][1][m], truths["A6_eye"][1][m])] for m in models}
    rows, _ = brute_force_board(agg_obs, agg_draws)
    for r in result["aggregate"]["rows"]:
        assert tuple(r[k] for k in RANK_KEYS) == tuple(rows[r["model"]][k] for k in RANK_KEYS)
    # csv and markdown carry the same rows; the plot exists
    with open(out / "leaderboard.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert {(r["scope"], r["model"]) for r in table} == \
        {("all", r["model"]) for r in result["aggregate"]["rows"]} | \
        {(t, r["model"]) for t in TASKS for r in result["tasks"][t]["rows"]}
    assert all(r["scale"] == scale for r in table)
    md = (out / "leaderboard.md").read_text()
    assert "rank 95% interval" in md and "tie group" in md and "of 4" in md
    assert (out / "ranks.png").read_bytes()[:4] == b"\x89PNG"


def test_leaderboard_bad_input_is_clear(sweep, tmp_path, capsys):
    root, data, _ = sweep
    code = main(["leaderboard", str(root / "runs"), "--data-dir", str(data), "--out", str(tmp_path / "o"),
                 "--tasks", "B9"])
    assert code == 2 and "--tasks: no records for B9" in capsys.readouterr().err
    code = main(["leaderboard", str(root / "runs"), "--data-dir", str(data), "--out", str(tmp_path / "o"),
                 "--weights", "A5_skin=x"])
    assert code == 2 and "is not a number" in capsys.readouterr().err
    code = main(["leaderboard", str(tmp_path / "empty_nothing"), "--out", str(tmp_path / "o")])
    assert code == 2 and "no such file or folder" in capsys.readouterr().err


def test_sweep_folder_per_fold_values_resampled_by_missions(tmp_path, capsys):
    """Sweep runs (runs/*.json, per-fold AUROC only) are ranked by resampling missions; checked by a plain loop."""
    per_fold = {"lr": {0: [0.9, 0.8, 0.7, 0.95], 1: [0.88, 0.82, 0.69, 0.97]},
                "rf": {0: [0.7, 0.75, 0.72, 0.8]}, "random": {0: [0.52, 0.41, 0.55, 0.47]}}
    folds = ["fold_A_test", "fold_B_test", "fold_C_test", "fold_D_test"]
    (tmp_path / "sweep" / "runs").mkdir(parents=True)
    for model, seeds in per_fold.items():
        for seed, values in seeds.items():
            run = {"key": {"task": "A5_skin", "spec_sha256": "x", "model": model, "seed": seed}, "value": float(np.mean(values)),
                   "per_fold_auroc": dict(zip(folds, values))}
            (tmp_path / "sweep" / "runs" / f"A5_skin__{model}__seed{seed}.json").write_text(json.dumps(run))
    assert main(["leaderboard", str(tmp_path / "sweep"), "--out", str(tmp_path / "o"), "--n-bootstrap", "80",
                 "--seed", "4"]) == 0, capsys.readouterr().err
    got = json.loads((tmp_path / "o" / "leaderboard.json").read_text())["tasks"]["A5_skin"]
    assert got["resampled"] == "missions (per-fold values)"
    values = {"bench/lr": np.mean([per_fold["lr"][0], per_fold["lr"][1]], axis=0), "bench/rf": np.array(per_fold["rf"][0]),
              "control:random": np.array(per_fold["random"][0]), "control:constant": np.full(4, 0.5),
              "control:perfect": np.ones(4)}
    rng = np.random.default_rng(4)
    draws = {m: [] for m in values}
    for _ in range(80):
        idx = rng.integers(0, 4, 4)
        for m in values:
            draws[m].append(float(np.mean([values[m][i] for i in idx])))
    assert_board_is_brute_force(got, {m: float(np.mean(v)) for m, v in values.items()}, draws)


@pytest.mark.slow  # about a minute on an idle machine; must finish in < 3 min
def test_sweep_three_models_two_tasks_verify_and_leaderboard(tmp_path, capsys):
    """The done criterion end to end: `bench sweep` of three models on two GeneLab tasks (embedded synthetic
    data), `bench verify` MATCH on every cell's record, and `bench leaderboard SWEEP` whose ranks, rank
    intervals, tie groups and p-values equal the brute-force loop on the cells' own submissions."""
    from bench.loaders.genelab.labels import task_labels
    from bench.tasks import get_task

    tasks, models = ["A5_skin_hallmark", "A6_eye_hallmark"], ["pca_lr", "rf", "confound"]
    sweep_dir = tmp_path / "sweep"
    assert main(["sweep", *tasks, "--models", *models, "--seeds", "0", "--out", str(sweep_dir)]) == 0
    cells = sorted(p for p in (sweep_dir / "runs").iterdir() if p.is_dir())
    assert len(cells) == 6
    capsys.readouterr()
    for cell in cells:
        assert main(["verify", str(cell)]) == 0
        assert capsys.readouterr().out.startswith("MATCH")
    assert main(["leaderboard", str(sweep_dir), "--out", str(tmp_path / "board"), "--n-bootstrap", "40",
                 "--seed", "1"]) == 0
    result = json.loads((tmp_path / "board" / "leaderboard.json").read_text())
    for i, task in enumerate(tasks):
        got = result["tasks"][task]
        assert got["resampled"] == "missions, then samples"
        folds = task_labels(get_task(task), None).folds
        labels = {f.name: f.labels for f in folds if not f.holdout}
        names = sorted(labels)
        ys = [labels[f].to_numpy(float) for f in names]
        scores = {}
        for model in models:
            sub = json.loads((sweep_dir / "runs" / f"{task}__{model}__seed0" / "submission.json").read_text())
            name = "control:confound" if model == "confound" else f"bench/{model}"
            scores[name] = [np.array([sub["predictions"][f][s] for s in labels[f].index]) for f in names]
        rng = np.random.default_rng(1 + i)
        scores["control:constant"] = [np.full(y.size, 0.5) for y in ys]
        scores["control:random"] = [rng.random(y.size) for y in ys]
        scores["control:perfect"] = [y.copy() for y in ys]
        draws = brute_force_draws(ys, scores, 40, 1 + i)
        observed = {m: np.mean([roc_auc_score(y, s) for y, s in zip(ys, scores[m])]) for m in scores}
        assert_board_is_brute_force(got, observed, draws)
    assert {r["model"] for r in result["aggregate"]["rows"]} >= {"bench/pca_lr", "bench/rf", "control:confound"}
    md = (tmp_path / "board" / "leaderboard.md").read_text()
    assert "## Sweep: mean ± std over seeds" in md and "rank 95% interval" in md and "tie group" in md

def test_sweep_cells_keep_records_so_the_board_resamples_samples(tmp_path, capsys):
    """`bench sweep` writes record.json + submission.json per (task, model, seed): every record verifies as
    MATCH, and `bench leaderboard SWEEP` resamples samples within missions, equal to the brute-force loop
    on the submissions (two seeds of a model: the mean over seeds, as documented)."""
    from bench.loaders.genelab.labels import task_labels
    from bench.results.record import verify_record
    from bench.tasks import get_task

    task, sweep_dir = "A6_eye_hallmark", tmp_path / "sweep"
    assert main(["sweep", task, "--models", "pca_lr", "random", "--seeds", "0", "1", "--out", str(sweep_dir)]) == 0
    cells = sorted(p for p in (sweep_dir / "runs").iterdir() if p.is_dir())
    assert [c.name for c in cells] == [f"{task}__{m}__seed{s}" for m in ("pca_lr", "random") for s in (0, 1)]
    for cell in cells:
        assert {p.name for p in cell.iterdir()} == {"record.json", "submission.json"}
        assert verify_record(cell).status == "MATCH"
        assert json.loads((cell / "record.json").read_text())["command"][:2] == ["bench", "sweep"]
    capsys.readouterr()
    assert main(["leaderboard", str(sweep_dir), "--out", str(tmp_path / "board"), "--n-bootstrap", "40",
                 "--seed", "2"]) == 0, capsys.readouterr().err
    got = json.loads((tmp_path / "board" / "leaderboard.json").read_text())["tasks"][task]
    assert got["resampled"] == "missions, then samples"
    labels = {f.name: f.labels for f in task_labels(get_task(task), None).folds if not f.holdout}
    names = sorted(labels)
    ys = [labels[f].to_numpy(float) for f in names]
    scores = {}
    for model, name in (("pca_lr", "bench/pca_lr"), ("random", "control:random")):
        subs = [json.loads((sweep_dir / "runs" / f"{task}__{model}__seed{s}" / "submission.json").read_text())
                ["predictions"] for s in (0, 1)]
        scores[name] = [np.array([[sub[f][s] for s in labels[f].index] for sub in subs]) for f in names]
    scores["control:constant"] = [np.full(y.size, 0.5) for y in ys]
    scores["control:perfect"] = [y.copy() for y in ys]
    draws = brute_force_draws(ys, scores, 40, 2)
    observed = {m: np.mean([np.mean([roc_auc_score(y, s) for s in np.atleast_2d(sc)]) for y, sc in zip(ys, scores[m])])
                for m in scores}
    assert_board_is_brute_force(got, observed, draws)
    # one verb: the sweep's mean ± std over seeds (hand-computed from the run files) joined into the same rows
    runs = {m: [json.loads((sweep_dir / "runs" / f"{task}__{m}__seed{s}.json").read_text())["value"] for s in (0, 1)]
            for m in ("pca_lr", "random")}
    with open(tmp_path / "board" / "leaderboard.csv", newline="") as fh:
        table = {(r["scope"], r["model"]): r for r in csv.DictReader(fh)}
    for model, name in (("pca_lr", "bench/pca_lr"), ("random", "control:random")):
        row = table[(task, name)]
        assert float(row["mean"]) == pytest.approx(statistics.mean(runs[model]), abs=1e-12)
        assert float(row["std"]) == pytest.approx(statistics.stdev(runs[model]), abs=1e-12)
        assert row["n_seeds"] == "2" and row["seeds"] == "0 1" and row["rank_lower"] and row["tie_group"]
    assert table[(task, "control:perfect")]["mean"] == ""  # a generated control has no sweep runs
    md = (tmp_path / "board" / "leaderboard.md").read_text()
    assert "## Sweep: mean ± std over seeds" in md and "rank 95% interval" in md and "SYNTHETIC" in md
    assert {p.name for p in (tmp_path / "board").iterdir()} == {"leaderboard.md", "leaderboard.csv",
                                                                "leaderboard.json", "leaderboard.png", "ranks.png"}


def test_rank_is_a_hidden_alias_of_leaderboard(sweep, tmp_path, capsys):
    root, data, _ = sweep
    outputs = {}
    for verb in ("leaderboard", "rank"):
        out = tmp_path / verb
        assert main([verb, str(root / "runs"), "--data-dir", str(data), "--out", str(out), "--n-bootstrap", "20"]) == 0
        outputs[verb] = capsys.readouterr().out.replace(str(out), "OUT")
    assert outputs["rank"] == outputs["leaderboard"] and "rank 95% interval" in outputs["rank"]
    assert (tmp_path / "rank" / "leaderboard.json").read_text() == (tmp_path / "leaderboard" / "leaderboard.json").read_text()
