"""Metrics: plain numpy statistics cores plus one Hugging Face ``evaluate`` module folder per metric.

``evaluate.load("<name>")`` finds a metric by bare name once it is registered in the evaluate
modules cache: ``bench install-metrics``, or :func:`bench.load_metric` (registers on first use).
Importing this package has no side effect (see :mod:`bench.metrics.registration`).
"""
