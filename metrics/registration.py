"""Make bench's metrics loadable by bare name: ``evaluate.load("lomo_auroc")``.

``evaluate`` 0.4.6 resolves a bare name by (1) a local folder ``./<name>/<name>.py``, (2) the Hub
repo ``evaluate-metric/<name>``, and, when (2) fails (offline, or no such repo), (3) its modules cache:
``$HF_MODULES_CACHE/evaluate_modules/metrics/evaluate-metric--<name>/<64-hex hash>/<name>.py``
(``evaluate.loading.CachedEvaluationModuleFactory``; the newest file by mtime wins).

:func:`register_evaluate_modules` copies every metric folder ``bench/metrics/<name>/<name>.py``
into (3) under the sha256 of the module file, so the installed bench version is what loads. It is
idempotent and explicit: ``bench install-metrics`` runs it, and :func:`ensure_registered` runs it once
per process the first time bench needs it (:func:`bench.load_metric`). ``import bench`` writes nothing.
The module files only import ``bench`` absolutely, so the cached copy runs the installed package's code.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

from bench.errors import BenchError

METRICS_DIR = Path(__file__).resolve().parent
_NAMESPACE = ("evaluate_modules", "metrics")


def metric_folders(root: Path = METRICS_DIR) -> dict[str, Path]:
    """``{name: folder}`` for every ``<root>/<name>/<name>.py`` (the evaluate module layout)."""
    return {p.name: p for p in sorted(root.iterdir())
            if p.is_dir() and (p / f"{p.name}.py").is_file() and not p.name.startswith(("_", "."))}


def modules_cache_dir(modules_cache: str | os.PathLike | None = None) -> Path:
    """The HF modules cache ``evaluate`` uses (its own config if already imported, else the same env rules)."""
    if modules_cache is not None:
        return Path(modules_cache).expanduser()
    evaluate = sys.modules.get("evaluate")
    if evaluate is not None and hasattr(evaluate, "config"):
        return Path(evaluate.config.HF_MODULES_CACHE)
    if os.environ.get("HF_MODULES_CACHE"):
        return Path(os.environ["HF_MODULES_CACHE"]).expanduser()
    hf_home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface")
    return Path(hf_home).expanduser() / "modules"


def _touch_init(folder: Path) -> None:
    init = folder / "__init__.py"
    if not init.exists():
        init.write_text("")


def register_metric(name: str, folder: Path, cache: Path) -> Path:
    """Copy ``folder/<name>.py`` (+ README.md, requirements.txt) into the evaluate modules cache."""
    module_file = folder / f"{name}.py"
    digest = hashlib.sha256(module_file.read_bytes()).hexdigest()
    parent = cache.joinpath(*_NAMESPACE, f"evaluate-metric--{name}")
    target = parent / digest
    levels = [cache, cache / _NAMESPACE[0], cache.joinpath(*_NAMESPACE), parent]
    for level in levels:
        level.mkdir(parents=True, exist_ok=True)
        _touch_init(level)
    if not (target / f"{name}.py").is_file():
        tmp = parent / f".{digest}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        _touch_init(tmp)
        for extra in ("README.md", "requirements.txt"):
            if (folder / extra).is_file():
                shutil.copyfile(folder / extra, tmp / extra)
        shutil.copyfile(module_file, tmp / f"{name}.py")
        try:
            os.replace(tmp, target)
        except OSError:  # another process registered it first
            shutil.rmtree(tmp, ignore_errors=True)
    # evaluate picks the newest <hash>/<name>.py by mtime: make the installed version the newest.
    others = [p / f"{name}.py" for p in parent.iterdir() if p.is_dir() and p != target and len(p.name) == 64]
    mtimes = [f.stat().st_mtime for f in others if f.is_file()]
    if mtimes and max(mtimes) >= (target / f"{name}.py").stat().st_mtime:
        os.utime(target / f"{name}.py")
    return target / f"{name}.py"


def register_evaluate_modules(*, modules_cache: str | os.PathLike | None = None, strict: bool = False) -> dict[str, Path]:
    """Register every bench metric folder; returns ``{name: cached module file}``.

    With ``strict=False`` (the import-time use) an unwritable cache is skipped silently.
    """
    cache = modules_cache_dir(modules_cache)
    done: dict[str, Path] = {}
    for name, folder in metric_folders().items():
        try:
            done[name] = register_metric(name, folder, cache)
        except OSError as exc:
            if strict:
                raise BenchError(f"cannot register metric {name!r} in the evaluate modules cache {cache}: {exc}; "
                                 "set HF_MODULES_CACHE (or --modules-cache) to a writable folder") from None
    return done


_REGISTERED: dict[str, dict[str, Path]] = {}


def ensure_registered(modules_cache: str | os.PathLike | None = None) -> dict[str, Path]:
    """Register every metric once per process and modules cache (the lazy path bench itself uses)."""
    key = str(modules_cache_dir(modules_cache))
    if key not in _REGISTERED:
        _REGISTERED[key] = register_evaluate_modules(modules_cache=modules_cache, strict=True)
    return _REGISTERED[key]
