"""Results on the Hub's native leaderboards ("Evaluation Results", a work-in-progress Hub feature).

Followed exactly (no network at import or in a dry run):

* Hub docs, "Evaluation Results" (https://huggingface.co/docs/hub/eval-results; hub-docs
  ``docs/hub/eval-results.md`` at commit 064c754): a model repo stores scores as YAML files
  ``.eval_results/*.yaml``, each a list of entries ``{dataset: {id, task_id, revision?}, value,
  verifyToken?, date?, source?: {url, name?, user?}, notes?}``; ``dataset.id`` (a Benchmark dataset)
  and ``dataset.task_id`` (a task id of that dataset's ``eval.yaml``) and ``value`` are required.
  A benchmark dataset registers with an ``eval.yaml`` at its root: ``name``, ``description``,
  ``evaluation_framework`` ("could be your own") and ``tasks: [{id, config, split}]``.
* huggingface_hub's ``EvalResultEntry`` / ``eval_result_entries_to_yaml``
  (``src/huggingface_hub/_eval_results.py``): key order and optional keys as written here; a
  ``source`` needs its ``url``. The writer below produces the same dicts (tested against it when the
  installed huggingface_hub has it) so bench keeps working with older huggingface_hub versions.
* One file per variant of an evaluation (huggingface/community-evals: ``hle.yaml`` and
  ``hle_with_tools.yaml``, the variant described in ``notes``); bench never overwrites a file that
  is already in the model repo.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bench.errors import BenchError
from bench.hub import Upload, check_online, check_repo_id, commit_operations, connect_hub, require_token
from bench.loaders.repo import read_config_meta
from bench.results.record import read_record, record_path

EVAL_RESULTS_DIR = ".eval_results"
EVALUATION_FRAMEWORK = "bench"
_VARIANT_RE = re.compile(r"^[A-Za-z0-9][\w.-]{0,63}$", re.ASCII)
_HEX40 = re.compile(r"^[0-9a-f]{40}$")


def eval_result_entry(*, dataset_id: str, task_id: str, value, dataset_revision: str | None = None,
                      date: str | None = None, source_url: str | None = None, source_name: str | None = None,
                      source_user: str | None = None, notes: str | None = None) -> dict:
    """One ``.eval_results`` entry, keys in huggingface_hub's order, optional keys only when set."""
    if (source_name or source_user) and not source_url:
        raise BenchError("an eval result source needs its url (--source-url)")
    dataset = {"id": dataset_id, "task_id": task_id}
    if dataset_revision is not None:
        dataset["revision"] = dataset_revision
    entry = {"dataset": dataset, "value": value}
    if date is not None:
        entry["date"] = date
    if source_url is not None:
        source = {"url": source_url}
        if source_name is not None:
            source["name"] = source_name
        if source_user is not None:
            source["user"] = source_user
        entry["source"] = source
    if notes is not None:
        entry["notes"] = notes
    return entry


def result_file_name(task: str, variant: str | None) -> str:
    """``.eval_results/<task>.yaml``, or ``<task>_<variant>.yaml`` for a variant."""
    if variant is not None and not _VARIANT_RE.match(variant):
        raise BenchError(f"--variant {variant!r}: use letters, digits, '_', '-' and '.' (at most 64 characters)")
    stem = task if variant is None else f"{task}_{variant}"
    return f"{EVAL_RESULTS_DIR}/{stem}.yaml"


def entry_from_record(record: dict, *, benchmark: str | None = None, variant: str | None = None,
                      source_url: str | None = None) -> dict:
    """The ``.eval_results`` entry of a result record: its primary value on its task."""
    dataset_id = benchmark or (record.get("dataset") or {}).get("repo")
    if not dataset_id:
        raise BenchError("the record names no benchmark dataset repo; pass --benchmark ORG/DATASET")
    check_repo_id(dataset_id)
    primary = record["metric"].get("primary", "mean_auroc")
    value = (record.get("value") or {}).get(primary)
    if value is None:
        raise BenchError(f"the record has no value for its primary metric {primary!r}; nothing to publish")
    revision = (record.get("dataset") or {}).get("revision")
    return eval_result_entry(
        dataset_id=dataset_id, task_id=record["benchmark"]["task"], value=value,
        dataset_revision=revision if isinstance(revision, str) and _HEX40.match(revision) else None,
        date=record.get("created_utc"), source_url=source_url,
        source_name="bench result record" if source_url else None, notes=variant)


@dataclass
class Publication:
    """What ``bench publish-result`` writes: one file in one model repo."""

    model: str
    path_in_repo: str
    text: str
    record: Path
    warnings: list[str] = field(default_factory=list)
    commit_url: str | None = None
    create_pr: bool = False


