"""The command line, the top layer: `awspan COMMAND` parses options, calls the pipeline, prints
and picks the exit code. Nothing below imports it.

Modules: main (the parser, the dispatch, errors to exit codes), one module per command family
(collect, generate, firewall: snapshot/plan/push, event, validate, completion).
`awspan` (pyproject.toml) and `python -m generator` run `main`.
"""

from generator.cli.main import main

__all__ = ["main"]
