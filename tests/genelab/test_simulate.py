"""bench simulate: studies drawn from the generator, scored like bench run, GO-rule power.

The null checks use independent truths: under no Flight effect the test labels are exchangeable
with the scores, so a fold's AUROC follows the Mann-Whitney null (mean 1/2, variance
(n0 + n1 + 1) / (12 n0 n1)), a fold's permutation p is uniform on {1/1001, ..., 1}, and the false-GO
rate is at most 2 x 0.05 (twice the mean of p-values is a valid p-value under any dependence:
Vovk & Wang 2020, "Combining p-values via averaging", Biometrika 107:791), a bound the rule's
other two conditions only tighten.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from bench.baselines.genelab import simulate as sim
from bench.cli import main
from bench.loaders.genelab import synthetic as gs
from bench.metrics.genelab import lomo


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 40), seed=st.integers(0, 10_000), levels=st.sampled_from([0, 3, 1000]))
def test_fold_statistics_equal_the_lomo_core(n, seed, levels):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = rng.random(n)
    if levels:
        s = np.round(s * levels) / levels                              # ties
    ours = sim.fold_statistics(y, s)
    core = lomo.fold_statistics("f", y, s)
    assert {k: core[k] for k in ours} == ours


def test_gene_level_study_is_the_embedded_default_itself():
    """draw_study is the same generator: at seed 0 with the task's counts it gives the default's values."""
    spec = sim.simulation_spec("A6_eye")
    world = gs.tissue_world("eye", seed=0)
    layout = sim.study_layout(spec, None)
    study = gs.draw_study("eye", layout, gs.SyntheticParams.for_tissue(spec.params), seed=0,
                          n_genes=int(spec.params["n_genes_before_var_filter"]))
    for m in study.missions:
        np.testing.assert_array_equal(study.X[m], world.X[m])
        np.testing.assert_array_equal(study.y[m], world.missions[m].labels)


def test_pathway_study_scores_like_the_pathway_files():
    """Same model, only the collection's genes drawn: scores lie in [-1, 1] with one column per set."""
    spec = sim.simulation_spec("A5_skin_hallmark")
    study = sim.draw(spec, sim.Setting(0.5, 4, None, "pca_lr"), rep=0)
    assert study.missions == ["MHU-2", "RR-6", "RR-7"]
    for m in study.missions:
        assert study.X[m].shape == (8, gs.N_PATHWAYS["hallmark"]) and np.abs(study.X[m]).max() <= 1
        assert sorted(study.y[m].tolist()) == [0] * 4 + [1] * 4


def test_null_studies_match_the_analytic_null_and_the_false_go_bound():
    table = sim.simulate("A6_eye_hallmark", effects=[0.0], reps=40, seed=1)
    studies = table.attrs["studies"]
    spec = sim.simulation_spec("A6_eye_hallmark")
    counts = [(c["flight"], c["ground"]) for _, c in sorted(spec.params["missions"].items())]
    aurocs = np.array(studies["fold_aurocs"].tolist())                    # reps x folds
    for j, (n1, n0) in enumerate(counts):
        var = (n0 + n1 + 1) / (12 * n0 * n1)
        assert abs(aurocs[:, j].mean() - 0.5) < 3.5 * np.sqrt(var / len(aurocs))
        assert 0.5 * var < aurocs[:, j].var(ddof=1) < 1.7 * var
    p = np.array(studies["fold_perm_p"].tolist()).ravel()
    assert stats.kstest(p, "uniform").pvalue > 0.001
    row = table.iloc[0]
    assert row["p_go_ci_lower"] <= 0.10                                   # consistent with P(GO) <= 2 alpha
    assert row["data"] == "SYNTHETIC"


@pytest.mark.slow
def test_false_go_rate_large_rep_estimate():
    """400 null studies on the default A5 skin layout: the false-GO rate is below the 2 alpha bound
    with confidence (upper CI < 0.10) and far below alpha itself."""
    table = sim.simulate("A5_skin_hallmark", effects=[0.0], reps=400, seed=2)
    row = table.iloc[0]
    assert row["p_go_ci_upper"] < 0.10 and row["p_go"] < 0.05


def test_power_grows_with_the_effect_and_more_samples_help():
    table = sim.simulate("A6_eye_hallmark", effects=[0.0, 2.5], n_per_arm=[None, 12], reps=8, seed=3)
    p = {(r.n_per_arm if r.n_per_arm == r.n_per_arm else None, r.effect): r.p_go for r in table.itertuples()}
    assert p[(None, 2.5)] > p[(None, 0.0)] and p[(12, 2.5)] >= p[(None, 2.5)]
    assert all(set(m.split("+")) <= {"auroc", "ci_lower", "perm_p"} or m == "none" for m in table["most_failed"])
    assert sim.most_failed({"fail_auroc": 0.5, "fail_ci_lower": 0.5, "fail_perm_p": 0.2}) == "auroc+ci_lower"


def test_effect_for_power_interpolates():
    import pandas as pd
    t = pd.DataFrame({"effect": [0.0, 0.5, 1.0], "p_go": [0.02, 0.6, 1.0]})
    assert sim.effect_for_power(t) == pytest.approx(0.5 + 0.2 / 0.4 * 0.5)
    assert sim.effect_for_power(t.assign(p_go=[0.0, 0.1, 0.2])) is None


def test_binomial_ci_is_clopper_pearson():
    lo, hi = sim.binomial_ci(0, 200)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 200))          # exact bound at k = 0
    lo, hi = sim.binomial_ci(10, 20)
    assert lo == pytest.approx(stats.beta.ppf(0.025, 10, 11)) and hi == pytest.approx(stats.beta.ppf(0.975, 11, 10))


def test_cli_writes_marked_table_plot_and_json(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "A6_eye_hallmark", "--effect", "0", "1", "--reps", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "SYNTHETIC" in text and "false-GO rate at effect 0" in text
    table_rows = [line for line in text.splitlines() if line.startswith("pca_lr, task counts ")]
    assert len(table_rows) == 2 and all(line.endswith("SYNTHETIC") for line in table_rows)
    res = json.loads((out / "results.json").read_text())
    assert res["provenance"]["synthetic"] is True and res["provenance"]["data_origin"] == "synthetic:genelab-v3"
    assert res["settings"]["generator"] == "genelab-v3" and len(res["tables"]["power"]) == 2
    assert res["summary"]["metric"] == "false_go_rate"
    assert (out / "power.png").read_bytes()[:4] == b"\x89PNG"
    for name in ("power.tsv", "studies.tsv"):
        lines = (out / name).read_text().splitlines()
        assert lines[0].split("\t")[-1] == "data" and all(line.endswith("SYNTHETIC") for line in lines[1:])


@pytest.mark.parametrize("argv, message", [
    (["simulate", "B4_thymus"], "Category A"),
    (["simulate", "A6_eye_hallmark", "--reps", "0"], "--reps 0"),
    (["simulate", "A6_eye_hallmark", "--effect", "-1"], "--effect values must be >= 0"),
    (["simulate", "A6_eye_hallmark", "--n-per-arm", "1"], "--n-per-arm 1"),
    (["simulate", "A6_eye_hallmark", "--model", "lasso"], "unknown model 'lasso'"),
])
def test_cli_bad_input(argv, message, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
