"""bench validate: a good built repo passes; each deliberately broken repo names its problem."""
from __future__ import annotations

import json

import datasets
import pytest
from _hub_fixtures import good_repo, meta_for, repo, split_dataset  # noqa: F401 (good_repo, repo: fixtures)

from bench.cli import main
from bench.errors import BenchError
from bench.loaders.repo import write_config
from bench.loaders.validate import check_repo, validate_repo


def edit_json(path, fn):
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def test_good_repo_has_no_problems(good_repo):
    assert validate_repo(good_repo) == []
    resolved = check_repo(good_repo)
    assert [c.name for c in resolved] == ["A5_skin", "A5_skin_kegg"]
    assert sorted(resolved[0].splits) == ["mhu_2", "rr_6", "rr_7"]


def test_cli_validate_ok(good_repo, capsys):
    assert main(["validate", str(good_repo)]) == 0
    out = capsys.readouterr().out
    assert "A5_skin: 3 split(s) (rr_6, rr_7, mhu_2), 3 parquet file(s)" in out
    assert out.rstrip().endswith("OK (2 config(s))")


def test_missing_parquet(repo):
    (repo / "A5_skin" / "rr_7-00000-of-00001.parquet").unlink()
    assert validate_repo(repo) == ["config 'A5_skin' split 'rr_7': data_files path 'A5_skin/rr_7-*.parquet' "
                                   "matches no file in the repository"]


def test_schema_mismatch_names_the_column(repo):
    # rr_7 rewritten with 5 features instead of 6: the fixed-size list type differs.
    split_dataset(4, 5, mission="RR-7", seed=1).to_parquet(str(repo / "A5_skin" / "rr_7-00000-of-00001.parquet"))
    problems = validate_repo(repo)
    assert len(problems) == 1
    assert problems[0].startswith("config 'A5_skin': schema of A5_skin/rr_7-00000-of-00001.parquet differs "
                                  "from A5_skin/rr_6-00000-of-00001.parquet: column 'features' is "
                                  "fixed_size_list<element: float>[5] vs fixed_size_list<element: float>[6]")


def test_schema_mismatch_missing_column(repo):
    ds = split_dataset(4, 6, mission="RR-7", seed=1).remove_columns(["age"])
    ds.to_parquet(str(repo / "A5_skin" / "rr_7-00000-of-00001.parquet"))
    (problem,) = validate_repo(repo)
    assert "missing columns ['age'], extra columns []" in problem


def test_illegal_split_name(repo):
    readme = repo / "README.md"
    text = readme.read_text().replace("- split: rr_7\n    path: A5_skin/", "- split: rr-7\n    path: A5_skin/")
    readme.write_text(text)
    problems = validate_repo(repo)
    assert problems[0].startswith("config 'A5_skin': illegal split name 'rr-7': HF split names must match")
    # the bench_config.json still says rr_7, which is reported too
    assert "README splits ['mhu_2', 'rr-7', 'rr_6'] differ from bench_config.json splits" in problems[1]


def test_illegal_config_name(repo):
    readme = repo / "README.md"
    readme.write_text(readme.read_text().replace("config_name: A5_skin_kegg", "config_name: A5:kegg"))
    assert "config 'A5:kegg': illegal config name 'A5:kegg'" in validate_repo(repo)[0]


def test_wrong_feature_length(repo):
    edit_json(repo / "A5_skin" / "bench_config.json", lambda m: m["feature_ids"].pop())
    assert validate_repo(repo) == ["config 'A5_skin': feature column 'features' has length 6 but "
                                   "bench_config.json lists 5 feature_ids"]


def test_wrong_feature_length_in_variable_length_column(tmp_path):
    feats = datasets.Features({"sample_id": datasets.Value("string"),
                               "features": datasets.List(datasets.Value("float32"))})
    good = datasets.Dataset.from_dict({"sample_id": ["a", "b"], "features": [[1.0, 2.0, 3.0]] * 2}, features=feats)
    bad = datasets.Dataset.from_dict({"sample_id": ["c", "d"], "features": [[1.0, 2.0, 3.0], [1.0, 2.0]]},
                                     features=feats)
    write_config(tmp_path, "ragged", {"rr_1": good, "rr_2": bad}, meta=meta_for("ragged", 3))
    assert validate_repo(tmp_path) == ["config 'ragged' split 'rr_2': feature column 'features' has rows of "
                                       "length [2] but bench_config.json lists 3 feature_ids"]