def plan_publication(record_file: str | os.PathLike, model: str, *, benchmark: str | None = None,
                     variant: str | None = None, source_url: str | None = None) -> Publication:
    """Read the record and build the YAML (no network)."""
    check_repo_id(model)
    path = record_path(record_file)
    record = read_record(path)
    entry = entry_from_record(record, benchmark=benchmark, variant=variant, source_url=source_url)
    text = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True)
    warnings = []
    level = (record.get("verification") or {}).get("level")
    if level != "recomputed":
        warnings.append(f"the record's verification level is {level!r}: run `bench verify {path} --out VERIFIED.json` "
                        "and publish the verified copy")
    if record.get("alarms"):
        warnings.append("the record carries sanity alarms: " + ", ".join(sorted({a['id'] for a in record['alarms']})))
    if (record.get("dataset") or {}).get("synthetic"):
        warnings.append("the record was computed on SYNTHETIC data; do not publish it as a real result")
    return Publication(model=model, path_in_repo=result_file_name(record["benchmark"]["task"], variant), text=text,
                       record=path, warnings=warnings)


def publish_result(record_file, model: str, *, benchmark: str | None = None, variant: str | None = None,
                   source_url: str | None = None, create_pr: bool = False, dry_run: bool = False) -> Publication:
    """Add ``.eval_results/<task>[_<variant>].yaml`` to ``model`` in one commit (or a PR), never replacing
    a file that is already there. ``dry_run``: the plan only, no token, no network."""
    plan = plan_publication(record_file, model, benchmark=benchmark, variant=variant, source_url=source_url)
    plan.create_pr = create_pr
    if dry_run:
        return plan
    if (plan.warnings and any("SYNTHETIC" in w for w in plan.warnings)):
        raise BenchError(f"{plan.record}: computed on SYNTHETIC data; refusing to publish it to the Hub")
    token = require_token()
    check_online()
    api = connect_hub(token, model, repo_type="model", remote=f"--model {model}")
    existing = set(api.list_repo_files(model, repo_type="model"))
    if plan.path_in_repo in existing:
        raise BenchError(f"{model} already has {plan.path_in_repo}; bench never overwrites a result: publish this one "
                         "as a variant (--variant NAME writes a separate file)")
    info = api.create_commit(model, commit_operations([Upload(plan.path_in_repo, data=plan.text.encode("utf-8"))]),
                             repo_type="model", create_pr=create_pr,
                             commit_message=f"Add {plan.path_in_repo} (bench result record)",
                             commit_description="Evaluation result in the Hub's .eval_results format, written by "
                                                "`bench publish-result`.")
    plan.commit_url = getattr(info, "pr_url", None) or getattr(info, "commit_url", None)
    return plan


def format_publication(plan: Publication, *, dry_run: bool) -> str:
    verb = "would add" if dry_run else ("proposed (pull request)" if plan.create_pr else "added")
    lines = [f"bench publish-result: {verb} {plan.path_in_repo} to model {plan.model}:", plan.text.rstrip("\n")]
    lines += [f"warning: {w}" for w in plan.warnings]
    if dry_run:
        lines.append(f"Dry run: nothing was sent (at publish time an existing {plan.path_in_repo} is never replaced).")
    elif plan.commit_url:
        lines.append(f"Commit: {plan.commit_url}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# eval.yaml of a benchmark dataset repository
# --------------------------------------------------------------------------------------------

def eval_yaml(name: str, description: str, tasks: list[dict]) -> str:
    """The Hub's ``eval.yaml``: name, description, evaluation_framework and ``tasks: [{id, config, split}]``."""
    body = {"name": name, "description": description, "evaluation_framework": EVALUATION_FRAMEWORK,
            "tasks": [{k: t[k] for k in ("id", "config", "split") if t.get(k) is not None} for t in tasks]}
    return yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100)


def benchmark_tasks(repo_dir: str | os.PathLike, configs: list[str]) -> list[dict]:
    """One eval.yaml task per config: id = config = the task name; split = the config's evaluation split.

    A GeneLab LOMO config is evaluated on every mission split in turn (no single test split); its
    task names its first test split and the README/bench_config.json document the folds.
    """
    out = []
    for config in configs:
        meta = read_config_meta(repo_dir, config)
        folds = meta.get("folds") or []
        test_splits = [f.get("test_split") for f in folds if f.get("test_split")]
        split = test_splits[0] if test_splits else ("test" if "test" in (meta.get("splits") or []) else None)
        if split is None:
            files = sorted(p.name.split("-", 1)[0] for p in (Path(repo_dir) / config).glob("*.parquet"))
            split = "test" if "test" in files else (files[0] if files else None)
        out.append({"id": config, "config": config, "split": split})
    return out
