"""GEOmeta (GEOMeta100K) label tables as Hugging Face configs, optionally joined to ARCHS4 expression.

Upstream layout (``data_dir`` is a folder holding it, e.g. a checkout of Bin-Chen-Lab/GEO_GPT)::

    <data_dir>/benchmark/data/GEOMeta100K/GEO_{HUMAN,MOUSE}_100K_{training,test}.csv

Columns are addressed by name (their order differs between files); the unquoted ``NA`` is the
only missing-value marker and stays missing (``None``); whitespace runs in labels (including
non-breaking spaces) are normalised to one space and reported; duplicate GSMs keep their first
row and are reported. A split whose CSV is absent is left out with a warning (the training CSVs
are not in every copy), never invented.

Configs: ``geometa_<species>`` holds every label column; ``geometa_<species>_<target>`` keeps
only rows whose target is present. Without an expression file a config holds labels only;
with one (an ARCHS4 HDF5 path, or ``"synthetic"``) each row gains ``expression``: log1p(CPM)
float32 values over the file's genes, read column-chunk-wise (see :mod:`bench.loaders.geometa.archs4`).
"""
from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pandas as pd
from datasets.utils.py_utils import convert_file_size_to_int

from bench.commands import seed_type
from bench.errors import BenchError, close_matches_hint
from bench.loaders.geometa import archs4
from bench.loaders.repo import class_codes, write_configs
from bench.tasks import TaskSpec
from bench.tasks.families import BuiltConfig, Source
from bench.loaders.geometa.source import GeometaWarning, csv_paths, resolve_data_dir, species_params

SPLITS = ("train", "test")
MISSING_MARKER = "NA"
EXPRESSION_COLUMN = "expression"
LOADER_VERSION = 2   # 2: target columns (Gender, Organ, Disease, Age) as ClassLabel (were strings)


# --------------------------------------------------------------------------------------- paths


def target_column(spec: TaskSpec, target: str | None = None) -> str | None:
    """Column predicted by ``target`` (default: the spec's own target; None for species configs)."""
    targets = species_params(spec)["targets"]
    target = target if target is not None else spec.params.get("target")
    if target is None:
        return None
    if target not in targets:
        raise BenchError(f"unknown target {target!r} for {spec.name}; expected one of "
                         f"{', '.join(targets)}.{close_matches_hint(target, targets)}")
    return targets[target]


# ------------------------------------------------------------------------------------- reading
def normalise_whitespace(value: str) -> str:
    """Collapse every run of whitespace (incl. non-breaking spaces) to one space and strip.

    >>> normalise_whitespace("Breast\\u00a0Neoplasms "), normalise_whitespace("a  b")
    ('Breast Neoplasms', 'a b')
    """
    return " ".join(value.split())


def _normalise_column(values: pd.Series) -> tuple[pd.Series, dict]:
    present = values.dropna()
    changed = sorted({v for v in present.unique() if normalise_whitespace(v) != v})
    if not changed:
        return values, {}
    mapping = {v: normalise_whitespace(v) for v in changed}
    raw_classes = int(present.nunique())
    out = values.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v)
    info = {
        "labels_changed": {repr(k): v for k, v in mapping.items()},
        "rows_changed": int(present.isin(changed).sum()),
        "classes_raw": raw_classes,
        "classes_normalised": int(out.dropna().nunique()),
    }
    return out, info


