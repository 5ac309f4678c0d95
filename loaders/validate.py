"""Check a built Hugging Face dataset repository (the :mod:`bench.loaders.repo` layout).

:func:`validate_repo` returns a list of problems (an empty list means the repository is
publishable); :func:`check_repo` raises one :class:`~bench.errors.BenchError` listing them.
Every check reads local files only: the README YAML, ``bench_config.json`` and the parquet
footers (schemas and row counts; the feature column's data only when its type is not a
fixed-size list).

>>> validate_repo("/nonexistent")
['/nonexistent: not a folder']
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs, known_task_ids
from huggingface_hub import DatasetCard

from bench.errors import BenchError
from bench.loaders.repo import (CONFIG_META, DATA_FILES_KEY, check_config_name, check_split_name, read_readme,
                                verify_data_file)

# Fields every config's bench_config.json must carry so the card can say what the data is.
REQUIRED_META_FIELDS = ("description", "source", "license", "citation")


@dataclass
class ConfigFiles:
    """One README ``configs:`` entry resolved against the files on disk."""

    name: str
    splits: dict[str, list[Path]] = field(default_factory=dict)  # split -> parquet files


def _data_file_items(entry: dict) -> list[tuple[str, list[str]]]:
    """``[(split, [pattern, ...])]`` from a ``data_files`` value (str, list of str or list of dicts)."""
    data_files = entry.get("data_files")
    if isinstance(data_files, str):
        return [("train", [data_files])]
    items = []
    for item in data_files or []:
        if isinstance(item, str):
            items.append(("train", [item]))
        elif isinstance(item, dict):
            paths = item.get("path")
            items.append((str(item.get("split", "train")), [paths] if isinstance(paths, str) else list(paths or [])))
        else:
            items.append(("train", [str(item)]))
    return items


def _glob(repo: Path, pattern: str) -> list[Path]:
    if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        return []
    return sorted(p for p in repo.glob(pattern) if p.is_file())


def resolve_configs(repo_dir: str | os.PathLike, problems: list[str] | None = None, *,
                    only: list[str] | None = None) -> list[ConfigFiles]:
    """README ``configs:`` entries resolved to parquet files; problems are appended to ``problems``.

    ``only`` restricts resolution (and its problems) to those config names.
    """
    repo = Path(repo_dir)
    problems = [] if problems is None else problems
    try:
        header, _ = read_readme(repo)
    except BenchError as exc:
        problems.append(f"README.md: YAML header does not parse: {exc}")
        return []
    if not (repo / "README.md").is_file():
        problems.append(f"{repo}: README.md is missing (it must carry the YAML `configs:` list)")
        return []
    entries = header.get("configs")
    if not isinstance(entries, list) or not entries:
        problems.append("README.md: YAML header has no `configs:` list")
        return []
    out = []
    seen = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("config_name"):
            problems.append(f"README.md: configs[{i}] has no config_name")
            continue
        name = str(entry["config_name"])
        if only is not None and name not in only:
            continue
        if name in seen:
            problems.append(f"README.md: config {name!r} is listed twice")
        seen.add(name)
        try:
            check_config_name(name)
        except BenchError as exc:
            problems.append(f"config {name!r}: {exc}")
            continue
        cfg = ConfigFiles(name)
        items = _data_file_items(entry)
        if not items:
            problems.append(f"config {name!r}: README entry has no data_files")
        for split, patterns in items:
            try:
                check_split_name(split)
            except BenchError as exc:
                problems.append(f"config {name!r}: {exc}")
            files: list[Path] = []
            for pattern in patterns:
                hits = _glob(repo, pattern)
                if not hits:
                    problems.append(f"config {name!r} split {split!r}: data_files path {pattern!r} "
                                    "matches no file in the repository")
                files += hits
            not_parquet = [f.name for f in files if f.suffix != ".parquet"]
            if not_parquet:
                problems.append(f"config {name!r} split {split!r}: expected parquet files, got {not_parquet}")
            cfg.splits.setdefault(split, []).extend(f for f in files if f.suffix == ".parquet")
        out.append(cfg)
    return out


def _schema_problems(cfg: ConfigFiles, repo: Path) -> tuple[list[str], object]:
    """Every parquet file of ``cfg`` must have one schema (names and types; metadata ignored)."""
    problems, reference, ref_file = [], None, None
    for files in cfg.splits.values():
        for f in files:
            try:
                schema = pq.read_schema(f).remove_metadata()
            except (pa.ArrowException, OSError) as exc:  # a corrupt footer: ArrowInvalid; unreadable: OSError
                problems.append(f"config {cfg.name!r}: {f.relative_to(repo)} is not a readable parquet file ({exc})")
                continue
            if reference is None:
                reference, ref_file = schema, f
            elif not schema.equals(reference):
                problems.append(f"config {cfg.name!r}: schema of {f.relative_to(repo)} differs from "
                                f"{ref_file.relative_to(repo)}: {_schema_diff(reference, schema)}")
    return problems, reference


def _schema_diff(a, b) -> str:
    names_a, names_b = list(a.names), list(b.names)
    parts = []
    if names_a != names_b:
        missing = [n for n in names_a if n not in names_b]
        extra = [n for n in names_b if n not in names_a]
        parts.append(f"columns {names_b} vs {names_a}" if not (missing or extra)
                     else f"missing columns {missing}, extra columns {extra}")
    for n in names_a:
        if n in names_b and a.field(n).type != b.field(n).type:
            parts.append(f"column {n!r} is {b.field(n).type} vs {a.field(n).type}")
    return "; ".join(parts) or "field nullability differs"


def _feature_problems(cfg: ConfigFiles, repo: Path, meta: dict, schema) -> list[str]:
    """The feature column has exactly len(feature_ids) values in every row of every split."""
    ids = meta.get("feature_ids")
    if ids is None:
        return []
    if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
        return [f"config {cfg.name!r}: {CONFIG_META} field 'feature_ids' must be a list of strings"]
    problems = []
    if len(set(ids)) != len(ids):
        problems.append(f"config {cfg.name!r}: {CONFIG_META} 'feature_ids' has duplicates")
    column = meta.get("feature_column", "features")
    if schema is None:
        return problems
    if column not in schema.names:
        return problems + [f"config {cfg.name!r}: feature column {column!r} (bench_config.json "
                           f"'feature_column') is not a parquet column; columns are {schema.names}"]
    typ = schema.field(column).type
    if meta.get("feature_index_column"):
        return problems + _sparse_feature_problems(cfg, meta, schema, column, len(ids))
    if pa.types.is_fixed_size_list(typ):
        if typ.list_size != len(ids):
            problems.append(f"config {cfg.name!r}: feature column {column!r} has length {typ.list_size} "
                            f"but bench_config.json lists {len(ids)} feature_ids")
        return problems
    if not (pa.types.is_list(typ) or pa.types.is_large_list(typ)):
        return problems + [f"config {cfg.name!r}: feature column {column!r} must be a list of float32, got {typ}"]
    for split, files in cfg.splits.items():
        for f in files:
            lengths = pc.list_value_length(pq.read_table(f, columns=[column]).column(column))
            bad = {int(v) for v in pc.unique(lengths).to_pylist() if v is not None} - {len(ids)}
            if bad:
                problems.append(f"config {cfg.name!r} split {split!r}: feature column {column!r} has rows of "
                                f"length {sorted(bad)} but bench_config.json lists {len(ids)} feature_ids")
    return problems


def _sparse_feature_problems(cfg: ConfigFiles, meta: dict, schema, column: str, n_features: int) -> list[str]:
    """Sparse rows (single-cell): index and value lists of equal length, indices in [0, n_features)."""
    index = meta["feature_index_column"]
    if index not in schema.names:
        return [f"config {cfg.name!r}: feature index column {index!r} (bench_config.json "
                f"'feature_index_column') is not a parquet column; columns are {schema.names}"]
    problems = []
    for split, files in cfg.splits.items():
        for f in files:
            table = pq.read_table(f, columns=[index, column])
            if not pc.all(pc.equal(pc.list_value_length(table.column(index)),
                                   pc.list_value_length(table.column(column)))).as_py():
                problems.append(f"config {cfg.name!r} split {split!r}: rows where {index!r} and {column!r} "
                                f"have different lengths")
            flat = pc.list_flatten(table.column(index))
            if len(flat) and (pc.min(flat).as_py() < 0 or pc.max(flat).as_py() >= n_features):
                problems.append(f"config {cfg.name!r} split {split!r}: {index!r} holds indices outside "
                                f"[0, {n_features}) (bench_config.json lists {n_features} feature_ids)")
    return problems


def _meta_problems(cfg: ConfigFiles, repo: Path) -> tuple[list[str], dict | None]:
    path = repo / cfg.name / CONFIG_META
    if not path.is_file():
        return [f"config {cfg.name!r}: {cfg.name}/{CONFIG_META} is missing"], None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return [f"config {cfg.name!r}: {cfg.name}/{CONFIG_META} does not parse: {exc.msg} "
                f"at line {exc.lineno} column {exc.colno}"], None
    if not isinstance(meta, dict):
        return [f"config {cfg.name!r}: {cfg.name}/{CONFIG_META} must be a JSON object"], None
    problems = [f"config {cfg.name!r}: card field {key!r} is missing or empty in {cfg.name}/{CONFIG_META}"
                for key in REQUIRED_META_FIELDS if not meta.get(key)]
    if meta.get("config_name", cfg.name) != cfg.name:
        problems.append(f"config {cfg.name!r}: {cfg.name}/{CONFIG_META} says config_name "
                        f"{meta['config_name']!r}; the folder and README entry say {cfg.name!r}")
    return problems, meta


def _row_count_problems(cfg: ConfigFiles, repo: Path, meta: dict) -> list[str]:
    recorded = meta.get("splits")
    if not isinstance(recorded, dict):
        return []
    problems = []
    if set(recorded) != set(cfg.splits):
        problems.append(f"config {cfg.name!r}: README splits {sorted(cfg.splits)} differ from "
                        f"{CONFIG_META} splits {sorted(recorded)}")
    for split, files in cfg.splits.items():
        want = (recorded.get(split) or {}).get("num_rows")
        if want is None or not files:
            continue
        try:
            have = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        except (pa.ArrowException, OSError):  # unreadable files are reported by the schema check
            continue
        if have != want:
            problems.append(f"config {cfg.name!r} split {split!r}: parquet files hold {have} rows but "
                            f"{CONFIG_META} says {want}")
    return problems


def _integrity_problems(cfg: ConfigFiles, repo: Path, meta: dict) -> list[str]:
    """Every data file is recorded in ``bench_config.json`` ``data_files`` with its sha256, size and
    row count, and matches them; its schema is the recorded one."""
    records = meta.get(DATA_FILES_KEY)
    if not isinstance(records, dict) or not records:
        return [f"config {cfg.name!r}: {CONFIG_META} records no checksums ('{DATA_FILES_KEY}': sha256, size and "
                f"rows per data file); rebuild it with this bench version (bench build {cfg.name} --out ...)"]
    problems, seen = [], set()
    folder = repo / cfg.name
    for files in cfg.splits.values():
        for f in files:
            rel = f.relative_to(folder).as_posix() if f.is_relative_to(folder) else f.relative_to(repo).as_posix()
            seen.add(rel)
            record = records.get(rel)
            if not isinstance(record, dict):
                problems.append(f"config {cfg.name!r}: data file {f.relative_to(repo)} has no checksum in "
                                f"{CONFIG_META} '{DATA_FILES_KEY}' (not written by bench build?)")
                continue
            try:
                verify_data_file(f, record, config=cfg.name, cached=False)
            except BenchError as exc:
                problems.append(str(exc))
                continue
            pf = pq.ParquetFile(f)
            if pf.metadata.num_rows != record.get("num_rows"):
                problems.append(f"config {cfg.name!r}: data file {f.relative_to(repo)} holds {pf.metadata.num_rows} "
                                f"rows, {CONFIG_META} records {record.get('num_rows')}")
            problems += _recorded_schema_problems(cfg, f.relative_to(repo), meta,
                                                  datasets.Features.from_arrow_schema(pf.schema_arrow))
    problems += [f"config {cfg.name!r}: data file {cfg.name}/{rel} is recorded in {CONFIG_META} but missing"
                 for rel in sorted(set(records) - seen)]
    return problems


def _recorded_schema_problems(cfg: ConfigFiles, rel: Path, meta: dict, features) -> list[str]:
    recorded = meta.get("schema")
    if not isinstance(recorded, dict):
        return []
    have = {k: str(v) for k, v in features.items()}
    if list(have) != list(recorded):
        return [f"config {cfg.name!r}: data file {rel} has columns {list(have)}, {CONFIG_META} 'schema' "
                f"records {list(recorded)}"]
    return [f"config {cfg.name!r}: data file {rel} column {k!r} is {have[k]}, {CONFIG_META} records {v}"
            for k, v in recorded.items() if have[k] != v]


SIZE_CATEGORIES = ("n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M", "100M<n<1B",
                   "1B<n<10B", "10B<n<100B", "100B<n<1T", "n>1T")


def card_problems(text: str) -> list[str]:
    """The Hub metadata checks that run offline on a dataset card (README.md text).

    huggingface_hub's ``DatasetCard`` parses it; datasets' ``MetadataConfigs`` and ``DatasetInfosDict``
    read ``configs`` and ``dataset_info`` as ``load_dataset`` does; task and size categories must be
    Hub values; ``license: other`` needs ``license_name`` and ``license_link``.
    """
    try:
        card = DatasetCard(text)
        MetadataConfigs.from_dataset_card_data(card.data)
        infos = DatasetInfosDict.from_dataset_card_data(card.data)
    except Exception as exc:  # the parsers raise ValueError, TypeError, KeyError, yaml errors
        return [f"README.md: the Hub card metadata does not parse: {type(exc).__name__}: {exc}"]
    data = card.data.to_dict()
    problems = [f"README.md: task_categories {t!r} is not a Hub task category"
                for t in data.get("task_categories") or [] if t not in known_task_ids]
    problems += [f"README.md: size_categories {c!r} is not a Hub size category"
                 for c in data.get("size_categories") or [] if c not in SIZE_CATEGORIES]
    if data.get("license") == "other":
        problems += [f"README.md: license 'other' needs '{k}'" for k in ("license_name", "license_link")
                     if not data.get(k)]
    configs = {e.get("config_name") for e in data.get("configs") or [] if isinstance(e, dict)}
    problems += [f"README.md: dataset_info has config {name!r}, which configs: does not list"
                 for name in infos if name not in configs]
    return problems


def validate_repo(repo_dir: str | os.PathLike, *, configs: list[str] | None = None) -> list[str]:
    """Return every problem found in the built repository (``[]`` when it is valid).

    ``configs`` restricts the per-config checks to those names (the README is always checked).
    """
    repo = Path(repo_dir)
    if not repo.is_dir():
        return [f"{repo}: not a folder"]
    problems: list[str] = []
    resolved = resolve_configs(repo, problems, only=configs)
    try:
        header, _ = read_readme(repo)
    except BenchError:
        header = {}
    if resolved and not header.get("license"):
        problems.append("README.md: card field 'license' is missing from the YAML header")
    if configs is not None:
        listed = [c.name for c in resolve_configs(repo, [])]
        problems += [f"config {name!r} is not listed in README.md (listed: {sorted(listed)})"
                     for name in configs if name not in listed]
    for cfg in resolved:
        meta_problems, meta = _meta_problems(cfg, repo)
        problems += meta_problems
        schema_problems, schema = _schema_problems(cfg, repo)
        problems += schema_problems
        if meta is not None:
            problems += _feature_problems(cfg, repo, meta, schema)
            problems += _row_count_problems(cfg, repo, meta)
            problems += _new_findings(_integrity_problems(cfg, repo, meta), problems, cfg)
    if resolved and not problems:   # the Hub's card checks, once the files themselves are right
        problems += card_problems((repo / "README.md").read_text(encoding="utf-8"))
    return problems


def _new_findings(found: list[str], earlier: list[str], cfg: ConfigFiles) -> list[str]:
    """``found`` without those about a file (or a split's missing files) an earlier problem already names."""
    named = " ".join(earlier)
    out = []
    for problem in found:
        files = re.findall(rf"{re.escape(cfg.name)}/([\w.-]+\.parquet)", problem)
        if any(f"{cfg.name}/{f}" in named for f in files):
            continue
        if any(f"split {f.split('-')[0]!r}: data_files path" in named for f in files):
            continue
        out.append(problem)
    return out


def check_repo(repo_dir: str | os.PathLike, *, configs: list[str] | None = None) -> list[ConfigFiles]:
    """Raise :class:`BenchError` listing every problem; return the resolved configs when valid."""
    problems = validate_repo(repo_dir, configs=configs)
    if problems:
        raise BenchError(f"{repo_dir} is not a valid built repository ({len(problems)} problem(s)):\n  - "
                         + "\n  - ".join(problems))
    return resolve_configs(repo_dir, only=configs)
