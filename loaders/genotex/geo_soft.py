"""Streaming parsers for GenoTEX raw inputs (spec §2.1, §5): GEO series matrices, GEO family
SOFT files and UCSC Xena TCGA files, into gene × sample and clinical tables.

* :func:`read_series_matrix` — ``<GSE>[-GPLxxx]_series_matrix.txt.gz``: ``!Series_*`` and
  ``!Sample_*`` header rows, the characteristics rows, and the expression table between
  ``!series_matrix_table_begin``/``_end``, parsed in chunks of lines by pandas' C parser into a
  float32 probes × samples frame (missing values: ``null``, ``NA``, empty).
* :func:`read_family_soft` — ``<GSE>_family.soft.gz``: every ``^PLATFORM`` annotation table
  (probe → symbol text) and every ``^SAMPLE``'s characteristics; sample data tables are skipped.
* :func:`extract_symbols`, :func:`probe_to_gene` (1/k split, then sum), :func:`normalize_symbols`
  (upper-case, ``gene_synonym.json``, duplicates averaged).
* :func:`read_xena_cohort` — ``TCGA.<CODE>.sampleMap_<CODE>_clinicalMatrix`` and
  ``TCGA.<CODE>.sampleMap_HiSeqV2_PANCAN.gz``; cohort id ``TCGA`` (code) or ``Xena`` (README).

Files are chosen deterministically (sorted names), never by ``os.listdir`` order.
"""
from __future__ import annotations

import csv
import gzip
import io
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from bench.errors import BenchError

TCGA_COHORT_IDS = ("TCGA", "Xena")
SYMBOL_COLUMNS = ("Gene Symbol", "GENE_SYMBOL", "Symbol", "SYMBOL", "gene_symbol", "ILMN_Gene",
                  "Gene symbol", "gene_assignment", "GENE_ASSIGNMENT")
NA_VALUES = ["null", "NULL", "NA", "NaN", "nan", ""]
_MATRIX_RE = re.compile(r"^(GSE\d+)(?:-(GPL\d+))?_series_matrix\.txt(?:\.gz)?$")
_SYMBOL_RE = re.compile(r"(?<![A-Za-z0-9_-])(?:C\d+orf\d+|[A-Z][A-Z0-9-]{1,9})(?![A-Za-z0-9_-])")
_EXCLUDED_SYMBOL_RE = re.compile(r"^(?:LOC\d+|LINC\d+)$")
_EXCLUDED_WORDS = {"DNA", "RNA", "PCR", "EST", "CHR"}


def _open_text_lines(path: Path) -> Iterator[bytes]:
    """Lines (bytes, newline stripped) of a gzip or plain file; I/O errors become BenchError."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            for line in fh:
                yield line.rstrip(b"\r\n")
    except FileNotFoundError:
        raise BenchError(f"file not found: {path}") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise BenchError(f"{path}: not a readable gzip/text file ({exc})") from None


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value

# ------------------------------------------------------------------------------------------
# series matrix


@dataclass
class SeriesMatrix:
    """One parsed series matrix: header rows, characteristics and the expression table."""

    path: Path
    header: dict[str, list[list[str]]]
    sample_ids: list[str]
    characteristics: pd.DataFrame  # one row per !Sample_characteristics_ch1 line, columns = samples
    expression: pd.DataFrame  # probes x samples, float32, index name "ID"
    platform: str | None = None

    @property
    def background(self) -> dict[str, str]:
        """``!Series_title``, ``!Series_summary`` and ``!Series_overall_design`` text."""
        keys = ("!Series_title", "!Series_summary", "!Series_overall_design")
        return {k[8:]: " ".join(" ".join(v) for v in self.header.get(k, [])) for k in keys}


def _open_binary(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        return opener(path, "rb")
    except FileNotFoundError:
        raise BenchError(f"file not found: {path}") from None


def _read_table(fh, path: Path, n_cols: int, first_line: int, chunk_lines: int):
    """Parse the expression table from ``fh`` (positioned after the ``ID_REF`` header) in chunks
    with pandas' C parser; returns (probe IDs, float32 values, end marker seen)."""
    dtypes = {0: str, **{i: np.float32 for i in range(1, n_cols)}}
    ids, blocks, ended = [], [], False
    row = first_line
    reader = pd.read_csv(fh, sep="\t", header=None, dtype=dtypes, na_values=NA_VALUES, keep_default_na=False,
                         engine="c", chunksize=chunk_lines, names=range(n_cols), quotechar='"',
                         skip_blank_lines=True)
    while not ended:
        chunk = _next_table_chunk(reader, path, row, n_cols)
        if chunk is None:
            break
        chunk_ids = chunk.iloc[:, 0].astype(str)
        marker = chunk_ids.str.startswith("!").to_numpy(dtype=bool, copy=True)  # written below: own copy
        if marker.any():
            end_at = np.flatnonzero(chunk_ids.to_numpy() == "!series_matrix_table_end")
            if end_at.size:
                ended = True
                marker[end_at[0]:] = True  # nothing after the end marker belongs to the table
        if marker.any():
            chunk, chunk_ids = chunk.iloc[~marker], chunk_ids[~marker]
        ids += chunk_ids.tolist()
        blocks.append(chunk.iloc[:, 1:].to_numpy(dtype=np.float32))
        row += len(marker)
    values = np.concatenate(blocks) if blocks else np.zeros((0, n_cols - 1), dtype=np.float32)
    return ids, values, ended


