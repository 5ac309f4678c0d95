"""Scan ``tasks/**/*.yaml`` into :class:`TaskSpec` objects.

A YAML file is one task; files whose name starts with ``_`` are templates that tasks pull
in with ``include:`` (a name or list of names). Included mappings are merged recursively;
the including file wins. An include is looked up relative to the including file, then in the
built-in tasks folder (``genelab/_skin.yaml``), then in the built-in folder named like the
including file's folder, so a copy of ``tasks/genelab/A5_skin.yaml`` placed in
``<your folder>/genelab/`` keeps working unchanged.

Extra task folders: the task folder of each family defined outside bench (the package holding its
``Params``, see :func:`bench.tasks.families.family_task_dirs`), then ``BENCH_TASKS_PATH``
(``os.pathsep``-separated), e.g. a lab's new missions or tissues. A task name defined in two
folders is an error, never a silent override.

A file with ``task_pattern:`` instead of ``task:`` is a *pattern task*: one file standing for a
family of tasks named by the pattern, e.g. ``task_pattern: genotex_{trait}`` with
``pattern_fields: {trait: {regex: ..., choices: [...]}}``. :func:`resolve_task` matches a name
against every pattern, checks each field against its ``regex`` (default ``[A-Za-z0-9_]+``) and
``choices`` (when given) and returns a :class:`TaskSpec` whose ``params`` carry the bound field
values (``bindings``). Patterns are never expanded into the registry itself.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from bench.errors import BenchError, close_matches_hint
from bench.io import read_yaml
from bench.tasks.families import FAMILIES, family_task_dirs, params_class
from bench.tasks.params import Params

TASKS_DIR = Path(__file__).resolve().parent
TASKS_PATH_ENV = "BENCH_TASKS_PATH"
REQUIRED_KEYS = ("task", "family", "version", "description", "source", "label", "domain",
                 "split", "metric", "citation", "license")
PROVENANCE_KEYS = ("source", "license", "citation")
_CONFIG_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class TaskSpec:
    """One registered task: what it is, where its data comes from and how it is scored."""

    name: str
    family: str
    version: int
    description: str
    source: dict
    label: dict
    domain: str | None
    split: dict
    metric: dict
    citation: str
    license: str
    upstream_id: str | None = None
    params: Params = field(default_factory=dict)
    path: Path | None = None
    bindings: dict = field(default_factory=dict)

    def __post_init__(self):
        """Check ``params`` against the family's typed :class:`Params` (unknown or mistyped key: BenchError)."""
        where = str(self.path) if self.path else f"task {self.name}"
        if self.family not in FAMILIES:
            raise BenchError(f"{where}: unknown family {self.family!r}.{close_matches_hint(self.family, FAMILIES)} "
                             f"Available: {', '.join(FAMILIES)}", field="family")
        cls = params_class(self.family)
        if type(self.params) is not cls:
            object.__setattr__(self, "params", cls.from_mapping(self.params, where=where))

    @property
    def raw(self) -> dict:
        """The fully merged spec as a plain dict (what the YAML says after includes).

        For a task resolved from a pattern, ``task`` is the concrete name and the bound
        pattern fields are merged into ``params``.
        """
        raw = _resolved_yaml(str(self.path)) if self.path else {}
        if self.bindings:
            raw = _deep_merge(_fill(raw, self.bindings), {"task": self.name, "params": dict(self.bindings)})
        return raw

    @property
    def spec_hash(self) -> str:
        """sha256 of the merged spec (canonical JSON): changes whenever the task definition does."""
        blob = json.dumps(self.raw, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    @property
    def primary_metric(self) -> str:
        return self.metric.get("primary", "")


def split_name(label: str) -> str:
    """Map an upstream group name (e.g. a mission ``RR-7``) to a legal HF split name (``rr_7``).

    HF split names must match ``\\w+(\\.\\w+)*``; the mapping is lower-case and replaces every
    run of other characters by ``_``.

    >>> split_name("RR-7"), split_name("MHU-2"), split_name("TBD")
    ('rr_7', 'mhu_2', 'tbd')
    """
    out = re.sub(r"[^0-9a-zA-Z]+", "_", str(label)).strip("_").lower()
    if not out:
        raise BenchError(f"cannot make a split name from {label!r}: it has no letters or digits")
    return out


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


_INCLUDE_CHAIN: list[str] = []   # the task files being resolved, outermost first (circular includes)


@functools.lru_cache(maxsize=None)
def _resolved_yaml(path: str) -> dict:
    """A task file merged over its includes, parsed once per file (a shared include is read once,
    not once per task that includes it: `bench list` parses YAML for most of its time)."""
    if path in _INCLUDE_CHAIN:
        raise BenchError(f"{path}: circular include: {' -> '.join(_INCLUDE_CHAIN + [path])}")
    _INCLUDE_CHAIN.append(path)
    try:
        return _merged_task_file(Path(path))
    finally:
        _INCLUDE_CHAIN.pop()


def _merged_task_file(p: Path) -> dict:
    data = read_yaml(p, what="task file")
    if not isinstance(data, dict):
        raise BenchError(f"{p}: a task file must be a YAML mapping, got {type(data).__name__}")
    includes = data.pop("include", None) or []
    if isinstance(includes, str):
        includes = [includes]
    merged: dict = {}
    for inc in includes:
        inc_path = _find_include(p, str(inc))
        merged = _deep_merge(merged, copy.deepcopy(_resolved_yaml(str(inc_path))))  # each task its own copy
    return _deep_merge(merged, data)


def _find_include(including: Path, inc: str) -> Path:
    """First existing candidate: next to ``including``, under TASKS_DIR, under TASKS_DIR/<its folder>."""
    candidates = [including.parent / inc, TASKS_DIR / inc, TASKS_DIR / including.parent.name / inc]
    for cand in candidates:
        if cand.is_file():
            return cand.resolve()
    raise BenchError(f"{including}: include {inc!r} not found (looked for "
                     f"{', '.join(str(c) for c in dict.fromkeys(candidates))})")


#: metric keys holding counts/seeds/thresholds: (kind, minimum) checked when a task file loads
_METRIC_NUMBERS = {"n_bootstrap": ("int", 0), "n_permutations": ("int", 0), "large_test_min": ("int", 1),
                   "n_neighbors": ("int", 1), "seed": ("seed", 0)}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and abs(value) != float("inf")


def _check_numbers(path: Path, data: dict) -> None:
    """``version`` and the numeric ``metric`` keys have numeric values (a string or a float count is an
    error naming the file and the key, not a traceback or a silently different run)."""
    def bad(key, value, expected):
        raise BenchError(f"{path}: {key} must be {expected}, got {type(value).__name__} {value!r}", field=key)

    if "version" in data and not _is_int(data["version"]):
        bad("version", data["version"], "an integer")
    metric = data.get("metric") if isinstance(data.get("metric"), dict) else {}
    for key, (kind, minimum) in _METRIC_NUMBERS.items():
        value = metric.get(key)
        if value is None:
            continue
        if kind == "seed" and not (_is_int(value) and 0 <= value < 2 ** 32):
            bad(f"metric.{key}", value, "an integer in [0, 4294967295]")
        if kind == "int" and not (_is_int(value) and value >= minimum):
            bad(f"metric.{key}", value, f"an integer >= {minimum}")
    thresholds = metric.get("thresholds")
    if thresholds is not None and not isinstance(thresholds, dict):
        bad("metric.thresholds", thresholds, "a mapping of name: number")
    for name, value in (thresholds or {}).items():
        if not _is_real(value):
            bad(f"metric.thresholds.{name}", value, "a finite number")
    top_k = metric.get("top_k")
    if top_k is not None and not (isinstance(top_k, list) and all(_is_int(k) and k >= 1 for k in top_k)):
        bad("metric.top_k", top_k, "a list of positive integers")


def _is_builtin(path: Path) -> bool:
    return Path(path).resolve().is_relative_to(TASKS_DIR)


@functools.lru_cache(maxsize=None)
def _own_yaml(path: str) -> dict:
    """What a user task file declares itself: the file merged with its includes that are NOT built-in."""
    p = Path(path)
    data = dict(read_yaml(p, what="task file") or {})
    includes = data.pop("include", None) or []
    merged: dict = {}
    for inc in [includes] if isinstance(includes, str) else includes:
        inc_path = _find_include(p, str(inc))
        if not _is_builtin(inc_path):
            merged = _deep_merge(merged, _own_yaml(str(inc_path)))
    return _deep_merge(merged, data)


def _own_provenance(path: Path, data: dict) -> dict:
    """A task outside the built-in folder declares its own source, licence and citation: the built-in
    templates' values describe the upstream benchmark's data, never a user's. Its ``source`` is its own
    only (no upstream ``hub_repo``/``upstream_commit`` merged in)."""
    own = _own_yaml(str(path))
    missing = [k for k in PROVENANCE_KEYS if not own.get(k)]
    if missing:
        also = f" (and {missing[1:]})" if missing[1:] else ""
        raise BenchError(f"{path}: key {missing[0]!r} is missing{also}; a task outside bench's built-in tasks must "
                         "declare its own 'source', 'license' and 'citation' (the built-in templates' values "
                         "describe the upstream data, not yours)")
    if not isinstance(own["source"], dict):
        raise BenchError(f"{path}: field 'source' must be a mapping (e.g. {{provided_by: 'my lab, OSD-123'}})")
    return {**data, "source": dict(own["source"]), "license": own["license"], "citation": own["citation"]}


def _spec_from_yaml(path: Path) -> TaskSpec:
    data = _resolved_yaml(str(path))
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise BenchError(f"{path}: task spec is missing required key(s) {missing}; "
                         f"every task needs {list(REQUIRED_KEYS)}")
    if not _is_builtin(path):
        data = _own_provenance(path, data)
    name = data["task"]
    if not isinstance(name, str) or not _CONFIG_NAME_RE.match(name):
        raise BenchError(f"{path}: field 'task' must be a Hub-safe config name "
                         f"(letters, digits, '_'), got {name!r}")
    if path.stem != name:
        raise BenchError(f"{path}: file name must equal the task name {name!r} ({name}.yaml)")
    for key in ("source", "label", "split", "metric"):
        if not isinstance(data[key], dict):
            raise BenchError(f"{path}: field {key!r} must be a mapping, got {type(data[key]).__name__}")
    if "name" not in data["metric"] or "primary" not in data["metric"]:
        raise BenchError(f"{path}: field 'metric' needs 'name' and 'primary'")
    _check_numbers(path, data)
    return TaskSpec(
        name=name, family=str(data["family"]), version=int(data["version"]),
        description=str(data["description"]).strip(), source=data["source"], label=data["label"],
        domain=data["domain"], split=data["split"], metric=data["metric"],
        citation=str(data["citation"]).strip(), license=str(data["license"]),
        upstream_id=data.get("upstream_id"), params=data.get("params") or {}, path=path,
    )


def task_dirs(extra_dirs=None) -> tuple[Path, ...]:
    """The folders scanned for tasks: built-in ``tasks/``, the task folders of families defined outside
    bench, then ``$BENCH_TASKS_PATH``, then ``extra_dirs``."""
    env = os.environ.get(TASKS_PATH_ENV, "")
    dirs = [TASKS_DIR] + [d.resolve() for d in family_task_dirs() if not d.resolve().is_relative_to(TASKS_DIR)]
    for source, entries in ((TASKS_PATH_ENV, env.split(os.pathsep)), ("extra_dirs", list(extra_dirs or []))):
        for entry in entries:
            if not str(entry).strip():
                continue
            path = Path(entry).expanduser()
            if not path.is_dir():
                raise BenchError(f"{source}: task folder {str(entry)!r} does not exist or is not a folder")
            dirs.append(path.resolve())
    return tuple(dict.fromkeys(dirs))


def load_registry(root: str | None = None, *, extra_dirs=None) -> dict[str, TaskSpec]:
    """Return ``{name: TaskSpec}`` for every task file under the task folders.

    ``root`` given: that folder only. Otherwise the built-in folder, the folders of
    ``$BENCH_TASKS_PATH`` and ``extra_dirs`` (see :func:`task_dirs`).
    """
    dirs = (Path(root).resolve(),) if root else task_dirs(extra_dirs)
    return _load_dirs(tuple(str(d) for d in dirs))


@dataclass(frozen=True)
class TaskPattern:
    """A pattern task file: ``pattern`` (e.g. ``genotex_{trait}``) and its field rules."""

    pattern: str
    family: str
    fields: dict
    path: Path

    @property
    def regex(self) -> re.Pattern:
        parts = re.split(r"\{(\w+)\}", self.pattern)
        out = []
        for i, part in enumerate(parts):
            if i % 2:
                rule = (self.fields.get(part) or {}).get("regex", r"[A-Za-z0-9_]+")
                out.append(f"(?P<{part}>{rule})")
            else:
                out.append(re.escape(part))
        return re.compile("^" + "".join(out) + "$")

    def choices(self, name: str) -> list | None:
        choices = (self.fields.get(name) or {}).get("choices")
        return list(choices) if choices is not None else None


def _pattern_from_yaml(path: Path, data: dict) -> TaskPattern:
    pattern = data["task_pattern"]
    if not isinstance(pattern, str) or not re.search(r"\{\w+\}", pattern):
        raise BenchError(f"{path}: field 'task_pattern' must be a string with at least one {{field}}, "
                         f"got {pattern!r}")
    fields = data.get("pattern_fields") or {}
    if not isinstance(fields, dict):
        raise BenchError(f"{path}: field 'pattern_fields' must be a mapping of field -> {{regex, choices}}")
    missing = [k for k in REQUIRED_KEYS if k not in data and k != "task"]
    if missing:
        raise BenchError(f"{path}: pattern task is missing required key(s) {missing}")
    _check_numbers(path, data)
    if str(data["family"]) in FAMILIES:
        params_class(str(data["family"])).from_mapping(data.get("params"), where=str(path))
    return TaskPattern(pattern=pattern, family=str(data["family"]), fields=fields, path=path)


def load_patterns(root: str | None = None) -> tuple[TaskPattern, ...]:
    """Every pattern task file under ``root`` (default: every task folder), sorted by path."""
    dirs = (Path(root).resolve(),) if root else task_dirs()
    return _load_pattern_dirs(tuple(str(d) for d in dirs))


@functools.lru_cache(maxsize=None)
def _load_pattern_dirs(dirs: tuple[str, ...]) -> tuple[TaskPattern, ...]:
    out = []
    for path in sorted(p for base in dirs for p in Path(base).rglob("*.yaml")):
        if path.name.startswith("_"):
            continue
        data = _resolved_yaml(str(path))
        if isinstance(data, dict) and "task_pattern" in data:
            out.append(_pattern_from_yaml(path, data))
    return tuple(out)


def list_task_patterns(family: str | None = None) -> list[TaskPattern]:
    """Pattern tasks (``genotex_{trait}``), optionally of one family."""
    return [p for p in load_patterns() if family is None or p.family == family]


def _fill(obj, bindings: dict):
    """Substitute ``{field}`` in every string of ``obj`` (recursively through dicts and lists)."""
    if isinstance(obj, str):
        for key, value in bindings.items():
            obj = obj.replace("{" + key + "}", str(value))
        return obj
    if isinstance(obj, dict):
        return {k: _fill(v, bindings) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fill(v, bindings) for v in obj]
    return obj


def _resolve_pattern(name: str) -> TaskSpec | None:
    for pat in load_patterns():
        m = pat.regex.match(name)
        if not m:
            continue
        bindings = m.groupdict()
        for key, value in bindings.items():
            choices = pat.choices(key)
            if choices is not None and value not in choices:
                raise BenchError(f"unknown {key} {value!r} in task {name!r} (pattern {pat.pattern}, "
                                 f"{pat.path.name}).{close_matches_hint(value, choices)}")
        data = _resolved_yaml(str(pat.path))
        return TaskSpec(
            name=name, family=str(data["family"]), version=int(data["version"]),
            description=_fill(str(data["description"]).strip(), bindings), source=data["source"],
            label=data["label"], domain=data["domain"], split=data["split"], metric=data["metric"],
            citation=str(data["citation"]).strip(), license=str(data["license"]),
            upstream_id=data.get("upstream_id"), params=_deep_merge(_fill(data.get("params") or {}, bindings), bindings),
            path=pat.path, bindings=bindings,
        )
    return None


@functools.lru_cache(maxsize=None)
def _load_dirs(dirs: tuple[str, ...]) -> dict[str, TaskSpec]:
    specs: dict[str, TaskSpec] = {}
    for base in dirs:
        for path in sorted(Path(base).rglob("*.yaml")):
            if path.name.startswith("_"):
                continue
            if "task_pattern" in _resolved_yaml(str(path)):
                continue
            spec = _spec_from_yaml(path)
            if spec.name in specs and specs[spec.name].path == path:
                continue  # the same file reached through two listed folders
            if spec.name in specs:
                raise BenchError(f"task {spec.name!r} is defined twice: {specs[spec.name].path} and {path}; "
                                 "task names must be unique across the built-in tasks and "
                                 f"{TASKS_PATH_ENV} (rename the task: its 'task' field and file name)")
            specs[spec.name] = spec
    return specs


def list_tasks(family: str | None = None) -> list[TaskSpec]:
    """All registered tasks, sorted by name; only those of ``family`` if given."""
    specs = load_registry().values()
    return sorted((s for s in specs if family is None or s.family == family), key=lambda s: s.name)


def resolve_task(name: str) -> TaskSpec:
    """Resolve a registry name (``A5_skin``) or an unambiguous upstream id (``A5``).

    An upstream id maps to the gene-level tasks that carry it; several (as for ``A1`` with its
    ComBat and ISS-only variants) is an error naming them, never a silent choice.
    """
    registry = load_registry()
    if name in registry:
        return registry[name]
    by_upstream = [s for s in registry.values()
                   if s.upstream_id == name and s.params.get("level", "gene") == "gene"]
    if len(by_upstream) == 1:
        return by_upstream[0]
    if len(by_upstream) > 1:
        names = ", ".join(sorted(s.name for s in by_upstream))
        raise BenchError(f"task id {name!r} is ambiguous: it names {names}; pass one of these registry names")
    from_pattern = _resolve_pattern(name)
    if from_pattern is not None:
        return from_pattern
    raise BenchError(f"unknown task {name!r}.{close_matches_hint(name, registry)} "
                     f"Run `bench list` to see all {len(registry)} tasks.")


get_task = resolve_task
