"""Write and read a Hugging Face dataset repository of bench configs (no loading script).

Layout of a built repository (the contract every family writes and ``bench push`` publishes)::

    <repo>/README.md                          YAML header ``configs:`` + dataset card
    <repo>/<config>/<split>-00000-of-00001.parquet
    <repo>/<config>/bench_config.json         config metadata (see :func:`write_config`)

``datasets.load_dataset(<repo>, <config>)`` reads it offline. Writing a config replaces
that config only; the others and their README entries are kept. Every write goes to a
temporary path first and is renamed into place.

A split is a ``datasets.Dataset`` (written with ``Dataset.to_parquet``) or a
:class:`StreamedSplit`: record batches streamed from their producer (e.g. a datasets Arrow file
read with plain reads, not a memory map) into the same parquet, row group by row group, so the
peak memory is about one row group whatever the split's size.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import datasets
import datasets.arrow_writer as hf_writer
import datasets.config as hf_config
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from datasets.splits import SplitDict, SplitInfo
from datasets.table import InMemoryTable, MemoryMappedTable
from datasets.utils import logging as ds_logging
from huggingface_hub import DatasetCard, DatasetCardData, RepoCard
from huggingface_hub.repocard import REGEX_YAML_BLOCK

from bench import __version__
from bench.errors import BenchError, BenchTypeError, close_matches_hint
from bench.io import atomic_path, read_json, sha256_file, write_text_atomic
from bench.scheduler import active_runner
from bench.table import format_markdown_table
from bench.tasks.families import FAMILIES


CONFIG_META = "bench_config.json"
REPO_ID_PLACEHOLDER = "<this repo>"   # replaced by the Hub repo id at push time
DATA_FILES_KEY = "data_files"   # bench_config.json: {file name: {sha256, num_bytes, num_rows}}
DEFAULT_FEATURE_COLUMN = "features"
_SPLIT_RE = re.compile(r"^\w+(\.\w+)*$")
_BAD_CONFIG_CHARS = set('<>:/\\|?*')


class SyntheticDataWarning(UserWarning):
    """Data comes from bench's synthetic generator, not from real measurements."""


def check_config_name(name: str) -> str:
    """Raise unless ``name`` is usable as a Hub config name and a folder name."""
    if not name or set(name) & _BAD_CONFIG_CHARS or name.startswith(".") or name != name.strip():
        raise BenchError(f"illegal config name {name!r}: it must be non-empty and contain none of <>:/\\|?*")
    return name


def check_split_name(name: str) -> str:
    """Raise unless ``name`` matches the Hub split-name rule ``\\w+(\\.\\w+)*``."""
    if not _SPLIT_RE.match(name):
        raise BenchError(f"illegal split name {name!r}: HF split names must match \\w+(\\.\\w+)* "
                         "(letters, digits, '_', dots between words; no '-')")
    return name


def split_file_name(split: str, shard: int = 0, n_shards: int = 1) -> str:
    return f"{split}-{shard:05d}-of-{n_shards:05d}.parquet"


def parse_front_matter(text: str, *, where: str = "README.md", card_class: type[RepoCard] = DatasetCard
                       ) -> tuple[dict, str]:
    """(metadata, markdown body) of a card's text as the Hub reads it ({} and the text when it has none).

    huggingface_hub's card class parses it (``DatasetCard``; ``SpaceCard`` for a Space): the
    metadata is ``card.data.to_dict()`` (None values dropped, as the Hub library writes them back),
    the body ``card.text``. Raises :class:`BenchError` naming ``where`` on malformed YAML or a
    block that is not a mapping of names.
    """
    text = text or ""
    if not REGEX_YAML_BLOCK.search(text):   # checked first: the card class logs a warning otherwise
        return {}, text
    try:
        card = card_class(text)
    except yaml.YAMLError as exc:
        raise BenchError(f"{where}: malformed YAML header: {exc}") from None
    except (ValueError, TypeError):   # not a dict / keys that are not names
        raise BenchError(f"{where}: YAML header must be a mapping of field names") from None
    return card.data.to_dict(), card.text


def read_readme(repo_dir: str | os.PathLike) -> tuple[dict, str]:
    """Return (YAML header as dict, markdown body) of ``<repo>/README.md`` ({} and '' if absent)."""
    path = Path(repo_dir) / "README.md"
    if not path.is_file():
        return {}, ""
    return parse_front_matter(path.read_text(encoding="utf-8"), where=str(path))


def config_entry(repo_dir: str | os.PathLike, config: str, splits: list[str]) -> dict:
    """The README ``configs:`` entry for ``config`` with one data_files item per split."""
    return {"config_name": config,
            "data_files": [{"split": s, "path": f"{config}/{s}-*.parquet"} for s in splits]}


def merge_config_entries(existing: list[dict], new: list[dict]) -> list[dict]:
    """Add or replace entries by ``config_name``; keep all others; sort by name."""
    by_name = {e["config_name"]: e for e in existing if isinstance(e, dict) and "config_name" in e}
    for e in new:
        by_name[e["config_name"]] = e
    return [by_name[k] for k in sorted(by_name)]


def card_yaml(header: Mapping) -> str:
    """The card metadata block's YAML (without ``---`` lines) as huggingface_hub writes it."""
    return DatasetCardData(**header).to_yaml()


