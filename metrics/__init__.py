"""Metrics: plain numpy statistics cores plus one Hugging Face ``evaluate`` module folder per metric.

Importing this package registers every ``metrics/<name>/`` folder in the ``evaluate`` modules cache
so that ``evaluate.load("<name>")`` works by bare name (see :mod:`bench.metrics.registration`;
opt out with ``BENCH_AUTO_REGISTER_METRICS=0``; ``bench install-metrics`` does it explicitly).
"""
from bench.metrics.registration import auto_register as _auto_register

_auto_register()
