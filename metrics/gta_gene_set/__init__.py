"""HF ``evaluate`` module folder for GenoTEX gene-set scoring (see README.md)."""
