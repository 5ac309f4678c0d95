"""``bench evaluate A5_skin submission.json``: score an upstream-format GeneLab submission with the
evaluator's rules and return the same :class:`bench.baselines.report.Result` shape as ``bench run``
(so a run's and an evaluation's summaries compare key by key)."""
from __future__ import annotations

import time
from pathlib import Path

from bench.baselines.genelab import scoring
from bench.baselines.genelab.records import evaluated_labels, evaluation_alarms, genelab_record
from bench.baselines.genelab.records import write_record as write_record_files
from bench.baselines.report import Result, provenance
from bench.loaders.genelab.labels import labels_origin, task_labels
from bench.loaders.repo import is_built_repo
from bench.metrics.genelab.submission import check_scorable, evaluate_submission, read_submission
from bench.results.record import PREDICTIONS_FILE, canonical_predictions, dataset_info
from bench.tasks import get_task


def add_arguments(parser) -> None:
    """GeneLab's options of ``bench evaluate`` (the family hook; each reaches :func:`evaluate` by its dest)."""
    g = parser.add_argument_group("GeneLab")
    g.add_argument("--include-holdout", action="store_true", help="also score holdout folds present in the submission")
    g.add_argument("--n-bootstrap", type=int, default=None, help="bootstrap draws (default: task spec, 2000)")
    g.add_argument("--n-permutations", type=int, default=None, help="permutations (default: task spec, 1000)")
    g.add_argument("--rng", choices=("default", "legacy"), default="default",
                   help="'default' = evaluator rules (numpy default_rng); 'legacy' = numpy RandomState as the "
                        "upstream pathway/B/C/D/NC scripts")
    g.add_argument("--model-id", default=None, help="model id for the record (default: the submission's model_name)")
    g.add_argument("--model-revision", default=None, help="model revision (commit) for the record")
    g.add_argument("--pretraining-corpus", default=None,
                   help="declared pre-training corpus of the model, for the record (e.g. 'CELLxGENE 2023-07')")


def task_of(path) -> str | None:
    """The registry task named by a submission's ``task_id`` (for `bench evaluate SUBMISSION.json`);
    None for a file that is not a ``.json`` submission."""
    if Path(path).suffix != ".json":
        return None
    task_id = read_submission(path).task_id
    return get_task(str(task_id)).name if task_id is not None else None


def write_record(folder, result: Result) -> None:
    """``bench evaluate --record DIR``: the record and the submission-shaped predictions it names."""
    write_record_files(folder, result.files["record.json"], result.files[PREDICTIONS_FILE]["predictions"],
                       task_id=str(result.settings["task_id"]), model_name=result.settings["model_name"])


def evaluate(spec, predictions, *, data_dir=None, include_holdout: bool = False, n_bootstrap=None,
             n_permutations=None, seed=None, rng: str = "default", model_id: str | None = None,
             model_revision: str | None = None, pretraining_corpus: str | None = None,
             command: list[str] | None = None) -> Result:
    """Validate and score ``predictions`` (a submission JSON) against ``spec``'s labels.

    The Result carries the sanity alarms (notes and ``settings["alarms"]``) and the verifiable
    record: ``record.json`` + ``predictions.json`` in the report folder (``--out``)."""
    started = time.perf_counter()
    check_scorable(spec)
    task = task_labels(spec, data_dir)  # read once: the scores and the record use the same labels
    res = evaluate_submission(predictions, spec, labels=task, include_holdout=include_holdout,
                              n_bootstrap=n_bootstrap, n_permutations=n_permutations, seed=seed, rng=rng)
    res["labels_origin"] = labels_origin(spec, task, given=data_dir is not None)
    evaluation = {"per_fold": res["per_fold"], "summary": res["summary"], "thresholds": res["thresholds"],
                  "transfer_pattern": res.get("transfer_pattern"),
                  "settings": {"category": "B" if res["category"] == "B" else "A",
                               **{k: res[k] for k in ("seed", "n_bootstrap", "n_permutations", "rng")}}}
    sub = res["submission"]
    submitted = read_submission(predictions).predictions
    labels = evaluated_labels(spec, res["folds_evaluated"], task.root)
    alarms = [a.to_dict() for a in evaluation_alarms(res, labels, submitted)]
    model = {"id": model_id or sub["model_name"], "revision": model_revision, "pretraining_corpus": pretraining_corpus,
             "description": sub["model_description"] or None}
    record = genelab_record(spec, res, predictions=submitted, labels=labels, model=model,
                            dataset=dataset_info(spec, synthetic=res["synthetic"],
                                                 built_repo=is_built_repo(task.root)),
                            alarms=alarms, runtime_seconds=time.perf_counter() - started, command=command)
    evaluated = set(res["folds_evaluated"])
    canonical = {f: s for f, s in canonical_predictions(submitted).items() if f in evaluated}
    notes = [f"alarm [{a['id']}] {a['message']}" for a in alarms]
    if res["ignored_holdout_folds"]:
        notes.append("holdout folds present but not scored (use --include-holdout): "
                     + ", ".join(res["ignored_holdout_folds"]))
    return Result(
        task=spec.name, family=spec.family, summary=scoring.lomo_summary(evaluation),
        settings={"model_name": sub["model_name"], "model_description": sub["model_description"],
                  "submission_date": sub["submission_date"], "task_id": sub["task_id"],
                  "upstream_id": spec.upstream_id, "category": res["category"], "statistics": res["statistics"],
                  "rng": res["rng"], "n_bootstrap": res["n_bootstrap"], "n_permutations": res["n_permutations"],
                  "include_holdout": res["include_holdout"], "labels_origin": res["labels_origin"], "folds_evaluated": res["folds_evaluated"],
                  "ignored_holdout_folds": res["ignored_holdout_folds"], "thresholds": res["thresholds"],
                  "alarms": alarms},
        files={"record.json": record,
               PREDICTIONS_FILE: {"task_id": str(sub["task_id"]), "model_name": sub["model_name"],
                                  "model_description": sub["model_description"],
                                  "submission_date": sub["submission_date"], "predictions": canonical}},
        tables={"per_fold": res["per_fold"]}, notes=notes,
        text=scoring.format_results(evaluation, title=f"{spec.name} ({spec.upstream_id or '-'}): "
                                                      f"{sub['model_name']}  [{sub['path']}]"),
        provenance=provenance(spec, seed=res["seed"], synthetic=res["synthetic"],
                              data_dir=data_dir,
                              inputs={"predictions": sub["sha256"]}),
    )
