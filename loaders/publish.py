"""Publish a built repository (the :mod:`bench.loaders.repo` layout) to a Hub dataset repo.

One ``bench push`` is ONE commit holding, for each selected config, its parquet files and
``bench_config.json``, plus a README.md whose YAML ``configs:`` (and card sections) are the
README already on the Hub merged with the pushed configs: configs that are not pushed keep
their entries, files and card sections. Remote files under a pushed config's folder that the
new version no longer has are deleted in the same commit, so a re-sharded split never leaves
stale shards behind its ``<split>-*.parquet`` pattern.

Everything before the network is plain and testable: :func:`plan_push` validates the repo
and returns the exact operations; :func:`push` adds the Hub calls (token, repo, branch,
remote README, the commit).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from huggingface_hub import errors as hub_errors

from bench.errors import BenchError, close_matches_hint
from bench.results.eval_results import benchmark_tasks, eval_yaml
from bench.hub import (Upload, check_online, check_repo_id, commit_operations, connect_hub, format_size,
                       is_missing_error, require_token)
from bench.loaders.repo import (CONFIG_META, LICENSE_FILE, REPO_ID_PLACEHOLDER, card_yaml, check_config_name,
                                list_configs, merge_config_entries, merge_dataset_info, parse_front_matter,
                                read_readme, render_readme)
from bench.loaders.audit import Finding, audit_repo, format_findings, has_errors
from bench.loaders.validate import check_repo

REPO_TYPE = "dataset"


@dataclass
class PushPlan:
    """What one ``bench push`` sends: uploads (README.md last) and the README it writes."""

    repo_id: str
    configs: list[str]
    uploads: list[Upload]
    readme_header: dict
    revision: str | None = None
    merged_with_remote: bool = False
    deletions: list[str] = field(default_factory=list)
    commit_url: str | None = None
    synthetic: list[str] = field(default_factory=list)       # pushed configs marked synthetic
    audit: list[Finding] = field(default_factory=list)
    allow_leakage: str | None = None                         # the reason given for pushing despite errors

    @property
    def readme_text(self) -> str:
        return next(u.data.decode("utf-8") for u in self.uploads if u.path_in_repo == "README.md")

    @property
    def paths(self) -> list[str]:
        return [u.path_in_repo for u in self.uploads]


def parse_readme_text(text: str, *, where: str = "README.md") -> tuple[dict, str]:
    """(YAML header, markdown body) of a README's text; BenchError naming ``where`` on bad YAML."""
    return parse_front_matter(text, where=where)


def select_configs(repo_dir: str | os.PathLike, configs: list[str] | None) -> list[str]:
    """The configs to push: all of the README's when ``configs`` is empty, else those (checked)."""
    available = list_configs(repo_dir)
    if not available:
        raise BenchError(f"{repo_dir}: README.md lists no configs; build one first (bench build ... --out DIR)")
    if not configs:
        return available
    chosen = []
    for name in configs:
        check_config_name(name)
        if name not in available:
            raise BenchError(f"--config {name!r} is not a config of {repo_dir}.{close_matches_hint(name, available)} "
                             f"Configs there: {', '.join(available)}")
        if name not in chosen:
            chosen.append(name)
    return chosen


