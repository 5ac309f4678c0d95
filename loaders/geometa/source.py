"""Where GEOmeta's label CSVs are (``data_dir``, ``$BENCH_GEOMETA_DIR`` or ``$BENCH_SHARED_DIR/geometa``)."""
from __future__ import annotations

import os
from pathlib import Path


from bench.errors import BenchError
from bench.tasks import TaskSpec
from bench.tasks.families import Source


DATA_DIR_ENV = "BENCH_GEOMETA_DIR"


LAYOUT = Path("benchmark", "data", "GEOMeta100K")


class GeometaWarning(UserWarning):
    """Something in the input was repaired or left out (duplicates, missing splits or GSMs)."""


def resolve_data_dir(data_dir: str | os.PathLike | None = None, *, task: str | None = None) -> Path:
    """The folder holding ``benchmark/data/GEOMeta100K`` (one folder serves every task: ``task`` is unused).

    Order: ``data_dir``; ``$BENCH_GEOMETA_DIR``; ``$BENCH_SHARED_DIR/geometa`` (library code never
    guesses a folder next to the package).
    ``data_dir`` may also point at the ``GEOMeta100K`` folder itself.
    """
    candidates = [Path(data_dir)] if data_dir else []
    if not data_dir and os.environ.get(DATA_DIR_ENV):
        candidates.append(Path(os.environ[DATA_DIR_ENV]))
    if not data_dir:
        shared = os.environ.get("BENCH_SHARED_DIR")
        candidates += [Path(shared) / "geometa"] if shared else []
    for cand in candidates:
        if (cand / LAYOUT).is_dir():
            return cand
        if cand.is_dir() and cand.name == LAYOUT.name:
            return cand.parents[len(LAYOUT.parts) - 1]
    looked = ", ".join(str(c) for c in candidates) or "nothing: no data_dir, $BENCH_GEOMETA_DIR or $BENCH_SHARED_DIR"
    raise BenchError(f"GEOmeta data folder not found (looked in: {looked}); expected a folder containing "
                     f"{LAYOUT}/GEO_HUMAN_100K_test.csv etc. (a checkout of "
                     f"https://github.com/Bin-Chen-Lab/GEO_GPT); pass --data-dir or set ${DATA_DIR_ENV}", field="data_dir")


def species_params(spec: TaskSpec) -> dict:
    """The species-level parameters of a GEOmeta task (columns, CSV names, targets)."""
    if spec.family != "geometa":
        raise BenchError(f"task {spec.name!r} is of family {spec.family!r}, not geometa")
    return spec.params


def csv_paths(spec: TaskSpec, data_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """``{split: path}`` of the label CSVs the spec names (paths may not exist)."""
    root = resolve_data_dir(data_dir) / LAYOUT
    return {split: root / name for split, name in species_params(spec)["csv"].items()}


def source(spec: TaskSpec, data_dir: str | os.PathLike | None = None) -> Source:
    """The family contract: the folder holding the GEOmeta label CSVs."""
    root = resolve_data_dir(data_dir)
    return Source(root, False, "local", tuple(p for p in csv_paths(spec, root).values() if p.is_file()))
