"""Subcommands of the ``bench`` CLI, one module per command group (see :mod:`bench.cli`)."""