def _split_sections(body: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a markdown body into (preamble, [(level-2 heading, section text)]), ignoring code fences."""
    preamble, sections, current, in_fence = [], [], None, False
    for line in body.splitlines(keepends=True):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            current = [line.rstrip("\n")[3:].strip(), [line]]
            sections.append(current)
        elif current is None:
            preamble.append(line)
        else:
            current[1].append(line)
    return "".join(preamble), [(h, "".join(lines)) for h, lines in sections]


def merge_card_body(remote_body: str, local_body: str, configs: list[str]) -> str:
    """Remote card with the pushed configs' ``## <config>`` sections replaced or appended."""
    local_pre, local_sections = _split_sections(local_body)
    if not remote_body.strip():
        remote_pre, remote_sections = local_pre, []
    else:
        remote_pre, remote_sections = _split_sections(remote_body)
    new = {h: text for h, text in local_sections if h in configs}
    merged = [(h, new.pop(h, text)) for h, text in remote_sections]
    merged += [(h, new[h]) for h in configs if h in new]
    out = remote_pre
    for _, text in merged:
        if out and not out.endswith("\n\n"):
            out = out.rstrip("\n") + "\n\n"
        out += text
    return out


def _license_ids(repo: Path, configs: list[str]) -> set[str]:
    ids = set()
    for name in configs:
        meta = json.loads((repo / name / CONFIG_META).read_text(encoding="utf-8"))
        ids.add(str(meta.get("license_id") or "other"))
    return ids


def merge_readme(repo_dir: str | os.PathLike, configs: list[str], remote_text: str | None) -> tuple[dict, str]:
    """README.md (header, full text) for the Hub: the remote one merged with the pushed configs.

    Entries of configs that are not pushed are kept verbatim; pushed ones are replaced by the
    local entries (keeping the Hub's ``default:`` flag). Other remote header fields
    (dataset_info, task_categories, ...) are kept.
    """
    repo = Path(repo_dir)
    local_header, local_body = read_readme(repo)
    remote_header, remote_body = parse_readme_text(remote_text or "", where="README.md on the Hub")
    header = dict(remote_header)
    remote_entries = header.get("configs") if isinstance(header.get("configs"), list) else []
    remote_by_name = {e.get("config_name"): e for e in remote_entries if isinstance(e, dict)}
    pushed = []
    for entry in local_header.get("configs", []):
        if entry.get("config_name") in configs:
            previous = remote_by_name.get(entry["config_name"], {})
            if "default" in previous and "default" not in entry:  # keep the Hub's default config
                entry = {**entry, "default": previous["default"]}
            pushed.append(entry)
    header["configs"] = merge_config_entries(remote_entries, pushed)
    for key in ("pretty_name", "tags"):
        if key not in header and key in local_header:
            header[key] = local_header[key]
    licenses = _license_ids(repo, configs)
    kept = [e for e in remote_entries if isinstance(e, dict) and e.get("config_name") not in configs]
    if kept and remote_header.get("license"):
        licenses.add(str(remote_header["license"]))
    header["license"] = licenses.pop() if len(licenses) == 1 else "other"
    if header["license"] == "other":
        header.setdefault("license_name", local_header.get("license_name", "per-config"))
        header.setdefault("license_link", LICENSE_FILE)
    else:
        header.pop("license_name", None)
        header.pop("license_link", None)
    if any(_meta(repo, c).get("synthetic") for c in configs):
        header["tags"] = list(dict.fromkeys([*(header.get("tags") or []), "synthetic"]))
    local_info = [e for e in local_header.get("dataset_info") or [] if e.get("config_name") in configs]
    listed = {e.get("config_name") for e in header["configs"] if isinstance(e, dict)}
    remote_info = [e if e.get("config_name") else {**e, "config_name": "default"}
                   for e in _as_list(remote_header.get("dataset_info"))]
    # an item of a config the README no longer lists describes nothing: dropped
    header["dataset_info"] = merge_dataset_info([e for e in remote_info if e["config_name"] in listed], local_info)
    for key in ("task_categories", "size_categories"):
        header[key] = _union(header.get(key), local_header.get(key))
    return header, render_readme(header, merge_card_body(remote_body, local_body, configs))


def _as_list(value) -> list[dict]:
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    return [e for e in items if isinstance(e, dict)]


def _union(a, b) -> list:
    return list(dict.fromkeys([*(a or []), *(b or [])]))


def _meta(repo: Path, config: str) -> dict:
    return json.loads((repo / config / CONFIG_META).read_text(encoding="utf-8"))


def plan_push(repo_dir: str | os.PathLike, repo_id: str, *, configs: list[str] | None = None,
              remote_readme: str | None = None, revision: str | None = None, allow_synthetic: bool = False,
              allow_leakage: str | None = None, register_benchmark: bool = False) -> PushPlan:
    """Validate and audit ``repo_dir`` and return the exact uploads of a push (no network).

    Refused: a synthetic config unless ``allow_synthetic`` (then the card's YAML is tagged
    ``synthetic`` beside each section's banner); an error-level leakage finding unless
    ``allow_leakage`` gives the reason (recorded in the commit description).
    ``register_benchmark`` adds the Hub's ``eval.yaml`` (one task per pushed config) so the dataset
    can host a leaderboard of ``.eval_results`` (see :mod:`bench.results.eval_results`).
    """
    check_repo_id(repo_id)
    repo = Path(repo_dir)
    if not repo.is_dir():
        raise BenchError(f"built repository not found: {repo} is not a folder")
    chosen = select_configs(repo, configs)
    resolved = check_repo(repo, configs=chosen)
    synthetic = [c for c in chosen if _meta(repo, c).get("synthetic")]
    if synthetic and not allow_synthetic:
        raise BenchError(f"config(s) {', '.join(synthetic)} hold SYNTHETIC data (bench's generator, not "
                         "measurements); refusing to publish them under a real config name. Build from real data "
                         "(--data-dir), or pass --allow-synthetic (bench.push(..., allow_synthetic=True)) to "
                         "publish them tagged 'synthetic' with a banner in every section")
    if allow_leakage is not None and not str(allow_leakage).strip():
        raise BenchError("--allow-leakage needs a REASON (it is recorded in the commit description)")
    findings = audit_repo(repo, configs=chosen)
    if has_errors(findings) and not allow_leakage:
        raise BenchError(f"{format_findings(findings)}\nrefusing to push: the leakage audit has error-level "
                         "findings; fix the data, or pass --allow-leakage REASON to publish anyway")
    uploads: list[Upload] = []
    for cfg in resolved:
        files = sorted({f for fs in cfg.splits.values() for f in fs} | {repo / cfg.name / CONFIG_META})
        uploads += [Upload(f.relative_to(repo).as_posix(), source=f) for f in files]
    header, text = merge_readme(repo, chosen, remote_readme)
    if header.get("license_link") == LICENSE_FILE and (repo / LICENSE_FILE).is_file():
        uploads.append(Upload(LICENSE_FILE, source=repo / LICENSE_FILE))
    if register_benchmark:
        uploads.append(Upload("eval.yaml", data=benchmark_eval_yaml(repo, repo_id, chosen).encode("utf-8")))
    uploads.append(Upload("README.md", data=text.replace(REPO_ID_PLACEHOLDER, repo_id).encode("utf-8")))
    return PushPlan(repo_id=repo_id, configs=chosen, uploads=uploads, readme_header=header,
                    revision=revision, merged_with_remote=remote_readme is not None, synthetic=synthetic,
                    audit=findings, allow_leakage=allow_leakage)


def benchmark_eval_yaml(repo: Path, repo_id: str, configs: list[str]) -> str:
    """The ``eval.yaml`` registering the pushed configs as the benchmark's tasks."""
    description = (f"bench benchmark configs ({', '.join(configs)}): transcriptomics tasks built by bench; each "
                   "task id is a config name, scored by bench's metric for that task (e.g. lomo_auroc: mean "
                   "leave-one-mission-out AUROC). Results: `bench publish-result`.")
    return eval_yaml(repo_id.split("/", 1)[1], description, benchmark_tasks(repo, configs))


def format_plan(plan: PushPlan, *, dry_run: bool) -> str:
    """Human-readable operations list and the new README YAML."""
    verb = "would publish" if dry_run else "published"
    total = sum(u.size for u in plan.uploads)
    lines = [f"bench push: {verb} {len(plan.configs)} config(s) ({', '.join(plan.configs)}) to dataset "
             f"{plan.repo_id} (revision {plan.revision or 'main'}) in one commit of {len(plan.uploads)} file(s), "
             f"{format_size(total)}:"]
    lines += ["  " + u.describe() for u in plan.uploads]
    lines += [f"  delete  {p}" for p in plan.deletions]
    if plan.synthetic:
        lines.append(f"SYNTHETIC config(s) {', '.join(plan.synthetic)} (--allow-synthetic): tagged 'synthetic' "
                     "in the card YAML, with a banner in each section")
    lines.append(format_findings(plan.audit))
    if plan.allow_leakage:
        lines.append(f"published despite the audit's errors (--allow-leakage): {plan.allow_leakage}")
    if dry_run:
        lines.append("Remote files under the pushed config folders that are not listed above are deleted in "
                     "the same commit (found at push time).")
        lines.append("README.md (the whole card; at push time it is merged with the README already on the Hub: "
                     "its other configs and card sections are kept):")
        lines.append(plan.readme_text.rstrip("\n"))
    else:
        lines.append("README.md YAML header on the Hub:")
        lines.append(f"---\n{card_yaml(plan.readme_header)}\n---")
    for u in plan.uploads:
        if u.path_in_repo == "eval.yaml":
            lines.append("eval.yaml (registers the dataset as a Hub benchmark):\n" + u.data.decode("utf-8").rstrip("\n"))
    if dry_run:
        lines.append("Dry run: nothing was sent.")
    elif plan.commit_url:
        lines.append(f"Commit: {plan.commit_url}")
    return "\n".join(lines)


def fetch_remote_readme(api, repo_id: str, *, revision: str | None) -> str | None:
    """Text of README.md on the Hub, or None when the repo or the file does not exist yet.

    A branch that does not exist yet is created from the default branch, so its README is the
    default branch's.
    """
    try:
        path = api.hf_hub_download(repo_id=repo_id, filename="README.md", repo_type=REPO_TYPE,
                                   revision=revision)
    except hub_errors.RevisionNotFoundError:
        return fetch_remote_readme(api, repo_id, revision=None) if revision else None
    except Exception as exc:
        if is_missing_error(exc):
            return None
        raise
    return Path(path).read_text(encoding="utf-8")


def push(repo_dir: str | os.PathLike, repo_id: str, *, configs: list[str] | None = None,
         revision: str | None = None, private: bool = False, dry_run: bool = False,
         allow_synthetic: bool = False, allow_leakage: str | None = None,
         register_benchmark: bool = False) -> PushPlan:
    """Publish ``configs`` (default: all) of a built repository to ``repo_id`` in one commit.

    Everything local is checked (repo id, config names, validation, leakage audit, synthetic
    configs, token, online mode) before the first request, and the merged README is computed
    before anything is written on the Hub. ``dry_run`` returns the plan without any network
    access or token (``format_plan(plan, dry_run=True)`` shows the files, audit and whole card).
    """
    options = dict(configs=configs, revision=revision, allow_synthetic=allow_synthetic, allow_leakage=allow_leakage,
                   register_benchmark=register_benchmark)
    plan = plan_push(repo_dir, repo_id, **options)
    if dry_run:
        return plan
    token = require_token()
    check_online()
    api = connect_hub(token, repo_id, repo_type=REPO_TYPE)
    remote = fetch_remote_readme(api, repo_id, revision=revision)
    plan = plan_push(repo_dir, repo_id, remote_readme=remote, **options)
    api.create_repo(repo_id, repo_type=REPO_TYPE, private=private, exist_ok=True)
    if revision:
        api.create_branch(repo_id, branch=revision, repo_type=REPO_TYPE, exist_ok=True)
    new_paths = set(plan.paths)
    remote_files = api.list_repo_files(repo_id, repo_type=REPO_TYPE, revision=revision)
    plan.deletions = sorted(p for p in remote_files
                            if "/" in p and p.split("/", 1)[0] in plan.configs and p not in new_paths)
    info = api.create_commit(repo_id, commit_operations(plan.uploads, plan.deletions), repo_type=REPO_TYPE,
                             revision=revision,
                             commit_message=f"bench push: {', '.join(plan.configs)}",
                             commit_description="Published with bench; README configs merged "
                                                "(other configs kept)." + _leakage_note(plan))
    plan.commit_url = getattr(info, "commit_url", None)
    return plan


def _leakage_note(plan: PushPlan) -> str:
    if not plan.allow_leakage:
        return ""
    return f"\n\nPublished despite leakage-audit errors, because: {plan.allow_leakage}\n\n{format_findings(plan.audit)}"
