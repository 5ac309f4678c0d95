"""The README's "Supported versions" line and setup.cfg's floors agree with what .ci/run tests."""
from __future__ import annotations

import importlib.util
import re

from conftest import REPO_ROOT


def _ci_module():
    spec = importlib.util.spec_from_file_location("supported_versions", REPO_ROOT / ".ci" / "supported_versions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_line_is_rendered_from_the_ci_records():
    sv = _ci_module()
    assert sv.readme_line(REPO_ROOT / "README.md") == sv.render()


def test_setup_cfg_floors_are_the_versions_ci_installs_in_the_lowest_environment():
    sv = _ci_module()
    assert sv.floor_problems() == []
    lowest, _ = sv.read_pins(sv.LOWEST)
    newest, notes = sv.read_pins(sv.NEWEST)
    assert set(lowest) == set(newest) == set(sv.floors())  # every direct dependency, at both ends
    assert re.fullmatch(r"3\.\d+", notes["python"])


def test_version_comparison_ignores_trailing_zeros():
    sv = _ci_module()
    assert sv.same_version("4", "4.0.0") and sv.same_version("6.0.1", "6.0.1")
    assert not sv.same_version("4.60", "4.6") and not sv.same_version("2.0.10", "2.0.1")


def test_readme_test_command_is_one_line_of_two_commands():
    lines = (REPO_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("<!-- test-command"))
    assert lines[i + 1] == "```bash"
    assert lines[i + 2] == 'pip install -e ".[test]" && HF_HUB_OFFLINE=1 python -m pytest -q -m "not slow"'
