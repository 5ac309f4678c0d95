"""Hugging Face ``evaluate`` module folder for :mod:`bench.metrics.geometa` (load it by path)."""
