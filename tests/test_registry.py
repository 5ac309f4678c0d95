"""The task registry: YAML specs, includes, name resolution, split names."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.io import read_yaml
from bench.tasks import REQUIRED_KEYS, TASKS_PATH_ENV, get_task, list_tasks, load_registry, registry, split_name


def test_every_genelab_task_of_the_issue_is_registered():
    names = {s.name for s in list_tasks("genelab")}
    tissues = ["A1_liver", "A2_gastrocnemius", "A3_kidney", "A4_thymus", "A5_skin", "A6_eye"]
    for t in tissues:
        assert t in names
        for db in ("hallmark", "kegg", "reactome", "mitocarta"):
            assert f"{t}_{db}" in names
    assert {"A1_liver_combat", "A1_liver_iss_only"} <= names
    assert {f"B{i}_{t.split('_')[1]}" for i, t in enumerate(tissues, 1)} <= names
    assert {"D3_liver_mission", "D4_thymus_strain", "D5_liver_hardware", "D6_thymus_gravity"} <= names


def test_specs_carry_required_fields():
    for spec in load_registry().values():
        raw = spec.raw
        for key in REQUIRED_KEYS:
            assert key in raw, (spec.name, key)
        assert spec.metric["name"] and spec.metric["primary"]


def test_include_merges_and_overrides():
    spec = get_task("A6_eye_hallmark")
    assert spec.params["level"] == "pathway" and spec.params["collection"] == "hallmark"
    assert spec.params["tissue"] == "eye"  # from _eye.yaml through A6_eye.yaml
    assert spec.metric["thresholds"] == {"mean_auroc": 0.70, "mean_ci_lower": 0.50, "mean_perm_p": 0.05}
    assert spec.source["hub_repo"] == "jang1563/genelab-benchmark"
    assert spec.params["missions"]["TBD"] == {"n": 16, "flight": 9, "ground": 7}


def test_upstream_ids_resolve_only_when_unambiguous():
    assert get_task("A5").name == "A5_skin"
    assert get_task("B2").name == "B2_gastrocnemius"
    with pytest.raises(BenchError, match="ambiguous.*A1_liver, A1_liver_combat, A1_liver_iss_only"):
        get_task("A1")


def test_unknown_name_suggests_close_matches():
    with pytest.raises(BenchError, match=r"unknown task 'A5_skn'\. Did you mean: A5_skin"):
        get_task("A5_skn")


@pytest.mark.parametrize("mission,expected", [("RR-7", "rr_7"), ("MHU-2", "mhu_2"), ("RR-23", "rr_23"),
                                              ("TBD", "tbd"), ("MHU-2 dorsal", "mhu_2_dorsal")])
def test_split_name_is_hub_legal(mission, expected):
    import re
    assert split_name(mission) == expected
    assert re.match(r"^\w+(\.\w+)*$", split_name(mission))


def test_spec_hash_is_stable_and_distinct():
    a, b = get_task("A5_skin"), get_task("A5_skin_kegg")
    assert a.spec_hash == get_task("A5_skin").spec_hash
    assert a.spec_hash != b.spec_hash and len(a.spec_hash) == 64


@pytest.fixture
def own_tasks(tmp_path, monkeypatch):
    """A BENCH_TASKS_PATH folder of our own, with the registry caches cleared before and after."""
    caches = (registry._load_dirs, registry._load_pattern_dirs, registry._resolved_yaml)
    folder = tmp_path / "lab" / "genelab"
    folder.mkdir(parents=True)
    monkeypatch.setenv(TASKS_PATH_ENV, str(tmp_path / "lab"))
    for cache in caches:
        cache.cache_clear()
    yield folder
    monkeypatch.delenv(TASKS_PATH_ENV)
    for cache in caches:
        cache.cache_clear()


def test_a_shared_include_is_read_once_and_each_task_gets_its_own_copy(own_tasks, monkeypatch):
    a5 = (registry.TASKS_DIR / "genelab" / "A5_skin.yaml").read_text()
    (own_tasks / "_base.yaml").write_text("metric:\n  n_bootstrap: 7\nlicense: cc-by-4.0\ncitation: our lab\n")
    for name in ("Z1_one", "Z2_two"):
        (own_tasks / f"{name}.yaml").write_text(a5.replace("task: A5_skin", f"task: {name}").replace(
            "include: [_genelab.yaml, _skin.yaml]", "include: [_genelab.yaml, _skin.yaml, _base.yaml]"))
    reads = []
    monkeypatch.setattr(registry, "read_yaml", lambda path, **kw: reads.append(Path(path).name) or read_yaml(path, **kw))
    one, two = get_task("Z1_one"), get_task("Z2_two")
    assert reads.count("_genelab.yaml") == 1  # included by every GeneLab task (was read once per includer: 52)
    assert reads.count("_base.yaml") == 2  # once merged, once by the user-provenance check (not per task)
    assert one.metric["n_bootstrap"] == two.metric["n_bootstrap"] == 7
    assert one.metric is not two.metric


def test_a_circular_include_names_the_chain(own_tasks):
    (own_tasks / "Z3_loop.yaml").write_text("include: _b.yaml\ntask: Z3_loop\n")
    (own_tasks / "_b.yaml").write_text("include: Z3_loop.yaml\n")
    with pytest.raises(BenchError, match=r"Z3_loop.yaml: circular include: \S+Z3_loop.yaml -> \S+_b.yaml -> "
                                         r"\S+Z3_loop.yaml"):
        get_task("Z3_loop")
