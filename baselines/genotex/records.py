"""GenoTEX result records: the scored output folder part (``regress/`` or ``preprocess/``) beside the
record, its sha256 over ``{relative path (trait/problem file): file sha256}``; the reference is
``--data-dir`` (a GenoTEX root) or, for a record of synthetic data, bench's seeded generator. The
recomputation of ``bench verify`` is the family table's ``records`` entry, :func:`verify`."""
from __future__ import annotations

import contextlib
import re
import tempfile
from pathlib import Path
from typing import Sequence

from bench.baselines.genotex.folders import headline, score_parts
from bench.errors import BenchError
from bench.results.family_records import (check_hash, check_splits, dataset_fields, envelope, file_beside, json_value,
                                  recompute)
from bench.loaders import genotex as gl
from bench.loaders.genotex.synthetic import build_genotex_root
from bench.results.record import Verification, canonical_sha256, split_checksum, tree_files

GTA_METRICS = {"analysis": "gta_gene_set", "selection": "gta_selection", "preprocessing": "gta_preprocessing"}
GTA_FOLDER = {"analysis": "regress", "selection": "preprocess", "preprocessing": "preprocess"}
SYNTHETIC_GENOTEX = re.compile(r"^synthetic:genotex-seed(\d+)$")


def gta_problems(scored: dict) -> list[str]:
    """``trait/condition`` of every scored problem (analysis), else the scored groups."""
    ids = [f"{p['trait']}/{p['condition']}" for res in scored.values() for p in res.get("per_problem") or []
           if "trait" in p and "condition" in p]
    return ids or sorted(str(g) for res in scored.values() for g in res["results"])


def reference_files(ref_dir: Path, part: str, traits: Sequence[str] | None) -> dict[str, str]:
    """``{relative path: sha256}`` of the reference the part is scored against (only ``traits`` if given)."""
    folder = Path(ref_dir) / GTA_FOLDER[part]
    files = tree_files(folder) if folder.is_dir() else {}
    if traits:
        files = {k: v for k, v in files.items() if k.split("/", 1)[0] in set(traits)}
    return files


def genotex_value(scored: dict, primary: str) -> dict:
    return json_value({"primary": primary, "value": headline(scored, primary),
                       "results": {part: res["results"] for part, res in scored.items()}})


def genotex_record(spec, *, scored: dict, settings: dict, pred_dir: Path, ref_dir: Path, primary: str, model: dict,
                   synthetic: bool, origin: str, alarms: Sequence[dict] = (), runtime_seconds: float | None = None,
                   command: Sequence[str] | None = None) -> dict:
    """The record of a GenoTEX evaluation (``scored``: {part: evaluator output}) of ``pred_dir``, whose
    part folder (regress/ or preprocess/) is stored beside the record under the same name."""
    parts = list(scored)
    folders = sorted({GTA_FOLDER[p] for p in parts})
    if len(folders) != 1:
        raise BenchError(f"a GenoTEX record covers one output folder; parts {parts} read {folders}")
    predicted = tree_files(Path(pred_dir) / folders[0])
    reference = {k: v for p in parts for k, v in reference_files(ref_dir, p, settings.get("traits")).items()}
    return envelope(
        spec, metric={"id": [GTA_METRICS[p] for p in parts], "primary": primary,
                      "params": {"parts": parts, "compat": settings["compat"], "subtasks": list(settings["subtasks"]),
                                 "traits": settings.get("traits")}},
        value=genotex_value(scored, primary), splits=split_checksum({"problems": gta_problems(scored)}),
        labels_sha256=canonical_sha256(reference),
        predictions={"file": folders[0], "sha256": canonical_sha256(predicted),
                     "keyed_by": "problem file (trait/file relative path)", "n": len(predicted)},
        model=model, dataset=dataset_fields(spec, synthetic=synthetic, origin=origin), alarms=alarms,
        runtime_seconds=runtime_seconds, command=command)


@contextlib.contextmanager
def genotex_reference(record: dict, data_dir):
    """The GenoTEX root of a record: ``data_dir``, or bench's generator at the record's synthetic seed."""
    origin = str(record["dataset"].get("origin") or "")
    match = SYNTHETIC_GENOTEX.match(origin)
    if data_dir is not None:
        yield Path(data_dir)
    elif match:
        with tempfile.TemporaryDirectory(prefix="bench-verify-genotex-") as tmp:
            yield build_genotex_root(Path(tmp) / "root", seed=int(match.group(1)))
    else:
        raise BenchError(f"record of {origin or 'local'} GenoTEX data: give --data-dir with the GenoTEX root it "
                         "was scored against")


def reference_dir(root: Path) -> Path:
    """The reference output folder (holding ``regress/`` and ``preprocess/``) of a GenoTEX root."""
    return gl.root_paths(root)["regress"].parent


def score_record_parts(folder: Path, ref_dir: Path, params: dict, parts: Sequence[str]) -> dict:
    """``{part: evaluator output}`` of the output folder holding ``folder``, scored as the record's
    metric parameters say (``task_info.json`` from the reference root's metadata)."""
    return score_parts(folder, ref_dir, parts=parts, task_info_path=ref_dir.resolve().parent / "metadata" /
                       "task_info.json", subtasks=params["subtasks"], compat=params["compat"],
                       traits=params.get("traits"))


def recompute_genotex(path: Path, record: dict, spec, data_dir, out: Verification) -> None:
    folder = file_beside(path, record, "file")
    check_hash(out, "predictions.sha256", record["predictions"].get("sha256"), canonical_sha256(tree_files(folder)),
               folder)
    params = record["metric"]["params"]
    with genotex_reference(record, data_dir) as root:
        ref_dir = reference_dir(root)
        reference = {k: v for p in params["parts"] for k, v in reference_files(ref_dir, p, params.get("traits")).items()}
        if canonical_sha256(reference) != record.get("labels_sha256"):
            out.differences.append("labels_sha256: the reference under the data dir differs from the record's")
        scored = score_record_parts(folder.parent, ref_dir, params, params["parts"])
    check_splits(out, record, {"problems": gta_problems(scored)})
    out.recomputed = genotex_value(scored, record["metric"]["primary"])


def verify(path: Path, record: dict, *, data_dir=None) -> Verification:
    """Recompute a GenoTEX record from its output folder and the reference: MATCH or each difference named."""
    return recompute(path, record, data_dir, recompute_genotex)
