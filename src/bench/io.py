"""Small I/O helpers shared by every family: atomic writes, hashing, checked JSON/YAML reads."""
from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any, Iterator

import yaml

from bench.errors import BenchError


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``target``; on success rename it onto ``target``.

    On error the temporary file/folder is removed and ``target`` is left untouched, so
    nothing is ever half-written. With ``directory=True`` an existing folder is replaced.
    """
    target = Path(target)
    if target.is_symlink():  # write through the link: update what it points to, keep the link
        target = Path(os.path.realpath(target))
    if not directory and target.is_dir():
        raise BenchError(f"{target} is a directory; expected a file path to write")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise BenchError(f"cannot write {target}: a parent path is a file, not a folder") from None
    sweep_stale_staging(target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent))
    except OSError as exc:
        raise BenchError(f"{target}: cannot write it, {target.parent} refuses new files ({exc.strerror or exc})") from None
    out = tmp if directory else tmp / target.name
    try:
        with _staging_errors_named(target, tmp):
            yield out
            if directory:
                out.chmod(_mode_for(target, 0o777))  # mkdtemp made it 0700
                _swap_folder(out, target)
            else:
                if target.is_file():
                    out.chmod(_mode_for(target, 0o666))
                os.replace(out, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def current_umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(target: Path, default: int) -> int:
    """The permission bits of the ``target`` being replaced, else ``default`` under the umask."""
    if target.exists():
        return stat.S_IMODE(target.stat().st_mode)
    return default & ~current_umask()


def link_or_copy(src: str, dst: str) -> str:
    """``shutil.copytree``'s copy function for a staging copy: parquet data are hard-linked (bench only
    ever replaces them, never writes into one), everything else is copied; a copy where links fail."""
    if src.endswith(".parquet"):
        try:
            os.link(src, dst)
            return dst
        except OSError:
            pass
    return shutil.copy2(src, dst)


@contextlib.contextmanager
def _staging_errors_named(target: Path, tmp: Path) -> Iterator[None]:
    """An OSError about a file inside the staging folder ``tmp`` (disk full, quota, a refused rename) is
    reported as a :class:`BenchError` naming ``target``, the user's path, never bench's staging path."""
    try:
        yield
    except OSError as exc:
        name = str(exc.filename or "")
        if not name.startswith(str(tmp)):
            raise
        inner = Path(name).relative_to(tmp)
        where = "" if inner in (Path("."), Path(target.name)) else f" ({inner})"
        raise BenchError(f"{target}: cannot write it{where}: {exc.strerror or exc}") from None


def _swap_folder(new: Path, target: Path) -> None:
    """Replace the folder ``target`` by ``new`` (two renames; a kill between them is repaired by
    :func:`sweep_stale_staging`)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` exists (or cannot be signalled by us)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def sweep_stale_staging(target: str | os.PathLike) -> list[Path]:
    """Remove staging debris of ``target`` left by killed processes; returns what was removed.

    Staging folders are ``.<name>.<pid>.<random>.tmp`` and the previous version during a swap is
    ``.<name>.old-<pid>``, both beside ``target``. Debris of a live process is left alone. If the
    process died between the two renames of a swap (``target`` missing, ``.old-<pid>`` present),
    the previous version is put back instead of deleted.
    """
    target = Path(target)
    if not target.parent.is_dir():
        return []
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(?:(\d+)\..+\.tmp|old-(\d+))$")
    removed = []
    for entry in sorted(target.parent.iterdir()):
        match = pattern.match(entry.name)
        if not match or pid_alive(int(match.group(1) or match.group(2))):
            continue
        if match.group(2) and not target.exists() and not target.is_symlink():
            os.replace(entry, target)  # a swap killed between its two renames: restore the old version
            continue
        shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temp file, then rename)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json_atomic(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON (keys in insertion order) atomically."""
    return write_text_atomic(path, json.dumps(obj, indent=2, allow_nan=False) + "\n")


#: Message for JSON nested deeper than Python's reader allows (RecursionError).
TOO_DEEP = "JSON nested too deeply (arrays/objects within each other more than ~1,000 levels); not a valid input"


def existing_file(path: str | os.PathLike, what: str) -> Path:
    """``path`` as a Path; :class:`BenchError` "<what> not found: <path>" unless it is a file."""
    path = Path(path)
    if not path.is_file():
        raise BenchError(f"{what} not found: {path}")
    return path


def read_json(path: str | os.PathLike, *, what: str = "JSON file") -> Any:
    """Read JSON, raising :class:`BenchError` naming the file on a missing or malformed file."""
    path = existing_file(path, what)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BenchError(f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise BenchError(f"{path}: {TOO_DEEP}") from None
    except UnicodeDecodeError as exc:
        raise BenchError(f"{path}: not UTF-8 text ({exc.reason}); expected JSON") from None


def read_yaml(path: str | os.PathLike, *, what: str = "YAML file") -> Any:
    """Read YAML with ``yaml.safe_load`` (never executes anything from data)."""
    path = existing_file(path, what)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BenchError(f"{path}: malformed YAML: {exc}") from None


def read_csv_header(path: str | os.PathLike) -> list[str]:
    """Column names of a CSV (first row minus the index column) without reading the body."""
    with open(path, newline="", encoding="utf-8") as fh:
        row = next(csv.reader(fh), [])
    return row[1:]


def sha256_file(path: str | os.PathLike, *, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()
