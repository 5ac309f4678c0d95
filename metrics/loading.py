"""``bench.load_metric``: ``evaluate.load`` by bare name, bench's metrics registered on first use.

Reached lazily from ``bench`` (importing ``evaluate`` takes about a second), so it imports at the top.
"""
from __future__ import annotations

import evaluate

from bench.metrics.registration import ensure_registered


def load_metric(name: str, *args, **kwargs) -> evaluate.EvaluationModule:
    """``evaluate.load(name, ...)`` for a bench metric by bare name (``"lomo_auroc"``), registering
    bench's metrics in the evaluate modules cache on first use (``bench install-metrics`` does it once)."""
    ensure_registered()
    return evaluate.load(name, *args, **kwargs)
