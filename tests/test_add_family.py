"""Adding a family touches the family table plus the family's own sub-packages, nothing else.

A toy family ``toy`` lives entirely in a temporary package (``toyfam``) on sys.path: typed ``Params`` and
one YAML task, a ``source``/``build`` loader, ``MODELS``/``run`` and ``evaluate``. One row is put into
:data:`bench.tasks.families.FAMILIES`; then ``bench list | info | build | run | evaluate`` work for it
through the normal CLI code path. The README's "Adding a family" section shows these same files.

The second test is the grep proof: no generic module compares a value against a family name.
"""
from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from bench.cli import main
from bench.loaders.repo import list_configs, read_built, read_config_meta
from bench.tasks.families import FAMILIES, Family

REPO = Path(__file__).resolve().parents[1]

#: the keys of every results.json provenance block (tests/test_report.py checks them for the real families)
PROVENANCE_KEYS = {"bench_version", "git_revision", "python", "dependencies", "seed", "task_version", "spec_sha256",
                   "inputs_sha256", "data_origin", "synthetic", "created_utc"}

TOY_FILES = {
    "toyfam/__init__.py": "",
    # tasks: typed params + the YAML task files (found next to the Params package)
    "toyfam/tasks/__init__.py": '''
        from dataclasses import dataclass

        from bench.tasks.params import Params as _Base


        @dataclass(frozen=True)
        class Params(_Base):
            family = "toy"
            n_samples: int = 200
            n_features: int = 4
            seed: int = 0
        ''',
    "toyfam/tasks/toy_blobs.yaml": '''
        task: toy_blobs
        family: toy
        version: 1
        description: Two Gaussian classes in 20 features (SYNTHETIC; a family defined outside bench)
        source: {provided_by: "tests/test_add_family.py, a seeded generator"}
        label: {column: label}
        domain: null
        split: {scheme: holdout, test_fraction: 0.25}
        metric: {name: roc_auc, primary: roc_auc}
        citation: "none: a test family"
        license: CC0-1.0
        params: {n_samples: 200, n_features: 20, seed: 7}
        ''',
    # loaders: where the data come from, and the configs a task is stored as
    "toyfam/loaders/__init__.py": "",
    "toyfam/loaders/source.py": '''
        from bench.tasks.families import Source


        def source(spec, data_dir=None):
            return Source(root=None, synthetic=True, origin=f"synthetic:toy-seed{spec.params.seed}")
        ''',
    "toyfam/loaders/build.py": '''
        import datasets
        import numpy as np

        from bench.tasks.families import BuiltConfig


        def build(spec, source):
            p = spec.params
            rng = np.random.default_rng(p.seed)
            y = rng.integers(0, 2, p.n_samples)
            X = (rng.normal(size=(p.n_samples, p.n_features)) + 0.3 * y[:, None]).astype(np.float32)
            n_test = int(p.n_samples * spec.split["test_fraction"])
            rows = {"train": slice(n_test, None), "test": slice(0, n_test)}
            splits = {name: datasets.Dataset.from_dict({"features": X[r].tolist(), "label": y[r].tolist()})
                      for name, r in rows.items()}
            meta = {"task": spec.name, "family": spec.family, "spec_sha256": spec.spec_hash,
                    "description": spec.description, "source": {**spec.source, "origin": source.origin},
                    "license": spec.license, "citation": spec.citation, "synthetic": source.synthetic,
                    "feature_column": "features", "feature_ids": [f"f{i}" for i in range(p.n_features)]}
            return [BuiltConfig(spec.name, splits, meta)]
        ''',
    # baselines: models, run and evaluate, each returning the one Result
    "toyfam/baselines/__init__.py": '''
        import numpy as np
        import pandas as pd
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import roc_auc_score

        from bench.baselines.report import Result, config_provenance, summary
        from bench.loaders import config_meta, load

        MODELS = ("logreg",)


        def run(spec, *, model, data_dir=None, seed=42, limit_folds=None):
            dsd = load(spec.name, data_dir=data_dir)
            train, test = dsd["train"], dsd["test"]
            clf = LogisticRegression(random_state=seed).fit(np.array(train["features"]), train["label"])
            scores = clf.predict_proba(np.array(test["features"]))[:, 1]
            auc = float(roc_auc_score(test["label"], scores))
            return Result(task=spec.name, family=spec.family, summary=summary("roc_auc", auc, per_fold={"test": auc}),
                          settings={"model": model}, files={"predictions.csv": pd.DataFrame({"score": scores})},
                          provenance=config_provenance(spec, config_meta(dsd), seed=seed, data_dir=data_dir))
        ''',
    "toyfam/baselines/evaluate.py": '''
        import pandas as pd
        from sklearn.metrics import roc_auc_score

        from bench.baselines.report import Result, config_provenance, summary
        from bench.loaders import config_meta, load


        def evaluate(spec, predictions, *, data_dir=None, seed=None, command=None):
            dsd = load(spec.name, data_dir=data_dir)
            auc = float(roc_auc_score(dsd["test"]["label"], pd.read_csv(predictions)["score"]))
            return Result(task=spec.name, family=spec.family, summary=summary("roc_auc", auc, per_fold={"test": auc}),
                          provenance=config_provenance(spec, config_meta(dsd), seed=seed, data_dir=data_dir,
                                                       inputs={"predictions": predictions}))
        ''',
}

