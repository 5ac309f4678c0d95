"""bench publish-result (.eval_results/<task>.yaml in a model repo) and bench push --register-benchmark
(eval.yaml), offline against the fake Hub of the push tests; the YAML is checked against the Hub's
documented schema and against huggingface_hub's own EvalResultEntry parser/writer."""
from __future__ import annotations

import json
import shutil

import huggingface_hub
import pytest
import yaml
from _hub_fixtures import build_repo, fake_hub  # noqa: F401 (fixture)

from genelab_helpers import write_label_folds
from bench.cli import main

LABELS = {"fold_MHU-2_test": {"a1": 1, "a2": 0, "a3": 0}, "fold_RR-6_test": {"b1": 1, "b2": 1, "b3": 0},
          "fold_RR-7_test": {"c1": 0, "c2": 1, "c3": 0, "c4": 1}}


@pytest.fixture()
def record_dir(tmp_path, capsys):
    data = tmp_path / "data"
    write_label_folds(data, LABELS)
    preds = {f: {s: 0.2 + 0.5 * v + 0.01 * i for i, (s, v) in enumerate(lab.items())} for f, lab in LABELS.items()}
    (tmp_path / "s.json").write_text(json.dumps({"task_id": "A5", "model_name": "m", "predictions": preds}))
    assert main(["evaluate", "A5", str(tmp_path / "s.json"), "--data-dir", str(data), "--record",
                 str(tmp_path / "rec"), "--n-bootstrap", "10", "--n-permutations", "10"]) == 0
    capsys.readouterr()
    return tmp_path / "rec"


def _yaml_of(out: str) -> list:
    body = out.split(":\n", 1)[1].split("\nwarning:")[0].split("\nDry run:")[0]
    return yaml.safe_load(body)


