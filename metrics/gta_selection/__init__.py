"""HF ``evaluate`` module folder for GenoTEX dataset filtering and selection (see README.md)."""
