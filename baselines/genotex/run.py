"""``bench run genotex_problems --model lasso``: solve the task's problems with the regress.py
baseline (models.py), score them against the data source's reference when it has one, and return
one :class:`bench.baselines.report.Result` whose files hold the upstream ``regress/`` tree."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.baselines.genotex.models import MODELS, solve_problems, write_regress
from bench.baselines.genotex.records import genotex_record
from bench.baselines.report import Result, format_table, provenance, summary
from bench.errors import BenchError
from bench.results.family_records import bench_model
from bench.loaders import genotex as gl
from bench.loaders.genotex.synthetic import build_genotex_root
from bench.baselines.genotex import folders as ev

EVALUATION_ONLY = ("genotex_selection", "genotex_preprocessing")
BRIEF_COLUMNS = ("success", "precision", "recall", "f1", "jaccard", "precision_at_50", "auroc", "gsea_es",
                 "trait_pred_accuracy", "trait_pred_f1", "f1_on_success", "n_problems", "n_success")


def analysis_table(results: dict[str, dict], columns=BRIEF_COLUMNS) -> list[dict]:
    """``evaluate_analysis`` results ({group: {metric: value}}) as table rows (``columns`` only)."""
    keep = set(columns)
    return [{"group": group, **{k: v for k, v in row.items() if k in keep and not isinstance(v, dict)}}
            for group, row in results.items() if isinstance(row, dict)]


def analysis_text(title: str, results: dict[str, dict], *, synthetic: bool = False) -> str:
    """The analysis table; on synthetic data the title and every row say SYNTHETIC."""
    rows = analysis_table(results)
    if synthetic:
        rows = [{**r, "data": "SYNTHETIC"} for r in rows]
        title += " · SYNTHETIC data"
    return format_table(rows, title=title, digits=2)


def _traits(spec, root: Path) -> list[str] | None:
    traits = [spec.params["trait"]] if "trait" in spec.params else None
    if traits and traits[0] not in gl.read_task_info(gl.root_paths(root)["task_info"]):
        raise BenchError(f"trait {traits[0]!r} is not in the data source {root.name}; pass --data-dir with a "
                         "GenoTEX root that has it")
    return traits


def run(spec, *, model: str, data_dir=None, seed: int = 42, limit_folds: int | None = None) -> Result:
    """Solve, write regress/ to a scratch folder, score it against the reference (v2 and bench rules)."""
    if spec.name in EVALUATION_ONLY:
        raise BenchError(f"task {spec.name} has no baseline (it scores preprocessing outputs); "
                         f"use `bench evaluate {spec.name} OUTPUT_DIR` on your outputs")
    if model not in MODELS:
        raise BenchError(f"unknown model {model!r} for task {spec.name}; choices: {', '.join(MODELS)}")
    started = time.perf_counter()
    synthetic = data_dir is None
    with tempfile.TemporaryDirectory(prefix="bench-genotex-") as scratch:
        root = Path(data_dir) if data_dir is not None else build_genotex_root(Path(scratch) / "root", seed=seed)
        traits = _traits(spec, root)
        log, docs = solve_problems(root, traits=traits, model=model, seed=seed, limit=limit_folds)
        write_regress(docs, Path(scratch) / "pred" / "regress")
        ref = gl.root_paths(root)["regress"]
        scored = {compat: ev.evaluate_analysis(Path(scratch) / "pred", ref.parent, compat=compat, traits=traits)
                  for compat in ("v2", "bench")} if ref.is_dir() else {}
        analysis = {compat: res["results"] for compat, res in scored.items()}
        record = genotex_record(
            spec, scored={"analysis": scored["v2"]}, settings={"compat": "v2", "subtasks": [], "traits": traits},
            pred_dir=Path(scratch) / "pred", ref_dir=ref.parent, primary=spec.metric.get("primary", "f1"),
            model=bench_model(model, MODELS[model], seed), synthetic=synthetic,
            origin=f"synthetic:genotex-seed{seed}" if synthetic else "local",
            runtime_seconds=time.perf_counter() - started) if scored else None
    lines = [f"{spec.name} / {model}: solved {len(log['solved'])}, skipped {len(log['skipped'])} problems"
             + (" · SYNTHETIC data (bench's seeded GenoTEX generator; no --data-dir): these numbers say nothing "
                "about real cohorts" if synthetic else "")]
    lines += [analysis_text(f"analysis (compat={compat})", res, synthetic=synthetic) for compat, res in analysis.items()]
    primary = spec.metric.get("primary", "f1")
    overall = analysis.get("v2", {}).get("Overall", {})
    return Result(
        task=spec.name, family=spec.family,
        summary=summary(primary, overall.get(primary), success=overall.get("success"),
                        n_solved=len(log["solved"]), n_skipped=len(log["skipped"])),
        settings={"model": model, "model_description": MODELS[model], "traits": traits,
                  "limit_problems": limit_folds, "evaluated": sorted(analysis)},
        tables={"solved": log["solved"], "skipped": log["skipped"],
                **{f"analysis_{compat}": analysis_table(res, columns=list(next(iter(res.values()), {})))
                   for compat, res in analysis.items()}},
        files={"regress": lambda path: write_regress(docs, path), **({"record.json": record} if record else {})},
        text="\n\n".join(lines),
        provenance=provenance(spec, seed=seed, synthetic=synthetic,
                              origin=f"synthetic:genotex-seed{seed}" if synthetic else "local", data_dir=data_dir),
    )
