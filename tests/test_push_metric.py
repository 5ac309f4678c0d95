"""bench push-metric: discovery in bench.metrics, card and requirements checks, the Space files."""
from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from _hub_fixtures import DUMMY_TOKEN, fake_hub  # noqa: F401 (fixture)

import bench.metrics
from bench.cli import main
from bench.errors import BenchError
from bench.hub_space import (APP_TEMPLATE, metric_folders, plan_space, push_metric, read_requirements,
                                     top_level_imports)

MODULE = '''\
"""Toy accuracy: the fraction of predictions equal to the references."""
import datasets
import evaluate
import numpy as np


class ToyAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Fraction of equal labels.", citation="", inputs_description="ints",
            features=datasets.Features({"predictions": datasets.Value("int32"),
                                        "references": datasets.Value("int32")}))

    def _compute(self, predictions, references):
        return {"accuracy": float(np.mean(np.asarray(predictions) == np.asarray(references)))}
'''

CARD = '''\
---
title: Toy Accuracy
emoji: 🧪
colorFrom: blue
colorTo: green
sdk: gradio
sdk_version: 4.44.0
app_file: app.py
pinned: false
tags:
- evaluate
- metric
description: Fraction of predictions equal to the references.
---
# Metric Card for Toy Accuracy

## Metric Description
Fraction of equal labels.
'''


def make_metric(root: Path, name: str = "toy_accuracy", *, module: str = MODULE, card: str | None = CARD,
                requirements: str | None = "numpy\nevaluate>=0.4\ndatasets\n") -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / f"{name}.py").write_text(module)
    if card is not None:
        (folder / "README.md").write_text(card)
    if requirements is not None:
        (folder / "requirements.txt").write_text(requirements)
    return folder


@pytest.fixture
def metric(tmp_path, monkeypatch):
    """toy_accuracy installed as a folder of bench.metrics (as the other engineers' metrics are)."""
    root = tmp_path / "metrics_root"
    folder = make_metric(root)
    monkeypatch.setattr(bench.metrics, "__path__", [*bench.metrics.__path__, str(root)])
    return folder


def test_discovery_finds_every_metric_folder(metric):
    found = metric_folders()
    assert found["toy_accuracy"] == metric
    for name, folder in found.items():
        assert (folder / f"{name}.py").is_file()
    # the package's own folders are scanned first: every metrics/<name>/<name>.py of the checkout
    pkg_root = Path(bench.metrics.__file__).parent
    own = {p.parent.name for p in pkg_root.glob("*/*.py") if p.stem == p.parent.name}
    assert own <= set(found)