#: the one row (what tasks/families.py would hold for it)
TOY_ROW = Family(
    name="toy", description="a toy tabular family (tests/test_add_family.py)", data="synthetic: seeded generator",
    params="toyfam.tasks:Params", source="toyfam.loaders.source:source", build="toyfam.loaders.build:build",
    models="toyfam.baselines:MODELS", run="toyfam.baselines:run", evaluate="toyfam.baselines.evaluate:evaluate",
    expected_input="predictions CSV: one 'score' column, rows as the test split",
)


@pytest.fixture()
def toy_family(tmp_path, monkeypatch):
    """The toy package written under tmp_path and put on sys.path; its row in FAMILIES."""
    root = tmp_path / "pkg"
    for name, text in TOY_FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setitem(FAMILIES, "toy", TOY_ROW)
    monkeypatch.setenv("BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return root


@pytest.mark.filterwarnings("ignore::bench.loaders.repo.SyntheticDataWarning")  # the toy data are synthetic
def test_a_family_from_its_own_package_and_one_row_works_through_every_verb(toy_family, tmp_path, capsys):
    assert main(["list", "--family", "toy"]) == 0
    listed = capsys.readouterr().out
    assert "toy_blobs" in listed and "1 tasks" in listed

    assert main(["info", "toy_blobs"]) == 0
    info = capsys.readouterr().out
    assert "family: toy" in info and f"# file: {toy_family / 'toyfam' / 'tasks' / 'toy_blobs.yaml'}" in info

    assert main(["build", "toy", "--out", "repo"]) == 0   # the family name selects its tasks
    assert "built toy_blobs (SYNTHETIC data) -> repo/toy_blobs" in capsys.readouterr().out
    assert list_configs("repo") == ["toy_blobs"]
    meta = read_config_meta("repo", "toy_blobs")
    assert meta["family"] == "toy" and meta["synthetic"] is True and meta["source_fingerprint"]
    assert main(["validate", "repo"]) == 0
    capsys.readouterr()

    assert main(["run", "toy_blobs", "--model", "logreg", "--out", "run"]) == 0
    capsys.readouterr()
    doc = json.loads((tmp_path / "run" / "results.json").read_text())
    assert doc["family"] == "toy" and set(doc["provenance"]) == PROVENANCE_KEYS
    assert doc["provenance"]["synthetic"] is True and doc["provenance"]["data_origin"] == "synthetic:toy-seed7"
    # independent truth: sklearn on the built parquet files, not the family's code
    dsd = read_built("repo", "toy_blobs")
    X_train, X_test = np.array(dsd["train"]["features"]), np.array(dsd["test"]["features"])
    clf = LogisticRegression(random_state=42).fit(X_train, dsd["train"]["label"])
    expected = roc_auc_score(dsd["test"]["label"], clf.predict_proba(X_test)[:, 1])
    assert doc["summary"]["value"] == pytest.approx(expected, abs=1e-12) and expected > 0.7

    assert main(["evaluate", "toy_blobs", "run/predictions.csv", "--json", "eval.json"]) == 0
    capsys.readouterr()
    evaluated = json.loads((tmp_path / "eval.json").read_text())
    assert set(evaluated["provenance"]) == PROVENANCE_KEYS
    assert evaluated["summary"]["value"] == pytest.approx(expected, abs=1e-12)
    assert evaluated["provenance"]["inputs_sha256"]["predictions"] == _sha256(tmp_path / "run" / "predictions.csv")


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_help_lists_the_new_family_models(toy_family, capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "toy: logreg" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------- the grep proof
#: generic modules: they reach families only through the table (tasks/families.py, which names them, is the table)
GENERIC = ["src/bench/commands/*.py", "src/bench/*.py", "src/bench/results/*.py", "loaders/*.py", "metrics/*.py",
           "tasks/*.py", "baselines/*.py"]
FAMILY_NAMES = ("genelab", "genelab_analysis", "genotex", "geometa", "singlecell")
#: file -> why it may still name a family
ALLOWED = {
    "tasks/families.py": "the family table itself: the one place that names every family",
    "src/bench/commands/legacy.py": "hidden old verbs, each one family's (evaluate-gta, geometa build, ...), "
                                    "kept for one release",
    "src/bench/commands/aliases.py": "the parsers of those hidden old verbs",
    "src/bench/cli.py": "the verb table lists the hidden old verb `geometa`",
    "tasks/__init__.py": "a doctest example",
    "src/bench/sweep.py": "`bench sweep` runs GeneLab Category A/B cells (mean AUROC, GO verdict, submission "
                          "predictions for the board) by issue 15's design; it refuses other families by name",
}
#: file -> why it may import a family's sub-package directly (everything else resolves layers through the table)
ALLOWED_IMPORTS = {
    "src/bench/commands/legacy.py": "hidden old verbs, each one family's, kept for one release",
    "src/bench/commands/simulate.py": "`bench simulate` is a GeneLab-only feature by its design (issue 16)",
    "src/bench/commands/publish.py": "`bench new-task` writes GeneLab-layout tasks by its design "
                                     "(loaders/genelab/new_task.py)",
    "src/bench/sweep.py": "`bench sweep` drives GeneLab's runner and writes GeneLab submissions by issue 15's design",
}


def family_comparisons(text: str) -> list[str]:
    """Lines comparing or keying on a family name literal ("genelab" as a value, not in prose)."""
    names = "|".join(FAMILY_NAMES)
    pattern = re.compile(rf"""(==|!=|\bin\b|\bis\b|[\[{{(,:=])\s*['"]({names})['"]|['"]({names})['"]\s*(==|!=|:|\bin\b)""")
    return [line.strip() for line in text.splitlines() if pattern.search(line) and not line.strip().startswith("#")]


def test_no_generic_module_dispatches_on_a_family_name():
    offenders = {}
    for glob in GENERIC:
        for path in sorted(REPO.glob(glob)):
            rel = path.relative_to(REPO).as_posix()
            hits = family_comparisons(path.read_text(encoding="utf-8"))
            if hits and rel not in ALLOWED:
                offenders[rel] = hits
    assert not offenders, f"generic modules naming a family (route it through the Family table): {offenders}"
    stale = [rel for rel in ALLOWED if not family_comparisons((REPO / rel).read_text(encoding="utf-8"))]
    assert not stale, f"allowed files that no longer name a family (drop them from ALLOWED): {stale}"


def family_imports(text: str) -> list[str]:
    """Import lines that name a family's sub-package (``from bench.loaders.geometa import ...``)."""
    pattern = re.compile(rf"^\s*(from|import)\s+bench\.\w+\.({'|'.join(FAMILY_NAMES)})\b")
    return [line.strip() for line in text.splitlines() if pattern.match(line)]


def test_no_generic_module_imports_a_family_package():
    offenders, used = {}, set()
    for glob in GENERIC:
        for path in sorted(REPO.glob(glob)):
            rel = path.relative_to(REPO).as_posix()
            hits = family_imports(path.read_text(encoding="utf-8"))
            if hits:
                used.add(rel)
                if rel not in ALLOWED_IMPORTS:
                    offenders[rel] = hits
    assert not offenders, f"generic modules importing a family package (resolve it through the table): {offenders}"
    assert used == set(ALLOWED_IMPORTS), f"stale ALLOWED_IMPORTS entries: {set(ALLOWED_IMPORTS) - used}"


def test_the_grep_finds_what_it_is_meant_to():
    assert family_comparisons('if spec.family == "geometa" and args.expression:')
    assert family_comparisons('names = {"genelab": GENELAB_OPTIONS, "genotex": ()}')
    assert family_comparisons("specs = list_tasks('genelab')")
    assert not family_comparisons('"""GenoTEX and GEOmeta configs; see the genelab docs."""')
    assert family_imports("from bench.metrics.genelab.lomo import roc_auc_rows")
    assert family_imports("    import bench.loaders.genelab.source as source")
    assert not family_imports("from bench.metrics.auroc import roc_auc_rows")