def _next_table_chunk(reader, path: Path, row: int, n_cols: int) -> pd.DataFrame | None:
    """The next parsed chunk of the expression table, or None at end of file. Only parse errors
    (a non-numeric value, a ragged row) and I/O errors become a BenchError about the file."""
    try:
        return next(reader)
    except StopIteration:
        return None
    except (ValueError, pd.errors.ParserError) as exc:  # the C parser's "could not convert ..." is a ValueError
        raise BenchError(f"{path}: expression table rows from line {row}: expected a probe ID and "
                         f"{n_cols - 1} numeric values per row ({exc})") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise BenchError(f"{path}: not a readable gzip/text file ({exc})") from None


def read_series_matrix(path: str | os.PathLike, *, chunk_lines: int = 20000) -> SeriesMatrix:
    """Parse a (gzip) GEO series matrix in one streaming pass.

    Header lines are read one by one; the expression table is handed, from the same open
    stream, to pandas' C parser in chunks of ``chunk_lines`` rows (float32), stopping at
    ``!series_matrix_table_end``; ``!`` lines inside the table are skipped as upstream.
    """
    path = Path(path)
    header: dict[str, list[list[str]]] = {}
    columns, line_no = None, 0
    with _open_binary(path) as fh:
        try:
            for raw in iter(fh.readline, b""):
                line_no += 1
                raw = raw.rstrip(b"\r\n")
                if raw.startswith(b"!series_matrix_table_begin"):
                    columns = [_unquote(p) for p in fh.readline().decode("utf-8", errors="replace")
                               .rstrip("\r\n").split("\t")]
                    line_no += 1
                    break
                if raw.startswith(b"!"):
                    parts = raw.decode("utf-8", errors="replace").split("\t")
                    header.setdefault(parts[0], []).append([_unquote(p) for p in parts[1:]])
        except (OSError, EOFError, zlib.error) as exc:
            raise BenchError(f"{path}: not a readable gzip/text file ({exc})") from None
        if columns is None or not columns[0]:
            raise BenchError(f"{path}: no expression table: the line '!series_matrix_table_begin' "
                             "followed by an 'ID_REF' header is missing")
        if columns[0] not in ("ID_REF", "ID"):
            raise BenchError(f"{path}: line {line_no}: expected the table header 'ID_REF<TAB>GSM...', "
                             f"got {columns[:3]}")
        ids, values, ended = _read_table(fh, path, len(columns), line_no + 1, chunk_lines)
    if not ended:
        raise BenchError(f"{path}: truncated: '!series_matrix_table_end' not found after "
                         f"{len(ids)} table rows")
    expression = pd.DataFrame(values, index=pd.Index(ids, name="ID"), columns=columns[1:])
    sample_ids = (header.get("!Sample_geo_accession") or [columns[1:]])[0]
    if list(sample_ids) != columns[1:]:
        raise BenchError(f"{path}: field !Sample_geo_accession lists {len(sample_ids)} samples that differ "
                         f"from the table header ({len(columns) - 1} columns)")
    chars = header.get("!Sample_characteristics_ch1", [])
    characteristics = pd.DataFrame([row + [""] * (len(sample_ids) - len(row)) for row in chars],
                                   columns=sample_ids, dtype=object) if chars else \
        pd.DataFrame(columns=sample_ids, dtype=object)
    return SeriesMatrix(path=path, header=header, sample_ids=list(sample_ids), characteristics=characteristics,
                        expression=expression, platform=_matrix_platform(path, header))


