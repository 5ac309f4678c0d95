"""Leakage audit: each leak is planted in a small built repo and must be caught; clean repos pass.

Truths are independent of bench: Pearson r from numpy.corrcoef, Cramér's V from scipy's
chi2_contingency, top-variance sets computed here.
"""
from __future__ import annotations

import json
import shutil

import datasets
import numpy as np
import pandas as pd
import pytest
from _hub_fixtures import DUMMY_TOKEN, build_repo, fake_hub, meta_for, split_dataset  # noqa: F401 (fixture)
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency

from bench.cli import main
from bench.errors import BenchError
from bench.loaders.audit import audit_repo, cramers_v, format_findings, near_duplicate_pairs
from bench.loaders.repo import write_config
from bench.loaders.publish import format_plan, plan_push, push


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return build_repo(tmp_path_factory.mktemp("clean"), p=40)


def copy_mission(repo, config, source_split, new_mission, *, noise=0.0, seed=0):
    """Add a mission that is a copy of another (new sample ids), optionally with tiny noise."""
    ds = datasets.load_dataset(str(repo), config, split=source_split)
    rng = np.random.default_rng(seed)
    X = np.array(ds["features"], dtype=np.float32)
    X = X + noise * rng.normal(size=X.shape).astype(np.float32)
    copy = ds.map(lambda r, i: {"sample_id": f"{new_mission}_c{i}", "mission": new_mission,
                                "features": X[i].tolist()}, with_indices=True)
    splits = {s: datasets.load_dataset(str(repo), config, split=s)
              for s in json.loads((repo / config / "bench_config.json").read_text())["splits"]}
    splits[new_mission.lower().replace("-", "_")] = copy
    meta = meta_for(config, X.shape[1])
    shutil.rmtree(repo / config)
    write_config(repo, config, splits, meta=meta)


def test_clean_repo_has_no_finding(clean):
    assert audit_repo(clean) == []
    assert "no finding" in format_findings([])


@pytest.mark.parametrize("noise", [0.0, 1e-3])
def test_near_duplicate_mission_is_caught(clean, tmp_path, noise, capsys):
    repo = shutil.copytree(clean, tmp_path / "repo")
    copy_mission(repo, "A5_skin", "rr_6", "RR-99", noise=noise)
    findings = [f for f in audit_repo(repo) if f.check == "duplicates"]
    assert len(findings) == 1 and findings[0].level == "error" and findings[0].config == "A5_skin"
    assert "5 sample pair(s) across mission RR-6 and RR-99" in findings[0].message
    assert ("5 exact" if noise == 0 else "0 exact") in findings[0].message
    assert main(["validate", str(repo)]) == 2
    out = capsys.readouterr()
    assert "ERROR  duplicates" in out.out and "LEAKAGE" in out.err


