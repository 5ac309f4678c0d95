"""Publish a metric folder (``metrics/<name>/``) as a Hugging Face ``evaluate`` Space.

A Space that ``evaluate.load("ORG/NAME")`` can read holds ``NAME.py`` (evaluate fetches the
file named after the repository), a README.md whose YAML header configures the Space and the
metric card, a requirements.txt, and an ``app.py`` launching the Gradio widget. This module
finds metric folders in the installed ``bench.metrics`` package, checks each of those files
before anything is sent (card fields, requirements covering every import), and pushes them in
one commit.
"""
from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import SpaceCard
from packaging.requirements import InvalidRequirement, Requirement

import bench.metrics
from bench.errors import BenchError, close_matches_hint
from bench.hub import Upload, check_online, check_repo_id, commit_operations, connect_hub, require_token
from bench.loaders.repo import parse_front_matter

REPO_TYPE = "space"
SPACE_SDK = "gradio"
REQUIRED_CARD_FIELDS = ("title", "emoji", "colorFrom", "colorTo", "sdk", "app_file", "pinned", "tags",
                        "description")
# Provided by the Space itself (sdk: gradio), so requirements.txt need not list them.
PROVIDED_BY_SPACE = {"gradio"}
APP_TEMPLATE = ('import evaluate\nfrom evaluate.utils import launch_gradio_widget\n\n'
                'module = evaluate.load("{repo_id}")\nlaunch_gradio_widget(module)\n')


@dataclass
class SpacePlan:
    """The files of one ``bench push-metric`` (one commit to a Space repository)."""

    name: str
    folder: Path
    repo_id: str
    uploads: list[Upload]
    card: dict
    app_generated: bool

    @property
    def paths(self) -> list[str]:
        return [u.path_in_repo for u in self.uploads]


def metric_folders() -> dict[str, Path]:
    """``{name: folder}`` for every ``metrics/<name>/<name>.py`` of the installed ``bench.metrics``."""
    found: dict[str, Path] = {}
    for root in bench.metrics.__path__:
        for folder in sorted(Path(root).iterdir()):
            if folder.is_dir() and (folder / f"{folder.name}.py").is_file():
                found.setdefault(folder.name, folder)
    return found


def find_metric(name_or_path: str | os.PathLike) -> Path:
    """A metric folder by name (see :func:`metric_folders`) or by path to the folder."""
    path = Path(name_or_path)
    if path.is_dir():
        if not (path / f"{path.name}.py").is_file():
            raise BenchError(f"{path}: not a metric folder: expected the module {path.name}/{path.name}.py "
                             "(evaluate requires the folder and the .py file to share a name)")
        return path
    folders = metric_folders()
    if str(name_or_path) in folders:
        return folders[str(name_or_path)]
    listed = ", ".join(folders) or "none installed"
    raise BenchError(f"unknown metric {str(name_or_path)!r}.{close_matches_hint(str(name_or_path), folders)} "
                     f"Metric folders in bench.metrics: {listed}")


def read_card(folder: Path) -> dict:
    """The metric card's YAML header, checked for every field the Space and the Hub need."""
    path = folder / "README.md"
    if not path.is_file():
        raise BenchError(f"{path}: metric card missing; it needs a YAML header with {', '.join(REQUIRED_CARD_FIELDS)}")
    card, _ = parse_front_matter(path.read_text(encoding="utf-8"), where=str(path), card_class=SpaceCard)
    if not card:
        raise BenchError(f"{path}: metric card has no YAML header (--- ... ---) with "
                         f"{', '.join(REQUIRED_CARD_FIELDS)}")
    missing = [k for k in REQUIRED_CARD_FIELDS if card.get(k) in (None, "", [])]
    if missing:
        raise BenchError(f"{path}: card field(s) {missing} missing from the YAML header; a Space card needs "
                         f"{', '.join(REQUIRED_CARD_FIELDS)}")
    problems = []
    if card["sdk"] != SPACE_SDK:
        problems.append(f"'sdk' must be {SPACE_SDK!r}, got {card['sdk']!r}")
    if card["app_file"] != "app.py":
        problems.append(f"'app_file' must be 'app.py', got {card['app_file']!r}")
    if not isinstance(card["tags"], list):
        problems.append(f"'tags' must be a list, got {type(card['tags']).__name__}")
    if not isinstance(card["pinned"], bool):
        problems.append(f"'pinned' must be true or false, got {card['pinned']!r}")
    if problems:
        raise BenchError(f"{path}: " + "; ".join(problems))
    return card


def top_level_imports(source: str, *, filename: str = "<module>") -> set[str]:
    """Absolute top-level module names imported by ``source`` (read with ast, never executed)."""
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise BenchError(f"{filename}: not valid Python (line {exc.lineno}): {exc.msg}") from None
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


_MODULE_BASES = {"Metric", "Comparison", "Measurement", "EvaluationModule"}


