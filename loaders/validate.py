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
from dataclasses import dataclass, field
from pathlib import Path

from bench.errors import BenchError
from bench.loaders.repo import CONFIG_META, check_config_name, check_split_name, read_readme

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
    import pyarrow as pa
    import pyarrow.parquet as pq

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
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

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
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

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
    import pyarrow as pa
    import pyarrow.parquet as pq

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
    return problems


def check_repo(repo_dir: str | os.PathLike, *, configs: list[str] | None = None) -> list[ConfigFiles]:
    """Raise :class:`BenchError` listing every problem; return the resolved configs when valid."""
    problems = validate_repo(repo_dir, configs=configs)
    if problems:
        raise BenchError(f"{repo_dir} is not a valid built repository ({len(problems)} problem(s)):\n  - "
                         + "\n  - ".join(problems))
    return resolve_configs(repo_dir, only=configs)
