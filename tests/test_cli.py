"""`bench list` / `bench info` and the CLI's error contract (exit 2, one line, no traceback)."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bench.cli import main


def test_list_prints_a_table(capsys):
    assert main(["list", "--family", "genelab"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["task", "family", "data", "metric", "description"]
    assert "A5_skin_kegg" in out and "44 tasks" in out
    a5 = next(line for line in out.splitlines() if line.startswith("A5_skin "))
    assert "real: Hub or local; synthetic offline" in a5 and "Spaceflight detection in skin" in a5


def test_list_says_where_each_familys_data_come_from(capsys):
    assert main(["list", "--json"]) == 0
    rows = {r["task"]: r for r in __import__("json").loads(capsys.readouterr().out)}
    assert rows["pbmc68k"]["data"] == "real: shipped (scanpy)"
    assert rows["adamson_perturbation"]["data"] == "real: local (--data-dir)"
    assert rows["genotex_problems"]["data"] == "real: local; synthetic default"
    assert rows["geometa_human"]["data"] == "real labels: local; synthetic expression"
    assert all(len(r["description"]) <= 60 and "\n" not in r["description"] for r in rows.values())


# The verbs users type (issue 12's nine, then new-task: issue 13, simulate: issue 16, sweep: issue 15,
# leaderboard/verify/publish-result: issue 17), in the groups `bench --help` shows them.
HELP_GROUPS = {
    "data": ["list", "info", "new-task", "build", "validate"],
    "models": ["run", "evaluate", "sweep", "simulate"],
    "results": ["leaderboard", "verify", "publish-result"],
    "hub": ["push", "push-metric", "install-metrics"],
}
OLD_VERBS = ("rank", "evaluate-gta", "evaluate-embedding", "build-genotex", "geometa")


def help_groups(text: str) -> dict[str, list[str]]:
    """{group: verbs} from `bench --help`: a block per group, `<group> (<what>):` then `  <verb>  <help>` lines."""
    groups, current = {}, None
    for line in text.splitlines():
        head = re.match(r"^([a-z]+) \(.+\):$", line)
        if head:
            current = groups.setdefault(head.group(1), [])
        elif current is not None and re.match(r"^  \S", line):
            verb, help_line = line.split(None, 1)
            assert help_line.strip(), line
            current.append(verb)
        elif not line.startswith("   "):
            current = None
    return groups


def test_help_lists_every_verb_in_its_group_and_no_old_one(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: bench [-h] [--version] COMMAND ...")
    assert help_groups(out) == HELP_GROUPS  # so no old verb is listed
    for old in OLD_VERBS[1:]:  # ("rank" is also a word of leaderboard's help line)
        assert old not in out
    assert "--version" in out and "`bench COMMAND --help`" in out


def test_help_lines_are_wrapped_to_the_terminal(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "70")
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 70
    assert help_groups(out) == HELP_GROUPS


@pytest.mark.parametrize("verb", [v for verbs in HELP_GROUPS.values() for v in verbs])
def test_every_listed_verb_has_its_own_help(verb, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([verb, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: bench {verb} ")


@pytest.mark.parametrize("argv, new", [
    (["rank", "{tmp}/no-sweep", "--out", "{tmp}/board"], "bench leaderboard {tmp}/no-sweep --out {tmp}/board"),
    (["evaluate-gta", "--pred", "{tmp}/none", "--ref", "{tmp}/none"], "bench evaluate genotex_problems {tmp}/none --data-dir GENOTEX_ROOT"),
    (["evaluate-embedding", "{tmp}/e.npy", "--obs", "{tmp}/o.csv", "--label-key", "cell_type"],
     "bench evaluate TASK {tmp}/e.npy --obs {tmp}/o.csv --label-key cell_type"),
    (["build-genotex", "--root", "{tmp}/none", "--out", "{tmp}/repo"],
     "bench build genotex --data-dir {tmp}/none --out {tmp}/repo"),
    (["geometa", "build", "A5_skin", "--out", "{tmp}/repo"], "bench build A5_skin --out {tmp}/repo"),
])
def test_old_verbs_still_work_and_print_the_new_form(argv, new, tmp_path, capsys):
    """Each hidden old verb runs its command (here on missing input: one clear error) after naming the new form."""
    code = main([a.format(tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    note, error = err.strip().splitlines()[:2]
    assert note == f"bench: note: `bench {' '.join(argv[:2]) if argv[0] == 'geometa' else argv[0]}` is an old " \
                   f"spelling kept for one release; use: {new.format(tmp=tmp_path)}"
    assert error.startswith("bench: error: ")


def test_an_unknown_verb_names_the_close_ones_and_not_the_old_ones(capsys):
    assert main(["evalute", "x"]) == 2
    err = capsys.readouterr().err
    assert err == "bench: error: unknown command 'evalute'. Did you mean: evaluate, validate? See `bench --help`.\n"
    assert main(["ranks"]) == 2
    assert "rank" not in capsys.readouterr().err.replace("'ranks'", "")


def test_help_imports_no_command_module_and_list_only_light_ones():
    """`bench --help` imports no bench.commands module; `bench list` none of the heavy libraries."""
    code = ("import sys; from bench.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('bench.commands.'))), file=sys.stderr)")
    helped = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and helped.stderr.strip() == "", helped.stderr
    listed = subprocess.run([sys.executable, "-c", code, "list"], capture_output=True, text=True)
    assert listed.returncode == 0 and listed.stderr.strip() == "bench.commands.core", listed.stderr


def test_run_help_lists_each_familys_models(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "genelab: lr, pca_lr, rf, xgboost, constant, random" in out and "geometa: lr, knn, confound" in out
    assert "genotex: lasso, lasso_predictive" in out and "singlecell: pca, random, confound, control_median" in out
    assert "--limit-folds N" in out


def test_unknown_task_exits_2_with_one_clear_line(capsys):
    assert main(["info", "A7_brain"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bench: error: unknown task 'A7_brain'") and "Traceback" not in err


def test_console_script_runs():
    res = subprocess.run([sys.executable, "-m", "bench.cli", "info", "A5"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "task: A5_skin" in res.stdout


def test_cli_warnings_are_one_line(tmp_path):
    """A warning raised during a command prints as `bench: warning: ...`, without source lines."""
    import os

    env = dict(os.environ, BENCH_CACHE=str(tmp_path / "cache"), HF_HUB_OFFLINE="1")
    res = subprocess.run([sys.executable, "-m", "bench.cli", "run", "A2_gastrocnemius_hallmark", "--model", "pca_lr",
                          "--out", str(tmp_path / "report")], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "bench: warning: A2_gastrocnemius_hallmark: SYNTHETIC data" in res.stderr
    assert "Warning:" not in res.stderr and ".py:" not in res.stderr


def test_bench_error_field_is_printed_as_the_commands_option():
    """A core names what was wrong by BenchError.field; the CLI prints the command's option instead."""
    import argparse

    from bench.cli import with_option
    from bench.errors import BenchError

    args = argparse.Namespace(field_options={"labels": "--label-key", "data_dir": "--data-dir"},
                              label_key="cell_type", data_dir=None)
    assert with_option(BenchError("labels: 1 cell(s) have no value", field="labels"), args) == \
        "--label-key 'cell_type': 1 cell(s) have no value"
    assert with_option(BenchError("folder not found: x", field="data_dir"), args) == "--data-dir: folder not found: x"
    assert with_option(BenchError("plain", field="other"), args) == "plain"
    assert with_option(BenchError("plain"), argparse.Namespace()) == "plain"


HEAVY = ("datasets", "pyarrow", "pandas", "sklearn", "matplotlib", "scipy", "evaluate", "huggingface_hub")


@pytest.mark.parametrize("argv", [["--help"], ["list"], ["list", "--json"], ["info", "A5_skin"]])
def test_light_commands_import_no_heavy_library(argv):
    """`bench --help`, `bench list` and `bench info` read YAML only: none of the heavy libraries is imported
    (measured: benchmarks/bench_cli_startup.py)."""
    code = ("import sys; from bench.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    res = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
    assert res.returncode == 0 and res.stderr.strip() == "", res.stderr