def render_readme(header: Mapping, body: str) -> str:
    """README.md text: ``header`` as the Hub card metadata block, then ``body``.

    The block is huggingface_hub's (``DatasetCardData.to_yaml``) framed by ``---`` lines exactly as
    ``DatasetCard.content`` frames it; the text is parsed back with ``DatasetCard`` and must give
    the same metadata (so no value the Hub would read differently, e.g. a tuple, is ever written).
    """
    text = f"---\n{card_yaml(header)}\n---\n{body}"
    try:
        same = DatasetCard(text).data.to_dict() == DatasetCardData(**header).to_dict()
    except yaml.YAMLError:
        same = False
    if not same:
        raise BenchError("README.md: the card metadata would not read back as written (a value YAML "
                         "cannot hold as plain data?); fields: " + ", ".join(map(str, header)))
    return text


# ------------------------------------------------------------------------------ streamed splits
@dataclass(frozen=True)
class StreamedSplit:
    """A split given as record batches instead of a ``datasets.Dataset``.

    ``batches()`` returns a fresh iterable of ``pyarrow.RecordBatch`` (or ``Table``) with the
    columns of ``features`` in order; ``num_bytes`` is the size of the Arrow data (what
    ``Dataset._estimate_nbytes`` gives; it sets the parquet row-group size exactly as
    ``Dataset.to_parquet`` does, so both write the same file).
    """

    features: Any
    num_rows: int
    num_bytes: int
    batches: Callable[[], Iterable[Any]]

    @classmethod
    def from_arrow_file(cls, path: str | os.PathLike, *, features=None) -> "StreamedSplit":
        """Stream a datasets Arrow file (IPC stream, as ``Dataset.from_file`` reads) with plain reads.

        Sizes come from the batch headers; the data are read one record batch at a time when
        written, never memory-mapped, so they do not count toward the process's resident memory.
        """
        path = Path(path).resolve()  # absolute: the batches may be read by a worker elsewhere
        if not path.is_file():
            raise BenchError(f"Arrow file not found: {path}")
        try:
            with pa.memory_map(str(path)) as source:  # headers only: the buffers are not read
                reader = pa.ipc.open_stream(source)
                schema, num_rows, num_bytes = reader.schema, 0, 0
                for batch in reader:
                    num_rows += batch.num_rows
                    num_bytes += batch.nbytes
        except pa.ArrowInvalid as exc:
            raise BenchError(f"{path}: not an Arrow IPC stream file as datasets writes: {exc}") from None
        if features is None:
            features = datasets.Features.from_arrow_schema(schema)
        if list(features) != schema.names:
            raise BenchError(f"{path}: columns {schema.names} do not match the features {list(features)}")
        return cls(features, num_rows, num_bytes, functools.partial(_read_arrow_batches, path))

    @classmethod
    def from_dataset(cls, ds) -> "StreamedSplit":
        """Stream ``ds`` from its Arrow file when it is exactly that file (as ``Dataset.from_file`` gives:
        no indices mapping, no in-memory edits); raise otherwise."""
        files = ds.cache_files
        # Dataset() itself replays a schema-metadata update; it does not change the data
        edits = [op for op, *_ in getattr(ds.data, "replays", None) or [] if op != "replace_schema_metadata"]
        plain = (type(ds.data) is MemoryMappedTable and not edits and len(files) == 1
                 and getattr(ds, "_indices", None) is None)
        if not plain:
            raise BenchError("StreamedSplit.from_dataset: the dataset is not a plain view of one Arrow file "
                             "(it has an indices mapping, edits or several files); pass the Dataset itself")
        split = cls.from_arrow_file(files[0]["filename"], features=ds.features)
        if split.num_rows != ds.num_rows:  # pragma: no cover - guards the check above
            raise BenchError(f"{files[0]['filename']}: {split.num_rows} rows on disk, dataset has {ds.num_rows}")
        return split


@dataclass(frozen=True)
class ShardedSplit:
    """A split written as several parquet files ``<split>-0000i-of-0000n.parquet``, one per
    :class:`StreamedSplit` shard, in order; the shards are written as tasks of the active
    scheduler (:func:`bench.scheduler.active_runner`), each holding about one row group."""

    shards: tuple[StreamedSplit, ...]

    def __post_init__(self) -> None:
        if not self.shards:
            raise BenchError("ShardedSplit: no shards")
        if any(s.features != self.shards[0].features for s in self.shards):
            raise BenchError("ShardedSplit: the shards have different features")

    @property
    def features(self):
        return self.shards[0].features

    @property
    def num_rows(self) -> int:
        return sum(s.num_rows for s in self.shards)


def _read_arrow_batches(path: Path) -> Iterator[Any]:
    with pa.OSFile(str(path), "rb") as source:
        yield from pa.ipc.open_stream(source)


def _row_groups(batches: Iterable[Any], rows_per_group: int) -> Iterator[Any]:
    """Re-cut a batch stream into tables of ``rows_per_group`` rows (the last may be shorter), each
    made of slices of the incoming batches, as ``Dataset.to_parquet`` slices its table."""
    pending, pending_rows = [], 0
    for item in batches:
        for batch in (item.to_batches() if isinstance(item, pa.Table) else [item]):
            pending.append(batch)
            pending_rows += batch.num_rows
            while pending_rows >= rows_per_group:
                group = pa.Table.from_batches(pending).slice(0, rows_per_group)
                rest = pa.Table.from_batches(pending).slice(rows_per_group)
                yield group
                pending, pending_rows = [b for b in rest.to_batches() if b.num_rows], rest.num_rows
    if pending_rows:
        yield pa.Table.from_batches(pending)


