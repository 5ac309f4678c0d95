"""The README walkthrough 'a new mission for A5_skin', up to the network call.

Every step runs for real: user task folder -> registry -> the lab's data in the upstream layout
-> `bench build` -> validate -> push --dry-run -> push (faked Hub).
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import datasets
import yaml
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
    assert main(["push", str(hub), "--repo", "my-lab/genelab-benchmark", "--config", "A5_skin_rr99",
                 "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "  add  A5_skin_rr99/rr_99-00000-of-00001.parquet" in out and "A5_skin/" not in out
    assert fake_hub.instances == []

    # the Hub already has A5_skin (pushed earlier): the new config is added beside it
    fake_hub.remote_readme = (hub / "README.md").read_text().replace("- config_name: A5_skin_rr99", "- x: 0")
    assert main(["push", str(hub), "--repo", "my-lab/genelab-benchmark", "--config", "A5_skin_rr99"]) == 0
    (api,) = fake_hub.instances
    (commit,) = [c for c in api.calls if c[0] == "create_commit"]
    readme = [o for o in commit[2] if o.path_in_repo == "README.md"][0].path_or_fileobj.decode()
    header, body = parse_readme_text(readme)
    assert [c.get("config_name") for c in header["configs"]][:2] == ["A5_skin", "A5_skin_rr99"]
    assert "## A5_skin\n" in body and "## A5_skin_rr99\n" in body


def _walkthrough_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Publishing and adding a new split"):]
    cmds = []
    for m in re.finditer(r"`?(bench (?:validate|push|push-metric) [^`\n#]+)", section):
        cmd = m.group(1).strip().rstrip("`")
        cmd = re.sub(r"\[[^\]]*\]", "", cmd)  # drop [optional] placeholders
        cmds.append(shlex.split(cmd)[1:])
    return cmds


def test_readme_commands_parse_with_the_real_cli():
    cmds = _walkthrough_commands()
    assert len(cmds) >= 6
    parser = build_parser()
    for argv in cmds:
        args = parser.parse_args(argv)
        assert args.handler is not None, argv


def test_readme_copy_source_exists():
    import bench.tasks

    assert (Path(bench.tasks.__file__).parent / "genelab" / "A5_skin.yaml").is_file()
    data = yaml.safe_load((Path(bench.tasks.__file__).parent / "genelab" / "A5_skin.yaml").read_text())
    assert data["include"] == ["_genelab.yaml", "_skin.yaml"] and "task_dir" in data["params"]
