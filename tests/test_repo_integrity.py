"""Built repositories are checksummed and portable.

- every data file's sha256, size and rows are recorded in bench_config.json; a one-byte or a
  64-byte change inside a parquet data page is named by `bench validate` and by the reader;
- nothing in a built repository holds a path of the building machine (tmp, HF_HOME, cwd, home).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from _hub_fixtures import good_repo, meta_for, repo, split_dataset  # noqa: F401 (good_repo, repo: fixtures)
from genelab_helpers import write_mini_layout

from bench.cli import main
from bench.errors import BenchError
from bench.loaders.repo import ShardedSplit, StreamedSplit, machine_paths, read_built, write_config
from bench.loaders.validate import validate_repo

DATA_FILE = "A5_skin/rr_6-00000-of-00001.parquet"


def data_page_offset(path: Path) -> tuple[int, int]:
    """(start, length) of the features column chunk's data (independent of bench: the parquet footer)."""
    col = pq.ParquetFile(path).metadata.row_group(0).column(4)   # sample_id mission label age features
    assert col.path_in_schema.startswith("features")
    return col.data_page_offset, col.total_compressed_size


def overwrite(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def test_checksums_recorded_match_an_independent_hash(good_repo):
    meta = json.loads((good_repo / "A5_skin" / "bench_config.json").read_text())
    for name, record in meta["data_files"].items():
        path = good_repo / "A5_skin" / name
        assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert record["num_bytes"] == path.stat().st_size
        assert record["num_rows"] == pq.ParquetFile(path).metadata.num_rows
    assert sorted(meta["data_files"]) == sorted(p.name for p in (good_repo / "A5_skin").glob("*.parquet"))


@pytest.mark.parametrize("n_bytes", [1, 64])
def test_zeroed_bytes_in_a_data_page_are_named_by_validate_and_load(repo, n_bytes, capsys):
    path = repo / DATA_FILE
    start, length = data_page_offset(path)
    assert length > n_bytes + 16
    before = pq.read_table(path)   # the footer is intact: pyarrow reads the damaged file without complaint
    overwrite(path, start + length // 2, b"\0" * n_bytes)
    assert pq.ParquetFile(path).metadata.num_rows == before.num_rows
    problems = validate_repo(repo)
    assert len(problems) == 1 and DATA_FILE in problems[0] and "sha256" in problems[0]
    assert main(["validate", str(repo)]) == 2
    assert DATA_FILE in capsys.readouterr().err
    with pytest.raises(BenchError, match=r"data file A5_skin/rr_6-00000-of-00001\.parquet is damaged"):
        read_built(repo, "A5_skin")


def test_sharded_split_records_every_shard_and_load_names_the_damaged_one(tmp_path):
    """A split written as parquet shards (GEOmeta expression, issue 15) has one record per shard."""
    parts = [split_dataset(n, 6, mission="RR-6", seed=s) for s, n in enumerate((4, 3, 5))]
    shards = tuple(StreamedSplit(d.features, d.num_rows, d._estimate_nbytes(), lambda d=d: [d.data.table])
                   for d in parts)
    write_config(tmp_path, "A5_skin", {"rr_6": ShardedSplit(shards)}, meta=meta_for("A5_skin", 6))
    folder = tmp_path / "A5_skin"
    meta = json.loads((folder / "bench_config.json").read_text())
    names = [f"rr_6-0000{i}-of-00003.parquet" for i in range(3)]
    assert sorted(meta["data_files"]) == names == sorted(p.name for p in folder.glob("*.parquet"))
    for name, n in zip(names, (4, 3, 5)):
        rec = meta["data_files"][name]
        assert rec["sha256"] == hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert rec["num_rows"] == n == pq.ParquetFile(folder / name).metadata.num_rows
    assert validate_repo(tmp_path) == [] and read_built(tmp_path, "A5_skin")["rr_6"].num_rows == 12
    start, length = data_page_offset(folder / names[1])
    overwrite(folder / names[1], start + length // 2, b"\0" * 8)
    (problem,) = validate_repo(tmp_path)
    assert names[1] in problem and "sha256" in problem
    with pytest.raises(BenchError, match=r"data file A5_skin/rr_6-00001-of-00003\.parquet is damaged"):
        read_built(tmp_path, "A5_skin")


def test_truncated_file_named_by_size(repo):
    path = repo / DATA_FILE
    path.write_bytes(path.read_bytes()[:-10] + b"PAR1"[:0])
    with pytest.raises(BenchError, match=r"rr_6-00000-of-00001\.parquet is damaged: \d+ bytes on disk"):
        read_built(repo, "A5_skin")


def test_unrecorded_and_missing_records(repo):
    meta_path = repo / "A5_skin" / "bench_config.json"
    meta = json.loads(meta_path.read_text())
    meta["data_files"].pop("rr_6-00000-of-00001.parquet")
    meta_path.write_text(json.dumps(meta))
    assert validate_repo(repo) == ["config 'A5_skin': data file A5_skin/rr_6-00000-of-00001.parquet has no "
                                   "checksum in bench_config.json 'data_files' (not written by bench build?)"]
    meta.pop("data_files")
    meta_path.write_text(json.dumps(meta))
    (problem,) = validate_repo(repo)
    assert "records no checksums" in problem


def test_recorded_rows_and_schema_are_checked(repo):
    meta_path = repo / "A5_skin" / "bench_config.json"
    meta = json.loads(meta_path.read_text())
    meta["data_files"]["rr_6-00000-of-00001.parquet"]["num_rows"] = 99
    meta["schema"]["age"] = "Value('int64')"
    meta_path.write_text(json.dumps(meta))
    problems = validate_repo(repo)
    assert "A5_skin/rr_6-00000-of-00001.parquet holds 5 rows, bench_config.json records 99" in problems[0]
    assert any("column 'age' is Value('float64'), bench_config.json records Value('int64')" in p for p in problems)


# ----------------------------------------------------------------------------------- portability
def test_write_config_refuses_a_machine_path(tmp_path):
    meta = meta_for("A5_skin", 3, source={"origin": f"local:{tmp_path}"})
    with pytest.raises(BenchError, match=r"would hold a path of this machine \(source\.origin: "):
        write_config(tmp_path / "repo", "A5_skin", {"rr_6": split_dataset(3, 3, mission="RR-6", seed=0)}, meta=meta)
    assert not (tmp_path / "repo" / "A5_skin").exists()
    meta = meta_for("A5_skin", 3, notes=["see /opt/lab/data/x.csv"])
    with pytest.raises(BenchError, match=r"notes\[0\]"):
        write_config(tmp_path / "repo", "A5_skin", {"rr_6": split_dataset(3, 3, mission="RR-6", seed=0)}, meta=meta)


def grep_machine_paths(repo: Path, needles: list[str]) -> list[str]:
    hits = []
    for f in sorted(p for p in repo.rglob("*") if p.is_file()):
        data = f.read_bytes()
        hits += [f"{f.relative_to(repo)}: {n}" for n in needles if n.encode() in data]
    return hits


#: the single-cell config needs the singlecell extra (scanpy ships pbmc68k); without it two families
OTHER_CONFIGS = ["genotex_problems"] + (["pbmc68k"] if importlib.util.find_spec("scanpy") else [])


@pytest.fixture(scope="module")
def family_repo(tmp_path_factory):
    """One config of several families built from a fresh working folder (the session's HF_HOME holds
    the synthetic data and caches)."""
    tmp = tmp_path_factory.mktemp("families")
    work = tmp / "work"
    work.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("BENCH_CACHE", raising=False)
        mp.chdir(work)
        assert main(["build", "A5_skin_hallmark", "--data-dir", "synthetic", "--out", "built"]) == 0
        assert main(["build", *OTHER_CONFIGS, "--out", "built"]) == 0
    return tmp, work / "built"


def test_built_repo_holds_no_machine_path(family_repo):
    """grep every byte of the repo for the tmp dir, HF_HOME, cwd and home."""
    tmp, repo = family_repo
    origin = json.loads((repo / "A5_skin_hallmark" / "bench_config.json").read_text())["source"]["origin"]
    assert origin.startswith("synthetic:genelab-v") and origin.endswith("-seed0")
    assert f"built from `{origin}`" in (repo / "README.md").read_text()
    needles = sorted({str(tmp), os.environ["HF_HOME"], str(Path.home()), os.getcwd(), *machine_paths()})
    assert grep_machine_paths(repo, needles) == []


def test_card_is_hub_native(family_repo):
    """huggingface_hub/datasets parse the card offline; dataset_info matches the files; ClassLabel."""
    import datasets
    from huggingface_hub import DatasetCard

    _, repo = family_repo
    assert validate_repo(repo) == []     # includes the offline card checks (card_problems)
    card = DatasetCard((repo / "README.md").read_text())
    data = card.data.to_dict()
    assert data["license"] == "other" and data["license_name"] == "per-config"
    assert data["license_link"] == "LICENSE.md" and "`genotex_problems`: " in (repo / "LICENSE.md").read_text()
    assert ("`pbmc68k`: " in (repo / "LICENSE.md").read_text()) == ("pbmc68k" in OTHER_CONFIGS)
    assert data["task_categories"] == ["other", "tabular-classification"] and data["size_categories"] == ["n<1K"]
    assert "synthetic" in data["tags"] and "https://github.com/)" not in card.text
    infos = datasets.info.DatasetInfosDict.from_dataset_card_data(card.data)
    assert sorted(infos) == sorted(["A5_skin_hallmark", *OTHER_CONFIGS])
    for name, info in infos.items():
        for split, rec in info.splits.items():
            path = repo / name / f"{split}-00000-of-00001.parquet"
            assert rec.num_examples == pq.ParquetFile(path).metadata.num_rows
        assert info.download_size == sum(p.stat().st_size for p in (repo / name).glob("*.parquet"))
    label = infos["A5_skin_hallmark"].features["label"]
    assert isinstance(label, datasets.ClassLabel) and label.names == ["Ground", "Flight"]
    loaded = datasets.load_dataset(str(repo), "A5_skin_hallmark")
    assert loaded[next(iter(loaded))].features["label"].names == ["Ground", "Flight"]


def test_local_origin_is_the_word_local(tmp_path):
    root = write_mini_layout(tmp_path / "lab")
    assert main(["build", "A5_skin", "--data-dir", str(root), "--out", str(tmp_path / "built")]) == 0
    meta = json.loads((tmp_path / "built" / "A5_skin" / "bench_config.json").read_text())
    assert meta["source"]["origin"] == "local" and meta["synthetic"] is False
    assert grep_machine_paths(tmp_path / "built", [str(tmp_path), str(root)]) == []