def write_streamed_parquet(split: StreamedSplit, path: str | os.PathLike) -> int:
    """Write ``split`` to ``path`` with the parquet settings of the installed ``Dataset.to_parquet``
    (same row groups, column options, content-defined chunking, page index and schema metadata where
    that datasets release uses them), so both paths give the same bytes; returns the rows written."""
    schema = split.features.arrow_schema
    rows_per_group, writer_options, trailer = _to_parquet_settings(split, schema)
    written = 0
    with pq.ParquetWriter(str(path), schema=schema, **writer_options) as writer:
        for group in _row_groups(split.batches(), rows_per_group):
            if not group.schema.equals(schema, check_metadata=False):
                raise BenchError(f"{path}: a streamed batch has schema {_describe(group.schema)}, expected the "
                                 f"features' {_describe(schema)}")
            writer.write_table(group)
            written += group.num_rows
        if trailer:
            writer.add_key_value_metadata(trailer)
    if written != split.num_rows:
        raise BenchError(f"{path}: the stream gave {written} rows, {split.num_rows} were announced")
    return written


def _to_parquet_settings(split: StreamedSplit, schema) -> tuple[int, dict, dict]:
    """(rows per row group, ParquetWriter options, trailing key-value metadata) as the installed
    datasets' ``Dataset.to_parquet`` chooses them: datasets >= 4.1 sizes row groups by bytes and adds
    column options, content-defined chunking and a page index; datasets 4.0 writes plain row groups of
    ``get_writer_batch_size(features)`` or ``DEFAULT_MAX_BATCH_SIZE`` rows."""
    if not hasattr(hf_writer, "get_parquet_column_options"):  # datasets 4.0
        rows = hf_writer.get_writer_batch_size(split.features) or hf_config.DEFAULT_MAX_BATCH_SIZE
        return rows, {}, {}
    rows = (hf_writer.get_writer_batch_size_from_features(split.features)
            or hf_writer.get_writer_batch_size_from_data_size(split.num_rows, split.num_bytes))
    cdc = hf_config.DEFAULT_CDC_OPTIONS
    options = {"use_content_defined_chunking": cdc, "write_page_index": True,
               **hf_writer.get_parquet_column_options(split.features, schema)}
    return rows, options, {"content_defined_chunking": json.dumps(cdc)}


def _describe(schema) -> str:
    return "(" + ", ".join(f"{f.name}: {f.type}" for f in schema) + ")"


def _arrow_nbytes(split) -> int:
    """The split's Arrow size, as ``push_to_hub`` reports ``num_bytes`` in ``dataset_info``."""
    if isinstance(split, ShardedSplit):
        return sum(int(s.num_bytes) for s in split.shards)
    if isinstance(split, StreamedSplit):
        return int(split.num_bytes)
    return int(split._estimate_nbytes())


def _write_split(split, folder: Path, name: str) -> None:
    if isinstance(split, ShardedSplit):
        n = len(split.shards)
        folder = folder.resolve()  # absolute: a worker may not share our cwd
        jobs = [(shard, str(folder / split_file_name(name, i, n))) for i, shard in enumerate(split.shards)]
        for _ in active_runner().map(_write_shard, jobs):
            pass
    elif isinstance(split, StreamedSplit):
        write_streamed_parquet(split, folder / split_file_name(name))
    else:
        split.to_parquet(str(folder / split_file_name(name)))


def _write_shard(job: tuple[StreamedSplit, str]) -> int:
    """One parquet shard (a task of the active scheduler; the folder must be visible to the worker)."""
    return write_streamed_parquet(*job)


def write_config(repo_dir: str | os.PathLike, config: str, splits: Mapping[str, Any], *,
                 meta: dict) -> Path:
    """Write one config (``{split: datasets.Dataset, StreamedSplit or ShardedSplit}``) into ``repo_dir`` and
    update README.md.

    ``meta`` is stored as ``<config>/bench_config.json`` and rendered into the card; it should
    hold at least ``task``, ``family``, ``description``, ``source``, ``license``, ``citation``,
    ``synthetic`` (bool) and, for configs with a feature vector, ``feature_column`` and
    ``feature_ids`` (the identifiers, stored once per config). Split sizes and the schema are
    added here. A :class:`StreamedSplit` gives the same files as the Dataset it streams while
    holding only about one parquet row group in memory (use it for splits larger than RAM).
    """
    check_config_name(config)
    if not splits:
        raise BenchError(f"config {config!r}: no splits to write")
    for s in splits:
        check_split_name(s)
    repo = Path(repo_dir)
    repo.mkdir(parents=True, exist_ok=True)
    full_meta = stored_meta(config, splits, meta)
    leaks = machine_path_problems(full_meta)
    if leaks:
        raise BenchError(f"config {config!r}: {CONFIG_META} would hold a path of this machine "
                         f"({'; '.join(leaks[:5])}); a built repository must be portable: record an origin "
                         "such as 'local', 'hub:org/name@rev' or 'synthetic:<generator>' instead")
    with atomic_path(repo / config, directory=True) as tmp:
        tmp.mkdir(parents=True, exist_ok=True)
        records = {}
        with _quiet_datasets_bars():  # one parquet bar per split is noise
            for s, split in splits.items():
                _write_split(split, tmp, s)
                records.update(_split_records(tmp, s, split))
        full_meta[DATA_FILES_KEY] = records
        (tmp / CONFIG_META).write_text(json.dumps(full_meta, indent=2, default=str) + "\n", encoding="utf-8")
    update_readme(repo, {config: list(splits)})
    return repo / config


