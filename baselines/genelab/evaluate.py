"""``bench evaluate A5_skin submission.json``: score an upstream-format GeneLab submission with the
evaluator's rules and return the same :class:`bench.baselines.report.Result` shape as ``bench run``
(so a run's and an evaluation's summaries compare key by key)."""
from __future__ import annotations

from bench.baselines.genelab import scoring
from bench.baselines.report import Result, provenance
from bench.metrics.submission import evaluate_submission, read_submission
from bench.tasks import get_task


def task_of(path) -> str:
    """The registry task named by a submission's ``task_id`` (for `bench evaluate SUBMISSION.json`)."""
    task_id = read_submission(path).task_id
    return get_task(str(task_id)).name if task_id is not None else None


def evaluate(spec, predictions, *, data_dir=None, include_holdout: bool = False, n_bootstrap=None,
             n_permutations=None, seed=None, rng: str = "default") -> Result:
    """Validate and score ``predictions`` (a submission JSON) against ``spec``'s labels."""
    res = evaluate_submission(predictions, spec, data_dir=data_dir, include_holdout=include_holdout,
                              n_bootstrap=n_bootstrap, n_permutations=n_permutations, seed=seed, rng=rng)
    evaluation = {"per_fold": res["per_fold"], "summary": res["summary"], "thresholds": res["thresholds"],
                  "transfer_pattern": res.get("transfer_pattern"),
                  "settings": {"category": "B" if res["category"] == "B" else "A"}}
    sub = res["submission"]
    notes = []
    if res["ignored_holdout_folds"]:
        notes.append("holdout folds present but not scored (use --include-holdout): "
                     + ", ".join(res["ignored_holdout_folds"]))
    return Result(
        task=spec.name, family=spec.family, summary=scoring.lomo_summary(evaluation),
        settings={"model_name": sub["model_name"], "model_description": sub["model_description"],
                  "submission_date": sub["submission_date"], "task_id": sub["task_id"],
                  "upstream_id": spec.upstream_id, "category": res["category"], "statistics": res["statistics"],
                  "rng": res["rng"], "n_bootstrap": res["n_bootstrap"], "n_permutations": res["n_permutations"],
                  "include_holdout": res["include_holdout"], "folds_evaluated": res["folds_evaluated"],
                  "ignored_holdout_folds": res["ignored_holdout_folds"], "thresholds": res["thresholds"]},
        tables={"per_fold": res["per_fold"]}, notes=notes,
        text=scoring.format_results(evaluation, title=f"{spec.name} ({spec.upstream_id or '-'}): "
                                                      f"{sub['model_name']}  [{sub['path']}]"),
        provenance=provenance(spec, seed=res["seed"], synthetic=res["synthetic"],
                              data_dir=data_dir,
                              inputs={"predictions": sub["sha256"]}),
    )