def _matrix_platform(path: Path, header: dict) -> str | None:
    m = _MATRIX_RE.match(path.name)
    if m and m.group(2):
        return m.group(2)
    for key in ("!Series_platform_id", "!Sample_platform_id"):
        if header.get(key) and header[key][0]:
            return header[key][0][0]
    return None

# ------------------------------------------------------------------------------------------
# family SOFT


@dataclass
class FamilySoft:
    """Platform annotation tables and sample characteristics of a family SOFT file."""

    path: Path
    platforms: dict[str, pd.DataFrame] = field(default_factory=dict)
    samples: dict[str, dict] = field(default_factory=dict)


def read_family_soft(path: str | os.PathLike) -> FamilySoft:
    """Parse ``^PLATFORM`` annotation tables and ``^SAMPLE`` characteristics (streaming)."""
    path = Path(path)
    out = FamilySoft(path=path)
    entity, name, table = None, None, None
    for line_no, raw in enumerate(_open_text_lines(path), start=1):
        if table is not None:
            if raw.startswith(b"!platform_table_end"):
                out.platforms[name] = _annotation_frame(table, path, name)
                table = None
            else:
                table.append(raw)
            continue
        if raw.startswith(b"^"):
            key, _, value = raw.decode("utf-8", errors="replace").partition("=")
            entity, name = key[1:].strip().upper(), value.strip()
            if entity == "SAMPLE":
                out.samples[name] = {"characteristics": [], "platform": None, "title": None}
        elif raw.startswith(b"!platform_table_begin") and entity == "PLATFORM":
            table = []
        elif entity == "SAMPLE" and raw.startswith(b"!Sample_"):
            key, _, value = raw.decode("utf-8", errors="replace").partition("=")
            key, value = key.strip(), value.strip()
            rec = out.samples[name]
            if key.startswith("!Sample_characteristics_ch1"):
                rec["characteristics"].append(value)
            elif key == "!Sample_platform_id":
                rec["platform"] = value
            elif key == "!Sample_title":
                rec["title"] = value
    if table is not None:
        raise BenchError(f"{path}: truncated: '!platform_table_end' missing for platform {name}")
    return out


def _annotation_frame(lines: list[bytes], path: Path, platform: str) -> pd.DataFrame:
    if not lines:
        return pd.DataFrame(columns=["ID"])
    try:
        df = pd.read_csv(io.BytesIO(b"\n".join(lines)), sep="\t", dtype=str, quoting=csv.QUOTE_NONE,
                         keep_default_na=False, na_values=[""])
    except (ValueError, pd.errors.ParserError) as exc:
        raise BenchError(f"{path}: platform {platform} annotation table unreadable: {exc}") from None
    if "ID" not in df.columns:
        raise BenchError(f"{path}: platform {platform} annotation table has no 'ID' column "
                         f"(columns {list(df.columns)[:6]})")
    return df


def choose_symbol_column(annotation: pd.DataFrame, *, preferred: str | None = None, where: str = "") -> str:
    """The annotation column holding gene symbols: ``preferred`` or the first known candidate."""
    if preferred is not None:
        if preferred not in annotation.columns:
            raise BenchError(f"{where}: no probe annotation column {preferred!r} (columns "
                             f"{list(annotation.columns)})")
        return preferred
    for col in SYMBOL_COLUMNS:
        if col in annotation.columns:
            return col
    raise BenchError(f"{where}: no probe annotation: none of the gene-symbol columns "
                     f"{list(SYMBOL_COLUMNS)} is present (columns {list(annotation.columns)}); "
                     "pass symbol_column=")