def stored_meta(config: str, splits: Mapping[str, Any], meta: dict) -> dict:
    """``meta`` plus what every stored config carries: its name, bench version, split sizes and schema
    (the ``bench_config.json`` content; also the description the ``datasets`` builder gives)."""
    return {**meta, "config_name": config, "bench_version": __version__,
            "splits": {s: {"num_rows": int(ds.num_rows), "num_bytes": _arrow_nbytes(ds)} for s, ds in splits.items()},
            "schema": {k: str(v) for k, v in next(iter(splits.values())).features.items()}}


# ------------------------------------------------------------------------------ integrity
def _split_records(folder: Path, name: str, split) -> dict:
    """``data_files`` records of the file(s) just written for one split (one per shard of a ShardedSplit)."""
    paths = split_files(folder, name)
    rows = [s.num_rows for s in split.shards] if isinstance(split, ShardedSplit) else [split.num_rows]
    if len(rows) != len(paths):
        raise BenchError(f"{folder.name}/{name}: {len(paths)} parquet file(s) written for {len(rows)} shard(s)")
    return {p.name: data_file_record(p, int(n)) for p, n in zip(paths, rows)}


def data_file_record(path: str | os.PathLike, num_rows: int) -> dict:
    """What ``bench_config.json`` records of one data file: sha256, size in bytes and row count."""
    path = Path(path)
    return {"sha256": sha256_file(path), "num_bytes": path.stat().st_size, "num_rows": int(num_rows)}


_VERIFIED: set = set()   # (resolved path, size, mtime_ns, sha256) already hashed in this process


def verify_data_file(path: str | os.PathLike, record: dict, *, config: str, cached: bool = True) -> None:
    """Raise :class:`BenchError` naming ``path`` unless its size and sha256 match ``record``.

    The size is checked on every call; the hash once per (file, size, mtime) in a process
    (every call with ``cached=False``).
    """
    path = Path(path)
    where = f"config {config!r}: data file {config}/{path.name}"
    if not path.is_file():
        raise BenchError(f"{where} is missing (recorded in {CONFIG_META})")
    st = path.stat()
    if st.st_size != record.get("num_bytes"):
        raise BenchError(f"{where} is damaged: {st.st_size} bytes on disk, {CONFIG_META} records "
                         f"{record.get('num_bytes')}; rebuild the config (bench build {config} --out ...)")
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, record.get("sha256"))
    if cached and key in _VERIFIED:
        return
    digest = sha256_file(path)
    if digest != record.get("sha256"):
        raise BenchError(f"{where} is damaged: its sha256 {digest[:16]}... differs from the "
                         f"{str(record.get('sha256'))[:16]}... recorded in {CONFIG_META}; "
                         f"rebuild the config (bench build {config} --out ...)")
    _VERIFIED.add(key)


# ------------------------------------------------------------------------------ portability
_ABSOLUTE_RE = re.compile(r"(^|[\s'\"(=:])(/[^/\s'\"]+){2,}|^~[/\\]|^[A-Za-z]:[\\/]")


def machine_paths() -> list[str]:
    """Folders of the building machine that must never appear in a built repository."""
    raw = [Path.home(), Path.cwd(), Path(tempfile.gettempdir()), os.environ.get("HF_HOME"),
           os.environ.get("BENCH_CACHE"), os.environ.get("XDG_CACHE_HOME")]
    out = set()
    for p in raw:
        if not p:
            continue
        for variant in (Path(p).expanduser(), Path(p).expanduser().resolve()):
            if len(variant.parts) > 1:
                out.add(str(variant))
    return sorted(out, key=len, reverse=True)


def machine_path_problems(obj, where: str = "") -> list[str]:
    """``key: value`` for every string in ``obj`` (nested dicts/lists) holding an absolute or machine path."""
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in machine_path_problems(v, f"{where}.{k}" if where else str(k))]
    if isinstance(obj, (list, tuple)):
        return [p for i, v in enumerate(obj) for p in machine_path_problems(v, f"{where}[{i}]")]
    if isinstance(obj, str) and (_ABSOLUTE_RE.search(obj) or any(m in obj for m in machine_paths())):
        return [f"{where}: {obj[:80]!r}"]
    return []


def write_configs(repo_dir: str | os.PathLike, configs: Iterable[Any]) -> list[str]:
    """Write each :class:`bench.tasks.families.BuiltConfig` of ``configs`` (consumed one at a time);
    returns their names in order."""
    names = []
    for config in configs:
        write_config(repo_dir, config.name, config.splits, meta=config.meta)
        names.append(config.name)
    return names


@contextlib.contextmanager
def _quiet_datasets_bars():
    was_on = ds_logging.is_progress_bar_enabled()
    ds_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            ds_logging.enable_progress_bar()


def list_configs(repo_dir: str | os.PathLike) -> list[str]:
    """Config names listed in the README YAML of a built repository."""
    header, _ = read_readme(repo_dir)
    return [e["config_name"] for e in header.get("configs", []) if isinstance(e, dict)]


def read_config_meta(repo_dir: str | os.PathLike, config: str) -> dict:
    """The ``bench_config.json`` of ``config`` in a built repository."""
    return read_json(Path(repo_dir) / config / CONFIG_META, what=f"metadata of config {config!r}")