def read_label_csv(path: str | os.PathLike, *, columns: list[str], what: str = "GEOmeta label CSV",
                   ) -> tuple[pd.DataFrame, dict]:
    """Read one GEOMeta100K CSV: columns by name, ``NA`` -> missing, whitespace normalised.

    Returns the table (``columns`` first in the given order, any extra columns after them, one
    row per GSM, first occurrence kept) and a report of what was normalised or dropped.
    """
    path = Path(path)
    if not path.is_file():
        raise BenchError(f"{what} not found: {path}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[MISSING_MARKER],
                            encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise BenchError(f"{path}: not a readable {what}: {exc}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BenchError(f"{path}: missing column(s) {missing}; a {what} needs {columns} "
                         f"(found {list(frame.columns)})")
    frame = frame[columns + [c for c in frame.columns if c not in columns]]
    frame = frame.astype(object).where(frame.notna(), None)
    bad_ids = frame["GSM_ID"].isna()
    if bad_ids.any():
        raise BenchError(f"{path}: field GSM_ID is missing (NA) on data row(s) "
                         f"{[int(i) + 2 for i in np.flatnonzero(bad_ids)[:5]]} (file line numbers)")
    report: dict[str, Any] = {"file": str(path), "rows_read": int(len(frame)), "whitespace": {}}
    for col in frame.columns:
        frame[col], info = _normalise_column(frame[col])
        if info:
            report["whitespace"][col] = info
    dup = frame["GSM_ID"].duplicated(keep="first")
    report["duplicate_gsms"] = sorted(frame.loc[dup, "GSM_ID"].unique().tolist())
    if dup.any():
        warnings.warn(f"{path}: {int(dup.sum())} duplicate GSM_ID row(s) dropped (first kept): "
                      f"{_preview(report['duplicate_gsms'])}", GeometaWarning, stacklevel=2)
        frame = frame.loc[~dup]
    frame = frame.reset_index(drop=True)
    report["rows"] = int(len(frame))
    report["gse"] = int(frame["GSE_ID"].nunique())
    return frame, report


def _preview(items: list, n: int = 10) -> str:
    items = list(items)
    more = f" ... (+{len(items) - n} more)" if len(items) > n else ""
    return ", ".join(map(str, items[:n])) + more


def load_label_tables(spec: TaskSpec, *, data_dir: str | os.PathLike | None = None,
                      ) -> tuple[dict[str, pd.DataFrame], dict]:
    """Read the spec's train/test CSVs that exist. Returns ``({split: table}, report)``.

    A missing split CSV is reported (and warned about), not an error, as long as one exists.
    The report also gives train/test GSE and GSM overlap (the split is whatever the CSVs say).
    """
    params = species_params(spec)
    paths = csv_paths(spec, data_dir)
    tables, report = {}, {"splits": {}, "missing_splits": {}}
    for split in SPLITS:
        path = paths[split]
        if not path.is_file():
            report["missing_splits"][split] = str(path)
            continue
        tables[split], report["splits"][split] = read_label_csv(
            path, columns=list(params["columns"]), what=f"GEOmeta {params['species']} {split} CSV")
    if not tables:
        raise BenchError(f"no GEOmeta {params['species']} label CSV found: looked for "
                         f"{', '.join(str(p) for p in paths.values())}")
    if report["missing_splits"]:
        warnings.warn(f"GEOmeta {params['species']}: split(s) {sorted(report['missing_splits'])} not built, "
                      f"their CSV is absent ({_preview(report['missing_splits'].values())}); "
                      f"built {sorted(tables)} only", GeometaWarning, stacklevel=2)
    if set(SPLITS) <= set(tables):
        train, test = tables["train"], tables["test"]
        report["overlap"] = {
            "gse": sorted(set(train["GSE_ID"]) & set(test["GSE_ID"])),
            "gsm": sorted(set(train["GSM_ID"]) & set(test["GSM_ID"])),
        }
    else:
        report["overlap"] = None
    return tables, report


def target_view(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows whose ``column`` is present (the per-target configs drop NA targets)."""
    if column not in table.columns:
        raise BenchError(f"target column {column!r} is not in the label table (columns: {list(table.columns)})")
    return table.loc[table[column].notna()].reset_index(drop=True)


def report_lines(report: dict) -> list[str]:
    """Human-readable notes for a load report (what was normalised, dropped, missing, shared)."""
    lines = []
    for split, path in report.get("missing_splits", {}).items():
        lines.append(f"split {split!r} not built: {path} is absent")
    for split, rep in report.get("splits", {}).items():
        for col, info in rep.get("whitespace", {}).items():
            lines.append(f"{split}: {col}: {len(info['labels_changed'])} label(s) with irregular whitespace "
                         f"(e.g. non-breaking spaces) normalised in {info['rows_changed']} row(s); "
                         f"{info['classes_raw']} raw classes -> {info['classes_normalised']}")
        if rep.get("duplicate_gsms"):
            lines.append(f"{split}: duplicate GSM_ID(s) dropped, first row kept: {_preview(rep['duplicate_gsms'])}")
    overlap = report.get("overlap")
    if overlap is not None:
        lines.append(f"train/test overlap: {len(overlap['gse'])} GSE, {len(overlap['gsm'])} GSM"
                     + (f" (GSE: {_preview(overlap['gse'])})" if overlap["gse"] else ""))
    for split, gsms in report.get("missing_in_expression", {}).items():
        if gsms:
            lines.append(f"{split}: {len(gsms)} GSM(s) not in the expression file, left out: {_preview(gsms)}")
    return lines


# ------------------------------------------------------------------------------------ building
def label_features(columns: list[str], classes: dict[str, list[str]] | None = None):
    """Strings, except the columns of ``classes`` ({column: names}): ClassLabel."""
    classes = classes or {}
    return datasets.Features({c: datasets.ClassLabel(names=classes[c]) if classes.get(c) else datasets.Value("string")
                              for c in columns})


def target_classes(spec: TaskSpec, tables: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """ClassLabel names of every target column: ``params.classes`` where the spec fixes the vocabulary,
    else the sorted values found in ``tables`` (every split, so all configs of a species agree)."""
    declared = spec.params.get("classes") or {}
    out = {}
    for column in species_params(spec)["targets"].values():
        seen = sorted({str(v) for t in tables.values() if column in t.columns for v in t[column].dropna()})
        names = [str(v) for v in declared[column]] if column in declared else seen
        if names:
            out[column] = names
    return out


def encode_targets(table: pd.DataFrame, classes: dict[str, list[str]], *, where: str) -> pd.DataFrame:
    """``table`` with its target columns as ClassLabel codes (nullable Int64; missing stays missing)."""
    out = table.copy()
    for column, names in classes.items():
        if column in out.columns:
            out[column] = class_codes(out[column], names, where=f"{where}: column {column!r}")
    return out


def build_config(spec: TaskSpec, *, data_dir: str | os.PathLike | None = None,
                 expression: str | os.PathLike | None = None, repo_dir: str | os.PathLike | None = None,
                 genes: list[str] | None = None, synthetic_genes: int = 2000, seed: int = 0,
                 cache_dir: str | os.PathLike | None = None, progress: bool = True,
                 max_shard_bytes: int = archs4.DEFAULT_MAX_SHARD_BYTES,
                 max_chunk_bytes: int = archs4.DEFAULT_MAX_CHUNK_BYTES):
    """Build the config of ``spec`` as a ``DatasetDict`` (one split per CSV found) and its metadata.

    Parameters
    ----------
    expression
        None: labels only. A path: an ARCHS4-format HDF5 file (``data/expression`` genes x samples).
        ``"synthetic"``: a seeded synthetic ARCHS4-format file for these GSMs (``synthetic_genes``
        genes, label-dependent signal), written to the cache; the config is then marked synthetic.
    repo_dir
        If given, the config is also written there with :func:`bench.loaders.repo.write_config`.
    genes
        Restrict the expression vector to these gene symbols or Ensembl ids (default: all genes).
    max_shard_bytes, max_chunk_bytes
        Expression splits larger than ``max_shard_bytes`` are written as several parquet shards; a
        sample chunk reads at most ``max_chunk_bytes`` (about the peak memory of one task).

    The expression join and the parquet shards run as tasks of the active scheduler
    (``with bench.scheduler.scheduler("local:2"): ...``; ``bench build --scheduler``): the files
    are the same, byte for byte, wherever they ran.
    """
    species_params(spec)
    all_tables, report = load_label_tables(spec, data_dir=data_dir)
    column = target_column(spec)
    tables = all_tables if column is None else {s: target_view(t, column) for s, t in all_tables.items()}
    meta = _base_meta(spec, column)
    classes = target_classes(spec, all_tables)
    meta["class_names"] = classes
    tables = {s: encode_targets(t, classes, where=f"{spec.name} {s} (params.classes)") for s, t in tables.items()}
    if expression is None:
        splits = {s: datasets.Dataset.from_pandas(t, features=label_features(list(t.columns), classes),
                                                  preserve_index=False)
                  for s, t in tables.items()}
        meta["notes_labels_only"] = ("labels only: no expression file was given, so rows carry the label "
                                     "columns and no expression vector")
    else:
        # synthetic expression is made for every labelled GSM, so all views of a species agree
        h5_path, synthetic = _expression_file(spec, expression, all_tables, seed=seed, n_genes=synthetic_genes,
                                              cache_dir=cache_dir, progress=progress)
        splits, join = archs4.join_expression(tables, h5_path, genes=genes, column=EXPRESSION_COLUMN,
                                              label_features=label_features(list(next(iter(tables.values())).columns),
                                                                            classes),
                                              cache_dir=cache_dir, progress=progress, max_shard_bytes=max_shard_bytes,
                                              max_chunk_bytes=max_chunk_bytes)
        report["missing_in_expression"] = join.pop("missing")
        meta.update(join)
        meta.update({"synthetic": synthetic, "feature_column": EXPRESSION_COLUMN})
    meta["load_report"] = report
    meta["notes"] = report_lines(report) + ([meta.pop("notes_labels_only")] if "notes_labels_only" in meta else [])
    dsd = datasets.DatasetDict(splits)
    if repo_dir is not None:
        write_configs(repo_dir, [built_config(spec, dsd, meta, data_dir=data_dir)])
    return dsd, meta


def built_config(spec: TaskSpec, dsd, meta: dict, *, data_dir=None) -> BuiltConfig:
    """What the repository stores for a built ``dsd``: expression splits streamed from their Arrow
    files (bounded memory), labels-only ones as they are; local folders cut from the metadata."""
    splits = dict(dsd) if meta.get("feature_column") is None else archs4.streamed_splits(dsd)
    local = [resolve_data_dir(data_dir)] + ([Path(meta["expression_file"]).parent] if meta.get("expression_file")
                                            else [])
    return BuiltConfig(spec.name, splits, _without_local_dirs(meta, local))


def build(spec: TaskSpec, source: Source, *, expression=None, expression_seed: int = 0,
          max_shard_size: int = archs4.DEFAULT_MAX_SHARD_BYTES) -> list[BuiltConfig]:
    """The family contract: the labels-only config of ``spec``; with ``expression`` (an ARCHS4 .h5 file or
    ``"synthetic"``: ``bench build TASK --expression``) its rows also carry the expression vector."""
    if expression is None:
        dsd, meta = build_config(spec, data_dir=source.root)
        warnings.warn(f"{spec.name}: labels only, no expression column (for ARCHS4 expression run "
                      f"`bench build {spec.name} --expression FILE|synthetic`)", GeometaWarning, stacklevel=2)
        return [built_config(spec, dsd, meta, data_dir=source.root)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # everything warned about is in meta["notes"] (see summary_lines)
        dsd, meta = build_config(spec, data_dir=source.root, expression=expression, seed=expression_seed,
                                 max_shard_bytes=max_shard_size)
    return [built_config(spec, dsd, meta, data_dir=source.root)]


def add_arguments(parser) -> None:
    """GEOmeta's options of ``bench build`` (the family hook; each reaches :func:`build` by its dest)."""
    g = parser.add_argument_group("GEOmeta")
    g.add_argument("--expression", default=None, metavar="FILE|synthetic",
                   help="add ARCHS4 expression to geometa configs: an ARCHS4 .h5 file or 'synthetic' (default: labels only)")
    g.add_argument("--expression-seed", type=seed_type, default=0, help="seed of the synthetic expression (default 0)")
    g.add_argument("--max-shard-size", type=shard_size_type, default=archs4.DEFAULT_MAX_SHARD_BYTES, metavar="SIZE",
                   help="largest parquet shard of an expression split, as datasets' max_shard_size: bytes or "
                        "'500MB', '2GB' (default 500MB); each shard is one task under --scheduler")


def shard_size_type(text: str) -> int:
    """``--max-shard-size``: bytes as an integer or with a unit ('500MB', '2GB'), as datasets reads it."""
    try:
        size = int(text) if text.strip().isdigit() else convert_file_size_to_int(text.strip())
    except ValueError:
        size = None
    if not isinstance(size, int) or size < 1:
        raise argparse.ArgumentTypeError(f"expected a size in bytes such as 500MB or 2GB, got {text!r}")
    return size


def contents_line(rows: dict[str, int], meta: dict) -> str:
    """One line on a built config: rows per split and what a row holds (labels, or how many genes)."""
    sizes = ", ".join(f"{split}={n}" for split, n in rows.items())
    if meta["feature_column"] is None:
        return f"{sizes}; labels only"
    return f"{sizes}; {meta['n_features']} genes ({'SYNTHETIC' if meta['synthetic'] else 'ARCHS4'} expression)"


def summary_lines(meta: dict) -> list[str]:
    """What ``bench build`` prints under a written config (the family hook): its :func:`contents_line`; for
    an expression build also its notes (a labels-only build's repairs were printed as warnings)."""
    line = contents_line({split: r["num_rows"] for split, r in meta["splits"].items()}, meta)
    return [line] + ([f"- {note}" for note in meta["notes"]] if meta["feature_column"] is not None else [])


def card_notes(meta: dict) -> tuple[list[str], str]:
    """The dataset card's lines above a config's description, and the description (the family hook):
    a labels-only config says so, and that its description's expression is not in it."""
    description = str(meta.get("description", "")).strip()
    if meta.get("feature_ids") is not None:
        return [], description
    return (["> **Labels only**: this config holds the GEO metadata labels, no expression column "
             "(join ARCHS4 expression with `bench build geometa --expression FILE`).", ""],
            description.replace("from expression", "(from expression, which this config does not hold)"))


def _without_local_dirs(obj, dirs: list[Path]):
    """``obj`` with the builder's folders cut from every path in it (the published bench_config.json
    keeps ``benchmark/data/GEOMeta100K/GEO_HUMAN_100K_test.csv``, not ``/home/me/GEO_GPT/...``)."""
    if isinstance(obj, dict):
        return {k: _without_local_dirs(v, dirs) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_without_local_dirs(v, dirs) for v in obj]
    if isinstance(obj, str):
        for d in dirs:
            for form in {str(d), str(Path(d).resolve())}:
                obj = obj.replace(form.rstrip(os.sep) + os.sep, "")
    return obj


def _base_meta(spec: TaskSpec, column: str | None) -> dict:
    return {
        "task": spec.name, "family": spec.family, "task_version": spec.version,
        "spec_sha256": spec.spec_hash, "description": spec.description, "source": spec.source,
        "license": spec.license, "license_id": spec.params.get("license_id", "other"),
        "citation": spec.citation, "species": spec.params["species"], "target": spec.params.get("target"),
        "target_column": column, "synthetic": False, "labels_synthetic": False, "loader_version": LOADER_VERSION,
        "missing_marker": MISSING_MARKER, "feature_column": None, "feature_ids": None,
    }


def _expression_file(spec: TaskSpec, expression, tables: dict[str, pd.DataFrame], *, seed: int, n_genes: int,
                     cache_dir, progress: bool) -> tuple[Path, bool]:
    if str(expression) != "synthetic":
        return Path(expression), False
    labels = pd.concat(list(tables.values()), ignore_index=True).drop_duplicates("GSM_ID")
    path = archs4.cached_synthetic_archs4(labels, species=spec.params["species"],
                                         targets=list(spec.params["targets"].values()), seed=seed, n_genes=n_genes,
                                         cache_dir=cache_dir, progress=progress)
    return path, True
