"""GEOmeta through the 9-verb CLI: `bench build geometa_* --expression` (new form of `bench geometa build`)."""
from __future__ import annotations

import pytest

from bench.cli import main
from bench.loaders.repo import list_configs, read_config_meta

from geometa_helpers import make_human_dir

pytest.importorskip("h5py", reason="h5py is not installed (pip install 'bench[geometa]')")


def test_bench_build_with_expression_matches_the_old_spelling(tmp_path, capsys):
    data = make_human_dir(tmp_path / "data", train=False)
    new, old = tmp_path / "new", tmp_path / "old"
    assert main(["build", "geometa_human_age", "--data-dir", str(data), "--out", str(new),
                 "--expression", "synthetic"]) == 0
    assert "(SYNTHETIC expression)" in capsys.readouterr().out
    assert main(["geometa", "build", "geometa_human_age", "--data-dir", str(data), "--out", str(old),
                 "--expression", "synthetic"]) == 0
    err = capsys.readouterr().err
    assert "use: bench build geometa_human_age --out" in err and "--expression synthetic" in err
    assert list_configs(new) == list_configs(old) == ["geometa_human_age"]
    a, b = read_config_meta(new, "geometa_human_age"), read_config_meta(old, "geometa_human_age")
    assert a["synthetic"] is b["synthetic"] is True and a["feature_ids"] == b["feature_ids"]