def check_module_class(source: str, *, filename: str) -> str:
    """Name of the ``evaluate.Metric`` (or Comparison/Measurement) subclass ``source`` defines."""
    tree = ast.parse(source, filename=filename)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
                if name in _MODULE_BASES:
                    return node.name
    raise BenchError(f"{filename}: defines no evaluate.Metric subclass; evaluate.load needs a class "
                     "deriving from evaluate.Metric (or Comparison / Measurement) at module level")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_requirements(path: Path) -> dict[str, set[str]]:
    """``{normalised distribution name: extras}`` from a requirements.txt (names only)."""
    out: dict[str, set[str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#") or line.startswith("-") and not line.startswith("-e"):
            continue
        line = line.removeprefix("-e").strip()
        egg = re.search(r"#egg=([A-Za-z0-9_.\-]+)(\[[^\]]*\])?", line)
        if egg:
            out.setdefault(_norm(egg.group(1)), set()).update(
                e.strip() for e in (egg.group(2) or "[]")[1:-1].split(",") if e.strip())
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            if "://" in line:  # a bare URL: its last path component names the project
                out.setdefault(_norm(line.rstrip("/").split("/")[-1].removesuffix(".git").split("@")[0]), set())
                continue
            raise BenchError(f"{path}: cannot parse requirement {raw.strip()!r}") from None
        out.setdefault(_norm(req.name), set()).update(req.extras)
    return out


def _bench_dependencies(extras: set[str]) -> set[str]:
    """Normalised names of what ``pip install bench[extras]`` pulls in."""
    try:
        requires = importlib.metadata.requires("bench") or []
    except importlib.metadata.PackageNotFoundError:
        return set()
    deps = set()
    for spec in requires:
        req = Requirement(spec)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in (extras or {""})):
            deps.add(_norm(req.name))
    return deps


def check_requirements(folder: Path, imports: set[str]) -> list[str]:
    """Raise unless requirements.txt covers every third-party import; return the listed names."""
    path = folder / "requirements.txt"
    if not path.is_file():
        raise BenchError(f"{path}: missing; list `bench` (or every package the metric imports) so the Space "
                         "can install them")
    listed = read_requirements(path)
    provided = set(listed) | {_norm(n) for n in PROVIDED_BY_SPACE}
    if "bench" in listed:
        provided |= _bench_dependencies(listed["bench"])
    dist_map = importlib.metadata.packages_distributions()
    missing = []
    for module in sorted(imports):
        if module in sys.stdlib_module_names or module == "__future__" or module == folder.name:
            continue
        dists = {_norm(d) for d in dist_map.get(module, [module])}
        if module == "bench":
            dists = {"bench"}
        if not dists & provided:
            missing.append(f"{module} (install name: {' or '.join(sorted(dists))})")
    if missing:
        raise BenchError(f"{path}: does not cover these imports of the metric or app.py: {', '.join(missing)}; "
                         "add them (or `bench`, which brings its own dependencies)")
    return sorted(listed)


def plan_space(name_or_path: str | os.PathLike, repo_id: str) -> SpacePlan:
    """Check a metric folder and list the files of its Space (no network)."""
    check_repo_id(repo_id)
    folder = find_metric(name_or_path)
    name = folder.name
    module = folder / f"{name}.py"
    card = read_card(folder)
    app = folder / "app.py"
    app_upload = (Upload("app.py", source=app) if app.is_file()
                  else Upload("app.py", data=APP_TEMPLATE.format(repo_id=repo_id).encode("utf-8")))
    app_source = app.read_text(encoding="utf-8") if app.is_file() else app_upload.data.decode()
    module_source = module.read_text(encoding="utf-8")
    imports = (top_level_imports(module_source, filename=str(module))
               | top_level_imports(app_source, filename=str(app)))
    check_module_class(module_source, filename=str(module))
    check_requirements(folder, imports)
    space_module = f"{repo_id.split('/')[1]}.py"
    uploads = [Upload(space_module, source=module), Upload("README.md", source=folder / "README.md"),
               Upload("requirements.txt", source=folder / "requirements.txt"), app_upload]
    return SpacePlan(name=name, folder=folder, repo_id=repo_id, uploads=uploads, card=card,
                     app_generated=not app.is_file())


def format_space_plan(plan: SpacePlan, *, dry_run: bool) -> str:
    verb = "would upload" if dry_run else "uploaded"
    lines = [f"bench push-metric: {verb} metric {plan.name!r} ({plan.folder}) to Space {plan.repo_id} "
             f"(sdk {SPACE_SDK}) in one commit:"]
    lines += ["  " + u.describe() for u in plan.uploads]
    if plan.paths[0] != f"{plan.name}.py":
        lines.append(f"Note: {plan.name}.py is uploaded as {plan.paths[0]}: evaluate.load({plan.repo_id!r}) "
                     "fetches the file named after the repository.")
    if plan.app_generated:
        lines.append("app.py is generated (the standard evaluate widget):")
        lines += ["    " + line for line in plan.uploads[-1].data.decode().splitlines()]
    lines.append(f"Card: title {plan.card['title']!r}, tags {plan.card['tags']}")
    lines.append(f"Load it with: evaluate.load({plan.repo_id!r})")
    if dry_run:
        lines.append("Dry run: nothing was sent.")
    return "\n".join(lines)


def push_metric(name_or_path: str | os.PathLike, repo_id: str, *, private: bool = False,
                dry_run: bool = False) -> SpacePlan:
    """Create (if needed) the Space ``repo_id`` and upload the metric in one commit."""
    plan = plan_space(name_or_path, repo_id)
    if dry_run:
        return plan
    token = require_token()
    check_online()
    api = connect_hub(token, repo_id, repo_type=REPO_TYPE)
    api.create_repo(repo_id, repo_type=REPO_TYPE, space_sdk=SPACE_SDK, private=private, exist_ok=True)
    api.create_commit(repo_id, commit_operations(plan.uploads), repo_type=REPO_TYPE,
                      commit_message=f"bench push-metric: {plan.name}")
    return plan
