"""`bench verify` and `bench leaderboard` reach a family only through its row of the family table
(tasks/families.py: the ``records`` and ``board`` entries): every row's entries resolve to callables
of the contract, a family added by a row alone is verified and ranked, and a family without the layer
is a clear error naming the record."""
from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from bench.results import ranking
from bench.cli import main
from bench.errors import BenchError
from bench.metrics import leaderboard as lb
from bench.results.record import RECORD_FORMAT, RECORD_VERSION, Verification, verify_record
from bench.tasks import families
from bench.tasks.families import FAMILIES, Family

GENERIC = ("family_records", "board_units", "ranking", "record")
SRC = Path(__file__).resolve().parents[1] / "src" / "bench" / "results"
FAMILY_WORDS = re.compile("|".join(list(FAMILIES) + ["gene ?lab", "geo ?meta", "geno ?tex", "single-cell"]), re.I)
#: Each unit's value of the toy family's two models (the board's means are their plain means).
TOY_VALUES = {"toy/a": [0.9, 0.8, 0.7, 0.95, 0.85, 0.9], "toy/b": [0.2, 0.3, 0.1, 0.25, 0.3, 0.2]}


def test_every_row_names_callable_records_and_board_entries_of_the_contract():
    for family in FAMILIES.values():
        for layer, params in (("records", ["path", "record", "data_dir"]),
                              ("board", ["task", "records", "data_dir", "seed"])):
            if getattr(family, layer) is None:
                continue
            entry = family.resolve(layer)
            assert callable(entry), (family.name, layer)
            assert list(inspect.signature(entry).parameters) == params, (family.name, layer)
    every = {name for name, f in FAMILIES.items() if f.records and f.board}
    assert every == {"genelab", "singlecell", "geometa", "genotex"}


@pytest.mark.parametrize("module", GENERIC)
def test_the_generic_record_and_board_modules_import_at_the_top_and_name_no_family(module):
    """Family code lives behind the table: no import inside a function (none is an optional extra here)
    and no family name in code (docstrings may give examples)."""
    path = SRC / f"{module}.py"
    tree = ast.parse(path.read_text())
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    local = [f"{path.name}:{node.lineno}" for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
             for node in ast.walk(fn) if isinstance(node, (ast.Import, ast.ImportFrom))
             and not (getattr(node, "module", None) or node.names[0].name).startswith("matplotlib")]
    assert not local, local
    named = [f"{path.name}:{n.lineno}: {n.value[:60]!r}" for n in ast.walk(tree)
             if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
             and FAMILY_WORDS.search(n.value)]
    named += [f"{path.name}:{n.lineno}: {n.id}" for n in ast.walk(tree) if isinstance(n, ast.Name)
              and FAMILY_WORDS.search(n.id)]
    named += [f"{path.name}:{n.lineno}: import {n.module}" for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom) and FAMILY_WORDS.search(n.module or "")]
    assert not named, named


def _toy_record(folder, model: str) -> None:
    folder.mkdir(parents=True)
    values = TOY_VALUES[model]
    (folder / "scores.json").write_text(json.dumps(values))
    record = {"record_format": RECORD_FORMAT, "record_version": RECORD_VERSION,
              "benchmark": {"name": "bench", "family": "toy", "task": "toy_task"},
              "dataset": {"origin": "synthetic:toy", "synthetic": True}, "splits": {"sha256": "x"},
              "predictions": {"file": "scores.json", "sha256": "x"}, "metric": {"id": "toy_mean", "primary": "mean"},
              "value": {"primary": "mean", "value": float(np.mean(values))}, "model": {"id": model}}
    (folder / "record.json").write_text(json.dumps(record))


def _toy_verify(path, record, *, data_dir=None) -> Verification:
    values = json.loads((path.parent / record["predictions"]["file"]).read_text())
    out = Verification(record=path)
    out.recomputed = {"primary": "mean", "value": float(np.mean(values))}
    if out.recomputed["value"] != record["value"]["value"]:
        out.differences.append("value: differs")
    return out


def _toy_board(task, records, *, data_dir=None, seed=0) -> dict:
    units = [f"u{i}" for i in range(len(TOY_VALUES["toy/a"]))]
    entry = {"kind": "units", "unit": "toy units", "units": units, "folds": units, "runs": [], "generated": {},
             "resampled": "toy units", "metric": "toy_mean mean", "ceiling": 1.0, "ceiling_note": "the maximum"}
    for path, record in records:
        values = json.loads((path.parent / record["predictions"]["file"]).read_text())
        stats = np.column_stack([values, np.ones(len(values))])
        entry["runs"].append((path, record, (stats, lb.mean_finish)))
    return entry


@pytest.fixture()
def toy_family(tmp_path, monkeypatch):
    """A family "toy" added by one table row whose layers live in a module of its own."""
    monkeypatch.setitem(sys.modules, "toy_family_layers",
                        types.SimpleNamespace(verify=_toy_verify, board_entry=_toy_board))
    row = Family(name="toy", description="a toy family", data="synthetic", params="bench.tasks.genelab:Params",
                 source=None, build=None, models=None, run=None, evaluate=None,
                 records="toy_family_layers:verify", board="toy_family_layers:board_entry",
                 expected_input="scores.json")
    monkeypatch.setitem(families.FAMILIES, "toy", row)
    for model in TOY_VALUES:
        _toy_record(tmp_path / "records" / model.split("/")[1], model)
    return tmp_path / "records", row


def test_a_family_added_by_its_row_alone_is_verified_and_ranked(toy_family, capsys):
    records, _ = toy_family
    assert main(["verify", str(records / "a")]) == 0
    mean = float(np.mean(TOY_VALUES["toy/a"]))
    assert "MATCH" in (out := capsys.readouterr().out) and f"recomputed mean {mean!r}; predictions, splits" in out
    board = ranking.build_leaderboard([str(records)], n_bootstrap=50)
    rows = {r["model"]: r for r in board["tasks"]["toy_task"]["rows"]}
    assert rows["toy/a"]["value"] == pytest.approx(np.mean(TOY_VALUES["toy/a"]))
    assert rows["toy/b"]["value"] == pytest.approx(np.mean(TOY_VALUES["toy/b"]))
    assert rows["toy/a"]["rank"] == 1


@pytest.mark.parametrize("layer, verb, message", [
    ("records", ["verify"], "has no `bench verify` support"),
    ("board", ["leaderboard"], "has no leaderboard support"),
])
def test_a_family_without_the_layer_is_a_clear_error(toy_family, monkeypatch, capsys, layer, verb, message):
    records, row = toy_family
    monkeypatch.setitem(families.FAMILIES, "toy", dataclasses.replace(row, **{layer: None}))
    target = records / "a"
    code = main(verb + [str(target), *(["--out", str(records.parent / "board")] if layer == "board" else [])])
    err = capsys.readouterr().err
    assert code == 2
    assert f"record.json: family 'toy' {message}" in err, err


def test_a_record_of_an_unknown_family_names_the_record(toy_family, monkeypatch):
    records, _ = toy_family
    monkeypatch.delitem(families.FAMILIES, "toy")
    with pytest.raises(BenchError, match=r"record.json: unknown family 'toy'.*Available: genelab") as err:
        verify_record(records / "a")
    assert err.value.field == "record"