def test_dry_run_lists_the_space_files(metric, fake_hub, monkeypatch, capsys):
    monkeypatch.delenv("HF_TOKEN")
    assert main(["push-metric", "toy_accuracy", "--repo", "my-lab/toy_accuracy", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert fake_hub.instances == []
    listed = [line.split()[1] for line in out.splitlines() if line.startswith("  add  ")]
    assert listed == ["toy_accuracy.py", "README.md", "requirements.txt", "app.py"]
    size = (metric / "toy_accuracy.py").stat().st_size
    assert f"  add  toy_accuracy.py  ({size} B; {metric / 'toy_accuracy.py'})" in out
    assert "app.py is generated" in out and '    module = evaluate.load("my-lab/toy_accuracy")' in out
    assert "to Space my-lab/toy_accuracy (sdk gradio)" in out
    assert out.rstrip().endswith("Dry run: nothing was sent.")


def test_generated_app_is_the_standard_widget(metric):
    plan = plan_space("toy_accuracy", "my-lab/toy_accuracy")
    app = plan.uploads[-1].data.decode()
    assert app == ('import evaluate\nfrom evaluate.utils import launch_gradio_widget\n\n'
                   'module = evaluate.load("my-lab/toy_accuracy")\nlaunch_gradio_widget(module)\n')
    ast.parse(app)
    assert plan.app_generated


def test_existing_app_is_uploaded_as_is(metric):
    (metric / "app.py").write_text(APP_TEMPLATE.format(repo_id="other/x"))
    plan = plan_space(metric, "my-lab/toy_accuracy")  # by path, too
    assert plan.uploads[-1].source == metric / "app.py" and not plan.app_generated


def test_module_renamed_after_the_space(metric, capsys):
    assert main(["push-metric", "toy_accuracy", "--repo", "my-lab/toy-acc", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "  add  toy-acc.py  (" in out
    assert "Note: toy_accuracy.py is uploaded as toy-acc.py: evaluate.load('my-lab/toy-acc') fetches" in out


def test_space_files_load_with_evaluate(metric, tmp_path):
    """Materialise the planned Space locally and load it the way evaluate loads a module folder."""
    import evaluate

    plan = plan_space("toy_accuracy", "my-lab/toy_acc")
    space = tmp_path / "space" / "toy_acc"
    space.mkdir(parents=True)
    for u in plan.uploads:
        (space / u.path_in_repo).write_bytes(u.data if u.data is not None else u.source.read_bytes())
    module = evaluate.load(str(space))
    assert module.compute(predictions=[1, 0, 1, 1], references=[1, 0, 0, 1]) == {"accuracy": 0.75}


def test_push_creates_a_gradio_space_in_one_commit(metric, fake_hub, capsys):
    assert main(["push-metric", "toy_accuracy", "--repo", "my-lab/toy_accuracy", "--private"]) == 0
    (api,) = fake_hub.instances
    assert api.calls[0] == ("create_repo", "my-lab/toy_accuracy",
                            {"repo_type": "space", "space_sdk": "gradio", "private": True, "exist_ok": True})
    commits = [c for c in api.calls if c[0] == "create_commit"]
    assert len(commits) == 1 and len(api.calls) == 2
    _, repo_id, ops, kw = commits[0]
    assert kw["repo_type"] == "space"
    assert [o.path_in_repo for o in ops] == ["toy_accuracy.py", "README.md", "requirements.txt", "app.py"]
    captured = capsys.readouterr()
    assert DUMMY_TOKEN not in captured.out + captured.err


def test_missing_token_sends_nothing(metric, fake_hub, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(BenchError, match="no Hugging Face token found"):
        push_metric("toy_accuracy", "my-lab/toy_accuracy")
    assert fake_hub.instances == []


@pytest.mark.parametrize("field", ["title", "emoji", "colorFrom", "colorTo", "sdk", "app_file", "pinned",
                                   "tags", "description"])
def test_card_field_missing(tmp_path, fake_hub, field):
    card = "\n".join(line for line in CARD.splitlines() if not line.startswith(f"{field}:")) + "\n"
    if field == "tags":
        card = card.replace("- evaluate\n- metric\n", "")
    folder = make_metric(tmp_path, card=card)
    with pytest.raises(BenchError, match=rf"README.md: card field\(s\) \['{field}'\] missing from the YAML header"):
        plan_space(folder, "lab/toy_accuracy")
    assert fake_hub.instances == []


def test_card_wrong_values(tmp_path):
    folder = make_metric(tmp_path, card=CARD.replace("sdk: gradio", "sdk: docker").replace("pinned: false",
                                                                                           "pinned: maybe"))
    with pytest.raises(BenchError, match=r"'sdk' must be 'gradio', got 'docker'; 'pinned' must be true or false"):
        plan_space(folder, "lab/toy_accuracy")


def test_card_without_header_or_file(tmp_path):
    folder = make_metric(tmp_path, card="# just markdown\n")
    with pytest.raises(BenchError, match="metric card has no YAML header"):
        plan_space(folder, "lab/toy_accuracy")
    folder = make_metric(tmp_path, "no_card", card=None)
    with pytest.raises(BenchError, match="no_card/README.md: metric card missing"):
        plan_space(folder, "lab/no_card")


def test_requirements_must_cover_imports(tmp_path):
    module = MODULE.replace("import numpy as np\n", "import numpy as np\nimport scipy.stats\nimport yaml\n")
    folder = make_metric(tmp_path, module=module, requirements="numpy\nevaluate\ndatasets\nscipy==1.*\n")
    with pytest.raises(BenchError, match=r"does not cover these imports of the metric or app.py: "
                                         r"yaml \(install name: pyyaml\)"):
        plan_space(folder, "lab/toy_accuracy")


def test_module_importing_bench_needs_bench(tmp_path):
    module = MODULE.replace("import numpy as np\n", "import numpy as np\nfrom bench.errors import BenchError\n")
    folder = make_metric(tmp_path, module=module)
    with pytest.raises(BenchError, match=r"imports of the metric or app.py: bench \(install name: bench\)"):
        plan_space(folder, "lab/toy_accuracy")
    (folder / "requirements.txt").write_text("bench @ git+https://github.com/example/bench.git\n")
    plan_space(folder, "lab/toy_accuracy")  # bench brings numpy, evaluate, datasets


def test_bench_extras_cover_optional_imports(tmp_path):
    module = MODULE.replace("import numpy as np\n", "import numpy as np\nimport scanpy\n")
    folder = make_metric(tmp_path, module=module, requirements="bench\n")
    with pytest.raises(BenchError, match=r"scanpy \(install name: scanpy\)"):
        plan_space(folder, "lab/toy_accuracy")
    (folder / "requirements.txt").write_text("git+https://github.com/example/bench.git#egg=bench[singlecell]\n")
    plan_space(folder, "lab/toy_accuracy")


def test_missing_requirements(tmp_path):
    folder = make_metric(tmp_path, requirements=None)
    with pytest.raises(BenchError, match=r"toy_accuracy/requirements.txt: missing; list `bench`"):
        plan_space(folder, "lab/toy_accuracy")


def test_read_requirements_forms(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text(textwrap.dedent("""\
        # comment
        scikit_learn>=1.3  # inline comment
        Bench[singlecell,geometa] @ git+https://github.com/x/bench
        -r other.txt
        -e git+https://github.com/huggingface/evaluate@main#egg=evaluate
        https://example.org/pkgs/igraph
        """))
    assert read_requirements(path) == {"scikit-learn": set(), "bench": {"singlecell", "geometa"},
                                       "evaluate": set(), "igraph": set()}


def test_imports_are_read_not_executed():
    src = "import os, numpy.linalg\nfrom . import x\nfrom bench.metrics import y\nraise SystemExit('never run')\n"
    assert top_level_imports(src) == {"os", "numpy", "bench"}
    with pytest.raises(BenchError, match=r"m.py: not valid Python \(line 1\)"):
        top_level_imports("def (:\n", filename="m.py")


def test_unknown_metric_and_bad_repo(metric, fake_hub, capsys):
    assert main(["push-metric", "toy_acuracy", "--repo", "lab/x", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bench: error: unknown metric 'toy_acuracy'. Did you mean: toy_accuracy")
    assert main(["push-metric", "toy_accuracy", "--repo", "toy_accuracy", "--dry-run"]) == 2
    assert "--repo 'toy_accuracy' is not a Hub repository id: expected ORG/NAME" in capsys.readouterr().err
    assert fake_hub.instances == []


def test_folder_without_module(tmp_path):
    (tmp_path / "empty_metric").mkdir()
    with pytest.raises(BenchError, match=r"not a metric folder: expected the module empty_metric/empty_metric.py"):
        plan_space(tmp_path / "empty_metric", "lab/x")


def test_module_without_metric_class(tmp_path):
    folder = make_metric(tmp_path, module="import numpy as np\n\n\ndef compute(x):\n    return np.mean(x)\n")
    with pytest.raises(BenchError, match=r"toy_accuracy.py: defines no evaluate.Metric subclass"):
        plan_space(folder, "lab/toy_accuracy")


SHIPPED_METRICS = sorted(p.parent.name for p in Path(bench.metrics.__file__).parent.glob("*/*.py")
                         if p.stem == p.parent.name)


@pytest.mark.parametrize("name", SHIPPED_METRICS)
def test_every_shipped_metric_passes_the_space_checks(name, capsys):
    """Each metrics/<name>/ of the package has a complete card and requirements covering its imports."""
    assert len(SHIPPED_METRICS) >= 10
    assert main(["push-metric", name, "--repo", f"my-lab/{name}", "--dry-run"]) == 0
    out = capsys.readouterr().out
    listed = [line.split()[1] for line in out.splitlines() if line.startswith("  add  ")]
    assert listed == [f"{name}.py", "README.md", "requirements.txt", "app.py"]
    assert out.rstrip().endswith("Dry run: nothing was sent.")