def test_missing_feature_column(repo):
    edit_json(repo / "A5_skin" / "bench_config.json", lambda m: m.update(feature_column="expression"))
    (problem,) = validate_repo(repo)
    assert problem.startswith("config 'A5_skin': feature column 'expression' (bench_config.json "
                              "'feature_column') is not a parquet column")


@pytest.mark.parametrize("field", ["license", "citation", "description", "source"])
def test_missing_card_field(repo, field):
    edit_json(repo / "A5_skin_kegg" / "bench_config.json", lambda m: m.pop(field))
    assert validate_repo(repo) == [f"config 'A5_skin_kegg': card field {field!r} is missing or empty "
                                   "in A5_skin_kegg/bench_config.json"]


def test_config_name_mismatch(repo):
    edit_json(repo / "A5_skin" / "bench_config.json", lambda m: m.update(config_name="A5_skin_old"))
    assert validate_repo(repo) == ["config 'A5_skin': A5_skin/bench_config.json says config_name 'A5_skin_old'; "
                                   "the folder and README entry say 'A5_skin'"]


def test_missing_license_in_readme_header(repo):
    readme = repo / "README.md"
    readme.write_text(readme.read_text().replace("license: mit\n", ""))
    assert validate_repo(repo) == ["README.md: card field 'license' is missing from the YAML header"]


def test_unparsable_yaml(repo):
    readme = repo / "README.md"
    readme.write_text("---\nconfigs: [\n  - config_name: A5_skin\n---\n# card\n")
    (problem,) = validate_repo(repo)
    assert problem.startswith("README.md: YAML header does not parse:") and "malformed YAML header" in problem


def test_missing_readme_and_empty_configs(repo):
    (repo / "README.md").write_text("---\npretty_name: x\n---\n")
    assert validate_repo(repo) == ["README.md: YAML header has no `configs:` list"]
    (repo / "README.md").unlink()
    assert validate_repo(repo) == [f"{repo}: README.md is missing (it must carry the YAML `configs:` list)"]


def test_unparsable_bench_config(repo):
    (repo / "A5_skin" / "bench_config.json").write_text("{not json")
    (problem,) = validate_repo(repo)
    assert problem.startswith("config 'A5_skin': A5_skin/bench_config.json does not parse: Expecting property name")


def test_row_count_mismatch(repo):
    edit_json(repo / "A5_skin" / "bench_config.json", lambda m: m["splits"]["rr_6"].update(num_rows=99))
    assert validate_repo(repo) == ["config 'A5_skin' split 'rr_6': parquet files hold 5 rows but "
                                   "bench_config.json says 99"]


def test_corrupt_parquet(repo):
    (repo / "A5_skin" / "rr_6-00000-of-00001.parquet").write_bytes(b"not parquet at all")
    (problem,) = validate_repo(repo)
    assert problem.startswith("config 'A5_skin': A5_skin/rr_6-00000-of-00001.parquet is not a readable parquet file")


def test_restricting_to_configs(repo):
    edit_json(repo / "A5_skin_kegg" / "bench_config.json", lambda m: m.pop("citation"))
    assert validate_repo(repo, configs=["A5_skin"]) == []
    assert validate_repo(repo, configs=["nope"]) == ["config 'nope' is not listed in README.md "
                                                     "(listed: ['A5_skin', 'A5_skin_kegg'])"]


def test_cli_lists_every_problem_and_exits_2(repo, capsys):
    (repo / "A5_skin" / "rr_7-00000-of-00001.parquet").unlink()
    edit_json(repo / "A5_skin_kegg" / "bench_config.json", lambda m: m.pop("citation"))
    assert main(["validate", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "INVALID, 2 problem(s)" in err
    assert "  - config 'A5_skin' split 'rr_7': data_files path" in err
    assert "  - config 'A5_skin_kegg': card field 'citation' is missing" in err


def test_check_repo_raises_bench_error(repo):
    (repo / "A5_skin" / "rr_7-00000-of-00001.parquet").unlink()
    with pytest.raises(BenchError, match=r"is not a valid built repository \(1 problem\(s\)\):\n  - config 'A5_skin'"):
        check_repo(repo)
