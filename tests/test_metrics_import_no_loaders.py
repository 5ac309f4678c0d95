"""Rule: metrics import no loader. Importing every module under ``bench.metrics`` (cores, evaluate
module folders, helpers) leaves ``sys.modules`` without any ``bench.loaders`` module."""
from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import importlib, json, pkgutil, sys
import bench.metrics

imported, offenders = [], {}
for info in pkgutil.walk_packages(bench.metrics.__path__, "bench.metrics."):
    importlib.import_module(info.name)
    imported.append(info.name)
    loaders = sorted(m for m in sys.modules if m == "bench.loaders" or m.startswith("bench.loaders."))
    if loaders and not offenders:
        offenders = {"module": info.name, "loaders": loaders}
print(json.dumps({"imported": imported, "offenders": offenders}))
"""


def test_importing_every_metrics_module_imports_no_loader():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["offenders"] == {}, (f"importing {report['offenders']['module']} imported "
                                       f"{report['offenders']['loaders']}")
    imported = set(report["imported"])
    # the walk reaches the family cores, their private modules and the evaluate module folders
    for name in ("bench.metrics.genotex._selection", "bench.metrics.geometa._f1", "bench.metrics.genelab.lomo",
                 "bench.metrics.singlecell._silhouette", "bench.metrics.gta_selection.gta_selection",
                 "bench.metrics.lomo_auroc.lomo_auroc"):
        assert name in imported, name
