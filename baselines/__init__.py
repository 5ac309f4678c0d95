"""Baselines: models that consume bench configs through the public API only."""
