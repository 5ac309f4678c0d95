"""bench push: dry runs, the one-commit plan, README merge with the Hub's README, bad input.

No test touches the network: huggingface_hub.HfApi is replaced by a local fake that records
every call (and fails the test if a case that must stop early constructs it).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from _hub_fixtures import DUMMY_TOKEN, fake_hub, good_repo, repo  # noqa: F401 (fixtures)

from bench.cli import main
from bench.errors import BenchError
from bench.loaders.publish import merge_readme, parse_readme_text, plan_push, push

REMOTE_README = """---
configs:
- config_name: A5_skin
  data_files:
  - split: rr_99
    path: A5_skin/rr_99-*.parquet
- config_name: B5_skin
  data_files:
  - split: rr_6
    path: B5_skin/rr_6-*.parquet
  default: true
license: mit
dataset_info:
  features:
  - name: x
    dtype: int64
task_categories:
- tabular-classification
---
# Our spaceflight benchmark

Hand-written introduction that must survive.

## A5_skin

Old A5_skin section.

## B5_skin

B5 section written by someone else.

```text
## not a heading inside a fence
```

## Citation

Cite us.
"""


def the_commit(fake):
    """The single create_commit call of the single HfApi instance."""
    (api,) = fake.instances
    commits = [c for c in api.calls if c[0] == "create_commit"]
    assert len(commits) == 1
    return commits[0]


def op_summary(ops):
    from huggingface_hub import CommitOperationAdd

    return [("add" if isinstance(o, CommitOperationAdd) else "delete", o.path_in_repo) for o in ops]


def readme_of(ops) -> str:
    (op,) = [o for o in ops if o.path_in_repo == "README.md"]
    return op.path_or_fileobj.decode()


LOCAL_FILES_A5 = ["A5_skin/bench_config.json", "A5_skin/mhu_2-00000-of-00001.parquet",
                  "A5_skin/rr_6-00000-of-00001.parquet", "A5_skin/rr_7-00000-of-00001.parquet"]
LOCAL_FILES_KEGG = ["A5_skin_kegg/bench_config.json", "A5_skin_kegg/rr_6-00000-of-00001.parquet",
                    "A5_skin_kegg/rr_7-00000-of-00001.parquet"]


# --------------------------------------------------------------------------- dry run
def test_dry_run_prints_exact_operations_without_network_or_token(repo, fake_hub, monkeypatch, capsys):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("a dry run opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.delenv("HF_TOKEN")
    assert main(["push", str(repo), "--repo", "my-lab/spaceflight", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert fake_hub.instances == []  # HfApi never constructed
    listed = [line.split()[1] for line in out.splitlines() if line.startswith("  add  ")]
    assert listed == LOCAL_FILES_A5 + LOCAL_FILES_KEGG + ["README.md"]
    size = (repo / "A5_skin" / "rr_6-00000-of-00001.parquet").stat().st_size
    assert f"  add  A5_skin/rr_6-00000-of-00001.parquet  ({size / 1000:.1f} kB;" in out
    header = yaml.safe_load(out.split("---\n")[1])
    assert [c["config_name"] for c in header["configs"]] == ["A5_skin", "A5_skin_kegg"]
    assert header["license"] == "mit"
    assert "to dataset my-lab/spaceflight (revision main) in one commit of 8 file(s)" in out
    assert out.rstrip().endswith("Dry run: nothing was sent.")


def test_dry_run_selected_config_only(repo, fake_hub, capsys):
    assert main(["push", str(repo), "--repo", "my-lab/spaceflight", "--config", "A5_skin_kegg", "--dry-run"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[1] for line in out.splitlines() if line.startswith("  add  ")]
    assert listed == LOCAL_FILES_KEGG + ["README.md"]
    header = yaml.safe_load(out.split("---\n")[1])
    assert [c["config_name"] for c in header["configs"]] == ["A5_skin_kegg"]
    assert fake_hub.instances == []


# --------------------------------------------------------------------------- real push (faked Hub)
def test_push_to_new_repo_is_one_commit(repo, fake_hub, capsys):
    assert main(["push", str(repo), "--repo", "my-lab/spaceflight", "--private"]) == 0
    (api,) = fake_hub.instances
    assert api.token == DUMMY_TOKEN  # handed to huggingface_hub, nowhere else
    assert [c[0] for c in api.calls] == ["hf_hub_download", "create_repo", "list_repo_files", "create_commit"]
    assert api.calls[1][2] == {"repo_type": "dataset", "private": True, "exist_ok": True}
    _, repo_id, ops, kw = the_commit(fake_hub)
    assert repo_id == "my-lab/spaceflight" and kw["repo_type"] == "dataset" and kw["revision"] is None
    assert op_summary(ops) == [("add", p) for p in LOCAL_FILES_A5 + LOCAL_FILES_KEGG + ["README.md"]]
    # adds point at the local files themselves
    assert ops[1].path_or_fileobj == str(repo / "A5_skin" / "mhu_2-00000-of-00001.parquet")
    header, _ = parse_readme_text(readme_of(ops))
    assert [c["config_name"] for c in header["configs"]] == ["A5_skin", "A5_skin_kegg"]
    assert "published 2 config(s)" in capsys.readouterr().out


def test_push_merges_remote_readme_and_deletes_stale_files(repo, fake_hub):
    fake_hub.remote_readme = REMOTE_README
    fake_hub.remote_files = [".gitattributes", "README.md", "A5_skin/rr_99-00000-of-00001.parquet",
                             "A5_skin/rr_6-00000-of-00001.parquet", "A5_skin/bench_config.json",
                             "B5_skin/rr_6-00000-of-00001.parquet", "B5_skin/bench_config.json"]
    fake_hub.branches = {"add-a5"}
    push(repo, "my-lab/spaceflight", configs=["A5_skin"], revision="add-a5")
    (api,) = fake_hub.instances
    assert ("create_branch", "my-lab/spaceflight",
            {"branch": "add-a5", "repo_type": "dataset", "exist_ok": True}) in api.calls
    download = [c for c in api.calls if c[0] == "hf_hub_download"][0]
    assert download[2] == "README.md" and download[3]["revision"] == "add-a5"
    _, _, ops, kw = the_commit(fake_hub)
    assert kw["revision"] == "add-a5"
    # the old A5_skin split rr_99 is removed; B5_skin's files are untouched; no A5_skin_kegg
    assert op_summary(ops) == ([("delete", "A5_skin/rr_99-00000-of-00001.parquet")]
                               + [("add", p) for p in LOCAL_FILES_A5 + ["README.md"]])
    header, body = parse_readme_text(readme_of(ops))
    by_name = {c["config_name"]: c for c in header["configs"]}
    assert list(by_name) == ["A5_skin", "B5_skin"]
    assert by_name["B5_skin"] == {"config_name": "B5_skin", "default": True,
                                  "data_files": [{"split": "rr_6", "path": "B5_skin/rr_6-*.parquet"}]}
    assert [d["split"] for d in by_name["A5_skin"]["data_files"]] == ["rr_6", "rr_7", "mhu_2"]
    # dataset_info: the pushed config's item (as push_to_hub writes it); the Hub's stale single-config
    # item (config 'default', not listed in configs:) is dropped
    (info,) = header["dataset_info"]
    assert info["config_name"] == "A5_skin" and [s["name"] for s in info["splits"]] == ["rr_6", "rr_7", "mhu_2"]
    assert [s["num_examples"] for s in info["splits"]] == [5, 4, 6]
    assert header["task_categories"] == ["tabular-classification"] and header["license"] == "mit"
    # card: the hand-written intro, B5 and Citation sections survive; A5_skin's section is replaced
    assert body.startswith("# Our spaceflight benchmark\n\nHand-written introduction that must survive.\n")
    assert "Old A5_skin section." not in body and "Test config A5_skin." in body
    assert "B5 section written by someone else.\n\n```text\n## not a heading inside a fence\n```" in body
    assert body.index("## A5_skin") < body.index("## B5_skin") < body.index("## Citation\n\nCite us.")


def test_new_branch_starts_from_the_main_readme(repo, fake_hub, capsys):
    fake_hub.remote_readme = REMOTE_README
    fake_hub.commit_url = "https://huggingface.co/datasets/my-lab/spaceflight/commit/abc123"
    assert main(["push", str(repo), "--repo", "my-lab/spaceflight", "--config", "A5_skin_kegg",
                 "--revision", "new-branch"]) == 0
    (api,) = fake_hub.instances
    downloads = [c[3]["revision"] for c in api.calls if c[0] == "hf_hub_download"]
    assert downloads == ["new-branch", None]  # branch absent -> the default branch's README
    _, _, ops, kw = the_commit(fake_hub)
    assert kw["revision"] == "new-branch"
    header, _ = parse_readme_text(readme_of(ops))
    assert [c["config_name"] for c in header["configs"]] == ["A5_skin", "A5_skin_kegg", "B5_skin"]
    assert capsys.readouterr().out.rstrip().endswith(f"Commit: {fake_hub.commit_url}")


def test_malformed_remote_readme_stops_before_any_write(repo, fake_hub):
    fake_hub.remote_readme = "---\nconfigs: [oops\n---\n"
    with pytest.raises(BenchError, match="README.md on the Hub: malformed YAML header"):
        push(repo, "my-lab/spaceflight")
    (api,) = fake_hub.instances
    assert [c[0] for c in api.calls] == ["hf_hub_download"]


def test_replaced_config_keeps_its_default_flag(repo):
    old = "    path: A5_skin/rr_99-*.parquet\n"
    remote = REMOTE_README.replace(old, old + "  default: true\n")
    header, _ = merge_readme(repo, ["A5_skin"], remote)
    by_name = {c["config_name"]: c for c in header["configs"]}
    assert by_name["A5_skin"]["default"] is True and by_name["B5_skin"]["default"] is True
    assert [d["split"] for d in by_name["A5_skin"]["data_files"]] == ["rr_6", "rr_7", "mhu_2"]


def test_merge_keeps_remote_license_of_other_configs(repo):
    remote = REMOTE_README.replace("license: mit", "license: cc-by-4.0")
    header, _ = merge_readme(repo, ["A5_skin"], remote)
    assert header["license"] == "other"  # mit (pushed) + cc-by-4.0 (kept B5_skin)
    header, _ = merge_readme(repo, ["A5_skin"], None)
    assert header["license"] == "mit"


def test_token_never_printed_or_written(repo, fake_hub, capsys, tmp_path):
    fake_hub.remote_readme = REMOTE_README
    assert main(["push", str(repo), "--repo", "my-lab/spaceflight"]) == 0
    assert main(["push", str(repo), "--repo", "my-lab/spaceflight", "--dry-run"]) == 0
    assert main(["push", str(repo), "--repo", "bad id"]) == 2
    captured = capsys.readouterr()
    assert DUMMY_TOKEN not in captured.out and DUMMY_TOKEN not in captured.err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert DUMMY_TOKEN.encode() not in path.read_bytes(), path
    for op in the_commit_ops(fake_hub):
        data = op.path_or_fileobj
        blob = data if isinstance(data, bytes) else Path(data).read_bytes()
        assert DUMMY_TOKEN.encode() not in blob


def the_commit_ops(fake):
    return [op for api in fake.instances for c in api.calls if c[0] == "create_commit" for op in c[2]]


# --------------------------------------------------------------------------- bad input: nothing sent
@pytest.mark.parametrize("repo_id", ["spaceflight", "a/b/c", "-lab/x", "lab/x-", "lab/a--b", "lab/a..b",
                                     "lab/with space", "", "lab/" + "x" * 95, "labé/x"])
def test_bad_repo_id(repo, fake_hub, repo_id, capsys):
    assert main(["push", str(repo), f"--repo={repo_id}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"bench: error: --repo {repo_id!r} is not a Hub repository id: expected ORG/NAME")
    assert fake_hub.instances == []


def test_illegal_config_name(repo, fake_hub):
    with pytest.raises(BenchError, match=r"illegal config name 'A5/skin': it must be non-empty and contain none of"):
        push(repo, "lab/x", configs=["A5/skin"])
    assert fake_hub.instances == []


def test_unknown_config_suggests(repo, fake_hub):
    with pytest.raises(BenchError, match=r"--config 'A5_skn' is not a config of .*Did you mean: A5_skin"):
        push(repo, "lab/x", configs=["A5_skn"])
    assert fake_hub.instances == []


def test_invalid_built_dir_is_refused(repo, fake_hub, capsys):
    (repo / "A5_skin" / "rr_7-00000-of-00001.parquet").unlink()
    assert main(["push", str(repo), "--repo", "lab/x"]) == 2
    err = capsys.readouterr().err
    assert "is not a valid built repository (1 problem(s))" in err
    assert "config 'A5_skin' split 'rr_7': data_files path 'A5_skin/rr_7-*.parquet' matches no file" in err
    assert fake_hub.instances == []
    # pushing only the intact config is allowed
    assert main(["push", str(repo), "--repo", "lab/x", "--config", "A5_skin_kegg", "--dry-run"]) == 0


def test_missing_dir_and_empty_dir(tmp_path, fake_hub):
    with pytest.raises(BenchError, match="built repository not found"):
        push(tmp_path / "nope", "lab/x")
    with pytest.raises(BenchError, match="README.md lists no configs"):
        push(tmp_path, "lab/x")
    assert fake_hub.instances == []


def test_missing_token(repo, fake_hub, monkeypatch, capsys):
    monkeypatch.delenv("HF_TOKEN")
    assert main(["push", str(repo), "--repo", "lab/x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bench: error: no Hugging Face token found: set the HF_TOKEN environment variable")
    assert fake_hub.instances == []


def test_offline_mode_refuses_real_push(repo, fake_hub, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(BenchError, match="HF_HUB_OFFLINE is set: a real push needs the network"):
        push(repo, "lab/x")
    assert fake_hub.instances == []


def test_plan_is_the_library_view(repo):
    plan = plan_push(repo, "lab/x", configs=["A5_skin"])
    assert plan.paths == LOCAL_FILES_A5 + ["README.md"]
    assert plan.uploads[-1].size == len(plan.uploads[-1].data)
