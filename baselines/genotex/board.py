"""GenoTEX's leaderboard input (the family table's ``board`` entry, :func:`board_entry`) for the
``gta_gene_set`` analysis and ``gta_selection`` records: units = problems (trait/condition); a problem
carries ``[score, 1]`` (``[0, 0]`` when the model failed it, as the evaluator's NaN-skipping mean); a
draw's value is the mean over the drawn problems (not rounded). Generated controls: the perfect
control (the reference scored against itself) and, for the analysis part, a seeded random floor
(:data:`GTA_RANDOM_RULE`: per problem a random gene list of the reference's size from the trait's genes)."""
from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np

from bench.baselines.genotex.folders import trait_genes
from bench.baselines.genotex.records import genotex_reference, reference_dir, reference_files, score_record_parts
from bench.results.board_units import Records, check_value, record_ids, shared_value, units_entry
from bench.errors import BenchError
from bench.results.family_records import file_beside
from bench.loaders import genotex as gl
from bench.metrics import leaderboard as lb
from bench.results.record import canonical_sha256, tree_files

GTA_KEYS = {"analysis": None, "selection": "accuracy"}
GTA_RANDOM_RULE = ("per problem (trait/condition, in name order) as many genes as the reference lists, drawn without "
                   "replacement by default_rng(seed) from the trait's gene universe (the row ids of the reference's "
                   "preprocess/<trait>/gene_data/*.csv, sorted; the union of the trait's reference genes when it "
                   "has no gene data), scored by the same per-problem scoring")


def problem_stats(rows: list[dict], key: str, units: list[str], where: str) -> np.ndarray:
    """``[score, 1]`` per problem (``[0, 0]`` where the score is missing or not finite), rows in ``units`` order."""
    position = {u: k for k, u in enumerate(units)}
    out = np.zeros((len(units), 2))
    for row in rows:
        unit = f"{row['trait']}/{row['condition']}"
        if unit not in position:
            raise BenchError(f"{where}: problem {unit} is not among the reference's problems")
        value = row.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out[position[unit]] = (float(value), 1.0)
    return out


def board_entry(task: str, records: Records, *, data_dir=None, seed: int = 0) -> dict:
    """Problems (trait/condition); the mean over the drawn problems of the per-problem score."""
    params = shared_value(records, "metric parameters", lambda r: (r["metric"].get("id"), r["metric"].get("primary"),
                                                                     r["metric"].get("params")))[2]
    primary = records[0][1]["metric"]["primary"]
    parts = list(params["parts"])
    if len(parts) != 1 or parts[0] not in GTA_KEYS:
        raise BenchError(f"{records[0][0]}: the board resamples GenoTEX problems of the analysis or selection part; "
                         f"this record scores {parts} (preprocessing has no per-problem scores)")
    part = parts[0]
    key = GTA_KEYS[part] or primary
    shared_value(records, "data origin", lambda r: r["dataset"].get("origin"))
    entry = None
    with genotex_reference(records[0][1], data_dir) as root:
        ref_dir = reference_dir(root)
        reference_sha256 = canonical_sha256(reference_files(ref_dir, part, params.get("traits")))
        for path, record in records:
            if reference_sha256 != record.get("labels_sha256"):
                raise BenchError(f"{path}: its reference sha256 differs from the reference under the data dir; "
                                 "run `bench verify` on it")

        def score(folder: Path) -> list[dict]:
            return score_record_parts(folder, ref_dir, params, parts)[part]["per_problem"]

        perfect = score(ref_dir)
        units = sorted({f"{r['trait']}/{r['condition']}" for r in perfect})
        entry = units_entry("problems (trait/condition)", units,
                            f"problems (trait/condition pairs); the mean of the per-problem {key} over the drawn "
                            "problems (problems a model failed are left out of its mean, as the evaluator's "
                            "NaN-skipping mean; not rounded)", f"{'/'.join(record_ids(records[0][1]))} {primary}",
                            ceiling=None, ceiling_note="")
        for path, record in records:
            folder = file_beside(path, record, "file")
            if canonical_sha256(tree_files(folder)) != record["predictions"].get("sha256"):
                raise BenchError(f"{folder}: its sha256 differs from the record's (the predictions changed); "
                                 "run `bench verify` on it")
            s = problem_stats(score(folder.parent), key, units, str(path))
            check_value(path, record["value"].get("value"), float(lb.mean_finish(s.sum(axis=0, keepdims=True))[0]),
                        0.005 + 1e-9 if params["compat"] != "bench" else 1e-9)
            entry["runs"].append((path, record, (s, lb.mean_finish)))
        entry["generated"] = {"control:perfect": (problem_stats(perfect, key, units, str(ref_dir)), lb.mean_finish)}
        entry["generated_note"] = "perfect = the reference scored against itself"
        if part == "analysis":
            with tempfile.TemporaryDirectory(prefix="bench-board-genotex-random-") as tmp:
                random_dir = write_random_gene_lists(ref_dir, Path(tmp), seed, params.get("traits"))
                entry["generated"]["control:random"] = (problem_stats(score(random_dir), key, units, "control:random"),
                                                        lb.mean_finish)
            entry["generated_note"] += "; random = " + GTA_RANDOM_RULE
    return entry


def trait_universe(ref_dir: Path, trait: str) -> list[str]:
    """The sorted genes a random gene list of ``trait`` is drawn from (see :data:`GTA_RANDOM_RULE`)."""
    genes = trait_genes(ref_dir, trait)
    if genes is None:
        genes = {g for f in sorted((ref_dir / "regress" / trait).glob("significant_genes*.json"))
                 for g in gl.read_significant_genes(f)}
    return sorted(genes)


def random_gene_lists(ref_dir: Path, seed: int, traits=None) -> dict[str, list[str]]:
    """``{relative regress path: random gene list}``, one per reference problem (:data:`GTA_RANDOM_RULE`)."""
    rng = np.random.default_rng(seed)
    out, universes = {}, {}
    for ref_file in sorted((ref_dir / "regress").glob("*/significant_genes*.json")):
        trait = ref_file.parent.name
        if traits and trait not in traits:
            continue
        if trait not in universes:   # read each trait's gene data once, not once per reference file
            universes[trait] = trait_universe(ref_dir, trait)
        universe = universes[trait]
        size = len(gl.read_significant_genes(ref_file))
        if size > len(universe):
            raise BenchError(f"{ref_file}: lists {size} genes but trait {trait}'s gene universe has only "
                             f"{len(universe)}; no random floor can be drawn")
        out[f"{trait}/{ref_file.name}"] = [universe[k] for k in rng.choice(len(universe), size, replace=False)]
    return out


def write_random_gene_lists(ref_dir: Path, tmp: Path, seed: int, traits=None) -> Path:
    """A prediction folder (``regress/<trait>/significant_genes_condition_<c>.json``) of the random floor."""
    for rel, genes in random_gene_lists(ref_dir, seed, traits).items():
        target = tmp / "regress" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps({"significant_genes": {"Variable": genes}}), encoding="utf-8")
    return tmp