def update_readme(repo_dir: str | os.PathLike, new_configs: Mapping[str, list[str]]) -> Path:
    """Merge ``{config: [splits]}`` into README.md's ``configs:`` and re-render the card body."""
    repo = Path(repo_dir)
    header, _ = read_readme(repo)
    entries = [config_entry(repo, c, s) for c, s in new_configs.items()]
    header["configs"] = merge_config_entries(header.get("configs", []), entries)
    header.setdefault("pretty_name", "bench: transcriptomics benchmarks")
    header.setdefault("tags", ["biology", "transcriptomics", "benchmark"])
    metas = {}
    for e in header["configs"]:
        p = repo / e["config_name"] / CONFIG_META
        if p.is_file():
            metas[e["config_name"]] = json.loads(p.read_text(encoding="utf-8"))
    header.update(hub_metadata(metas, header))
    header["dataset_info"] = merge_dataset_info(header.get("dataset_info"),
                                                [dataset_info_entry(repo, c, m) for c, m in metas.items()])
    if header.get("license") == "other":
        write_text_atomic(repo / LICENSE_FILE, render_licenses(metas))
    return write_text_atomic(repo / "README.md", render_readme(header, render_card(metas)))


LICENSE_FILE = "LICENSE.md"
DEFAULT_TASK_CATEGORY = "tabular-classification"   # a config of a family this bench does not know
_SIZE_BOUNDS = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M")]


def size_category(n_rows: int) -> str:
    """The Hub's ``size_categories`` bucket of ``n_rows``.

    >>> size_category(999), size_category(1000), size_category(250_000)
    ('n<1K', '1K<n<10K', '100K<n<1M')
    """
    return next((label for bound, label in _SIZE_BOUNDS if n_rows < bound), "n>1T")


def task_category(family: str | None) -> str:
    """The Hub's task category of a family's configs (its row's ``hub_category``)."""
    return FAMILIES[family].hub_category if family in FAMILIES else DEFAULT_TASK_CATEGORY


def card_notes(meta: dict) -> tuple[list[str], str]:
    """A config's card lines above its description, and the description: the ``card_notes`` hook of its
    family's build module when it has one."""
    family = FAMILIES.get(meta.get("family"))
    hook = family.hook("build", "card_notes") if family is not None else None
    return hook(meta) if hook is not None else ([], str(meta.get("description", "")).strip())


def hub_metadata(metas: Mapping[str, dict], header: dict) -> dict:
    """license (+ license_name/license_link when ``other``), task_categories, size_categories, tags."""
    out: dict = {}
    licenses = sorted({m.get("license_id", "other") for m in metas.values()}) or ["other"]
    out["license"] = licenses[0] if len(licenses) == 1 else "other"
    if out["license"] == "other":
        out["license_name"] = "per-config" if len(licenses) > 1 else "see-license-file"
        out["license_link"] = LICENSE_FILE
    else:
        header.pop("license_name", None)
        header.pop("license_link", None)
    out["task_categories"] = sorted({task_category(m.get("family")) for m in metas.values()}) \
        or [DEFAULT_TASK_CATEGORY]
    rows = max((sum(v.get("num_rows", 0) for v in m.get("splits", {}).values()) for m in metas.values()), default=0)
    out["size_categories"] = [size_category(rows)]
    tags = [t for t in header.get("tags") or [] if t != "synthetic"]
    out["tags"] = tags + ["synthetic"] if any(m.get("synthetic") for m in metas.values()) else tags
    return out


def dataset_info_entry(repo: Path, config: str, meta: dict) -> dict:
    """The README ``dataset_info`` item of one config, as ``push_to_hub`` writes it (features from the
    parquet schema, splits with num_examples/num_bytes, download_size, dataset_size)."""
    first = split_files(repo / config, next(iter(meta["splits"])))[0]
    features = datasets.Features.from_arrow_schema(pq.read_schema(first))
    splits = SplitDict()
    for name, rec in meta["splits"].items():
        splits.add(SplitInfo(name=name, num_bytes=int(rec.get("num_bytes", 0)), num_examples=int(rec["num_rows"])))
    info = datasets.DatasetInfo(features=features, splits=splits, config_name=config,
                                download_size=sum(r["num_bytes"] for r in meta.get(DATA_FILES_KEY, {}).values()),
                                dataset_size=sum(int(r.get("num_bytes", 0)) for r in meta["splits"].values()))
    return info._to_yaml_dict()


def merge_dataset_info(existing, new: list[dict]) -> list[dict]:
    """``dataset_info`` items by config_name: the new ones replace theirs, others are kept (sorted)."""
    items = existing if isinstance(existing, list) else ([existing] if isinstance(existing, dict) else [])
    replaced = {e["config_name"] for e in new}
    kept = [e for e in items if isinstance(e, dict) and e.get("config_name") not in replaced]
    return sorted(kept + new, key=lambda e: str(e.get("config_name", "")))


def render_licenses(metas: Mapping[str, dict]) -> str:
    """LICENSE.md of a repository whose configs carry different (or non-SPDX) licences."""
    lines = ["# Licences", "", "Each config keeps the licence of its source data:", ""]
    lines += [f"- `{name}`: {m.get('license', 'not recorded')}" for name, m in sorted(metas.items())]
    return "\n".join(lines) + "\n"