def test_push_refuses_leakage_unless_a_reason_is_given(clean, tmp_path, fake_hub, capsys):
    repo = shutil.copytree(clean, tmp_path / "repo")
    copy_mission(repo, "A5_skin", "rr_7", "RR-98")
    assert main(["push", str(repo), "--repo", "lab/x", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "refusing to push" in err and "duplicates" in err and fake_hub.instances == []
    with pytest.raises(BenchError, match="needs a REASON"):
        plan_push(repo, "lab/x", allow_leakage=" ")
    assert main(["push", str(repo), "--repo", "lab/x", "--allow-leakage", "RR-98 is a re-sequencing of RR-7"]) == 0
    (api,) = fake_hub.instances
    (commit,) = [c for c in api.calls if c[0] == "create_commit"]
    assert "because: RR-98 is a re-sequencing of RR-7" in commit[3]["commit_description"]


def test_shared_sample_ids(clean, tmp_path):
    repo = shutil.copytree(clean, tmp_path / "repo")
    config = "A5_skin_kegg"
    splits = {s: datasets.load_dataset(str(repo), config, split=s) for s in ("rr_6", "rr_7")}
    splits["rr_7"] = splits["rr_7"].map(lambda r, i: {"sample_id": "RR-6_s0" if i == 0 else r["sample_id"]},
                                        with_indices=True)
    write_config(repo, config, splits, meta=meta_for(config, 40))
    (finding,) = audit_repo(repo, configs=[config])
    assert finding.check == "shared_ids" and "1 sample_id value(s)" in finding.message and "RR-6_s0" in finding.message


def fold(name, test, train, selected):
    return {"name": name, "test_split": test, "train_splits": train, "selected_features": selected}


def test_fold_selection_using_test_samples(tmp_path):
    rng = np.random.default_rng(3)
    p, k = 30, 10
    ids = [f"g{i}" for i in range(p)]
    splits = {m: split_dataset(6, p, mission=m.upper(), seed=i) for i, m in enumerate(("a", "b"))}
    X = {m: np.array(ds["features"], dtype=np.float64) for m, ds in splits.items()}
    both = np.vstack([X["a"], X["b"]])
    top = lambda M: sorted(np.argsort(-M.var(axis=0), kind="stable")[:k])   # noqa: E731
    leaky, honest = [ids[i] for i in top(both)], [ids[i] for i in top(X["a"])]
    assert set(leaky) != set(honest)
    folds = [fold("fold_B_test", "b", ["a"], leaky), fold("fold_A_test", "a", ["b"], [ids[i] for i in top(X["b"])])]
    write_config(tmp_path, "sel", splits, meta=meta_for("sel", p, feature_ids=ids, folds=folds))
    (finding,) = audit_repo(tmp_path)
    assert finding.check == "fold_selection" and "fold fold_B_test" in finding.message
    folds[0] = fold("fold_B_test", "b", ["a"], honest)
    write_config(tmp_path, "sel", splits, meta=meta_for("sel", p, feature_ids=ids, folds=folds))
    assert audit_repo(tmp_path) == []
    del rng


def test_label_in_metadata_and_confounding(tmp_path):
    feats = datasets.Features({"sample_id": datasets.Value("string"), "mission": datasets.Value("string"),
                               "label": datasets.Value("int8"), "group": datasets.Value("string"),
                               "features": datasets.List(datasets.Value("float32"), length=4)})
    rng = np.random.default_rng(0)

    def split(m, labels):
        n = len(labels)
        return datasets.Dataset.from_dict({"sample_id": [f"{m}_{i}" for i in range(n)], "mission": [m] * n,
                                           "label": labels, "group": ["FLT" if v else "GC" for v in labels],
                                           "features": rng.normal(size=(n, 4)).astype("float32").tolist()},
                                          features=feats)
    a, b = [1] * 9 + [0], [0] * 10
    write_config(tmp_path, "conf", {"a": split("A", a), "b": split("B", b)},
                 meta=meta_for("conf", 4, domain_column="mission", label_column="label"))
    findings = audit_repo(tmp_path)
    assert {f.check for f in findings} == {"label_in_metadata", "confounding"}
    assert all(f.level == "warning" for f in findings)
    assert any("column 'group' determines the label" in f.message for f in findings)
    assert any("mission B: one label class only" in f.message for f in findings)
    chi2 = chi2_contingency(pd.crosstab(pd.Series(a + b), pd.Series(["A"] * 10 + ["B"] * 10)), correction=False)[0]
    v = np.sqrt(chi2 / 20)
    assert any(f"Cramér's V = {v:.2f}" in f.message for f in findings)
    assert plan_push(tmp_path, "lab/x").audit == findings   # warnings do not stop a push


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 40), st.integers(3, 12), st.integers(1, 7), st.integers(0, 10_000))
def test_near_duplicate_pairs_match_numpy_corrcoef(n, p, block, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[n // 2] = 2 * X[0] + 1 + 1e-6 * rng.normal(size=p)   # r ~ 1 with row 0
    groups = np.arange(n) % 3
    r = np.corrcoef(X)
    want = {(i, j) for i in range(n) for j in range(i + 1, n) if r[i, j] > 0.999 and groups[i] != groups[j]}
    got = near_duplicate_pairs(X, groups, block=block)
    assert {(i, j) for i, j, _ in got} == want
    for i, j, v in got:
        assert v == pytest.approx(r[i, j], abs=1e-9)


def test_cramers_v_matches_scipy():
    rng = np.random.default_rng(1)
    a = pd.Series(rng.integers(0, 3, 200))
    b = pd.Series(np.where(rng.random(200) < 0.7, a, rng.integers(0, 2, 200)))
    chi2 = chi2_contingency(pd.crosstab(a, b), correction=False)[0]
    assert cramers_v(a, b) == pytest.approx(np.sqrt(chi2 / (200 * (min(3, 3) - 1))))


# ----------------------------------------------------------------------------- synthetic configs
def test_synthetic_push_is_refused_unless_allowed(tmp_path, fake_hub, capsys):
    repo = tmp_path / "repo"
    write_config(repo, "A5_skin", {"rr_6": split_dataset(5, 4, mission="RR-6", seed=0),
                                   "rr_7": split_dataset(5, 4, mission="RR-7", seed=1)},
                 meta=meta_for("A5_skin", 4, synthetic=True))
    assert "synthetic" in (repo / "README.md").read_text().split("---")[1]   # YAML tag at build time
    assert main(["push", str(repo), "--repo", "lab/x", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "A5_skin hold SYNTHETIC data" in err and "--allow-synthetic" in err
    assert main(["push", str(repo), "--repo", "lab/x", "--dry-run", "--allow-synthetic"]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC config(s) A5_skin (--allow-synthetic)" in out
    assert "> **Synthetic data**" in out and "- synthetic" in out   # the whole card: banner and YAML tag
    plan = push(repo, "lab/x", dry_run=True, allow_synthetic=True)
    assert plan.synthetic == ["A5_skin"] and "synthetic" in plan.readme_header["tags"]
    assert format_plan(plan, dry_run=True).count("## A5_skin") == 1