def test_dry_run_prints_schema_matching_yaml(record_dir, fake_hub, capsys):
    code = main(["publish-result", str(record_dir), "--model", "my-lab/my-model", "--benchmark", "my-lab/spaceflight",
                 "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0 and fake_hub.instances == []  # no HfApi, no network
    assert "would add .eval_results/A5_skin.yaml to model my-lab/my-model" in out and "Dry run: nothing was sent" in out
    entries = _yaml_of(out)
    record = json.loads((record_dir / "record.json").read_text())
    # the Hub docs' schema: a list of entries; dataset.id, dataset.task_id and value required
    assert isinstance(entries, list) and len(entries) == 1
    (entry,) = entries
    assert entry["dataset"] == {"id": "my-lab/spaceflight", "task_id": "A5_skin"}
    assert entry["value"] == record["value"]["mean_auroc"] and isinstance(entry["value"], float)
    assert entry["date"] == record["created_utc"] and "notes" not in entry and "source" not in entry
    assert set(entry) <= {"dataset", "value", "verifyToken", "date", "source", "notes"}
    assert "verification level is 'self-reported'" in out


@pytest.mark.skipif(not hasattr(huggingface_hub, "parse_eval_result_entries"),
                    reason="this huggingface_hub has no EvalResultEntry helpers (added in newer versions)")
def test_yaml_round_trips_through_huggingface_hub(record_dir, capsys):
    from huggingface_hub import eval_result_entries_to_yaml, parse_eval_result_entries

    main(["publish-result", str(record_dir), "--model", "my-lab/m", "--benchmark", "my-lab/spaceflight",
          "--variant", "pathway", "--source-url", "https://huggingface.co/my-lab/m/blob/main/record.json", "--dry-run"])
    entries = _yaml_of(capsys.readouterr().out)
    parsed = parse_eval_result_entries(entries)
    assert parsed[0].dataset_id == "my-lab/spaceflight" and parsed[0].task_id == "A5_skin"
    assert parsed[0].notes == "pathway" and parsed[0].source_name == "bench result record"
    assert eval_result_entries_to_yaml(parsed) == entries  # huggingface_hub writes exactly what bench wrote


def test_publish_commits_one_new_file(record_dir, fake_hub, capsys):
    fake_hub.remote_files = ["README.md", ".eval_results/other.yaml"]
    assert main(["publish-result", str(record_dir), "--model", "my-lab/m", "--benchmark", "my-lab/spaceflight"]) == 0
    (api,) = fake_hub.instances
    (commit,) = [c for c in api.calls if c[0] == "create_commit"]
    _, repo_id, ops, kw = commit
    assert repo_id == "my-lab/m" and kw["repo_type"] == "model" and kw["create_pr"] is False
    assert [o.path_in_repo for o in ops] == [".eval_results/A5_skin.yaml"]
    assert yaml.safe_load(ops[0].path_or_fileobj.decode())[0]["dataset"]["task_id"] == "A5_skin"


def test_publish_never_overwrites_and_variants_get_their_own_file(record_dir, fake_hub, capsys):
    fake_hub.remote_files = [".eval_results/A5_skin.yaml"]
    code = main(["publish-result", str(record_dir), "--model", "my-lab/m", "--benchmark", "my-lab/spaceflight"])
    assert code == 2 and "never overwrites" in capsys.readouterr().err
    assert not [c for i in fake_hub.instances for c in i.calls if c[0] == "create_commit"]
    code = main(["publish-result", str(record_dir), "--model", "my-lab/m", "--benchmark", "my-lab/spaceflight",
                 "--variant", "seed1", "--create-pr"])
    assert code == 0
    (commit,) = [c for i in fake_hub.instances for c in i.calls if c[0] == "create_commit"]
    assert [o.path_in_repo for o in commit[2]] == [".eval_results/A5_skin_seed1.yaml"] and commit[3]["create_pr"]
    assert yaml.safe_load(commit[2][0].path_or_fileobj.decode())[0]["notes"] == "seed1"


@pytest.mark.parametrize("argv,needle", [(["--model", "not a repo"], "is not a Hub repository id"),
                                         (["--model", "a/b", "--variant", "../x"], "--variant '../x'"),
                                         (["--model", "a/b", "--benchmark", "bad id"], "is not a Hub repository id")])
def test_bad_arguments_exit_2(record_dir, fake_hub, capsys, argv, needle):
    assert main(["publish-result", str(record_dir), *argv, "--dry-run"]) == 2
    assert needle in capsys.readouterr().err


def test_synthetic_record_is_not_published(record_dir, fake_hub, capsys):
    path = record_dir / "record.json"
    record = json.loads(path.read_text())
    record["dataset"]["synthetic"] = True
    path.write_text(json.dumps(record))
    assert main(["publish-result", str(record_dir), "--model", "a/b", "--benchmark", "c/d"]) == 2
    assert "SYNTHETIC" in capsys.readouterr().err and fake_hub.instances == []


def test_push_register_benchmark_adds_eval_yaml(tmp_path, fake_hub, capsys):
    repo = build_repo(tmp_path / "built")
    assert main(["push", str(repo), "--repo", "my-lab/spaceflight", "--register-benchmark", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "  add  eval.yaml" in out
    body = yaml.safe_load(out.split("eval.yaml (registers the dataset as a Hub benchmark):\n", 1)[1]
                          .split("\nDry run:")[0])
    # the Hub docs' eval.yaml: name, description, evaluation_framework, tasks [{id, config, split}]
    assert list(body) == ["name", "description", "evaluation_framework", "tasks"]
    assert body["name"] == "spaceflight" and body["evaluation_framework"] == "bench"
    assert [t["id"] for t in body["tasks"]] == ["A5_skin", "A5_skin_kegg"]
    assert all(set(t) == {"id", "config", "split"} and t["config"] == t["id"] for t in body["tasks"])
    assert main(["push", str(repo), "--repo", "my-lab/spaceflight", "--register-benchmark"]) == 0
    (commit,) = [c for c in fake_hub.instances[0].calls if c[0] == "create_commit"]
    assert "eval.yaml" in [o.path_in_repo for o in commit[2]]


def test_readme_results_section_commands_parse_with_the_real_cli():
    import re
    import shlex
    from pathlib import Path

    from bench.cli import build_parser

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Results you can check"):text.index("## Publishing and adding a new split")]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    cmds = [shlex.split(line.split("#")[0])[1:] for line in block.splitlines() if line.startswith("bench ")]
    assert [c[0] for c in cmds] == ["evaluate", "verify", "run", "leaderboard", "publish-result", "push"]
    parser = build_parser()
    for argv in cmds:
        assert parser.parse_args(argv).handler is not None, argv
