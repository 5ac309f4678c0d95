"""User task folders: BENCH_TASKS_PATH adds tasks (e.g. a new mission) to the registry."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from bench.cli import main
from bench.errors import BenchError
from bench.tasks import TASKS_PATH_ENV, get_task, list_tasks, load_registry, task_dirs
from bench.tasks.registry import TASKS_DIR

N_BUILTIN_GENELAB = len([p for p in (TASKS_DIR / "genelab").glob("*.yaml") if not p.name.startswith("_")])


def new_mission_task(folder, *, name="A5_skin_rr99", includes=None, own_provenance=True):
    """The walkthrough's step 1: copy A5_skin.yaml, rename it, add a mission under params.missions."""
    data = yaml.safe_load((TASKS_DIR / "genelab" / "A5_skin.yaml").read_text())
    data["task"] = name
    if includes is not None:
        data["include"] = includes
    data["params"]["task_dir"] = "A5_skin_rr99_lomo"
    data["params"]["missions"] = {"RR-99": {"n": 12, "flight": 6, "ground": 6}}
    if own_provenance:   # a user task declares its own source, licence and citation
        data.update(source={"provided_by": "our lab, OSD-999", "local_layout": "tasks/A5_skin_rr99_lomo"},
                    license="cc-by-4.0", citation="@misc{ourlab2026, title={RR-99 skin}}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_copied_task_in_a_genelab_subfolder_works_unchanged(tmp_path, monkeypatch):
    new_mission_task(tmp_path / "genelab")
    monkeypatch.setenv(TASKS_PATH_ENV, str(tmp_path))
    spec = get_task("A5_skin_rr99")
    assert spec.path == (tmp_path / "genelab" / "A5_skin_rr99.yaml").resolve()
    # the includes (_genelab.yaml, _skin.yaml) resolve to the built-in templates; the mission is added
    assert spec.family == "genelab" and spec.metric["name"] == "lomo_auroc"
    assert spec.params["missions"] == {"MHU-2": {"n": 35, "flight": 11, "ground": 24},
                                       "RR-6": {"n": 37, "flight": 18, "ground": 19},
                                       "RR-7": {"n": 30, "flight": 10, "ground": 20},
                                       "RR-99": {"n": 12, "flight": 6, "ground": 6}}
    assert spec.params["tissue"] == "skin" and spec.params["task_dir"] == "A5_skin_rr99_lomo"
    assert len(list_tasks("genelab")) == N_BUILTIN_GENELAB + 1
    monkeypatch.delenv(TASKS_PATH_ENV)
    assert "A5_skin_rr99" not in load_registry()  # no stale cache once the variable is gone


def test_flat_folder_with_explicit_template_paths(tmp_path, monkeypatch):
    new_mission_task(tmp_path, includes=["genelab/_genelab.yaml", "genelab/_skin.yaml"])
    monkeypatch.setenv(TASKS_PATH_ENV, str(tmp_path))
    assert get_task("A5_skin_rr99").params["missions"]["RR-99"]["n"] == 12


def test_several_folders_and_extra_dirs(tmp_path, monkeypatch):
    new_mission_task(tmp_path / "a" / "genelab", name="A5_skin_rr98")
    new_mission_task(tmp_path / "b" / "genelab", name="A5_skin_rr99")
    new_mission_task(tmp_path / "c" / "genelab", name="A5_skin_rr97")
    monkeypatch.setenv(TASKS_PATH_ENV, os.pathsep.join([str(tmp_path / "a"), "", str(tmp_path / "b")]))
    assert task_dirs()[0] == TASKS_DIR and task_dirs()[1:] == ((tmp_path / "a").resolve(), (tmp_path / "b").resolve())
    assert {"A5_skin_rr98", "A5_skin_rr99"} <= set(load_registry())
    assert "A5_skin_rr97" in load_registry(extra_dirs=[tmp_path / "c"])


def test_duplicate_name_across_folders_is_an_error(tmp_path, monkeypatch):
    new_mission_task(tmp_path / "genelab", name="A5_skin")
    monkeypatch.setenv(TASKS_PATH_ENV, str(tmp_path))
    with pytest.raises(BenchError, match=r"task 'A5_skin' is defined twice: .*tasks/genelab/A5_skin\.yaml and "
                                         r".*/genelab/A5_skin\.yaml; task names must be unique across the "
                                         r"built-in tasks and BENCH_TASKS_PATH"):
        load_registry()


def test_same_folder_listed_twice_is_not_a_duplicate(tmp_path, monkeypatch):
    new_mission_task(tmp_path / "genelab")
    monkeypatch.setenv(TASKS_PATH_ENV, os.pathsep.join([str(tmp_path), str(tmp_path / "genelab")]))
    assert "A5_skin_rr99" in load_registry()


def test_missing_folder_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(TASKS_PATH_ENV, str(tmp_path / "nope"))
    with pytest.raises(BenchError, match=r"BENCH_TASKS_PATH: task folder '.*nope' does not exist or is not a folder"):
        load_registry()


def test_include_not_found_lists_where_it_looked(tmp_path, monkeypatch):
    new_mission_task(tmp_path, includes=["_nowhere.yaml"])
    monkeypatch.setenv(TASKS_PATH_ENV, str(tmp_path))
    with pytest.raises(BenchError, match=r"include '_nowhere.yaml' not found \(looked for .*_nowhere.yaml, "):
        load_registry()


def test_cli_sees_user_tasks(tmp_path, monkeypatch, capsys):
    new_mission_task(tmp_path / "genelab")
    monkeypatch.setenv(TASKS_PATH_ENV, str(tmp_path))
    assert main(["list", "--family", "genelab"]) == 0
    out = capsys.readouterr().out
    assert "A5_skin_rr99" in out and f"{N_BUILTIN_GENELAB + 1} tasks" in out
    env = dict(os.environ, **{TASKS_PATH_ENV: str(tmp_path)})
    res = subprocess.run([sys.executable, "-m", "bench.cli", "info", "A5_skin_rr99"], capture_output=True,
                         text=True, env=env)
    assert res.returncode == 0, res.stderr
    assert "RR-99:" in res.stdout and "task_dir: A5_skin_rr99_lomo" in res.stdout


@pytest.mark.parametrize("key", ["source", "license", "citation"])
def test_user_task_must_declare_its_own_provenance(tmp_path, monkeypatch, key):
    path = new_mission_task(tmp_path / "genelab")
    data = yaml.safe_load(path.read_text())
    data.pop(key)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.setenv(TASKS_PATH_ENV, str(tmp_path))
    with pytest.raises(BenchError, match=rf"A5_skin_rr99\.yaml: key '{key}' is missing; a task outside bench's "
                                         "built-in tasks must declare its own"):
        load_registry()


def test_user_task_inherits_nothing_upstream(tmp_path, monkeypatch):
    new_mission_task(tmp_path / "genelab")
    monkeypatch.setenv(TASKS_PATH_ENV, str(tmp_path))
    spec = get_task("A5_skin_rr99")
    upstream = get_task("A5_skin")
    assert "hub_repo" in upstream.source and "upstream_commit" in upstream.source
    assert spec.source == {"provided_by": "our lab, OSD-999", "local_layout": "tasks/A5_skin_rr99_lomo"}
    assert spec.license == "cc-by-4.0" and spec.citation == "@misc{ourlab2026, title={RR-99 skin}}"
    assert upstream.license.startswith("MIT") and "kang2026genelab" in upstream.citation
