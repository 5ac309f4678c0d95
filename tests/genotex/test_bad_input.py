"""GenoTEX bad input: every case names the file/field; CLI exit 2; nothing half-written."""
from __future__ import annotations

import json

import pytest

from bench.cli import main
from bench.errors import BenchError
from bench.loaders import genotex as gl
from bench.tasks.registry import load_patterns

from genotex_fixtures import TASK_INFO, build_genotex_root


def _write(path, obj):
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


@pytest.mark.parametrize("doc,match", [
    ({"A": {"related_genes": ["X"], "conditions": ["Diabetes"]}},
     r"field A.conditions names unknown condition 'Diabetes' \(expected Age, Gender or a trait key\)"),
    ({"A": {"related_genes": ["X", 7], "conditions": []}}, r"field A.related_genes\[1\] must be a string, got int"),
    ({"A": {"related_genes": "X", "conditions": []}}, r"field A.related_genes must be a list, got str"),
    ({"a/b": {"related_genes": [], "conditions": []}}, r"trait key: trait name 'a/b' would escape the data folder"),
    ({"..": {"related_genes": [], "conditions": []}}, r"trait name '\.\.' would escape"),
    ([], r"expected a non-empty JSON object"),
    ("{oops", r"malformed JSON at line 1 column 2"),
])
def test_task_info_validation(tmp_path, doc, match):
    path = _write(tmp_path / "task_info.json", doc)
    with pytest.raises(BenchError, match=match) as err:
        gl.read_task_info(path)
    assert str(path) in str(err.value)


def test_unknown_trait_and_condition_of_a_problem():
    with pytest.raises(BenchError, match=r"trait: unknown trait 'Obesiti'.*Did you mean: Obesity"):
        gl.check_known_problem(TASK_INFO, "Obesiti", None)
    with pytest.raises(BenchError, match=r"condition: 'Age' is not a condition of trait 'Obesity'"):
        gl.check_known_problem(TASK_INFO, "Obesity", "Age")
    assert gl.check_known_problem(TASK_INFO, "Obesity", "None").condition is None


def test_trait_dir_refuses_escapes(tmp_path):
    for bad in ("../etc", "a/b", "a\\b", "..", ".x"):
        with pytest.raises(BenchError, match="would escape the data folder"):
            gl.trait_dir(tmp_path, bad)


def test_significant_genes_file_checks(tmp_path):
    p = _write(tmp_path / "significant_genes_condition_None.json", {"significant_genes": {"Coefficient": [1]}})
    with pytest.raises(BenchError, match=r"significant_genes_condition_None.json: field significant_genes.Variable must be a list"):
        gl.read_significant_genes(p)


def test_build_genotex_cli_exit_2_and_no_repo(tmp_path, capsys):
    root = build_genotex_root(tmp_path / "root")
    _write(root / "output/preprocess/Obesity/cohort_info.json", '{"GSE202001": {"sample_size": -3}}')
    out = tmp_path / "repo"
    assert main(["build-genotex", "--root", str(root), "--out", str(out), "--traits", "Obesity"]) == 2
    err = capsys.readouterr().err
    assert "cohort_info.json: field GSE202001.sample_size must be a non-negative integer" in err
    assert not out.exists()  # validated before anything is written
    assert main(["build-genotex", "--root", str(tmp_path / "none"), "--out", str(out)]) == 2
    assert "GenoTEX task_info.json not found" in capsys.readouterr().err


def test_linked_table_without_trait_column(tmp_path):
    p = _write(tmp_path / "GSE1.csv", ",Age,GENE1\nGSM1,50,1.0\n")
    with pytest.raises(BenchError, match=r"GSE1.csv: linked table has no trait column 'Obesity'"):
        gl.read_linked_table(p, "Obesity")
    q = _write(tmp_path / "GSE2.csv", ",Obesity,GENE1\nGSM1,1,abc\n")
    with pytest.raises(BenchError, match=r"GSE2.csv: linked values must be numeric"):
        gl.read_linked_table(q, "Obesity")


def test_pattern_registry_files_are_validated(tmp_path):
    (tmp_path / "p.yaml").write_text("task_pattern: plain_name\nfamily: x\n")
    with pytest.raises(BenchError, match=r"p.yaml: field 'task_pattern' must be a string with at least one \{field\}"):
        load_patterns(str(tmp_path))
    other = tmp_path / "other"
    other.mkdir()
    (other / "q.yaml").write_text("task_pattern: x_{a}\nfamily: x\nversion: 1\n")
    with pytest.raises(BenchError, match=r"q.yaml: pattern task is missing required key\(s\)"):
        load_patterns(str(other))


def test_cli_list_shows_the_pattern(capsys):
    assert main(["list", "--family", "genotex"]) == 0
    out = capsys.readouterr().out
    assert "genotex_problems" in out and "+ pattern genotex_{trait} (genotex; 132 traits)" in out
    assert main(["info", "genotex_Obesiti"]) == 2
    assert "unknown trait 'Obesiti'" in capsys.readouterr().err


def test_build_genotex_bad_table_after_valid_configs_leaves_the_repo_untouched(tmp_path, capsys):
    """A malformed linked CSV is only found after genotex_problems/cohorts were built: nothing is kept."""
    root = build_genotex_root(tmp_path / "root")
    out = tmp_path / "repo"
    assert main(["build-genotex", "--root", str(root), "--out", str(out), "--traits", "Obesity"]) == 0
    before = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    bad = root / "output/preprocess/Breast_Cancer/GSE101002.csv"
    bad.write_text("x,y\ns1,1\n")
    assert main(["build-genotex", "--root", str(root), "--out", str(out), "--traits", "Breast_Cancer"]) == 2
    assert f"{bad.name}: linked table has no trait column 'Breast_Cancer'" in capsys.readouterr().err
    after = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert after == before
    assert main(["build-genotex", "--root", str(root), "--out", str(tmp_path / "new"), "--traits", "Breast_Cancer"]) == 2
    assert not (tmp_path / "new").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp folders left


def test_unwritable_output_is_a_bench_error(tmp_path, capsys):
    from bench.io import write_text_atomic

    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(BenchError, match=r"cannot write .*file/out.json: a parent path is a file"):
        write_text_atomic(blocker / "out.json", "{}")
    root = build_genotex_root(tmp_path / "root")
    assert main(["evaluate-gta", "--pred", str(root / "output"), "--ref", str(root / "output"), "--tasks", "analysis",
                 "--json", str(blocker / "res.json")]) == 2
    assert "res.json: a parent path is a file" in capsys.readouterr().err


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self"), reason="needs Linux /proc")
def test_output_in_a_folder_that_refuses_files_is_exit_2(tmp_path, capsys):
    root = build_genotex_root(tmp_path / "root")
    assert main(["evaluate-gta", "--pred", str(root / "output"), "--ref", str(root / "output"), "--tasks", "analysis",
                 "--json", "/proc/bench-res.json"]) == 2
    err = capsys.readouterr().err
    assert "\nbench: error: /proc/" in err and "bench-res.json" in err and "Traceback" not in err
