"""The lomo_auroc evaluate module: loading by path and by bare name (fresh HF cache, offline, in a
subprocess), equality with the numpy core, input errors, and the generic cache registration."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import re

import pytest

from bench.errors import BenchError
from bench.metrics import registration
from bench.metrics.genelab import lomo

REPO = Path(__file__).resolve().parents[2]
METRIC_DIR = REPO / "metrics" / "lomo_auroc"

# The metric card's example (README.md and the module docstring): mean 0.875, fold AUROCs [1.0, 0.75].
_SNIPPET = textwrap.dedent("""
    import json, sys, evaluate
    m = evaluate.load(sys.argv[1])
    out = m.compute(predictions=[0.9, 0.2, 0.7, 0.4, 0.8, 0.1, 0.3, 0.6], references=[1, 0, 1, 0, 1, 0, 1, 0],
                    folds=["RR-1"] * 4 + ["RR-3"] * 4, n_bootstrap=200, n_permutations=200)
    print(json.dumps({"mean_auroc": out["mean_auroc"], "aurocs": [f["auroc"] for f in out["per_fold"]],
                      "module": type(m).__module__}))
""")


def _run(args, env_extra, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update({"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1", **env_extra})
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=240)


def _load_in_fresh_process(name, hf_home, cwd, env_extra=None):
    proc = _run([sys.executable, "-c", _SNIPPET, name], {"HF_HOME": str(hf_home), **(env_extra or {})}, cwd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_bare_name_after_bench_install_metrics(tmp_path):
    hf_home = tmp_path / "hf"
    proc = _run([sys.executable, "-m", "bench.cli", "install-metrics"],
                {"HF_HOME": str(hf_home)}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "lomo_auroc" in json.loads(proc.stdout.strip().splitlines()[-1])["registered"]
    # the loading process must not register anything itself
    out = _load_in_fresh_process("lomo_auroc", hf_home, tmp_path, {})
    assert out["mean_auroc"] == 0.875 and out["aurocs"] == [1.0, 0.75]
    assert "evaluate-metric--lomo_auroc" in out["module"]


def test_import_bench_writes_nothing_into_hf_home(tmp_path):
    """No import-time side effect: `import bench` (and its metrics package) leaves a fresh HF_HOME empty."""
    hf_home = tmp_path / "hf"
    proc = _run([sys.executable, "-c", "import bench, bench.metrics, bench.tasks; bench.list_tasks()"],
                {"HF_HOME": str(hf_home)}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not hf_home.exists() or not any(hf_home.rglob("*"))


def test_bare_name_after_bench_load_metric_and_by_path(tmp_path):
    """bench.load_metric registers on first use; afterwards plain evaluate.load finds the bare name."""
    hf_home = tmp_path / "hf"
    code = "import bench; print(type(bench.load_metric('lomo_auroc')).__module__)"
    proc = _run([sys.executable, "-c", code], {"HF_HOME": str(hf_home)}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "evaluate-metric--lomo_auroc" in proc.stdout
    assert _load_in_fresh_process("lomo_auroc", hf_home, tmp_path)["aurocs"] == [1.0, 0.75]
    assert _load_in_fresh_process(str(METRIC_DIR), tmp_path / "hf2", tmp_path)["aurocs"] == [1.0, 0.75]


def test_bare_name_fails_without_registration(tmp_path):
    proc = _run([sys.executable, "-c", _SNIPPET, "lomo_auroc"],
                {"HF_HOME": str(tmp_path / "hf"), }, tmp_path)
    assert proc.returncode != 0  # proves the cache registration is what makes the bare name work


def test_compute_equals_core_and_category_b_legacy():
    import evaluate

    metric = evaluate.load(str(METRIC_DIR))
    rng = np.random.default_rng(0)
    n = 60
    y = rng.integers(0, 2, n)
    s = np.clip(0.25 * y + 0.75 * rng.random(n), 0, 1)
    f = rng.choice(["fold_RR-1_test", "fold_RR-3_test", "fold_MHU-2_test"], n)
    out = metric.compute(predictions=s.tolist(), references=y.tolist(), folds=f.tolist(),
                         n_bootstrap=300, n_permutations=200, thresholds={"mean_auroc": 0.6})
    core = lomo.lomo_statistics(y, s, f, n_bootstrap=300, n_permutations=200, thresholds={"mean_auroc": 0.6})
    assert out["per_fold"] == core["per_fold"]
    for key, value in core["summary"].items():
        assert out[key] == value, key
    assert out["go"] == (core["summary"]["go_nogo"] == "GO") and out["thresholds"]["mean_auroc"] == 0.6
    b = metric.compute(predictions=s.tolist(), references=y.tolist(), folds=f.tolist(), n_bootstrap=50,
                       n_permutations=50, category="B", rng="legacy")
    assert b["go_nogo"] is None and b["transfer_pattern"]["large_test_min"] == 20 and b["settings"]["rng"] == "legacy"


@pytest.mark.parametrize("kwargs,needle", [
    ({"references": [0, 2]}, "references[1]: expected a 0/1 label"),
    ({"predictions": [0.1, float("nan")]}, "predictions[1]: expected a finite number"),
    ({"rng": "mt"}, "rng: expected one of"),
])
def test_compute_bad_input(kwargs, needle):
    import evaluate

    metric = evaluate.load(str(METRIC_DIR))
    args = {"predictions": [0.1, 0.9], "references": [0, 1], "folds": ["a", "a"], **kwargs}
    with pytest.raises(BenchError, match=re.escape(needle)):
        metric.compute(**args)


def test_registration_is_generic_idempotent_and_newest(tmp_path, monkeypatch):
    root = tmp_path / "metrics"
    for name in ("alpha_metric", "beta_metric"):
        (root / name).mkdir(parents=True)
        (root / name / f"{name}.py").write_text(f"# {name}\n")
        (root / name / "README.md").write_text("card")
    (root / "not_a_metric").mkdir()
    assert list(registration.metric_folders(root)) == ["alpha_metric", "beta_metric"]
    cache = tmp_path / "cache"
    first = registration.register_metric("alpha_metric", root / "alpha_metric", cache)
    assert first.parent.name == __import__("hashlib").sha256(b"# alpha_metric\n").hexdigest()
    assert (cache / "evaluate_modules" / "metrics" / "evaluate-metric--alpha_metric" / "__init__.py").is_file()
    assert registration.register_metric("alpha_metric", root / "alpha_metric", cache) == first  # idempotent
    (root / "alpha_metric" / "alpha_metric.py").write_text("# alpha v2\n")
    second = registration.register_metric("alpha_metric", root / "alpha_metric", cache)
    os.utime(second, (1, 1))  # pretend v2 is old; registering it again must make it the newest
    registration.register_metric("alpha_metric", root / "alpha_metric", cache)
    assert second.stat().st_mtime > first.stat().st_mtime
    # every folder under the real bench metrics dir is registered
    done = registration.register_evaluate_modules(modules_cache=tmp_path / "c2")
    assert set(done) == set(registration.metric_folders()) and "lomo_auroc" in done


def test_modules_cache_follows_env(monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "evaluate", raising=False)
    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "m"))
    assert registration.modules_cache_dir() == tmp_path / "m"
    monkeypatch.delenv("HF_MODULES_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "h"))
    assert registration.modules_cache_dir() == tmp_path / "h" / "modules"
