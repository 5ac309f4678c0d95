"""The README's headline calls, from an empty folder with a fresh HF_HOME, in subprocesses:

    bench build A5_skin_hallmark --out bench-data      then   load_dataset("bench-data", cfg)
    bench install-metrics                              then   evaluate.load("lomo_auroc")

(no `import bench` in the loading processes; the metric's numbers against sklearn).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

BENCH = [sys.executable, "-m", "bench.cli"]
CONFIG = "A5_skin_hallmark"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """(empty working folder, env with a fresh HF_HOME and nothing bench-specific)."""
    root = tmp_path_factory.mktemp("fresh")
    work = root / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "HF_"))}
    env.update(HF_HOME=str(root / "hf-home"), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               HF_EVALUATE_OFFLINE="1", PYTHONSAFEPATH="1")
    return work, env


def run(cmd, work, env, **kw):
    res = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600, **kw)
    assert res.returncode == 0, f"{cmd}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    return res


def test_load_dataset_from_a_fresh_folder(fresh):
    work, env = fresh
    run(BENCH + ["build", CONFIG, "--data-dir", "synthetic", "--out", "bench-data"], work, env)
    code = ("from datasets import load_dataset; d = load_dataset('bench-data', 'A5_skin_hallmark'); "
            "print(sorted(d), d['rr_7'].features['label'].names, sum(d[s].num_rows for s in d))")
    res = run([sys.executable, "-c", code], work, env)
    meta = json.loads((work / "bench-data" / CONFIG / "bench_config.json").read_text())
    n = sum(v["num_rows"] for v in meta["splits"].values())
    assert f"['mhu_2', 'rr_6', 'rr_7'] ['Ground', 'Flight'] {n}" in res.stdout
    assert "bench" not in [p.name for p in work.iterdir()]   # nothing named like the package


def test_evaluate_load_after_install_metrics(fresh):
    work, env = fresh
    run(BENCH + ["install-metrics"], work, env)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 60)
    scores = labels + rng.normal(0, 1.0, 60)
    folds = np.repeat(["RR-1", "RR-3", "RR-6"], 20)
    code = ("import json, sys, evaluate; a = json.load(sys.stdin); m = evaluate.load('lomo_auroc'); "
            "out = m.compute(predictions=a['s'], references=a['y'], folds=a['f'], n_bootstrap=50, "
            "n_permutations=20); print(json.dumps([f['auroc'] for f in out['per_fold']]))")
    payload = json.dumps({"s": scores.tolist(), "y": labels.tolist(), "f": folds.tolist()})
    res = run([sys.executable, "-c", code], work, env, input=payload)
    got = json.loads(res.stdout.strip().splitlines()[-1])
    want = [roc_auc_score(labels[folds == f], scores[folds == f]) for f in ("RR-1", "RR-3", "RR-6")]
    assert got == pytest.approx(want, abs=1e-12)


def test_editable_shadowing_warns_at_build(tmp_path, monkeypatch, capsys):
    """`--out bench` in the working folder with this (editable) install: the data folder would shadow the
    package for Python run there, so build says what to use instead."""
    from bench.cli import main
    from bench.commands.data import is_editable_install, shadows_package

    monkeypatch.chdir(tmp_path)
    assert is_editable_install()      # the test venv installs bench with `pip install -e .`
    assert shadows_package(Path("bench")) and shadows_package(tmp_path / "bench")
    assert not shadows_package(Path("bench-data")) and not shadows_package(tmp_path / "sub" / "bench")
    with pytest.warns(UserWarning, match=r"shadows the editable bench install .* prefer --out bench-data"):
        assert main(["build", "A5_skin_hallmark", "--data-dir", "synthetic", "--out", "bench"]) == 0
