"""``bench evaluate genotex_problems OUTPUT_DIR``: score a GenoTEX output folder (``preprocess/``
and/or ``regress/``) against the reference of the data source (``--data-dir`` GenoTEX root; default
bench's synthetic root), with the upstream eval.py rules; one :class:`bench.baselines.report.Result`."""
from __future__ import annotations

import contextlib
import functools
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from bench.baselines.genotex.records import GTA_FOLDER, genotex_record
from bench.baselines.genotex.run import BRIEF_COLUMNS, analysis_table
from bench.baselines.report import Result, format_table, provenance, sha256_tree, summary
from bench.errors import BenchError
from bench.loaders import genotex as gl
from bench.loaders.genotex.synthetic import build_genotex_root
from bench.baselines.genotex import folders as ev
from bench.metrics.alarms import gene_universe_alarm

PARTS = ("selection", "preprocessing", "analysis")
#: A trait whose predicted genes are less than this share genes of its data raises the gene_universe alarm.
GENE_OVERLAP = 0.9
PART_OF_TASK = {"genotex_selection": "selection", "genotex_preprocessing": "preprocessing"}


def parts_of(spec) -> list[str]:
    """What a task scores: selection or preprocessing tables for those tasks, else the analysis."""
    return [PART_OF_TASK.get(spec.name, "analysis")] if spec is not None else list(PARTS)


@contextlib.contextmanager
def reference_root(data_dir):
    """The GenoTEX root holding the reference: ``data_dir``, or a synthetic root built for this call."""
    if data_dir is not None:
        yield Path(data_dir), False
        return
    with tempfile.TemporaryDirectory(prefix="bench-genotex-ref-") as tmp:
        yield build_genotex_root(Path(tmp) / "root", seed=42), True


def plot_analysis(results: dict, *, keys=("success", "precision", "recall", "f1")) -> Figure:
    """Grouped bar chart of the analysis means per category."""
    groups = list(results)
    keys = [k for k in keys if any(k in results[g] for g in groups)]
    width = 0.8 / max(len(keys), 1)
    fig = Figure(figsize=(1.8 + 1.6 * len(groups), 3.2))
    ax = fig.subplots()
    for j, key in enumerate(keys):
        ax.bar(np.arange(len(groups)) + j * width, [results[g].get(key, float("nan")) for g in groups], width, label=key)
    ax.set_xticks(np.arange(len(groups)) + width * (len(keys) - 1) / 2)
    ax.set_xticklabels(groups, fontsize=8)
    finite = [v for g in groups for k in keys for v in [results[g].get(k)] if isinstance(v, float) and not math.isnan(v)]
    ax.set_ylim(0, 1.25 * max(finite + [1e-9]))
    ax.set_ylabel("score")
    ax.set_title("GenoTEX statistical analysis")
    ax.legend(fontsize=7, ncol=len(keys))
    fig.tight_layout()
    return fig


TITLES = {"selection": "Dataset filtering and selection", "preprocessing": "Preprocessing",
          "analysis": "Statistical analysis (compat={compat})"}


def gene_universe_alarms(pred_dir: Path, ref_dir: Path, traits=None) -> list[dict]:
    """Per trait, the predicted significant genes against the genes of the trait's data: an alarm when
    fewer than :data:`GENE_OVERLAP` of them are (symbols vs Ensembl ids, another organism, another trait's genes)."""
    regress = Path(pred_dir) / "regress"
    alarms = []
    for tdir in sorted(p for p in regress.iterdir() if p.is_dir()) if regress.is_dir() else []:
        if traits and tdir.name not in traits:
            continue
        universe = ev.trait_genes(ref_dir, tdir.name)
        predicted = []
        for path in sorted(tdir.glob("significant_genes*.json")):
            try:
                predicted += gl.read_significant_genes(path)
            except BenchError:
                continue  # reported by the evaluator
        if universe is not None and predicted:
            alarms += [a.to_dict() for a in gene_universe_alarm(
                predicted, universe, what=f"trait {tdir.name}: predicted significant genes", min_overlap=GENE_OVERLAP)]
    return alarms