def extract_symbols(text: str) -> list[str]:
    """Gene-symbol-like tokens of an annotation cell (spec §5.3), deduplicated in order.

    >>> extract_symbols("NM_001 // DDR1 // discoidin domain receptor /// MIR4640 // LOC100 // C6orf15")
    ['DDR1', 'MIR4640', 'C6orf15']
    """
    if not isinstance(text, str):
        return []
    found = []
    for tok in _SYMBOL_RE.findall(text):
        if tok in _EXCLUDED_WORDS or _EXCLUDED_SYMBOL_RE.match(tok):
            continue
        found.append(tok)
    return list(dict.fromkeys(found))


def probe_mapping(annotation: pd.DataFrame, symbol_column: str) -> pd.DataFrame:
    """(ID, Gene) rows: one per extracted symbol; probes without a symbol are dropped."""
    rows = []
    for pid, text in zip(annotation["ID"].astype(str), annotation[symbol_column]):
        for sym in extract_symbols(text):
            rows.append((pid, sym))
    return pd.DataFrame(rows, columns=["ID", "Gene"])


def probe_to_gene(expression: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """Genes × samples: a probe mapping to k genes gives 1/k of its value to each, summed per gene.

    A gene whose contributions are all missing stays NaN (``min_count=1``).
    """
    expression = expression[~expression.index.duplicated(keep="first")]
    mapping = mapping[mapping["ID"].isin(expression.index)]
    k = mapping.groupby("ID")["Gene"].transform("size").to_numpy(dtype=np.float64)
    values = expression.loc[mapping["ID"].to_numpy()].to_numpy(dtype=np.float64) / k[:, None]
    frame = pd.DataFrame(values, columns=expression.columns)
    frame["Gene"] = mapping["Gene"].to_numpy()
    out = frame.groupby("Gene", sort=True).sum(min_count=1)
    out.index.name = "Gene"
    return out


def synonyms_from_gene_info(path: str | os.PathLike, *, tax_id: str = "9606") -> dict[str, str]:
    """Build the ``gene_synonym.json`` map from NCBI ``gene_info[.gz]`` (spec §2.4).

    For every gene of ``tax_id``, its official symbol and each ``|``-separated synonym,
    upper-cased, map to the official symbol. An alias that already maps to itself (an official
    symbol) is never overwritten; otherwise the last gene in file order wins, as upstream.
    """
    path = Path(path)
    out: dict[str, str] = {}
    columns = None
    for line_no, raw in enumerate(_open_text_lines(path), start=1):
        parts = raw.decode("utf-8", errors="replace").split("\t")
        if columns is None:
            columns = [c.lstrip("#") for c in parts]
            missing = [c for c in ("tax_id", "Symbol", "Synonyms") if c not in columns]
            if missing:
                raise BenchError(f"{path}: line 1: NCBI gene_info header lacks column(s) {missing}")
            i_tax, i_sym, i_syn = (columns.index(c) for c in ("tax_id", "Symbol", "Synonyms"))
            continue
        if len(parts) != len(columns):
            raise BenchError(f"{path}: line {line_no}: expected {len(columns)} tab-separated fields, got {len(parts)}")
        if parts[i_tax] != tax_id:
            continue
        symbol = parts[i_sym]
        names = [symbol] + ([a for a in parts[i_syn].split("|") if a and a != "-"])
        for name in names:
            key = name.upper()
            if out.get(key) == key and key != symbol.upper():
                continue  # an official symbol keeps mapping to itself
            out[key] = symbol
    return out


def normalize_symbols(frame: pd.DataFrame, synonyms: dict[str, str]) -> pd.DataFrame:
    """Upper-case the gene index, map it through ``synonyms``, drop unmapped genes, average
    rows that now share a symbol (result sorted by symbol)."""
    upper = frame.index.astype(str).str.upper()
    mapped = pd.Series(upper, index=range(len(upper))).map(synonyms)
    keep = mapped.notna().to_numpy()
    out = frame.iloc[keep].copy()
    out.index = pd.Index(mapped[keep].to_numpy(), name=frame.index.name or "Gene")
    return out.groupby(level=0, sort=True).mean()

# ------------------------------------------------------------------------------------------
# a GEO cohort folder


def files_named(folder: str | os.PathLike, *words: str, kind: str) -> list[list[Path]]:
    """For each word, the sorted files of a ``kind`` cohort folder whose lower-case name contains it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BenchError(f"{kind} cohort folder not found: {folder}")
    names = sorted(p for p in folder.iterdir() if p.is_file())
    return [[p for p in names if word in p.name.lower()] for word in words]


def geo_cohort_files(folder: str | os.PathLike) -> tuple[list[Path], list[Path]]:
    """Sorted (SOFT files, series-matrix files) of a cohort folder."""
    softs, matrices = files_named(folder, "soft", "matrix", kind="GEO")
    if not matrices:
        raise BenchError(f"{folder}: no series matrix file (*_series_matrix.txt.gz)")
    return softs, matrices


@dataclass
class GeoCohort:
    """Gene tables (one per platform) and characteristics of one GEO cohort folder."""

    folder: Path
    gene_tables: dict[str, pd.DataFrame]  # platform -> genes x samples
    characteristics: dict[str, pd.DataFrame]  # platform -> characteristics rows x samples
    matrices: dict[str, SeriesMatrix]


def read_geo_cohort(folder: str | os.PathLike, *, symbol_column: str | None = None,
                    synonyms: dict[str, str] | None = None, probe_ids_are_symbols: bool = False) -> GeoCohort:
    """Parse every series matrix of ``folder`` and map probes to genes via the SOFT annotation.

    A series with several platforms (``GSExxx-GPLyyy_series_matrix.txt.gz``) gives one gene
    table per platform. Without an annotation (no SOFT file, platform missing, or no symbol
    column) a BenchError names the file and field, unless ``probe_ids_are_symbols``.
    """
    softs, matrices = geo_cohort_files(folder)
    soft = read_family_soft(softs[0]) if softs else None
    tables, chars, parsed = {}, {}, {}
    for mpath in matrices:
        sm = read_series_matrix(mpath)
        key = sm.platform or mpath.name
        if key in tables:
            raise BenchError(f"{mpath}: platform {key} appears in two series matrices of {folder}")
        if probe_ids_are_symbols:
            genes = sm.expression.astype(np.float64)
            genes = genes.groupby(level=0, sort=True).mean()
        else:
            if soft is None:
                raise BenchError(f"{mpath}: no probe annotation: the cohort folder has no *_family.soft.gz "
                                 "(pass probe_ids_are_symbols=True if the IDs are gene symbols)")
            if sm.platform not in soft.platforms:
                raise BenchError(f"{mpath}: no probe annotation: platform {sm.platform!r} (field "
                                 f"!Series_platform_id) has no table in {soft.path.name} "
                                 f"(platforms {sorted(soft.platforms)})")
            annotation = soft.platforms[sm.platform]
            column = choose_symbol_column(annotation, preferred=symbol_column,
                                          where=f"{soft.path} platform {sm.platform}")
            genes = probe_to_gene(sm.expression, probe_mapping(annotation, column))
        if synonyms is not None:
            genes = normalize_symbols(genes, synonyms)
        tables[key], chars[key], parsed[key] = genes, sm.characteristics, sm
    return GeoCohort(folder=Path(folder), gene_tables=tables, characteristics=chars, matrices=parsed)


def characteristic_row(characteristics: pd.DataFrame, key: str) -> int | None:
    """Index of the characteristics row whose values start with ``key:`` (case-insensitive)."""
    prefix = key.lower() + ":"
    for i, row in enumerate(characteristics.itertuples(index=False)):
        if any(str(v).lower().startswith(prefix) for v in row):
            return i
    return None


def _value_part(cell) -> str | None:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return None
    text = str(cell)
    return text.split(":", 1)[1].strip() if ":" in text else text.strip()


def convert_age(cell) -> float | None:
    """``"age: 45"`` → 45.0; unparseable → None."""
    value = _value_part(cell)
    m = re.search(r"\d+(?:\.\d+)?", value or "")
    return float(m.group()) if m else None


def convert_gender(cell) -> float | None:
    """female/f/woman → 0, male/m/man → 1, else None (upstream encoding)."""
    value = (_value_part(cell) or "").lower()
    if value in ("female", "f", "woman", "women"):
        return 0.0
    if value in ("male", "m", "man", "men"):
        return 1.0
    return None


def geo_clinical(characteristics: pd.DataFrame, trait: str, *, trait_row: int, convert_trait,
                 age_row: int | None = None, gender_row: int | None = None,
                 convert_age=convert_age, convert_gender=convert_gender) -> pd.DataFrame:
    """Features × samples clinical frame (rows ``trait``, ``Age``, ``Gender``) as the notebooks write."""
    rows = {trait: [convert_trait(v) for v in characteristics.iloc[trait_row]]}
    if age_row is not None:
        rows["Age"] = [convert_age(v) for v in characteristics.iloc[age_row]]
    if gender_row is not None:
        rows["Gender"] = [convert_gender(v) for v in characteristics.iloc[gender_row]]
    return pd.DataFrame(rows, index=characteristics.columns, dtype=float).T

# ------------------------------------------------------------------------------------------
# TCGA / UCSC Xena


def xena_files(folder: str | os.PathLike) -> tuple[Path, Path]:
    """(clinicalMatrix, HiSeqV2_PANCAN.gz) of a Xena cohort folder; exactly one of each."""
    clinical, pancan = files_named(folder, "clinicalmatrix", "pancan", kind="TCGA")
    for what, found in (("*clinicalMatrix", clinical), ("*PANCAN*", pancan)):
        if len(found) != 1:
            raise BenchError(f"{folder}: expected exactly one {what} file, found {[p.name for p in found]}")
    return clinical[0], pancan[0]


def tcga_sample_label(barcode: str) -> int:
    """Tumour 1 (sample type 01–09), normal 0 (10–19), otherwise −1 (upstream keeps it)."""
    code = str(barcode)[-2:]
    if code.isdigit():
        if 1 <= int(code) <= 9:
            return 1
        if 10 <= int(code) <= 19:
            return 0
    return -1


def _first_int(value) -> float | None:
    m = re.search(r"-?\d+", str(value)) if value is not None and value == value else None
    return float(m.group()) if m else None


def read_xena_cohort(folder: str | os.PathLike, trait: str, *, synonyms: dict[str, str] | None = None,
                     age_column: str = "age_at_initial_pathologic_diagnosis",
                     gender_column: str = "gender") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(genes × samples expression, samples × [trait, Age, Gender] clinical) of a Xena folder."""
    clinical_path, expr_path = xena_files(folder)
    try:
        expr = pd.read_csv(expr_path, sep="\t", index_col=0, compression="infer")
        clin = pd.read_csv(clinical_path, sep="\t", index_col=0, dtype=str)
    except (OSError, EOFError, ValueError, pd.errors.ParserError) as exc:
        raise BenchError(f"{folder}: unreadable Xena file: {exc}") from None
    expr.index = expr.index.astype(str)
    try:
        expr = expr.astype(np.float64)
    except ValueError as exc:
        raise BenchError(f"{expr_path}: expression values must be numeric ({exc})") from None
    if synonyms is not None:
        expr = normalize_symbols(expr, synonyms)
    out = pd.DataFrame(index=clin.index.astype(str))
    out[trait] = [float(tcga_sample_label(s)) for s in out.index]
    if age_column in clin.columns:
        out["Age"] = [_first_int(v) for v in clin[age_column]]
    if gender_column in clin.columns:
        out["Gender"] = [convert_gender(v) for v in clin[gender_column]]
    return expr, out.astype(float)
