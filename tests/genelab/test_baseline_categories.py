"""GeneLab Categories B, C, D and the negative controls: runners on real pathway configs and on
hand-made data with known answers; the synthetic default through `bench run`."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from bench.baselines.genelab import condition as cond
from bench.baselines.genelab import transfer as xt
from bench.baselines.genelab.run import transfer_matrix
from bench.cli import main
from bench.errors import BenchError
from bench.tasks import get_task, list_tasks

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_analysis_tasks_are_registered_and_runnable_by_family():
    names = {s.name for s in list_tasks("genelab_analysis")}
    assert names == {"C1_liver_kidney", "C2_liver_gastrocnemius", "C3_liver_thymus", "C4_thymus_kidney",
                     "NC1_skin_permuted", "NC2_skin_housekeeping"}
    from bench.tasks.families import get_family
    family = get_family("genelab_analysis")
    assert "lr" in family.resolve("models") and family.resolve("run")
    nc2 = get_task("NC2_skin_housekeeping").params
    assert len(nc2["genes"]) == 29 and nc2["genes"]["Actb"] == "ENSMUSG00000029580"
    assert "not in the" in nc2["gene_list_source"] or "typed by us" in nc2["gene_list_source"].lower()


def test_cross_tissue_pathway_transfer_on_real_gsva(genelab_dir):
    """C4 thymus -> kidney by hallmark scores: fit on every thymus sample, score every kidney sample."""
    row = xt.transfer("pathway", source="A4_thymus_hallmark", target="A3_kidney_hallmark", model="lr",
                      data_dir=genelab_dir)
    kidney = get_task("A3_kidney").params["missions"]
    thymus = get_task("A4_thymus").params["missions"]
    assert row["n_target"] == sum(m["n"] for m in kidney.values())          # 118 kidney samples
    assert row["n_source"] == sum(m["n"] for m in thymus.values())          # holdout RR-23 not used
    assert row["n_features"] == 50                                          # the hallmark collection
    from bench.loaders import load, to_numpy
    dsd = load("A3_kidney_hallmark", data_dir=genelab_dir)
    y = {sid: lab for s in dsd for sid, lab in zip(dsd[s]["sample_id"], dsd[s]["label"])}
    truth = roc_auc_score([y[s] for s in row["target_sample_ids"]], row["target_scores"])
    assert row["auroc"] == pytest.approx(truth, abs=1e-12)


def test_cross_tissue_cli_skips_methods_without_gene_matrices(genelab_dir, tmp_path, capsys):
    assert main(["run", "C4_thymus_kidney", "--model", "pca_lr", "--data-dir", str(genelab_dir),
                 "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "results.json").read_text())
    assert [r["method"] for r in res["tables"]["methods"]] == ["pathway"]
    skipped = res["summary"]["skipped"]
    assert set(skipped) == {"gene", "deg"} and "test_X.csv" in skipped["gene"]
    assert "skipped gene" in capsys.readouterr().out


def test_source_degs_pick_the_planted_genes_without_target_labels():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 20)
    X = rng.normal(size=(40, 300))
    X[:, [5, 50, 150]] += 3.0 * y[:, None]
    chosen = xt.source_degs(X, y, min_genes=3)
    assert chosen.tolist() == [5, 50, 150]
    assert len(xt.source_degs(rng.normal(size=(40, 300)), y, min_genes=50)) == 50   # fallback: best 50


def test_condition_cv_macro_f1_and_permutation_p():
    rng = np.random.default_rng(1)
    y = np.repeat(np.array(["RR-1", "RR-3", "MHU-2"]), 12)
    X = rng.normal(size=(36, 40))
    for k, m in enumerate(["RR-1", "RR-3", "MHU-2"]):
        X[y == m, k] += 6.0                      # each mission shifts its own gene: separable
    res = cond.condition_cv(X, y, model="rf", level="pathway", seed=42)
    assert res["macro_f1"] == 1.0 and res["perm_p"] == pytest.approx(1 / 1001)
    assert res["n_splits"] == 5 and res["classes"] == {"MHU-2": 12, "RR-1": 12, "RR-3": 12}
    noise = cond.condition_cv(rng.normal(size=(36, 40)), y, model="pca_lr", level="pathway", seed=42)
    assert noise["macro_f1"] < 0.6 and noise["perm_p"] > 0.05


def test_vectorised_macro_f1_equals_sklearn():
    rng = np.random.default_rng(5)
    y_pred = rng.integers(0, 4, 30)
    y_true = rng.integers(0, 3, size=(50, 30))       # label 3 only predicted, never true
    fast = cond.macro_f1_rows(y_true, y_pred, 4)
    slow = [f1_score(t, y_pred, average="macro", zero_division=0) for t in y_true]
    assert np.allclose(fast, slow, atol=1e-12)


def test_condition_cv_needs_two_samples_per_class():
    X = np.zeros((5, 3))
    with pytest.raises(BenchError, match=r"class 'b' has 1 sample\(s\); stratified CV needs at least 2"):
        cond.condition_cv(X, np.array(["a", "a", "a", "a", "b"]), model="lr", level="gene")
    with pytest.raises(BenchError, match=r"single class"):
        cond.condition_cv(X, np.array(["a"] * 5), model="lr", level="gene")


def test_nc1_permuted_training_labels_give_chance_auroc(genelab_dir, tmp_path):
    """NC1 on a real pathway base (eye hallmark, GO with true labels): permuting the training labels
    must bring the mean AUROC to chance level."""
    spec = dataclasses.replace(get_task("NC1_skin_permuted"),
                               params={**get_task("NC1_skin_permuted").params, "base_task": "A6_eye_hallmark",
                                       "n_repeats": 10})
    res = cond.run_negative_control(spec, model="lr", data_dir=genelab_dir).summary
    assert len(res["mean_auroc_per_repeat"]) == 10
    assert abs(res["value"] - 0.5) < 0.1, res["mean_auroc_per_repeat"]
    assert res["verdict"] == "PASS"


def test_nc2_needs_its_genes_in_the_config(genelab_dir, tmp_path):
    spec = dataclasses.replace(get_task("NC2_skin_housekeeping"),
                               params={**get_task("NC2_skin_housekeeping").params, "base_task": "A6_eye_hallmark"})
    with pytest.raises(BenchError, match=r"only 0 of the 29 housekeeping genes \(params.genes\) are features of A6_eye_hallmark"):
        cond.run_negative_control(spec, model="lr", data_dir=genelab_dir)


def test_transfer_matrix_from_pairs():
    folds = [{"fold": "pair_RR-1_RR-3", "auroc": 0.8}, {"fold": "pair_RR-3_RR-1", "auroc": 0.6},
             {"fold": "pair_MHU-2_RR-1", "auroc": None}]
    missions, m = transfer_matrix(folds)
    assert missions == ["MHU-2", "RR-1", "RR-3"]
    assert m[1, 2] == 0.8 and m[2, 1] == 0.6 and np.isnan(m[0, 1]) and np.isnan(m[0, 0])


def test_synthetic_default_says_so(tmp_path, capsys):
    """No --data-dir, Hub offline: the embedded synthetic default runs and every output says so."""
    assert main(["run", "A6_eye_hallmark", "--model", "pca_lr", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out
    run = json.loads((tmp_path / "results.json").read_text())
    assert run["provenance"]["synthetic"] is True and run["provenance"]["data_origin"].startswith("synthetic")
    # round trip: `bench evaluate` of that submission, also without --data-dir, reads the same synthetic
    # labels, says SYNTHETIC and finds the same statistics
    ev_path = tmp_path / "evaluate.json"
    assert main(["evaluate", "A6_eye_hallmark", str(tmp_path / "submission.json"), "--json", str(ev_path)]) == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    ev = json.loads(ev_path.read_text())
    assert ev["provenance"]["synthetic"] is True
    assert ev["summary"] == run["summary"] and ev["tables"]["per_fold"] == run["tables"]["per_fold"]


@pytest.mark.slow
def test_category_b_synthetic_heatmap_and_pattern(tmp_path, capsys):
    assert main(["run", "B6_eye", "--model", "pca_lr", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "results.json").read_text())
    assert len(res["tables"]["per_fold"]) == 6 and res["summary"]["transfer_pattern"]["all_pairs"]["n_pairs"] == 6
    assert (tmp_path / "heatmap.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_category_d_synthetic_runs(tmp_path):
    assert main(["run", "D5_thymus_hardware", "--model", "pca_lr", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["settings"]["target"] == "hardware" and set(res["summary"]["classes"]) == {"MHU", "RR"}
    assert res["summary"]["metric"] == "macro_f1" and 0.0 <= res["summary"]["value"] <= 1.0


@pytest.mark.slow
def test_readme_main_command_synthetic(tmp_path):
    """The README's main command on the embedded default (exact upstream saga LR: slow)."""
    assert main(["run", "A5_skin", "--model", "lr", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["provenance"]["synthetic"] is True and len(res["tables"]["per_fold"]) == 3
