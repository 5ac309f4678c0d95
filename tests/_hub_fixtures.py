"""Small built repositories in the bench.loaders.repo layout, written by write_config itself."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import datasets
import numpy as np
import pytest

from bench.loaders.repo import write_config

DUMMY_TOKEN = "hf_DUMMYtokenNEVERprintXYZ123"
CITATION = "@article{x, title={A test}, year={2026}}"


def split_dataset(n: int, p: int, *, mission: str, seed: int) -> datasets.Dataset:
    """A GeneLab-contract-shaped split: sample_id, mission, label (int8), age, features (float32[p])."""
    rng = np.random.default_rng(seed)
    feats = datasets.Features({
        "sample_id": datasets.Value("string"), "mission": datasets.Value("string"),
        "label": datasets.Value("int8"), "age": datasets.Value("float64"),
        "features": datasets.List(datasets.Value("float32"), length=p),
    })
    return datasets.Dataset.from_dict({
        "sample_id": [f"{mission}_s{i}" for i in range(n)],
        "mission": [mission] * n,
        "label": (np.arange(n) % 2).astype("int8").tolist(),
        "age": rng.normal(10, 2, n).tolist(),
        "features": rng.normal(size=(n, p)).astype("float32").tolist(),
    }, features=feats)


def meta_for(config: str, p: int, **over) -> dict:
    meta = {"task": config, "family": "genelab", "description": f"Test config {config}.",
            "source": {"local_layout": f"tasks/{config}"}, "license": "MIT", "license_id": "mit",
            "citation": CITATION, "synthetic": False, "feature_column": "features",
            "label_column": "label", "domain_column": "mission",
            "feature_ids": [f"ENSMUSG{i:011d}" for i in range(p)]}
    meta.update(over)
    return meta


def build_repo(root: Path, configs: dict[str, dict[str, int]] | None = None, *, p: int = 6) -> Path:
    """Write ``{config: {mission: n_rows}}`` into ``root`` (default: two configs, three splits)."""
    configs = configs or {"A5_skin": {"RR-6": 5, "RR-7": 4, "MHU-2": 6}, "A5_skin_kegg": {"RR-6": 5, "RR-7": 4}}
    for k, (config, missions) in enumerate(configs.items()):
        splits = {m.lower().replace("-", "_"): split_dataset(n, p, mission=m, seed=10 * k + j)
                  for j, (m, n) in enumerate(missions.items())}
        write_config(root, config, splits, meta=meta_for(config, p))
    return root


@pytest.fixture(scope="module")
def good_repo(tmp_path_factory) -> Path:
    """The repository of :func:`build_repo` (two configs), built once per test module that asks for it."""
    return build_repo(tmp_path_factory.mktemp("good"))


@pytest.fixture
def repo(good_repo, tmp_path) -> Path:
    """A private copy of ``good_repo`` for one test to change or break."""
    return shutil.copytree(good_repo, tmp_path / "repo")


class FakeApi:
    """Records calls; serves a remote README and file list; never opens a socket."""

    instances: list = []
    remote_readme: str | None = None
    remote_files: list[str] = []
    branches: set[str] = set()
    commit_url: str | None = None

    def __init__(self, token=None, **kwargs):
        self.token = token
        self.calls: list[tuple] = []
        FakeApi.instances.append(self)

    endpoint = "https://fake-hub.invalid"

    def repo_exists(self, repo_id, **kw):  # bench's reachability check before the first real call
        return True

    def create_repo(self, repo_id, **kw):
        self.calls.append(("create_repo", repo_id, kw))

    def create_branch(self, repo_id, **kw):
        self.calls.append(("create_branch", repo_id, kw))

    def hf_hub_download(self, repo_id, filename, **kw):
        from huggingface_hub import errors

        self.calls.append(("hf_hub_download", repo_id, filename, kw))
        if kw.get("revision") is not None and kw["revision"] not in FakeApi.branches:
            err = errors.RevisionNotFoundError.__new__(errors.RevisionNotFoundError)
            Exception.__init__(err, f"revision {kw['revision']} not found")  # no HTTP response needed
            raise err
        if FakeApi.remote_readme is None:
            raise errors.EntryNotFoundError(f"{filename} not found in {repo_id}")
        path = Path(os.environ["FAKE_HUB_DIR"]) / "README.md"
        path.write_text(FakeApi.remote_readme)
        return str(path)

    def list_repo_files(self, repo_id, **kw):
        self.calls.append(("list_repo_files", repo_id, kw))
        return list(FakeApi.remote_files)

    def create_commit(self, repo_id, operations, **kw):
        self.calls.append(("create_commit", repo_id, list(operations), kw))
        return type("CommitInfo", (), {"commit_url": FakeApi.commit_url})()


@pytest.fixture
def fake_hub(monkeypatch, tmp_path):
    import huggingface_hub
    from huggingface_hub import constants

    FakeApi.instances, FakeApi.remote_readme, FakeApi.remote_files = [], None, []
    FakeApi.branches, FakeApi.commit_url = set(), None
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_TOKEN", DUMMY_TOKEN)
    hub_dir = tmp_path / "fake_hub"
    hub_dir.mkdir()
    monkeypatch.setenv("FAKE_HUB_DIR", str(hub_dir))
    return FakeApi
