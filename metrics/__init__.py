"""Metrics: plain numpy statistics cores plus one Hugging Face ``evaluate`` module folder per metric."""
