"""Every shipped metric folder loads with evaluate by bare name (after bench registers it) and by path,
offline, in a fresh HF cache and from an unrelated working directory."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.parent.name for p in (REPO / "metrics").glob("*/*.py") if p.stem == p.parent.name)

_SNIPPET = textwrap.dedent("""
    import json, sys, evaluate
    from bench.metrics.registration import ensure_registered
    ensure_registered()  # what `bench install-metrics` and bench.load_metric do
    out = {}
    for name, path in zip(sys.argv[1::2], sys.argv[2::2]):
        by_name, by_path = evaluate.load(name), evaluate.load(path)
        out[name] = [type(by_name).__name__, type(by_name).__module__, type(by_path).__name__,
                     sorted(by_name.features), sorted(by_path.features)]
    print(json.dumps(out))
""")


def test_every_metric_loads_by_bare_name_and_by_path(tmp_path):
    assert len(SHIPPED) >= 10
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_EVALUATE_OFFLINE="1")
    args = [a for name in SHIPPED for a in (name, str(REPO / "metrics" / name))]
    proc = subprocess.run([sys.executable, "-c", _SNIPPET, *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sorted(out) == SHIPPED
    for name, (cls, module, path_cls, name_features, path_features) in out.items():
        assert f"evaluate-metric--{name}" in module, (name, module)  # the registered copy, not a Hub fetch
        assert cls == path_cls and name_features == path_features and name_features, name


def test_cards_show_a_load_call_that_works_outside_the_checkout():
    """The card is the Space's front page: a relative 'metrics/<name>' path only works in the repo root."""
    for name in SHIPPED:
        card = (REPO / "metrics" / name / "README.md").read_text()
        assert f'evaluate.load("{name}"' in card, name
        assert f'evaluate.load("metrics/{name}"' not in card, name


_CARD_EXAMPLES = textwrap.dedent("""
    import doctest, json, re, sys
    from pathlib import Path
    import bench, evaluate
    from bench.metrics.registration import ensure_registered
    ensure_registered()
    out = {}
    for folder in map(Path, sys.argv[1:]):
        card = (folder / "README.md").read_text()
        block = re.search(r"### Examples\\n+```python\\n(.*?)```", card, re.S)
        if block is None or ">>>" not in block.group(1):
            out[folder.name] = None
            continue
        globs = {folder.name: evaluate.load(folder.name)}  # the card's How to Use binds this name
        test = doctest.DocTestParser().get_doctest(block.group(1), globs, folder.name, str(folder), 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test)
        out[folder.name] = [runner.summarize(verbose=False).failed, len(test.examples)]
    print(json.dumps(out))
""")


# Cards whose examples need an optional extra: card -> (module, extra).
CARD_EXTRAS = {"sc_clustering": ("igraph", "singlecell")}


def _run_card_examples(tmp_path, names):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_EVALUATE_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-c", _CARD_EXAMPLES, *(str(REPO / "metrics" / n) for n in names)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    ran = {name: r for name, r in results.items() if r is not None}
    assert len(ran) == len(names), results
    assert all(failed == 0 and n > 0 for failed, n in ran.values()), (results, proc.stdout[-3000:])


def test_card_sections_and_examples_run(tmp_path):
    """Every card has the style's sections; the doctest examples in its Examples section pass."""
    sections = ["## Metric Description", "## How to Use", "### Inputs", "### Output Values", "### Examples",
                "## Limitations and Bias", "## Citation", "## Further References"]
    for name in SHIPPED:
        card = (REPO / "metrics" / name / "README.md").read_text()
        assert [s for s in sections if s not in card] == [], name
    _run_card_examples(tmp_path, [n for n in SHIPPED if n not in CARD_EXTRAS])


@pytest.mark.parametrize("name", sorted(CARD_EXTRAS))
def test_card_examples_that_need_an_extra_run(tmp_path, name):
    module, extra = CARD_EXTRAS[name]
    pytest.importorskip(module, reason=f"the {extra} extra ({module}) is not installed")
    _run_card_examples(tmp_path, [name])
