"""HF ``evaluate`` module folder for GenoTEX preprocessing similarity (see README.md)."""