def _features_line(name: str, m: dict) -> str:
    """One card line: how the feature vector is stored (dense fixed-length, or sparse index/value lists)."""
    n, column = len(m["feature_ids"]), m.get("feature_column", "features")
    where = f"identifiers in `{name}/{CONFIG_META}` (`feature_ids`)"
    if m.get("feature_index_column"):
        return (f"- **Features**: sparse, {n} features; per row the indices in `{m['feature_index_column']}` "
                f"and the values in `{column}` (non-zero entries only); {where}")
    return f"- **Features**: column `{column}`, {n} float32 values per row; {where}"


_SOURCE_ORDER = ("origin", "provided_by", "upstream_repo", "upstream_commit", "hub_repo", "url", "homepage")


def source_text(source) -> str:
    """A card's Source line: where the data were built from, then the upstream it describes.

    >>> source_text({"origin": "synthetic:genelab-v2-seed0", "upstream_repo": "https://x.org/r",
    ...              "upstream_commit": "9d3a11e85311ef82"})
    'built from `synthetic:genelab-v2-seed0`; upstream repo https://x.org/r; upstream commit `9d3a11e85311`'
    """
    if not isinstance(source, dict):
        return str(source)
    keys = [k for k in _SOURCE_ORDER if source.get(k)] + sorted(k for k in source if k not in _SOURCE_ORDER
                                                                and source[k] not in (None, "", [], {}))
    parts = []
    for k in keys:
        v = source[k]
        if k == "origin":
            parts.append(f"built from `{v}`")
        elif k == "upstream_commit":
            parts.append(f"upstream commit `{str(v)[:12]}`")
        elif isinstance(v, str) and v.startswith(("http://", "https://")):
            parts.append(f"{k.replace('_', ' ')} {v}")
        else:
            parts.append(f"{k.replace('_', ' ')} `{v if isinstance(v, str) else json.dumps(v, sort_keys=True)}`")
    return "; ".join(parts) or "not recorded"


def render_card(metas: Mapping[str, dict]) -> str:
    """Markdown dataset card: one section per config (source, license, citation, features, splits)."""
    lines = ["# bench: transcriptomics benchmarks as Hugging Face configs", "",
             f"Built by bench {__version__}. Each config is parquet files plus `<config>/{CONFIG_META}` "
             "(feature ids, folds, checksums); no loading script is needed:", "",
             "```python", "from datasets import load_dataset", "",
             f'dsd = load_dataset("{REPO_ID_PLACEHOLDER}", "<config>")   # one split per mission/domain',
             "```", "",
             "Feature ids and folds without bench:", "",
             "```python", "import json", "from huggingface_hub import hf_hub_download", "",
             f'meta = json.load(open(hf_hub_download("{REPO_ID_PLACEHOLDER}", "<config>/{CONFIG_META}", '
             'repo_type="dataset")))',
             'meta["feature_ids"], meta["folds"]', "```", ""]
    for name, m in sorted(metas.items()):
        lines += [f"## {name}", ""]
        if m.get("synthetic"):
            lines += ["> **Synthetic data**: generated by bench's deterministic generator in the upstream "
                      "layout (not real measurements).", ""]
        notes, description = card_notes(m)
        lines += notes + [description, ""]
        lines += [f"- **Task**: `{m.get('task', name)}` (family `{m.get('family', '')}`)",
                  f"- **Source**: {source_text(m.get('source', {}))}",
                  f"- **License**: {m.get('license', 'unknown')}"]
        if m.get("feature_ids") is not None:
            lines.append(_features_line(name, m))
        lines.append("- **Columns**: " + ", ".join(f"`{k}`" for k in m.get("schema", {})))
        split_rows = [{"split": s, "rows": v["num_rows"]} for s, v in m.get("splits", {}).items()]
        lines += ["", format_markdown_table(split_rows, ["split", "rows"])]
        if m.get("citation"):
            lines += ["", "```bibtex", str(m["citation"]).strip(), "```"]
        lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ reading a built repository
def is_built_repo(path: str | os.PathLike) -> bool:
    """True if ``path`` is a repository written by ``bench build``: README.md ``configs:`` whose
    folders hold ``bench_config.json`` (an upstream Hub snapshot's own card does not count)."""
    p = Path(path)
    if not (p.is_dir() and (p / "README.md").is_file()):
        return False
    try:
        configs = list_configs(p)
    except BenchError:
        if any(p.glob(f"*/{CONFIG_META}")):
            raise  # a built repository whose README is broken: say so (not "no task folder")
        return False
    return any((p / c / CONFIG_META).is_file() for c in configs)


