"""The README walkthrough 'your own leave-one-mission-out task', up to the network call.

The README's own commands run in order, for real: `bench new-task` (labels table + feature matrix)
-> BENCH_TASKS_PATH -> `bench build` -> validate -> push --dry-run -> push (faked Hub). A copied
built-in spec with a new mission (the older route) is exercised too.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
from _hub_fixtures import build_repo, fake_hub  # noqa: F401 (fixture)
from test_tasks_path import new_mission_task

from bench.cli import build_parser, main
from bench.loaders.genelab.synthetic import ensure_synthetic
from bench.loaders.publish import parse_readme_text
from bench.tasks import TASKS_PATH_ENV, get_task

README = Path(__file__).resolve().parents[1] / "README.md"


def test_new_mission_end_to_end(tmp_path, monkeypatch, fake_hub, capsys):
    new_mission_task(tmp_path / "tasks" / "genelab")
    monkeypatch.setenv(TASKS_PATH_ENV, str(tmp_path / "tasks"))
    spec = get_task("A5_skin_rr99")
    hub = tmp_path / "hub"
    build_repo(hub, {"A5_skin": {"RR-6": 5, "RR-7": 4, "MHU-2": 6}})  # an existing build
    # the lab's data folder in the upstream layout, with the new mission's fold (generated here)
    lab = ensure_synthetic(spec, root=tmp_path / "lab-data", progress=False)
    assert (lab / "tasks" / "A5_skin_rr99_lomo" / "fold_RR-99_test" / "test_y.csv").is_file()
    assert main(["build", "A5_skin_rr99", "--data-dir", str(lab), "--out", str(hub)]) == 0
    built = datasets.load_dataset(str(hub), "A5_skin_rr99")
    assert sorted(built) == ["mhu_2", "rr_6", "rr_7", "rr_99"]
    rr99 = spec.params["missions"]["RR-99"]
    assert built["rr_99"].num_rows == rr99["n"] and sum(built["rr_99"]["label"]) == rr99["flight"]
    assert datasets.load_dataset(str(hub), "A5_skin")["rr_6"].num_rows == 5  # the other config kept

    assert main(["validate", str(hub), "--config", "A5_skin_rr99"]) == 0
    # the lab data here are bench's synthetic generator's: refused unless allowed (and then tagged)
    assert main(["push", str(hub), "--repo", "my-lab/genelab-benchmark", "--config", "A5_skin_rr99",
                 "--dry-run"]) == 2
    assert main(["push", str(hub), "--repo", "my-lab/genelab-benchmark", "--config", "A5_skin_rr99",
                 "--dry-run", "--allow-synthetic"]) == 0
    out = capsys.readouterr().out
    assert "  add  A5_skin_rr99/rr_99-00000-of-00001.parquet" in out and "A5_skin/" not in out
    assert fake_hub.instances == []

    # the Hub already has A5_skin (pushed earlier): the new config is added beside it
    fake_hub.remote_readme = (hub / "README.md").read_text().replace("- config_name: A5_skin_rr99", "- x: 0")
    assert main(["push", str(hub), "--repo", "my-lab/genelab-benchmark", "--config", "A5_skin_rr99",
                 "--allow-synthetic"]) == 0
    (api,) = fake_hub.instances
    (commit,) = [c for c in api.calls if c[0] == "create_commit"]
    readme = [o for o in commit[2] if o.path_in_repo == "README.md"][0].path_or_fileobj.decode()
    header, body = parse_readme_text(readme)
    assert [c.get("config_name") for c in header["configs"]][:2] == ["A5_skin", "A5_skin_rr99"]
    assert "## A5_skin\n" in body and "## A5_skin_rr99\n" in body


WALKTHROUGH = ("**Walkthrough: your own leave-one-mission-out task**", "A new mission for a built-in task")


def walkthrough_commands() -> list[str]:
    """The walkthrough's shell lines (bash blocks and inline `bench ...`), in README order."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(WALKTHROUGH[0]):text.index(WALKTHROUGH[1])]
    found = []
    for m in re.finditer(r"```bash\n(.*?)```|`(bench [^`]+)`", section, re.S):
        if m.group(1):
            found += [line.strip() for line in m.group(1).splitlines() if line.strip()]
        else:
            found.append(m.group(2).strip())
    return found


