"""The family table (tasks/families.py) and typed task params: the one dispatch point."""
from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
import yaml

from bench.errors import BenchError
from bench.tasks import get_task, list_task_patterns, list_tasks, load_registry
import bench.tasks.families as families
from bench.tasks.families import FAMILIES, BuiltConfig, Family, Source, get_family, resolve_entry
from bench.tasks.registry import TASKS_DIR


def _task_file(folder, params: dict, *, name="A5_skin_mine"):
    data = yaml.safe_load((TASKS_DIR / "genelab" / "A5_skin.yaml").read_text())
    # a task outside tasks/ declares its own provenance (issue 13); the includes give the rest
    data.update(task=name, params={**data["params"], **params}, source={"provided_by": "test lab"},
                license="cc-by-4.0", citation="test citation")
    folder = folder / "genelab"          # the includes (_genelab.yaml, _skin.yaml) resolve as built-ins
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_every_layer_entry_resolves():
    """Every "module:attr" string of the table names an importable object (no typo hides until use)."""
    for family in FAMILIES.values():
        for layer in ("params", "source", "build", "models", "run", "evaluate"):
            entry = getattr(family, layer)
            if entry is not None:
                assert resolve_entry(entry) is not None, (family.name, layer)
        assert family.expected_input and family.description and family.data


def test_every_registered_task_has_a_family_row_and_typed_params():
    families = {s.family for s in list_tasks()} | {p.family for p in list_task_patterns()}
    assert families <= set(FAMILIES)
    for spec in list_tasks():
        assert type(spec.params).__name__ == "Params" and type(spec.params).family == spec.family
    a6 = get_task("A6_eye_hallmark").params
    assert (a6.level, a6.collection, a6["tissue"], a6.get("variant", "none")) == ("pathway", "hallmark", "eye", "none")
    assert get_task("A5_skin").params.level == "gene" and "collection" not in get_task("A5_skin").params
    assert get_task("genotex_Obesity").params.trait == "Obesity"


def test_unknown_param_names_the_file_and_key(tmp_path):
    path = _task_file(tmp_path, {"tisue": "skin"})
    with pytest.raises(BenchError, match=r"A5_skin_mine.yaml: unknown key params.tisue for a genelab task. "
                                         r"Did you mean: tissue") as err:
        load_registry(str(tmp_path))
    assert err.value.field == "params.tisue"


@pytest.mark.parametrize("key, value, expected", [
    ("n_genes_after_var_filter", "many", "int or null"),
    ("level", 3, "str"),
    ("var_percentile_cutoff", True, "float or null"),
    ("missions", ["RR-1"], "dict or null"),
])
def test_mistyped_param_names_the_file_key_and_type(tmp_path, key, value, expected):
    _task_file(tmp_path, {key: value})
    with pytest.raises(BenchError, match=rf"A5_skin_mine.yaml: params.{key} must be {expected}, got"):
        load_registry(str(tmp_path))


def test_int_is_a_valid_float_param(tmp_path):
    _task_file(tmp_path, {"var_percentile_cutoff": 1})
    assert load_registry(str(tmp_path))["A5_skin_mine"].params.var_percentile_cutoff == 1


def test_unknown_family_suggests_the_close_one(tmp_path):
    path = _task_file(tmp_path, {})
    data = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**data, "family": "genlab"}))
    with pytest.raises(BenchError, match=r"unknown family 'genlab'. Did you mean: genelab"):
        load_registry(str(tmp_path))
    with pytest.raises(BenchError, match=r"unknown family 'singlcell'. Did you mean: singlecell.*Available: genelab"):
        get_family("singlcell")


def test_replacing_params_with_a_dict_is_checked_again():
    spec = get_task("NC1_skin_permuted")
    same = dataclasses.replace(spec, params={**spec.params, "n_repeats": 3})
    assert same.params.n_repeats == 3 and same.params.base_task == spec.params.base_task
    with pytest.raises(BenchError, match=r"params.n_repeats must be int or null"):
        dataclasses.replace(spec, params={**spec.params, "n_repeats": "3"})


def test_family_without_a_layer_says_so():
    with pytest.raises(BenchError, match=r"family 'genelab_analysis' has no 'build' layer"):
        get_family("genelab_analysis").resolve("build")


def test_contract_types_are_plain_dataclasses():
    src = Source(None, True, "synthetic:x")
    assert src.files == () and BuiltConfig("c", {}, {}).name == "c"
    assert dataclasses.is_dataclass(src) and isinstance(FAMILIES["genelab"], Family)
    assert not hasattr(families, "Result")   # one result type: bench.baselines.report.Result


def test_the_registry_imports_no_layer():
    """Loading every task's typed params imports no loader, metric or baseline (the entries are lazy)."""
    code = ("import sys, bench.tasks as t; t.list_tasks(); t.get_task('genotex_Obesity'); "
            "print(sorted(m for m in sys.modules if m.startswith(('bench.loaders', 'bench.metrics.', 'bench.baselines'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