def read_built(repo_dir: str | os.PathLike, config: str):
    """Read one config of a built repository into a DatasetDict carrying its bench metadata."""
    repo = Path(repo_dir)
    if not (repo / config / CONFIG_META).is_file():    # the folder, not README, is the truth
        configs = list_configs(repo)
        raise BenchError(f"{repo}: no config {config!r} in README.md configs:{close_matches_hint(config, configs)} "
                         f"Available: {', '.join(configs) or '(none)'}; "
                         f"build it with `bench build {config} --out {repo}`")
    meta_path = repo / config / CONFIG_META
    description = meta_path.read_text(encoding="utf-8")      # the JSON text itself, parsed once (cached)
    try:
        meta = _parse_meta(description)
    except json.JSONDecodeError as exc:
        raise BenchError(f"{meta_path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    out = datasets.DatasetDict()
    records = meta.get(DATA_FILES_KEY) or {}
    for split in meta.get("splits", {}):
        paths = split_files(repo / config, split)
        for path in paths:
            if path.name in records:
                verify_data_file(path, records[path.name], config=config)
        table = pq.read_table(paths[0], memory_map=True)
        if len(paths) > 1:
            table = pa.concat_tables([table] + [pq.read_table(p, memory_map=True) for p in paths[1:]])
        info = datasets.DatasetInfo(description=description, features=datasets.Features.from_arrow_schema(table.schema),
                                    config_name=config)
        # an explicit fingerprint (file identity) avoids datasets hashing the whole table
        identity = ";".join(f"{p.resolve()}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in paths)
        fingerprint = hashlib.sha256(identity.encode()).hexdigest()[:16]
        out[split] = datasets.Dataset(InMemoryTable(table), info=info, split=split, fingerprint=fingerprint)
    if meta.get("synthetic"):
        warnings.warn(f"{config}: SYNTHETIC data (bench's deterministic generator), not real measurements",
                      SyntheticDataWarning, stacklevel=3)
    return out


def split_files(folder: Path, split: str) -> list[Path]:
    """The parquet file(s) of ``split`` in a config folder: ``<split>-00000-of-00001.parquet`` or every shard
    ``<split>-0000i-of-0000n.parquet``; raise naming the first one missing."""
    first = folder / split_file_name(split)
    if first.is_file():
        return [first]
    sharded = sorted(folder.glob(f"{split}-00000-of-*.parquet"))
    n = int(sharded[0].stem.rsplit("-of-", 1)[1]) if len(sharded) == 1 else 0
    if not n:
        raise BenchError(f"{first}: split file of {folder.name}/{split} is missing (listed in bench_config.json)")
    paths = [folder / split_file_name(split, i, n) for i in range(n)]
    absent = [p for p in paths if not p.is_file()]
    if absent:
        raise BenchError(f"{absent[0]}: shard {paths.index(absent[0])} of {n} of {folder.name}/{split} is missing")
    return paths


@functools.lru_cache(maxsize=32)
def _parse_meta(description: str) -> dict:
    return json.loads(description)


@functools.lru_cache(maxsize=32)
def _feature_positions(description: str) -> dict:
    return {g: i for i, g in enumerate(_parse_meta(description)["feature_ids"])}


@functools.lru_cache(maxsize=64)
def _fold_selection_index(description: str, fold_name: str) -> np.ndarray:
    fold = next(f for f in _parse_meta(description)["folds"] if f["name"] == fold_name)
    pos = _feature_positions(description)
    return np.fromiter((pos[g] for g in fold["selected_features"]), dtype=np.intp)


def _selection_index(description: str, meta: dict, features: list[str]) -> np.ndarray:
    """Column positions of ``features``; a fold's own ``selected_features`` list hits a cache."""
    for f in meta["folds"]:
        if features is f.get("selected_features"):
            return _fold_selection_index(description, f["name"])
    pos = _feature_positions(description)
    unknown = [g for g in features if g not in pos]
    if unknown:
        raise BenchError(f"to_numpy: feature id(s) {unknown[:5]} are not in config {meta.get('task')} "
                         f"({len(pos)} features; see config_meta(...)['feature_ids'])")
    return np.fromiter((pos[g] for g in features), dtype=np.intp, count=len(features))


def _description(ds) -> str:
    if isinstance(ds, (datasets.DatasetDict, dict)):
        ds = next(iter(ds.values()))
    return ds.info.description or ""


def config_meta(dsd_or_split, *, repo_dir: str | os.PathLike | None = None) -> dict:
    """The config's ``bench_config.json`` dict (feature_ids, folds, synthetic, ...).

    Works on what :func:`load` returns (and splits, folds and selections of it). For a dataset
    loaded with ``datasets.load_dataset(<repo>, <config>)`` pass ``repo_dir=<repo>``.
    """
    ds = dsd_or_split
    if isinstance(ds, (datasets.DatasetDict, dict)):
        if not ds:
            raise BenchError("config_meta: empty DatasetDict")
        ds = next(iter(ds.values()))
    if not isinstance(ds, datasets.Dataset):
        raise BenchError(f"config_meta: expected a datasets.Dataset or DatasetDict, got {type(dsd_or_split).__name__}")
    if repo_dir is not None:
        return read_config_meta(repo_dir, ds.info.config_name)
    desc = ds.info.description or ""
    try:
        meta = _parse_meta(desc)
    except json.JSONDecodeError:
        meta = None
    if not isinstance(meta, dict) or not ({"feature_ids", "config_name"} & set(meta)):
        raise BenchError("this dataset carries no bench metadata (feature ids, folds): load it with "
                         "bench.loaders.load(name, data_dir=...) or pass repo_dir=<built repo> "
                         "(datasets.load_dataset does not keep bench_config.json)")
    return dict(meta)


def folds(dsd) -> list[dict]:
    """The config's folds: {name, test_mission, test_split, train_missions, train_splits, holdout,
    selected_features}, sorted by fold name (the upstream evaluator's order)."""
    return list(config_meta(dsd)["folds"])


def _find_fold(meta: dict, fold: str) -> dict:
    all_folds = meta["folds"]
    for f in all_folds:
        if f["name"] == fold:
            return f
    if meta.get("category") != "B":
        for holdout in (False, True):
            for f in all_folds:
                if f["holdout"] == holdout and fold in (f["test_mission"], f["test_split"]):
                    return f
    names = [f["name"] for f in all_folds]
    raise BenchError(f"unknown fold {fold!r} for task {meta.get('task')}.{close_matches_hint(fold, names)} "
                     f"Folds: {', '.join(names)}")


def get_fold(dsd, fold: str):
    """(train, test) Datasets of one fold: test = the test mission's split, train = its train splits.

    ``fold``: an upstream fold name (``fold_RR-7_test``, ``pair_RR-1_RR-3``) or, for LOMO, the
    mission (``RR-7``) or split name (``rr_7``).
    """
    meta = config_meta(dsd)
    if not isinstance(fold, str):
        names = ", ".join(f["name"] for f in meta.get("folds") or [])
        raise BenchTypeError(f"fold: expected a fold name (str), got {type(fold).__name__} {fold!r}; folds: {names}")
    f = _find_fold(meta, fold)
    missing = [s for s in [f["test_split"], *f["train_splits"]] if s not in dsd]
    if missing:
        raise BenchError(f"fold {f['name']}: split(s) {missing} are not in this DatasetDict ({list(dsd)})")
    parts = [dsd[s] for s in f["train_splits"]]
    train = parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)
    return train, dsd[f["test_split"]]


def class_codes(values: pd.Series, names: list[str], *, where: str) -> pd.Series:
    """``values`` (class names, missing allowed) as ClassLabel codes (nullable Int64, code i = ``names[i]``).

    A value outside ``names`` is a :class:`BenchError` naming ``where`` and the values.

    >>> class_codes(pd.Series(["RR", None, "MHU"]), ["MHU", "RR"], where="x").tolist()
    [1, <NA>, 0]
    """
    index = {name: code for code, name in enumerate(names)}
    present = values.notna().to_numpy()
    text = values.astype(object).where(present, None)
    unknown = sorted({str(v) for v in text[present]} - set(index))
    if unknown:
        raise BenchError(f"{where}: value(s) {unknown[:10]} are not among its classes {list(names)}")
    return pd.Series([index[str(v)] if ok else None for v, ok in zip(text, present)], index=values.index,
                     dtype="Int64")


def class_names(ds, column: str) -> list[str] | None:
    """The ClassLabel names of ``column`` in a Dataset or DatasetDict, None if it is not a ClassLabel."""
    first = next(iter(ds.values())) if isinstance(ds, datasets.DatasetDict) else ds
    feature = first.features.get(column)
    return list(feature.names) if isinstance(feature, datasets.ClassLabel) else None


def decode_classes(codes: pd.Series, names: list[str]) -> pd.Series:
    """ClassLabel ``codes`` (missing allowed) back to their names (object dtype, None where missing)."""
    present = codes.notna().to_numpy()
    return pd.Series([names[int(c)] if ok else None for c, ok in zip(codes, present)], index=codes.index,
                     dtype=object)


def to_numpy(ds, *, features: list[str] | None = None) -> tuple[np.ndarray, list[str], pd.DataFrame]:
    """(X float32 [n, p'], feature ids, obs) of one split or fold side.

    ``obs`` holds every non-feature column (sample_id, mission, label, metadata), index = sample id.
    ``features``: ids to select, in that order (e.g. a fold's ``selected_features``).
    """
    if isinstance(ds, datasets.DatasetDict):
        raise BenchError(f"to_numpy: pass one split (e.g. dsd[{next(iter(ds), 'split')!r}]) or a side of get_fold, "
                         "not the whole DatasetDict")
    meta = config_meta(ds)
    if "feature_ids" not in meta:
        raise BenchError(f"to_numpy: config {meta.get('config_name', '?')!r} has no feature vector "
                         "(a labels-only config); its columns are plain data: use ds.to_pandas()")
    column = meta.get("feature_column", DEFAULT_FEATURE_COLUMN)
    ids = list(meta["feature_ids"])
    table = ds.data.table if ds._indices is None else ds.with_format("arrow")[:]
    n, p = table.num_rows, len(ids)
    index_column = meta.get("feature_index_column")
    if index_column:   # sparse rows (single-cell): (feature index list, value list) per row
        X = _dense_from_sparse(table.column(index_column).combine_chunks(), table.column(column).combine_chunks(), n, p)
        drop = [column, index_column]
    else:
        values = table.column(column).combine_chunks()
        X = values.flatten().to_numpy(zero_copy_only=False).reshape(n, p) if n else np.zeros((0, p), np.float32)
        drop = [column]
    X = X.astype(np.float32, copy=False)
    if features is not None:
        X = X[:, _selection_index(_description(ds), meta, features)]
        ids = list(features)
    obs = table.drop_columns(drop).to_pandas()
    id_column = next((c for c in ID_COLUMNS if c in obs.columns), None)
    if id_column is not None:
        obs.index = pd.Index(obs[id_column].astype(str).to_numpy())
    return X, ids, obs


ID_COLUMNS = ("sample_id", "cell_id", "GSM_ID")


def _dense_from_sparse(index_lists, value_lists, n: int, p: int) -> np.ndarray:
    """Dense float32 [n, p] from per-row (feature index, value) list columns."""
    X = np.zeros((n, p), dtype=np.float32)
    offsets = index_lists.offsets.to_numpy()
    rows = np.repeat(np.arange(n), np.diff(offsets))
    cols = index_lists.flatten().to_numpy(zero_copy_only=False)
    if cols.size and (cols.min() < 0 or cols.max() >= p):
        raise BenchError(f"to_numpy: feature index out of range [0, {p}) in the sparse rows")
    X[rows, cols] = value_lists.flatten().to_numpy(zero_copy_only=False)
    return X