def write_lab_tables(folder: Path) -> None:
    """labels.csv (sample_id, mission, condition, strain) and expression.csv (genes x samples), seeded:
    a Flight effect on 6 of 80 genes and a per-mission batch offset."""
    rng = np.random.default_rng(7)
    rows = [{"sample_id": f"{m}_{i:02d}", "mission": m, "condition": "Flight" if i % 2 else "Ground",
             "strain": "C57BL/6J"} for m, n in (("RR-1", 12), ("RR-3", 10), ("RR-6", 14)) for i in range(n)]
    labels = pd.DataFrame(rows)
    X = rng.normal(8, 1, (len(labels), 80)) + labels["mission"].map({"RR-1": 0, "RR-3": 0.5, "RR-6": -0.4}).to_numpy()[:, None]
    X[labels["condition"].eq("Flight").to_numpy(), :6] += 1.5
    labels.to_csv(folder / "labels.csv", index=False)
    pd.DataFrame(X.T, index=[f"ENSMUSG{i:011d}" for i in range(80)], columns=labels["sample_id"]).to_csv(
        folder / "expression.csv")


def test_readme_walkthrough_runs(tmp_path, monkeypatch, fake_hub, capsys):
    monkeypatch.chdir(tmp_path)
    write_lab_tables(tmp_path)
    lines = walkthrough_commands()
    assert [line.split()[:2] for line in lines] == [["bench", "new-task"], ["export", "BENCH_TASKS_PATH=my-bench/tasks"],
                                                    ["bench", "build"], ["bench", "validate"], ["bench", "push"],
                                                    ["bench", "push"]]
    for line in lines:
        argv = shlex.split(line)
        if argv[0] == "export":
            key, value = argv[1].split("=", 1)
            monkeypatch.setenv(key, str(tmp_path / value))
            continue
        assert main(argv[1:]) == 0, (line, capsys.readouterr().err)
    out = capsys.readouterr().out
    assert "leakage audit: no finding" in out
    dsd = datasets.load_dataset(str(tmp_path / "bench-data"), "my_skin")
    assert sorted(dsd) == ["rr_1", "rr_3", "rr_6"] and dsd["rr_6"].num_rows == 14
    assert dsd["rr_1"].features["label"].names == ["Ground", "Flight"]
    assert sum(dsd["rr_1"]["label"]) == 6
    (api,) = fake_hub.instances
    (commit,) = [c for c in api.calls if c[0] == "create_commit"]
    readme = [o for o in commit[2] if o.path_in_repo == "README.md"][0].path_or_fileobj.decode()
    header, body = parse_readme_text(readme)
    assert header["license"] == "cc-by-4.0" and "synthetic" not in header["tags"]
    assert "built from `local`; provided by `our lab, OSD-999`" in body and "@misc{ourlab2026}" in body
    assert "kang2026genelab" not in readme and "jang1563" not in readme and "MIT" not in readme
    assert 'hf_hub_download("my-lab/genelab-benchmark", "<config>/bench_config.json"' in readme


def test_readme_commands_parse_with_the_real_cli():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Publishing and adding a new split"):]
    cmds = [re.sub(r"\[[^\]]*\]", "", m.group(1)).strip()
            for m in re.finditer(r"`?(bench (?:validate|push|push-metric|new-task|build) [^`\n#]+)", section)]
    assert len(cmds) >= 8
    parser = build_parser()
    for cmd in cmds:
        args = parser.parse_args(shlex.split(cmd)[1:])
        assert args.handler is not None, cmd