def add_arguments(parser) -> None:
    """GenoTEX's options of ``bench evaluate`` (the family hook; each reaches :func:`evaluate` by its dest)."""
    g = parser.add_argument_group("GenoTEX")
    g.add_argument("--compat", default="v2", choices=["v2", "legacy", "genomas", "bench"],
                   help="evaluator rules: v2 (GenoTex@1669c87, default), legacy, genomas, bench")
    g.add_argument("--subtasks", nargs="+", default=["gene", "clinical", "linked"],
                   choices=["gene", "clinical", "linked"], help="preprocessing tables (default all)")
    g.add_argument("--task-info", default=None, help="task_info.json for selection (default: from --data-dir)")


def evaluate(spec, predictions, *, data_dir=None, ref=None, parts=None, subtasks=ev.SUBTASKS, compat: str = "v2",
             task_info=None, seed: int = 42, command=None) -> Result:
    """Score the output folder ``predictions`` against ``ref`` (default: the data source's output/); the
    Result carries the gene-universe alarms and the verifiable record (``record.json`` + the scored part
    folder, ``regress/`` or ``preprocess/``)."""
    started = time.perf_counter()
    pred = Path(predictions)
    if not pred.is_dir():
        raise BenchError(f"PREDICTIONS: folder not found: {pred} (expected a GenoTEX output folder with "
                         "preprocess/ and/or regress/)")
    parts = list(parts or parts_of(spec))
    traits = [spec.params["trait"]] if spec is not None and "trait" in spec.params else None
    with reference_root(data_dir if ref is None else None) as (root, synthetic):
        ref_dir = Path(ref) if ref is not None else gl.root_paths(root)["regress"].parent
        info = Path(task_info) if task_info else (ref_dir.resolve().parent / "metadata" / "task_info.json")
        scored = ev.score_parts(pred, ref_dir, parts=parts, task_info_path=info, subtasks=subtasks, compat=compat,
                             traits=traits)
        alarms = gene_universe_alarms(pred, ref_dir, traits) if "analysis" in parts else []
        record = None
        if spec is not None and len({GTA_FOLDER[p] for p in parts}) == 1:
            record = genotex_record(
                spec, scored=scored, settings={"compat": compat, "subtasks": list(subtasks), "traits": traits},
                pred_dir=pred, ref_dir=ref_dir, primary=spec.metric.get("primary", "f1"),
                model={"id": pred.name}, synthetic=synthetic, origin="synthetic:genotex-seed42" if synthetic else "local",
                alarms=alarms, runtime_seconds=time.perf_counter() - started, command=command)
    tables = {part: analysis_table(res["results"], columns=metric_columns(res["results"]))
              for part, res in scored.items()}
    texts = [format_table(analysis_table(res["results"], columns=BRIEF_COLUMNS if part == "analysis"
                                         else metric_columns(res["results"])),
                          title=TITLES[part].format(compat=compat), digits=2)
             for part, res in scored.items()]
    notes = [w for res in scored.values() for w in res.get("warnings", [])]
    notes += [f"alarm [{a['id']}] {a['message']}" for a in alarms]
    primary = spec.metric.get("primary") if spec is not None else "f1"
    task = spec.name if spec is not None else "genotex"
    files = {"analysis.png": plot_analysis(scored["analysis"]["results"])} if "analysis" in scored else {}
    if record is not None:
        folder = record["predictions"]["file"]
        files.update({"record.json": record, folder: functools.partial(copy_folder, pred / folder)})
    return Result(
        task=task, family="genotex",
        summary=summary(primary, ev.headline(scored, primary), **{part: res["results"] for part, res in scored.items()}),
        settings={"parts": parts, "compat": compat, "subtasks": list(subtasks), "traits": traits, "alarms": alarms},
        tables={**tables, **{f"{part}_per_problem": res["per_problem"] for part, res in scored.items()
                            if res.get("per_problem")}},
        files=files, notes=notes, text="\n\n".join(texts),
        provenance=provenance(spec, seed=seed, synthetic=synthetic,
                              origin="synthetic:genotex-seed42" if synthetic else "local", data_dir=data_dir,
                              inputs={"predictions": sha256_tree(pred)}),
    )


def copy_folder(source: Path, target: Path) -> None:
    """Copy the scored output folder (never move the user's files)."""
    shutil.copytree(source, target)


def metric_columns(results: dict) -> list[str]:
    """Every metric name of {group: {metric: value}} results, in first-seen order."""
    return list(dict.fromkeys(k for row in results.values() if isinstance(row, dict) for k in row))
